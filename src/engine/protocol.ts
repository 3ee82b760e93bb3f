// The typed messages between the coordinator and the step workers. The shared memory and the
// layout go to each worker once (WorkerInit, via piscina's workerData); every task after that
// carries only small integers. Data, params and gradients are never posted.
import type { ArenaLayout } from "../arena/layout.js";
import type { InputNorm } from "../data/normalize.js";
import type { ModelSpec } from "../model/spec.js";
import type { ScheduleSpec } from "../optim/schedule.js";
import type { FaultSpec } from "./faults.js";
import type { LoopResult, LoopTask } from "./step-loop.js";

export type { LoopResult, LoopTask };

export type KernelSet = "wasm" | "ts";

export interface OptimSettings {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  schedule: ScheduleSpec;
  stepsPerEpoch: number;
  totalSteps: number;
}

export interface WorkerInit {
  memory: WebAssembly.Memory;
  layout: ArenaLayout;
  spec: ModelSpec;
  kernels: KernelSet;
  optim: OptimSettings;
  /** pixel normalization applied by every gather (train and eval) */
  inputNorm: InputNorm;
  /** absolute path of the compiled WASM kernels (kernels: wasm) */
  wasmPath: string;
  /** test-only fault plan (engine/faults.ts); empty in normal runs */
  faults: FaultSpec[];
}

/** GRAD: compute the Σ-gradients of micro-shards [first, first+count) of the batch at trainOrder[rows[0] .. rows[0]+rows[1]). */
export interface GradTask {
  kind: "grad";
  step: number;
  /** [start in trainOrder, number of rows in the batch] */
  rows: [number, number];
  /** [first shard, shard count]; the batch is cut into nShards shards */
  shards: [number, number];
  nShards: number;
  /** scratch slot this task may use (unique among the phase's tasks) */
  scratch: number;
}

/** REDUCE: for params [slice[0], slice[1]): θ_{t+1} = sgd(θ_t, Σ slots 0..nShards−1 / batchRows). */
export interface ReduceTask {
  kind: "reduce";
  step: number;
  /** index of this slice among the phase's tasks */
  part: number;
  slice: [number, number];
  nShards: number;
  batchRows: number;
}

/** EVAL: forward over test rows [rows[0], rows[1]) with θ of parity step & 1. */
export interface EvalTask {
  kind: "eval";
  step: number;
  rows: [number, number];
  scratch: number;
}

export type StepTask = GradTask | ReduceTask | EvalTask | LoopTask;

export interface GradResult {
  lossSum: number;
  correct: number;
  /** milliseconds spent in kernels */
  kernelMs: number;
}

export interface ReduceResult {
  /** Σ g² over the slice: the squared gradient norm's share */
  gradSq: number;
  kernelMs: number;
}

export interface EvalResult {
  lossSum: number;
  correct: number;
  /** row-major nClasses × nClasses counts: confusion[true · K + pred] */
  confusion: number[];
  kernelMs: number;
}

export type TaskResult<T extends StepTask> = T extends GradTask ? GradResult : T extends ReduceTask ? ReduceResult : T extends EvalTask ? EvalResult : LoopResult;

/** Micro-shard s of a batch of `rows` rows cut into nShards shards: [start, end) relative to the batch. */
export function shardRows(rows: number, nShards: number, s: number): [number, number] {
  return [Math.floor((s * rows) / nShards), Math.floor(((s + 1) * rows) / nShards)];
}

/** Shards actually used for a batch: never more than its rows, so no slot is empty. */
export function shardsFor(batchRows: number, shards: number): number {
  return Math.min(shards, batchRows);
}

/** Contiguous part p of n items cut into `parts` parts, boundaries rounded to multiples of `align`. */
export function splitRange(n: number, parts: number, p: number, align = 1): [number, number] {
  const cut = (i: number) => (i >= parts ? n : Math.min(n, Math.floor((i * n) / parts / align) * align));
  return [cut(p), cut(p + 1)];
}
