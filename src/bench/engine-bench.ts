// One scaling measurement: N training steps of the engine at a given thread count after a
// warm-up, on the config's model, data and batch size. Same seed, initial state and data order
// for every thread count, so the weights after the N steps must be bitwise identical.
import { createHash } from "node:crypto";
import type { Config } from "../config/schema.js";
import { loadData } from "../data/dataset.js";
import { Engine, type WorkerProfile } from "../engine/coordinator/engine.js";
import { resolveKernels } from "../kernels/resolve.js";
import { engineOptions, stepsPerEpoch } from "../run/engine-options.js";
import { specForDataset } from "../model/build.js";
import { nodeHost } from "../engine/coordinator/node-host.js";
import { measureEngine, type EngineMeasurement } from "./measure-engine.js";

export interface EngineBenchResult extends EngineMeasurement {
  threads: number;
  batchSize: number;
  steps: number;
  weights_sha256: string;
  /** peak resident set of the process that ran it, MB */
  peak_rss_mb: number;
  /** each worker's mean ms per timed step in each phase */
  profile: WorkerProfile[];
}

export async function benchEngine(config: Config, threads: number, steps: number, warmup: number, warmupMs: number): Promise<EngineBenchResult> {
  const dataset = await loadData(config.data, config.seed);
  const spec = specForDataset(config.model, dataset);
  const kernels = resolveKernels(config.engine.kernels, config.engine.isa);
  const engine = Engine.create({ ...engineOptions(config, { dataset, spec, workers: threads, kernels }), host: nodeHost });
  try {
    const m = await measureEngine(engine, stepsPerEpoch(config, dataset.train.count), dataset.train.count, steps, warmup, warmupMs);
    return {
      threads, batchSize: config.train.batchSize, steps, ...m,
      weights_sha256: createHash("sha256").update(engine.paramsBuffer(steps)).digest("hex"),
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      profile: engine.phaseProfile(),
    };
  } finally {
    await engine.close();
  }
}
