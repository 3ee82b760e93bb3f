// One scaling measurement on an engine already built: a warm-up, then `steps` timed steps from
// the initial state, as the trainer runs them (one command per epoch's part). Host-neutral:
// `dptrain bench` (engine-bench.ts) and the web page's scaling test both measure here.
//
// Why the warm-up is also timed (warmupMs): V8 compiles the hot paths on background threads for
// the first seconds. With a free core that costs nothing; with a worker on every core it takes
// time from one of them, so a 2-worker run of the seed MLP measured 15–18% below its steady
// state after 10 warm-up steps, and reached it only after 1–3 s of steps (node --no-opt, without
// that compiler, measured the steady figure at once). Training runs for minutes at that figure.
import type { Engine } from "../engine/coordinator/engine.js";

export interface EngineMeasurement {
  /** rows trained in the timed steps per wall-clock second */
  samples_per_s: number;
  step_ms: number;
  /** share of step wall time on the kernels' critical path; the rest is dispatch and waiting */
  kernel_fraction: number;
  /** untimed steps run first (at least the `warmup` asked for, more while warmupMs had not passed) */
  warmup_steps: number;
}

/** Warm-up steps run between two looks at the clock. */
const WARMUP_CHUNK = 50;

/** The web page's scaling test (web/main.ts): timed steps per worker count, and its warm-up (at least 20 steps and this long). */
export const PAGE_SCALING = { steps: 200, warmupMs: 2000 } as const;

/**
 * Warm-up: at least `warmup` steps, and steps until warmupMs have passed; then the initial θ and
 * optimizer state go back and the timed steps run from step 0, so the weights after them are the
 * same bits whatever the warm-up's length (which differs between thread counts).
 */
export async function measureEngine(engine: Engine, stepsPerEpoch: number, trainRows: number, steps: number, warmup: number, warmupMs = 0): Promise<EngineMeasurement> {
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
  const params0 = engine.paramsBuffer(0).slice(), optimState0 = engine.optimStateBuffer(0).slice();
  const w0 = performance.now();
  let warmed = 0;
  while (warmed < warmup || performance.now() - w0 < warmupMs) {
    const n = warmed < warmup ? warmup - warmed : WARMUP_CHUNK;
    await run(warmed, warmed + n);
    warmed += n;
  }
  engine.loadState(0, params0, optimState0);
  rows = wallMs = kernelMs = 0;
  engine.resetProfile();
  const t0 = performance.now();
  await run(0, steps);
  const elapsed = performance.now() - t0;
  return { samples_per_s: (rows / elapsed) * 1000, step_ms: elapsed / steps, kernel_fraction: kernelMs / wallMs, warmup_steps: warmed };
}
