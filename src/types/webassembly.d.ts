// The slice of the WebAssembly JS API that dptrain uses. @types/node 20 does not declare it,
// and lib.dom/lib.webworker would bring browser globals into a Node project.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: BufferSource);
  }
  class Global {
    value: unknown;
  }
  class Instance {
    readonly exports: Record<string, unknown>;
  }
  type BufferSource = ArrayBufferView | ArrayBuffer;
  type Imports = Record<string, Record<string, unknown>>;
  function compile(bytes: BufferSource): Promise<Module>;
  function instantiate(module: Module, imports?: Imports): Promise<Instance>;
  function validate(bytes: BufferSource): boolean;
}

