// Instantiates the AssemblyScript SIMD kernels (dist/kernels.wasm, built from
// src/kernels/wasm/assembly/) against the arena's shared memory, and adapts their exports to
// the Kernels interface with F = U8 = U32 = byte offset into the arena.
import { readFile } from "node:fs/promises";
import { RESERVED_LOW_BYTES } from "../kernels.js";
import { adaptPointerKernels, type PointerKernelExports, type PointerKernels } from "../pointer-abi.js";

export interface WasmKernelExports extends PointerKernelExports {
  /** end of the module's static data */
  heapBase(): number;
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

async function compile(path: string): Promise<WebAssembly.Module> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new Error(`${path}: WASM kernels not built; run npm run build (or set engine.kernels: ts)`);
  }
  return WebAssembly.compile(bytes);
}

export async function instantiateWasmKernels(memory: WebAssembly.Memory, path: string): Promise<WasmKernelExports> {
  if (!compiled.has(path)) compiled.set(path, compile(path));
  const module = await compiled.get(path)!;
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
    throw new Error(`${path}: static data ends at ${heapBase}, above the ${RESERVED_LOW_BYTES} bytes the arena reserves for it`);
  }
  return exports;
}

export async function loadWasmKernels(memory: WebAssembly.Memory, path: string): Promise<PointerKernels> {
  return adaptPointerKernels(await instantiateWasmKernels(memory, path));
}
