// Worker thread (each step worker).
// Picks the kernel set named by engine.kernels and the matching way to name arena buffers. The
// loaders come from the worker's host: Node's step worker has all three sets, a web page's has
// ts and wasm (src/web/step.worker.ts).
import { pointerBinder, viewBinder, type Binder } from "../../arena/arena.js";
import type { Kernels } from "../../kernels/kernels.js";
import type { PointerKernels } from "../../kernels/pointer-abi.js";
import { tsKernels } from "../../kernels/ts/index.js";
import type { WorkerInit } from "../common/protocol.js";

export interface BoundKernels {
  // The sets name buffers differently (views vs pointers); handlers are generic over both.
  kernels: Kernels<any, any, any, any>;
  bind: Binder<any, any, any, any>;
}

/** How this host loads the pointer-ABI sets; a set it lacks is an error naming it. */
export interface KernelLoaders {
  wasm(memory: WebAssembly.Memory, path: string): Promise<PointerKernels>;
  native?(memory: WebAssembly.Memory, isa: "avx512" | "avx2", addon: string): PointerKernels;
}

export type KernelsInit = Pick<WorkerInit, "kernels" | "memory" | "wasmPath" | "nativeIsa" | "nativeAddon">;

export async function createKernelsFor(init: KernelsInit, loaders: KernelLoaders): Promise<BoundKernels> {
  const { memory } = init;
  if (init.kernels === "ts") return { kernels: tsKernels<Float32Array>(), bind: viewBinder(memory) };
  if (init.kernels === "native") {
    if (!loaders.native) throw new Error("engine.kernels: native runs only in Node (this host has ts and wasm)");
    return { kernels: loaders.native(memory, init.nativeIsa ?? "avx2", init.nativeAddon), bind: pointerBinder };
  }
  return { kernels: await loaders.wasm(memory, init.wasmPath), bind: pointerBinder };
}
