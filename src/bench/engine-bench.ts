// One scaling measurement: N training steps of the engine at a given thread count after a
// warm-up, on the config's model, data and batch size. Same seed and data order for every thread
// count, so the final weights must be bitwise identical.
import { createHash } from "node:crypto";
import type { Config } from "../config/schema.js";
import { loadDataset } from "../data/dataset.js";
import { Engine } from "../engine/engine.js";
import { engineOptions, stepsPerEpoch } from "../engine/trainer.js";
import { specFromConfig } from "../model/build.js";

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
}

export async function benchEngine(config: Config, threads: number, steps: number, warmup: number): Promise<EngineBenchResult> {
  const dataset = await loadDataset(config.data.dataset, config.data.dir);
  const spec = specFromConfig(config.model, dataset.rows * dataset.cols, dataset.nClasses);
  const B = config.train.batchSize;
  const perEpoch = stepsPerEpoch(config, dataset.train.count);
  const engine = Engine.create(engineOptions(config, dataset, spec, threads));
  try {
    let epoch = -1;
    const runStep = async (step: number) => {
      const e = Math.floor(step / perEpoch);
      if (e !== epoch) engine.writeEpochOrder((epoch = e));
      const start = (step % perEpoch) * B;
      return engine.step(step, start, Math.min(B, dataset.train.count - start));
    };
    for (let s = 0; s < warmup; s++) await runStep(s);
    let rows = 0, wallMs = 0, kernelMs = 0;
    const t0 = performance.now();
    for (let s = warmup; s < warmup + steps; s++) {
      const st = await runStep(s);
      rows += st.rows;
      wallMs += st.wallMs;
      kernelMs += st.kernelMs;
    }
    const elapsed = performance.now() - t0;
    return {
      threads, batchSize: B, steps,
      samples_per_s: (rows / elapsed) * 1000, step_ms: elapsed / steps, kernel_fraction: kernelMs / wallMs,
      weights_sha256: createHash("sha256").update(engine.paramsBuffer(warmup + steps)).digest("hex"),
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await engine.close();
  }
}
