// The step loop's shared words: the command the coordinator writes, the counters the workers
// meet at, and each worker's results. Both sides (loop-worker.ts, step-loop.ts) read them here.
//
// barrier region (i32):  [SEQ, CMD, STEP, BATCH_START, ROWS, ROWS_DONE, DONE, …]
// then from byte 64 (BARRIER_HEADER_INTS), per worker w, RESULT_FIELDS f64: correct, rowsMs, paramsMs
import { BARRIER_HEADER_INTS, BARRIER_RESULT_FIELDS, type Region } from "../arena/layout.js";

export const SEQ = 0;
export const CMD = 1;
export const STEP = 2;
export const BATCH_START = 3;
export const ROWS = 4;
/** workers done with ROWS: the barrier before PARAMS */
export const ROWS_DONE = 5;
/** workers done with the whole step */
export const DONE = 6;
export const RESULT_FIELDS = BARRIER_RESULT_FIELDS;
export const R_CORRECT = 0;
export const R_ROWS_MS = 1;
export const R_PARAMS_MS = 2;
export const CMD_STEP = 1;
export const CMD_EXIT = 2;

/** The barrier region as command words and float64 results (results start after the header). */
export function barrierViews(memory: WebAssembly.Memory, region: Region): { ctrl: Int32Array; results: Float64Array } {
  const ctrl = new Int32Array(memory.buffer, region.offset, region.length);
  const results = new Float64Array(memory.buffer, region.offset + BARRIER_HEADER_INTS * 4, (region.length - BARRIER_HEADER_INTS) / 2);
  return { ctrl, results };
}
