// Instantiates the AssemblyScript SIMD kernels (dist/kernels.wasm, built from
// src/kernels/wasm/assembly/) against the arena's shared memory, and adapts their exports to the
// Kernels interface with F = U8 = U32 = byte offset into the arena. Host-neutral: Node reads the
// module from a file (loader.ts), a web page fetches it (src/web/step.worker.ts).
import { RESERVED_LOW_BYTES } from "../kernels.js";
import { adaptPointerKernels, type PointerKernelExports, type PointerKernels } from "../pointer-abi.js";

export interface WasmKernelExports extends PointerKernelExports {
  /** end of the module's static data */
  heapBase(): number;
}

export async function instantiateWasmModule(memory: WebAssembly.Memory, module: WebAssembly.Module, shown: string): Promise<WasmKernelExports> {
  const instance = await WebAssembly.instantiate(module, {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, col: number) {
        throw new Error(`wasm kernel abort at ${line}:${col}`);
      },
    },
  });
  const exports = instance.exports as unknown as WasmKernelExports;
  const heapBase = exports.heapBase();
  if (heapBase > RESERVED_LOW_BYTES) {
    throw new Error(`${shown}: static data ends at ${heapBase}, above the ${RESERVED_LOW_BYTES} bytes the arena reserves for it`);
  }
  return exports;
}

export async function wasmKernelsFromModule(memory: WebAssembly.Memory, module: WebAssembly.Module, shown: string): Promise<PointerKernels> {
  const kernels = adaptPointerKernels(await instantiateWasmModule(memory, module, shown));
  // The arena holds no im2col matrices for wasm (engine.ts layoutInputOf): a module built before
  // the direct convolutions would write convs where there is no room.
  if (!kernels.convForward || !kernels.useScratch) throw new Error(`${shown}: built before the direct conv kernels; run npm run build`);
  return kernels;
}
