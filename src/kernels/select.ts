// Picks the kernel set named by engine.kernels and the matching way to name arena buffers.
import { pointerBinder, viewBinder, type Binder } from "../arena/arena.js";
import type { Kernels } from "./kernels.js";
import { tsKernels } from "./ts/index.js";
import { loadWasmKernels } from "./wasm/loader.js";
import type { KernelSet } from "../engine/protocol.js";

export interface BoundKernels {
  // The sets name buffers differently (views vs pointers); handlers are generic over both.
  kernels: Kernels<any, any, any, any>;
  bind: Binder<any, any, any, any>;
}

export async function createKernelsFor(set: KernelSet, memory: WebAssembly.Memory, wasmPath: string): Promise<BoundKernels> {
  if (set === "ts") return { kernels: tsKernels<Float32Array>(), bind: viewBinder(memory) };
  return { kernels: await loadWasmKernels(memory, wasmPath), bind: pointerBinder };
}
