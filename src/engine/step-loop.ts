// The coordinator side of the step loop (the worker side is loop-worker.ts): W long-running
// loop tasks on the pool, and the commands that drive them. Per step the coordinator writes the
// command and notifies, then wakes once, when every worker is done (Atomics.waitAsync with a
// timeout). The reported figures are summed from fixed partials in a fixed order: the per-row
// losses in row order, Σ g² per parameter row in row order, and integer counts. So they are the
// same for every worker count, like the weights.
import { BATCH_START, CMD, CMD_EXIT, CMD_STEP, DONE, R_CORRECT, R_PARAMS_MS, R_ROWS_MS, RESULT_FIELDS, ROWS, ROWS_DONE, SEQ, STEP } from "./barrier.js";
import { PhaseTimeoutError } from "./errors.js";
import type { LoopTask } from "./protocol.js";

export interface LoopStepResult {
  lossSum: number;
  correct: number;
  /** the slowest worker's ROWS kernel time + the slowest worker's PARAMS kernel time */
  kernelMs: number;
  gradNormSq: number;
}

/** Resolves when ctrl[index] ≥ target; rejects after timeoutMs. */
export async function waitForCount(ctrl: Int32Array, index: number, target: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = Atomics.load(ctrl, index);
    if (v >= target) return;
    const left = deadline - performance.now();
    if (left <= 0) throw new PhaseTimeoutError("step", timeoutMs);
    const wait = Atomics.waitAsync(ctrl, index, v, left);
    if (wait.async) {
      // waitAsync alone does not keep Node's event loop alive; this timer does.
      const keepAlive = setTimeout(() => {}, left + 10);
      try {
        await wait.value;
      } finally {
        clearTimeout(keepAlive);
      }
    }
  }
}

/** The arena's per-row partials the coordinator sums after each step. */
export interface StepPartials {
  /** (batch rows) f32: each row's loss */
  rowLoss: Float32Array;
  /** (parameter rows) f64: Σ g² of each parameter row */
  rowSq: Float64Array;
}

export class StepLoop {
  private readonly tasks: Promise<unknown>[];
  private readonly failed: Promise<never>;
  private stopping = false;

  constructor(
    private readonly ctrl: Int32Array,
    private readonly results: Float64Array,
    private readonly partials: StepPartials,
    private readonly workers: number,
    run: (task: LoopTask) => Promise<unknown>,
  ) {
    const seq = Atomics.load(ctrl, SEQ);
    this.tasks = Array.from({ length: workers }, (_, worker) => run({ kind: "loop", worker, workers, seq }));
    this.failed = new Promise<never>((_, reject) => {
      for (const t of this.tasks) {
        t.then(
          () => !this.stopping && reject(new Error("a step worker left its loop unexpectedly")),
          (err: unknown) => !this.stopping && reject(err instanceof Error ? err : new Error(String(err))),
        );
      }
    });
    this.failed.catch(() => {}); // observed by runStep; never an unhandled rejection
  }

  private command(cmd: number, fields: [number, number][] = []): void {
    for (const [i, v] of fields) Atomics.store(this.ctrl, i, v);
    Atomics.store(this.ctrl, ROWS_DONE, 0);
    Atomics.store(this.ctrl, DONE, 0);
    Atomics.store(this.ctrl, CMD, cmd);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
  }

  async runStep(step: number, batchStart: number, rows: number, timeoutMs: number): Promise<LoopStepResult> {
    this.command(CMD_STEP, [[STEP, step], [BATCH_START, batchStart], [ROWS, rows]]);
    await Promise.race([waitForCount(this.ctrl, DONE, this.workers, timeoutMs), this.failed]);
    let correct = 0, rowsMs = 0, paramsMs = 0;
    for (let w = 0; w < this.workers; w++) {
      const o = w * RESULT_FIELDS;
      correct += this.results[o + R_CORRECT]!;
      rowsMs = Math.max(rowsMs, this.results[o + R_ROWS_MS]!);
      paramsMs = Math.max(paramsMs, this.results[o + R_PARAMS_MS]!);
    }
    let lossSum = 0;
    const { rowLoss, rowSq } = this.partials;
    for (let r = 0; r < rows; r++) lossSum += rowLoss[r]!;
    let gradNormSq = 0;
    for (let i = 0; i < rowSq.length; i++) gradNormSq += rowSq[i]!;
    return { lossSum, correct, kernelMs: rowsMs + paramsMs, gradNormSq };
  }

  /** Ends the loop tasks (CMD_EXIT), waiting at most timeoutMs; false if they did not all end. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    this.command(CMD_EXIT);
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      Promise.allSettled(this.tasks).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return ended;
  }

  /** For when the pool is torn down anyway: its rejections are expected. */
  abandon(): void {
    this.stopping = true;
  }
}
