// Both threads: the coordinator and every step worker.
// The typed messages between the coordinator and the step workers: the bottom of the engine.
// It holds types only and imports nothing from src/engine, so every other engine file can
// import it and nothing below it imports what is above.
// The shared memory and the layout go to each worker once (WorkerInit, via piscina's
// workerData); every task after that carries only small integers. Data, params and
// activations are never posted.
import type { ArenaLayout, EvalSplit } from "../../arena/layout.js";
import type { InputNorm } from "../../data/normalize.js";
import type { ModelSpec } from "../../model/spec.js";
import type { OptimConfig } from "../../config/optim-schema.js";
import type { AugmentSettings, KernelSet } from "../../kernels/kernels.js";

export type { KernelSet };

/** The config's optim section (torch.optim names) and the step counts its schedule needs. */
export type OptimSettings = OptimConfig & {
  stepsPerEpoch: number;
  totalSteps: number;
};

/** A test-only fault (engine/faults.ts): fired in worker `task` during `phase` of step `step`. */
export interface FaultSpec {
  step: number;
  phase: "rows" | "params";
  /** the worker's index in the step loop */
  task: number;
  kind: FaultKind;
  /** fraction of the worker's part of the phase done before the fault, in [0, 1] */
  at: number;
}

export type FaultKind =
  | "throw" // the task throws (piscina rejects it)
  | "exit" // the worker calls process.exit(1) mid-task
  | "hang" // the worker blocks forever (only the step timeout ends it)
  | "nan" // the worker finishes but leaves a NaN in its output gradients (divergence guard)
  | "slow"; // the worker stalls for at · SLOW_FAULT_MS before its part of the phase, then goes on (a slower core)

export interface WorkerInit {
  memory: WebAssembly.Memory;
  layout: ArenaLayout;
  spec: ModelSpec;
  kernels: KernelSet;
  /** the native kernels' instruction set and addon file (kernels: native) */
  nativeIsa: "avx512" | "avx2" | null;
  nativeAddon: string;
  optim: OptimSettings;
  /** the run's seed: dropout's masks hash it (model/graph.ts TrainContext) */
  seed: number;
  /** pixel normalization applied by every gather (train and eval) */
  inputNorm: InputNorm;
  /** data.stream: the ring of batches the training rows come through, or null (all in the arena) */
  stream: StreamRing | null;
  /** data.augment for training rows, or null */
  augment: AugmentSettings | null;
  /** absolute path of the compiled WASM kernels (kernels: wasm) */
  wasmPath: string;
  /** test-only fault plan; empty in normal runs */
  faults: FaultSpec[];
}

/** engine.cut as the engine resolved it for a run. */
export type StepCut = "rows" | "features";

/** The step loop of worker `worker` of `workers` (engine/worker/worker-loop.ts); runs steps until told to exit. */
export interface LoopTask {
  kind: "loop";
  worker: number;
  workers: number;
  /** SEQ when the loop was started: the first command is the next one */
  seq: number;
  /**
   * How long a worker spins at a barrier before it sleeps: a few ms when every worker has a core
   * of its own, 0 when there are more workers than cores (a spinning worker would take the core
   * from the one everybody waits for).
   */
  spinMs: number;
  /** how a step is shared out: by batch rows (ROWS, a barrier, PARAMS) or by output features (common/feature-plan.ts) */
  cut: StepCut;
  /** the pool generation this loop belongs to (barrier.ts GENERATION) */
  generation: number;
}

export interface LoopResult {
  steps: number;
}

/** EVAL: forward over test rows [rows[0], rows[1]) with θ of parity step & 1, in workspace chunk `chunk`. */
/** Where the step handlers find a streamed batch (data.stream, coordinator/stream-feeder.ts): step s's rows in slot s mod slots of the train regions. */
export interface StreamRing {
  slots: number;
  /** rows per slot: the batch size */
  slotRows: number;
}

export interface EvalTask {
  kind: "eval";
  step: number;
  split: EvalSplit;
  rows: [number, number];
  /** which evalChunkRows-row part of the workspace this task may use (unique among the tasks) */
  chunk: number;
}

export interface EvalResult {
  correct: number;
  /** row-major nClasses × nClasses counts: confusion[true · K + pred] */
  confusion: number[];
  kernelMs: number;
}

export type StepTask = EvalTask | LoopTask;

export type TaskResult<T extends StepTask> = T extends EvalTask ? EvalResult : LoopResult;
