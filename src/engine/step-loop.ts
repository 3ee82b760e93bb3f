// The step loop: one long-running task per worker (per epoch) that takes step commands through
// a shared Int32Array instead of one piscina task per phase. Per step: the coordinator writes
// the command and notifies; every worker does its GRAD task, meets the others at a barrier,
// does its REDUCE slice and reports; the coordinator wakes once, when all are done
// (Atomics.waitAsync). The computation is the same handlers on the same plan as the phase
// mode, so the results are bit for bit the same. Every wait has a timeout.
//
// barrier region (i32):  [SEQ, CMD, STEP, BATCH_START, ROWS, SHARDS, GRAD_DONE, DONE, …]
// then from byte 64 (BARRIER_HEADER_INTS), per worker w, RESULT_FIELDS (= BARRIER_RESULT_FIELDS) f64: lossSum, correct, gradMs, reduceMs, gradSq
import { BARRIER_HEADER_INTS, BARRIER_RESULT_FIELDS, type Region } from "../arena/layout.js";
import type { StepHandlers } from "./step-handlers.js";
import { planStep } from "./step-plan.js";
import { PhaseTimeoutError } from "./pool.js";

export const SEQ = 0;
export const CMD = 1;
export const STEP = 2;
export const BATCH_START = 3;
export const ROWS = 4;
export const SHARDS = 5;
export const GRAD_DONE = 6;
export const DONE = 7;
export const RESULT_FIELDS = BARRIER_RESULT_FIELDS;
export const CMD_STEP = 1;
export const CMD_EXIT = 2;

/** The barrier region as command words and float64 results (results start after the header). */
export function barrierViews(memory: WebAssembly.Memory, region: Region): { ctrl: Int32Array; results: Float64Array } {
  const ctrl = new Int32Array(memory.buffer, region.offset, region.length);
  const results = new Float64Array(memory.buffer, region.offset + BARRIER_HEADER_INTS * 4, (region.length - BARRIER_HEADER_INTS) / 2);
  return { ctrl, results };
}

export interface LoopTask {
  kind: "loop";
  worker: number;
  workers: number;
  /** SEQ when the loop was started: the first command is the next one */
  seq: number;
}

export interface LoopResult {
  steps: number;
}

/** How long one Atomics.wait sleeps before looking again (a stuck peer is the coordinator's to handle). */
const WAIT_SLICE_MS = 1000;

/** Worker side: runs commands until CMD_EXIT. Throws (ending the task) if a handler throws. */
export function runStepLoop(handlers: StepHandlers, ctrl: Int32Array, results: Float64Array, task: LoopTask, nParams: number): LoopResult {
  let seq = task.seq;
  let steps = 0;
  const W = task.workers;
  for (;;) {
    while (Atomics.load(ctrl, SEQ) === seq) Atomics.wait(ctrl, SEQ, seq, WAIT_SLICE_MS);
    seq = Atomics.load(ctrl, SEQ);
    if (Atomics.load(ctrl, CMD) === CMD_EXIT) return { steps };
    const plan = planStep(ctrl[STEP]!, ctrl[BATCH_START]!, ctrl[ROWS]!, ctrl[SHARDS]!, W, nParams);
    const out = task.worker * RESULT_FIELDS;
    results.fill(0, out, out + RESULT_FIELDS);
    const grad = plan.grad[task.worker];
    if (grad) {
      const r = handlers.grad(grad);
      results[out] = r.lossSum;
      results[out + 1] = r.correct;
      results[out + 2] = r.kernelMs;
    }
    // Barrier: REDUCE reads every gradient slot, so all GRAD work must be done first.
    if (Atomics.add(ctrl, GRAD_DONE, 1) + 1 === W) Atomics.notify(ctrl, GRAD_DONE);
    else for (let v = Atomics.load(ctrl, GRAD_DONE); v < W; v = Atomics.load(ctrl, GRAD_DONE)) Atomics.wait(ctrl, GRAD_DONE, v, WAIT_SLICE_MS);
    const reduce = plan.reduce[task.worker];
    if (reduce) {
      const r = handlers.reduce(reduce);
      results[out + 3] = r.kernelMs;
      results[out + 4] = r.gradSq;
    }
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
    steps++;
  }
}

export interface LoopStepResult {
  lossSum: number;
  correct: number;
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

/** Coordinator side: W loop tasks on a pool, and the commands that drive them. */
export class StepLoop {
  private readonly tasks: Promise<unknown>[];
  private readonly failed: Promise<never>;
  private stopping = false;

  constructor(
    private readonly ctrl: Int32Array,
    private readonly results: Float64Array,
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
    Atomics.store(this.ctrl, GRAD_DONE, 0);
    Atomics.store(this.ctrl, DONE, 0);
    Atomics.store(this.ctrl, CMD, cmd);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
  }

  async runStep(step: number, batchStart: number, rows: number, shards: number, timeoutMs: number): Promise<LoopStepResult> {
    this.command(CMD_STEP, [[STEP, step], [BATCH_START, batchStart], [ROWS, rows], [SHARDS, shards]]);
    await Promise.race([waitForCount(this.ctrl, DONE, this.workers, timeoutMs), this.failed]);
    let lossSum = 0, correct = 0, gradMs = 0, reduceMs = 0, gradNormSq = 0;
    for (let w = 0; w < this.workers; w++) {
      const o = w * RESULT_FIELDS;
      lossSum += this.results[o]!;
      correct += this.results[o + 1]!;
      gradMs = Math.max(gradMs, this.results[o + 2]!);
      reduceMs = Math.max(reduceMs, this.results[o + 3]!);
      gradNormSq += this.results[o + 4]!;
    }
    return { lossSum, correct, kernelMs: gradMs + reduceMs, gradNormSq };
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
