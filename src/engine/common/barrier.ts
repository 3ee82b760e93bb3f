// Both threads: the coordinator and every step worker.
// The step loop's shared words: the command the coordinator writes, the counters the workers
// meet at, each worker's per-step results, and the ring of finished steps. Both sides
// (worker/worker-loop.ts, coordinator/step-loop.ts) read them here.
//
// barrier region (i32): the command and counter words below, then from byte 128
// (BARRIER_HEADER_INTS), per step parity p and worker w, RESULT_FIELDS f64: correct, rowsMs, paramsMs,
// and the end of the worker's rows as a fraction of the batch (row-split.ts; under the feature cut it also
// cuts every layer's outputs).
// stepRing (f64): per finished step (ring slot = step index in the command mod RING_STEPS), RING_FIELDS.
// profile (f64): per worker, PROFILE_FIELDS sums over the steps it ran since the last reset.
import { BARRIER_HEADER_INTS, BARRIER_RESULT_FIELDS, PROFILE_FIELDS, RING_FIELDS, type Region } from "../../arena/layout.js";

// The command: run COUNT steps from FIRST_STEP.
export const SEQ = 0;
export const CMD = 1;
export const FIRST_STEP = 2;
export const COUNT = 3;
/** batches come from the epoch's order: step s reads rows ((s − EPOCH_FIRST)·BATCH …) of trainOrder */
export const EPOCH_FIRST = 4;
export const BATCH = 5;
/** or, when FIXED_ROWS ≥ 0 (single steps), rows [FIXED_START, FIXED_START + FIXED_ROWS) */
export const FIXED_START = 6;
export const FIXED_ROWS = 7;
export const TRAIN_ROWS = 8;
/** 1: a non-finite step is skipped (θ_{t+1} = θ_t) and the run goes on; 0: the run halts on it */
export const SKIP_NON_FINITE = 9;
/** set by the coordinator: halt after the step in progress */
export const STOP = 10;
/** set by a worker that saw STOP before the end-of-step barrier: every worker halts after that step */
export const HALT = 11;
// Counters, reset with each command.
export const MID_BARRIER = 12;
export const END_BARRIER = 13;
export const SKIP_BARRIER = 14;
/** ring entries written (worker 0) */
export const DONE = 15;
/** ring entries read (coordinator): the workers never run more than RING_STEPS ahead of it */
export const CONSUMED = 16;
/** workers that finished the command */
export const EXITED = 17;
/** how the command ended (worker 0, before it exits): OUTCOME_* */
export const OUTCOME = 18;
/**
 * PARAMS chunks claimed so far in this command (worker/worker-loop.ts): every worker claims until
 * a claim fails, so step i (from 0 in the command) owns claims [i·(chunks + W), (i+1)·(chunks + W)).
 */
export const PARAMS_CLAIMS = 19;
/**
 * The pool generation, bumped (and every wait word notified) when the engine replaces its pool. A
 * worker of an older pool leaves its loop at its next wait or claim: a page cannot stop a worker
 * at once (a Web Worker's terminate() does not wake it from Atomics.wait), and such a worker
 * must not meet the new pool's workers at their barriers or claim their chunks.
 */
export const GENERATION = 20;

/** The words a step worker may be waiting on (notified when the generation changes). */
export const WAIT_WORDS = [SEQ, MID_BARRIER, END_BARRIER, SKIP_BARRIER, CONSUMED] as const;

export const CMD_RUN = 1;
export const CMD_EXIT = 2;
export const OUTCOME_COMPLETE = 0;
export const OUTCOME_STOPPED = 1;
export const OUTCOME_NON_FINITE = 2;

export const RESULT_FIELDS = BARRIER_RESULT_FIELDS;
export const R_CORRECT = 0;
export const R_ROWS_MS = 1;
export const R_PARAMS_MS = 2;
/** the end of worker w's rows in steps of parity p, a fraction of the batch (row-split.ts says who writes it when) */
export const R_ROW_END = 3;

// Ring fields of one finished step.
export const RING_STEP = 0;
export const RING_LOSS_SUM = 1;
export const RING_CORRECT = 2;
export const RING_ROWS = 3;
export const RING_GRAD_NORM_SQ = 4;
export const RING_WALL_MS = 5;
export const RING_KERNEL_MS = 6;
export const RING_NON_FINITE = 7;
export { RING_FIELDS };

// Profile fields of one worker: ms summed over its steps (plus the count). A step's wall time is
// rows + waitMid + params + optim + waitEnd + other.
export const P_STEPS = 0;
export const P_ROWS_MS = 1;
export const P_WAIT_MID_MS = 2;
export const P_PARAMS_MS = 3;
export const P_OPTIM_MS = 4;
export const P_WAIT_END_MS = 5;
export const P_OTHER_MS = 6;
export const P_STEP_MS = 7;
/** the batch rows the worker computed ROWS of (the split moves with each worker's speed) */
export const P_ROWS = 8;
export { PROFILE_FIELDS };

export interface BarrierViews {
  ctrl: Int32Array;
  /** per (step parity, worker): RESULT_FIELDS */
  results: Float64Array;
  ring: Float64Array;
  /** per worker: PROFILE_FIELDS */
  profile: Float64Array;
}

export function barrierViews(memory: WebAssembly.Memory, layout: { barrier: Region; stepRing: Region; profile: Region }): BarrierViews {
  const { barrier: region, stepRing: ring, profile } = layout;
  const ctrl = new Int32Array(memory.buffer, region.offset, region.length);
  const results = new Float64Array(memory.buffer, region.offset + BARRIER_HEADER_INTS * 4, (region.length - BARRIER_HEADER_INTS) / 2);
  return { ctrl, results, ring: new Float64Array(memory.buffer, ring.offset, ring.length), profile: new Float64Array(memory.buffer, profile.offset, profile.length) };
}

/** Index of worker w's results for steps of parity p. */
export function resultOffset(parity: number, worker: number, workers: number): number {
  return (parity * workers + worker) * RESULT_FIELDS;
}
