// One scaling measurement: N training steps of the engine at a given thread count after a
// warm-up, on the config's model, data and batch size. Same seed and data order for every thread
// count, so the final weights must be bitwise identical.
import { createHash } from "node:crypto";
import type { Config } from "../config/schema.js";
import { loadDataset } from "../data/dataset.js";
import { Engine, type WorkerProfile } from "../engine/coordinator/engine.js";
import { resolveKernels } from "../kernels/resolve.js";
import { engineOptions, stepsPerEpoch } from "../run/engine-options.js";
import { specForDataset } from "../model/build.js";
import { nodeHost } from "../engine/coordinator/node-host.js";

export interface EngineBenchResult {
  threads: number;
  batchSize: number;
  steps: number;
  samples_per_s: number;
  step_ms: number;
  /** share of step wall time on the kernels' critical path; the rest is dispatch and waiting */
  kernel_fraction: number;
  weights_sha256: string;
  /** peak resident set of the process that ran it, MB */
  peak_rss_mb: number;
  /** each worker's mean ms per timed step in each phase */
  profile: WorkerProfile[];
}

export async function benchEngine(config: Config, threads: number, steps: number, warmup: number): Promise<EngineBenchResult> {
  const dataset = await loadDataset(config.data.dataset, config.data.dir);
  const spec = specForDataset(config.model, dataset);
  const B = config.train.batchSize;
  const perEpoch = stepsPerEpoch(config, dataset.train.count);
  const kernels = resolveKernels(config.engine.kernels, config.engine.isa);
  const engine = Engine.create({ ...engineOptions(config, { dataset, spec, workers: threads, kernels }), host: nodeHost });
  try {
    // Steps [from, to) as the trainer runs them: one command per epoch's part.
    let rows = 0, wallMs = 0, kernelMs = 0;
    const run = async (from: number, to: number) => {
      for (let s = from; s < to; ) {
        const epoch = Math.floor(s / perEpoch);
        engine.writeEpochOrder(epoch);
        const end = Math.min((epoch + 1) * perEpoch, to);
        await engine.runSteps({ first: s, count: end - s, batches: { epochFirstStep: epoch * perEpoch, batchSize: B, trainRows: dataset.train.count }, skipNonFinite: false }, (st) => {
          rows += st.rows;
          wallMs += st.wallMs;
          kernelMs += st.kernelMs;
          return true;
        });
        s = end;
      }
    };
    await run(0, warmup);
    rows = wallMs = kernelMs = 0;
    engine.resetProfile();
    const t0 = performance.now();
    await run(warmup, warmup + steps);
    const elapsed = performance.now() - t0;
    return {
      threads, batchSize: B, steps,
      samples_per_s: (rows / elapsed) * 1000, step_ms: elapsed / steps, kernel_fraction: kernelMs / wallMs,
      weights_sha256: createHash("sha256").update(engine.paramsBuffer(warmup + steps)).digest("hex"),
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      profile: engine.phaseProfile(),
    };
  } finally {
    await engine.close();
  }
}
