// Coordinator thread.
// The coordinator side of the step loop (the worker side is worker/worker-loop.ts): W long-running
// loop tasks on the pool, and the commands that drive them. A command runs a range of steps;
// the workers write each finished step's figures into the ring, and the coordinator reads them
// every POLL_MS (or when the command ends), so it neither wakes per step nor takes a core from
// the workers. The figures are sums of fixed partials in a fixed order (per-row losses in row
// order, Σ g² per parameter row in row order, integer counts): the same for every worker count.
import { batchWords, type BatchSource } from "../common/batches.js";
import {
  BATCH, CMD, CMD_EXIT, CMD_RUN, CONSUMED, COUNT, DONE, END_BARRIER, EPOCH_FIRST, EXITED, FIRST_STEP, FIXED_ROWS, FIXED_START, HALT,
  MID_BARRIER, OUTCOME, OUTCOME_NON_FINITE, PARAMS_CLAIMS, OUTCOME_STOPPED, RING_CORRECT, RING_FIELDS, RING_GRAD_NORM_SQ, RING_KERNEL_MS, RING_LOSS_SUM,
  R_ROW_END, RING_NON_FINITE, RING_ROWS, RING_STEP, RING_WALL_MS, SEQ, resultOffset, GENERATION, WAIT_WORDS, SKIP_BARRIER, SKIP_NON_FINITE, STOP, TRAIN_ROWS, type BarrierViews,
} from "../common/barrier.js";
import { RING_STEPS } from "../../arena/layout.js";
import { evenEnd } from "../common/row-split.js";
import { PhaseTimeoutError, StepAttemptError } from "./errors.js";
import type { LoopTask, StepCut } from "../common/protocol.js";

/** Starts a new pool generation: a worker of the old pool leaves at its next wait (barrier.ts GENERATION). */
export function nextGeneration(ctrl: Int32Array): void {
  Atomics.add(ctrl, GENERATION, 1);
  for (const word of WAIT_WORDS) Atomics.notify(ctrl, word);
}

/** How often the coordinator reads the ring while a command runs. */
const POLL_MS = 20;
/** How long a worker spins at a barrier before it sleeps, when every worker has a core of its own. */
export const BARRIER_SPIN_MS = 2;

/** Spinning pays only while the workers the barrier waits for are on cores of their own. */
export function barrierSpinMs(workers: number, cores: number): number {
  return workers <= cores ? BARRIER_SPIN_MS : 0;
}

/** One finished step, as the workers recorded it. */
export interface LoopStepResult {
  step: number;
  lossSum: number;
  correct: number;
  rows: number;
  gradNormSq: number;
  /** worker 0's wall time for the step, barriers included */
  wallMs: number;
  /** the slowest worker's ROWS kernel time + the slowest worker's PARAMS kernel time */
  kernelMs: number;
  /** the loss or the gradient norm was not finite (the step was skipped, or the run halted on it) */
  nonFinite: boolean;
}

export type { BatchSource };

/** Steps [first, first + count) over `batches`; a non-finite step is skipped with skipNonFinite, else it halts the run. */
export interface StepRange {
  first: number;
  count: number;
  batches: BatchSource;
  skipNonFinite: boolean;
}

export interface RunOutcome {
  /** steps finished and reported (a halting non-finite step included) */
  reported: number;
  outcome: "complete" | "stopped" | "non-finite";
}

/** Resolves true when ctrl[index] ≥ target, false after ms. */
async function waitAtLeast(ctrl: Int32Array, index: number, target: number, ms: number): Promise<boolean> {
  const v = Atomics.load(ctrl, index);
  if (v >= target) return true;
  const wait = Atomics.waitAsync(ctrl, index, v, ms);
  if (wait.async) {
    // waitAsync alone does not keep Node's event loop alive; this timer does.
    const keepAlive = setTimeout(() => {}, ms + 10);
    try {
      await wait.value;
    } finally {
      clearTimeout(keepAlive);
    }
  }
  return Atomics.load(ctrl, index) >= target;
}

export class StepLoop {
  private readonly tasks: Promise<unknown>[];
  private readonly failed: Promise<never>;
  private stopping = false;

