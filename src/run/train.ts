// Node's library entry, train(): the config's data loaded from disk (or given), its workers and
// kernel set resolved for this machine, and the epoch loop (train-loop.ts) on piscina threads.
import type { Config } from "../config/schema.js";
import { loadData, type Dataset } from "../data/dataset.js";
import { nodeHost } from "../engine/coordinator/node-host.js";
import { resolveKernels, type ResolvedKernels } from "../kernels/resolve.js";
import { resolveWorkers } from "./machine.js";
import { trainOn, type TrainLoopOptions, type TrainResult } from "./train-loop.js";

export { NonFiniteError, trainOn } from "./train-loop.js";
export type { CheckpointReason, TrainLoopOptions, TrainResult, TrainSetup, TrainState } from "./train-loop.js";

export interface TrainOptions extends TrainLoopOptions {
  /** a dataset already in memory (else config.data is loaded) */
  dataset?: Dataset;
  /** the kernel set resolved for this machine (default: resolved from config.engine here, once) */
  kernels?: ResolvedKernels;
}

export async function train(config: Config, options: TrainOptions = {}): Promise<TrainResult> {
  const dataset = options.dataset ?? (await loadData(config.data, config.seed));
  const kernels = options.kernels ?? resolveKernels(config.engine.kernels, config.engine.isa);
  return trainOn(config, { dataset, workers: resolveWorkers(config.engine.workers), kernels, host: nodeHost }, options);
}
