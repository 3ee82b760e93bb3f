// Node: reads and compiles dist/kernels.wasm once per thread, then instantiates it against the
// arena's shared memory (instantiate.ts).
import { readFile } from "node:fs/promises";
import type { PointerKernels } from "../pointer-abi.js";
import { instantiateWasmModule, wasmKernelsFromModule, type WasmKernelExports } from "./instantiate.js";

export type { WasmKernelExports };

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

function compiledModule(path: string): Promise<WebAssembly.Module> {
  if (!compiled.has(path)) compiled.set(path, compile(path));
  return compiled.get(path)!;
}

export async function instantiateWasmKernels(memory: WebAssembly.Memory, path: string): Promise<WasmKernelExports> {
  return instantiateWasmModule(memory, await compiledModule(path), path);
}

export async function loadWasmKernels(memory: WebAssembly.Memory, path: string): Promise<PointerKernels> {
  return wasmKernelsFromModule(memory, await compiledModule(path), path);
}
