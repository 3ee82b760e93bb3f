// The worker side of the step loop: one long-running task per worker (per epoch) that takes
// step commands through the barrier's shared words (engine/barrier.ts) instead of one piscina
// task per phase. Per step: ROWS, meet the other workers at the barrier, PARAMS, report.
// Every wait sleeps in slices; a stuck peer is the coordinator's to handle (its step timeout).
import { CMD, CMD_EXIT, DONE, R_CORRECT, R_PARAMS_MS, R_ROWS_MS, RESULT_FIELDS, ROWS, ROWS_DONE, SEQ, STEP, BATCH_START } from "./barrier.js";
import type { LoopResult, LoopTask } from "./protocol.js";
import type { StepHandlers } from "./step-handlers.js";

/** How long one Atomics.wait sleeps before looking again. */
const WAIT_SLICE_MS = 1000;

/** Runs commands until CMD_EXIT. Throws (ending the task) if a handler throws. */
export function runStepLoop(handlers: StepHandlers, ctrl: Int32Array, results: Float64Array, task: LoopTask): LoopResult {
  let seq = task.seq;
  let steps = 0;
  const { worker, workers } = task;
  const out = worker * RESULT_FIELDS;
  for (;;) {
    while (Atomics.load(ctrl, SEQ) === seq) Atomics.wait(ctrl, SEQ, seq, WAIT_SLICE_MS);
    seq = Atomics.load(ctrl, SEQ);
    if (Atomics.load(ctrl, CMD) === CMD_EXIT) return { steps };
    const step = ctrl[STEP]!;
    const rows = ctrl[ROWS]!;
    const r = handlers.rows(step, ctrl[BATCH_START]!, rows, worker, workers);
    results[out + R_CORRECT] = r.correct;
    results[out + R_ROWS_MS] = r.kernelMs;
    // Barrier: PARAMS reads every row's activations and gradients, so all ROWS work must be done first.
    if (Atomics.add(ctrl, ROWS_DONE, 1) + 1 === workers) Atomics.notify(ctrl, ROWS_DONE);
    else for (let v = Atomics.load(ctrl, ROWS_DONE); v < workers; v = Atomics.load(ctrl, ROWS_DONE)) Atomics.wait(ctrl, ROWS_DONE, v, WAIT_SLICE_MS);
    results[out + R_PARAMS_MS] = handlers.params(step, rows, worker, workers).kernelMs;
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
    steps++;
  }
}
