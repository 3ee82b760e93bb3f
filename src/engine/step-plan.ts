// Which worker task computes what in one step. Used by the coordinator and by the step loop
// in every worker, so both sides always agree. Task i of a phase uses scratch slot i.
import { shardsFor, splitRange, type GradTask, type ReduceTask } from "./protocol.js";

/** REDUCE slices start on 16-float (64-byte) boundaries: whole SIMD vectors and cache lines. */
export const SLICE_ALIGN = 16;

export interface StepPlan {
  nShards: number;
  /** at most W tasks; gradTasks[i].scratch === i */
  grad: GradTask[];
  /** at most W tasks; reduce[i].part === i */
  reduce: ReduceTask[];
}

export function planStep(step: number, batchStart: number, rows: number, shards: number, workers: number, nParams: number): StepPlan {
  const nShards = shardsFor(rows, shards);
  const grad: GradTask[] = [];
  for (let w = 0; w < workers; w++) {
    const [first, end] = splitRange(nShards, workers, w);
    if (end > first) grad.push({ kind: "grad", step, rows: [batchStart, rows], shards: [first, end - first], nShards, scratch: grad.length });
  }
  const reduce: ReduceTask[] = [];
  for (let w = 0; w < workers; w++) {
    const slice = splitRange(nParams, workers, w, SLICE_ALIGN);
    if (slice[1] > slice[0]) reduce.push({ kind: "reduce", step, part: reduce.length, slice, nShards, batchRows: rows });
  }
  return { nShards, grad, reduce };
}