  constructor(
    private readonly views: BarrierViews,
    private readonly workers: number,
    cores: number,
    cut: StepCut,
    run: (task: LoopTask) => Promise<unknown>,
  ) {
    const seq = Atomics.load(views.ctrl, SEQ);
    const generation = Atomics.load(views.ctrl, GENERATION);
    const spinMs = barrierSpinMs(workers, cores);
    this.tasks = Array.from({ length: workers }, (_, worker) => run({ kind: "loop", worker, workers, seq, spinMs, cut, generation }));
    this.failed = new Promise<never>((_, reject) => {
      for (const t of this.tasks) {
        t.then(
          () => !this.stopping && reject(new Error("a step worker left its loop unexpectedly")),
          (err: unknown) => !this.stopping && reject(err instanceof Error ? err : new Error(String(err))),
        );
      }
    });
    this.failed.catch(() => {}); // observed by run; never an unhandled rejection
  }

  private command(cmd: number, fields: [number, number][] = []): void {
    const { ctrl } = this.views;
    for (const [i, v] of fields) Atomics.store(ctrl, i, v);
    for (const i of [STOP, HALT, MID_BARRIER, END_BARRIER, SKIP_BARRIER, DONE, CONSUMED, EXITED, OUTCOME, PARAMS_CLAIMS]) Atomics.store(ctrl, i, 0);
    // each command starts from even shares (row-split.ts); SEQ's store below publishes them
    for (const parity of [0, 1]) for (let w = 0; w < this.workers; w++) this.views.results[resultOffset(parity, w, this.workers) + R_ROW_END] = evenEnd(w, this.workers);
    Atomics.store(ctrl, CMD, cmd);
    Atomics.add(ctrl, SEQ, 1);
    Atomics.notify(ctrl, SEQ);
  }

  /**
   * Runs `count` steps from `first`; onStep sees each finished step in order and returns false
   * to stop after the step in progress. A run with no new finished step for timeoutMs fails.
   */
  async run({ first, count, batches, skipNonFinite }: StepRange, timeoutMs: number, onStep: (r: LoopStepResult) => boolean): Promise<RunOutcome> {
    const { ctrl, ring } = this.views;
    const w = batchWords(batches);
    this.command(CMD_RUN, [
      [FIRST_STEP, first], [COUNT, count], [SKIP_NON_FINITE, skipNonFinite ? 1 : 0],
      [EPOCH_FIRST, w.epochFirst], [BATCH, w.batch], [TRAIN_ROWS, w.trainRows], [FIXED_START, w.fixedStart], [FIXED_ROWS, w.fixedRows],
    ]);
    let reported = 0;
    let stopAsked = false;
    let lastProgress = performance.now();
    const drain = () => {
      for (const done = Atomics.load(ctrl, DONE); reported < done; reported++) {
        const e = (reported % RING_STEPS) * RING_FIELDS;
        const r: LoopStepResult = {
          step: ring[e + RING_STEP]!, lossSum: ring[e + RING_LOSS_SUM]!, correct: ring[e + RING_CORRECT]!, rows: ring[e + RING_ROWS]!,
          gradNormSq: ring[e + RING_GRAD_NORM_SQ]!, wallMs: ring[e + RING_WALL_MS]!, kernelMs: ring[e + RING_KERNEL_MS]!, nonFinite: ring[e + RING_NON_FINITE] === 1,
        };
        Atomics.store(ctrl, CONSUMED, reported + 1);
        lastProgress = performance.now();
        if (!onStep(r) && !stopAsked) {
          stopAsked = true;
          Atomics.store(ctrl, STOP, 1);
        }
      }
    };
    for (;;) {
      const left = timeoutMs - (performance.now() - lastProgress);
      if (left <= 0) throw new StepAttemptError(first + Math.floor(Atomics.load(ctrl, END_BARRIER) / this.workers), new PhaseTimeoutError("step", timeoutMs));
      let ended: boolean;
      try {
        ended = await Promise.race([waitAtLeast(ctrl, EXITED, this.workers, Math.min(POLL_MS, left)), this.failed]);
      } catch (err) {
        // Steps the ring holds finished before the failure: report them, so a retry starts after
        // them. Worker 0 may not have written the last finished step yet, so the failed step is
        // the first one not every worker got past the end-of-step barrier of.
        drain();
        const failed = first + Math.floor(Atomics.load(ctrl, END_BARRIER) / this.workers);
        throw new StepAttemptError(failed, err instanceof Error ? err : new Error(String(err)));
      }
      drain();
      if (ended) {
        const outcome = Atomics.load(ctrl, OUTCOME);
        return { reported, outcome: outcome === OUTCOME_NON_FINITE ? "non-finite" : outcome === OUTCOME_STOPPED ? "stopped" : "complete" };
      }
    }
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
