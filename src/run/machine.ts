// Node: what a config's "auto" settings mean on this machine: engine.workers (its cores) and
// engine.kernels / engine.isa (native where the addon loaded, else wasm).
import { availableParallelism } from "node:os";
import type { Config } from "../config/schema.js";
import { resolveKernels, type ResolvedKernels } from "../kernels/resolve.js";

export function resolveWorkers(workers: Config["engine"]["workers"]): number {
  return workers === "auto" ? availableParallelism() : workers;
}

/** The config with engine.kernels and engine.isa resolved for this machine: what a run records in config.yaml and checkpoints. */
export function resolvedConfig(config: Config): { config: Config; kernels: ResolvedKernels } {
  const kernels = resolveKernels(config.engine.kernels, config.engine.isa);
  return { config: { ...config, engine: { ...config.engine, kernels: kernels.set, isa: kernels.isa ?? "auto" } }, kernels };
}
