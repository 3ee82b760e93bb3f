// One scaling measurement on an engine already built: `warmup` steps, then `steps` timed steps,
// as the trainer runs them (one command per epoch's part). Host-neutral: `dptrain bench`
// (engine-bench.ts) and the web page's scaling test both measure here.
import type { Engine } from "../engine/coordinator/engine.js";

export interface EngineMeasurement {
  /** rows trained in the timed steps per wall-clock second */
  samples_per_s: number;
  step_ms: number;
  /** share of step wall time on the kernels' critical path; the rest is dispatch and waiting */
  kernel_fraction: number;
}

export async function measureEngine(engine: Engine, stepsPerEpoch: number, trainRows: number, steps: number, warmup: number): Promise<EngineMeasurement> {
  const B = engine.options.batchSize;
  let rows = 0, wallMs = 0, kernelMs = 0;
  const run = async (from: number, to: number) => {
    for (let s = from; s < to; ) {
      const epoch = Math.floor(s / stepsPerEpoch);
      engine.writeEpochOrder(epoch);
      const end = Math.min((epoch + 1) * stepsPerEpoch, to);
      await engine.runSteps({ first: s, count: end - s, batches: { epochFirstStep: epoch * stepsPerEpoch, batchSize: B, trainRows }, skipNonFinite: false }, (st) => {
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
  return { samples_per_s: (rows / elapsed) * 1000, step_ms: elapsed / steps, kernel_fraction: kernelMs / wallMs };
}
