// Worker thread (each step worker).
// Picks the kernel set named by engine.kernels and the matching way to name arena buffers.
import { pointerBinder, viewBinder, type Binder } from "../../arena/arena.js";
import type { Kernels } from "../../kernels/kernels.js";
import { tsKernels } from "../../kernels/ts/index.js";
import { loadWasmKernels } from "../../kernels/wasm/loader.js";
import { loadNativeKernels } from "../../kernels/native/native-kernels.js";
import type { WorkerInit } from "../common/protocol.js";

export interface BoundKernels {
  // The sets name buffers differently (views vs pointers); handlers are generic over both.
  kernels: Kernels<any, any, any, any>;
  bind: Binder<any, any, any, any>;
}

export async function createKernelsFor(init: Pick<WorkerInit, "kernels" | "memory" | "wasmPath" | "nativeIsa" | "nativeAddon">): Promise<BoundKernels> {
  const { memory } = init;
  if (init.kernels === "ts") return { kernels: tsKernels<Float32Array>(), bind: viewBinder(memory) };
  if (init.kernels === "native") return { kernels: loadNativeKernels(memory, init.nativeIsa ?? "avx2", init.nativeAddon), bind: pointerBinder };
  return { kernels: await loadWasmKernels(memory, init.wasmPath), bind: pointerBinder };
}
