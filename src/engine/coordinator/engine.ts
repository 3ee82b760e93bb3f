// Coordinator thread.
// The coordinator's engine: owns the arena and the step-worker pool, and runs one synchronous
// data-parallel step as two phases with one barrier between them (docs/architecture.md "One
// step", owner-computes):
//   ROWS    each worker: a contiguous range of the batch's rows, forward and backward through
//           the activations, into the step workspace
//   PARAMS  each worker: a contiguous, cost-balanced range of parameter rows, its gradient over
//           all the batch's rows in ascending order, fused with SGD: θ_t, v_t → θ_{t+1}, v_{t+1}
// Steps run through the step loop (one long task per worker; a command runs a range of steps,
// the workers meeting at barriers and reporting through a ring: see worker/worker-loop.ts and
// step-loop.ts); evaluation runs as ordinary pool tasks after the loop is stopped. The
// coordinator never computes kernels itself; with 1 worker the same loop runs on that one worker.
import { createMemory, f32View, f64View, u32View, u8View } from "../../arena/arena.js";
import { layout as computeLayout, type ArenaLayout, type EvalSplit, type LayoutInput } from "../../arena/layout.js";
import { stateSlots } from "../../optim/optimizers.js";
import { inputWidth, type Dataset } from "../../data/split.js";
import { DataError } from "../../data/errors.js";
import { modelInputs } from "../../model/input-layout.js";
import { PLAIN_SCALING, type InputNorm } from "../../data/normalize.js";
import { initParams } from "../../model/init.js";
import type { ModelSpec } from "../../model/spec.js";
import { writeEpochOrder } from "../../data/order.js";
import type { ResolvedKernels } from "../../kernels/resolve.js";
import type { AugmentSettings } from "../../kernels/kernels.js";
import type { EngineHost, StepPool } from "./host.js";
import {
  barrierViews, P_OPTIM_MS, P_OTHER_MS, P_PARAMS_MS, P_ROWS, P_ROWS_MS, P_STEP_MS, P_STEPS, P_WAIT_END_MS, P_WAIT_MID_MS, PROFILE_FIELDS,
} from "../common/barrier.js";
import { StepAttemptError, StepFailedError } from "./errors.js";
import { faultsFromEnv } from "../common/faults.js";
import { splitRange } from "../common/plan.js";
import type { EvalTask, FaultSpec, OptimSettings, StepCut, WorkerInit } from "../common/protocol.js";
import { resolveCut } from "../common/feature-plan.js";
import { streamSlots, StreamFeeder } from "./stream-feeder.js";
import { nextGeneration, StepLoop, type BatchSource, type LoopStepResult, type RunOutcome, type StepRange } from "./step-loop.js";

export type { BatchSource, RunOutcome, StepRange };

export { StepFailedError };

/** What a config says about an engine (run/engine-options.ts builds it); EngineOptions adds where it runs. */
export interface EngineSettings {
  spec: ModelSpec;
  dataset: Dataset;
  seed: number;
  batchSize: number;
  workers: number;
  /** the kernel set, its instruction set and addon file, resolved once for this machine (kernels/resolve.ts) */
  kernels: ResolvedKernels;
  optim: OptimSettings;
  /** pixel normalization at gather time (default plain u8 / 255) */
  inputNorm?: InputNorm;
  /** data.augment of training rows (image inputs), or none */
  augment?: AugmentSettings | null;
  /** test rows each worker holds in the workspace at once during EVAL */
  evalChunkRows: number;
  /** engine.cut: how a step is shared among the workers (default auto; common/feature-plan.ts resolveCut) */
  cut?: "auto" | StepCut;
  /** a phase running longer than this counts as failed (a hung worker) */
  stepTimeoutMs?: number;
  /** failed attempts of one step retried before the step fails for good */
  maxRetries?: number;
  /** test-only fault plan (default: DPTRAIN_FAULTS from the environment) */
  faults?: FaultSpec[];
  /** told about each failed attempt before it is retried */
  onRetry?: (step: number, attempt: number, error: Error) => void;
}

export interface EngineOptions extends EngineSettings {
  /** Node (node-host.ts) or a web page (src/web/web-host.ts) */
  host: EngineHost;
}

const DEFAULT_STEP_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 3;

/** One finished step (step-loop.ts): its loss and accuracy sums, ‖mean gradient‖² (before weight decay), rows, wall and kernel ms, and whether it was non-finite. */
export type StepStats = LoopStepResult;

export interface EvalStats {
  loss: number;
  accuracy: number;
  /** [true][pred] counts */
  confusion: number[][];
  wallMs: number;
}

/** One worker's mean ms per step in each phase since the last resetProfile (bench --profile). */
export interface WorkerProfile {
  worker: number;
  steps: number;
  rows_ms: number;
  wait_mid_ms: number;
  params_ms: number;
  optim_ms: number;
  wait_end_ms: number;
  other_ms: number;
  step_ms: number;
  /** mean batch rows this worker took ROWS of (they follow its speed: common/row-split.ts) */
  rows: number;
}

/** What the arena is sized from (the trainer checks it fits before a run directory is made). */
export function layoutInputOf(options: EngineSettings): LayoutInput {
  const { spec, dataset, workers, batchSize } = options;
  return {
    // a streamed training split: the arena holds a ring of batches, not the rows
    spec, counts: { train: dataset.train.source ? streamSlotsFor(options) * batchSize : dataset.train.count, validation: dataset.validation?.count ?? 0, test: dataset.test?.count ?? 0 },
    inputWidth: inputWidth(dataset.inputShape), inputType: dataset.inputType, batchRows: batchSize, workers, evalChunkRows: options.evalChunkRows,
    stateSlots: stateSlots(options.optim).length, gradScratch: options.optim.type !== "sgd",
    // native and wasm run convs straight on the NHWC activations (kernels.ts convForward, …);
    // wasm's kernels keep their rearranged weights and partial sums in a slot per worker
    convMatrices: options.kernels.set === "ts",
    convScratch: options.kernels.set === "wasm",
    augment: Boolean(options.augment),
  };
}

/** data.stream: the batches the ring holds for these options' data and batch size. */
function streamSlotsFor({ dataset, batchSize }: EngineSettings): number {
  return streamSlots(batchSize, inputWidth(dataset.inputShape) * (dataset.inputType === "f32" ? 4 : 1));
}

export class Engine {
  readonly layout: ArenaLayout;
  readonly memory: WebAssembly.Memory;
  private pool: StepPool;
  private loop: StepLoop | null = null;
  private readonly init: WorkerInit;
  private readonly trainOrder: Uint32Array;
  /** data.stream: feeds the ring of batches, or null (the training rows are in the arena) */
  private readonly feeder: StreamFeeder | null = null;
  /** the workers' phase-time sums (layout.profile) */
  private readonly profile: Float64Array;

  private constructor(readonly options: EngineOptions) {
    const { spec, dataset, workers } = options;
    this.layout = computeLayout(layoutInputOf(options));
    this.memory = createMemory(this.layout);
    const L = this.layout;
    for (const name of ["train", "validation", "test"] as const) {
      const split = dataset[name];
      if (!split || split.source) continue;
      const regions = L.data[name];
      // The model's first layer reads its rows in the order modelInputs gives (channels last for a conv).
      const inputs = modelInputs(split.inputs, spec);
      (L.inputType === "f32" ? f32View(this.memory, regions.inputs) : u8View(this.memory, regions.inputs)).set(inputs);
      u8View(this.memory, regions.labels).set(split.labels);
    }
    const evalOrder = u32View(this.memory, L.evalOrder);
    for (let i = 0; i < evalOrder.length; i++) evalOrder[i] = i;
    this.trainOrder = u32View(this.memory, L.trainOrder);
    const source = dataset.train.source;
    const ring = source ? { slots: streamSlotsFor(options), slotRows: options.batchSize } : null;
    if (source && ring) {
      this.feeder = new StreamFeeder(this.memory, L, source, dataset.train.labels, ring, dataset.inputType === "f32" ? dataset.standardize : null, options.seed, spec);
      // the workers gather slot rows in order: an identity index over the ring
      for (let i = 0; i < this.trainOrder.length; i++) this.trainOrder[i] = i;
    }
    this.profile = f64View(this.memory, L.profile);
    initParams(this.paramsBuffer(0), spec, options.seed);
    this.init = {
      memory: this.memory, layout: L, spec, kernels: options.kernels.set, nativeIsa: options.kernels.isa, nativeAddon: options.kernels.addon,
      optim: options.optim, seed: options.seed, inputNorm: options.inputNorm ?? PLAIN_SCALING, augment: options.augment ?? null, stream: ring, wasmPath: options.host.wasmKernels,
      faults: options.faults ?? faultsFromEnv(),
    };
    this.pool = options.host.startPool(workers, this.init);
  }

  static create(options: EngineOptions): Engine {
    return new Engine(options);
  }

  /** θ_t lives in buffer t & 1. */
  paramsBuffer(step: number): Float32Array {
    return f32View(this.memory, this.layout.params[step & 1]);
  }

  /** The optimizer state step `step` reads: (S, P), slot s at [s·P, (s+1)·P). */
  optimStateBuffer(step: number): Float32Array {
    return f32View(this.memory, this.layout.optimState[step & 1]);
  }

  /** Puts θ and the optimizer state of a saved state where step `step` reads them. */
  loadState(step: number, params: Float32Array, optimState: Float32Array): void {
    const n = this.layout.nParams;
    const s = this.layout.stateSlots * n;
    if (params.length !== n || optimState.length !== s) throw new RangeError(`loadState: expected ${n} params and ${s} optimizer-state floats, got ${params.length} and ${optimState.length}`);
    this.paramsBuffer(step).set(params);
    this.optimStateBuffer(step).set(optimState);
  }

  /** Writes the epoch's seeded permutation of training rows into the arena. */
  writeEpochOrder(epoch: number): void {
    if (this.feeder) this.feeder.writeEpochOrder(epoch);
    else writeEpochOrder(this.trainOrder, this.options.seed, epoch);
  }

  /**
   * Steps [first, first + count): step t reads θ_t and writes θ_{t+1}. onStep sees every finished
   * step in order; returning false stops the run after the step in progress. A failed attempt
   * (a task threw, a worker died or hung) replaces the pool and re-runs from the first step not
   * finished, from its θ_t, which no attempt writes; so the result equals an uninterrupted run's,
   * bit for bit. A non-finite step is skipped (θ_{t+1} = θ_t) with skipNonFinite, else it ends
   * the run (outcome "non-finite", reported to onStep).
   */
  async runSteps({ first, count, batches, skipNonFinite }: StepRange, onStep: (s: StepStats) => boolean): Promise<RunOutcome> {
    if ("rows" in batches ? batches.rows > this.layout.workspace.rows : batches.batchSize > this.layout.workspace.rows) {
      throw new RangeError(`step ${first}: the batch does not fit the workspace of ${this.layout.workspace.rows} rows`);
    }
    let next = first;
    let reported = 0;
    const feeder = this.feeder;
    feeder?.begin(first, count, batches);
    try {
      return await this.runStepsOn({ first, count, batches, skipNonFinite }, onStep, () => next, (s) => {
        reported++;
        next = s.step + 1;
        feeder?.feed(next);
      }, () => reported);
    } finally {
      feeder?.end();
    }
  }

  private runStepsOn({ first, count, batches, skipNonFinite }: StepRange, onStep: (s: StepStats) => boolean, nextStep: () => number, saw: (s: StepStats) => void, reportedCount: () => number): Promise<RunOutcome> {
    // A failure is counted against the step it names (a StepAttemptError), else the first step
    // not reported; the run goes on from the first step not reported, whose θ is intact (no
    // later step's PARAMS can have run).
    return this.retrying(async () => {
      const next = nextStep();
      const r = await this.loopFor().run({ first: next, count: first + count - next, batches, skipNonFinite }, this.timeoutMs, (s) => {
        saw(s);
        return onStep(s);
      });
      return { reported: reportedCount(), outcome: r.outcome };
    }, nextStep);
  }

  /** One step over trainOrder[batchStart, batchStart + rows) (tests and tools; training runs whole ranges). */
  async step(step: number, batchStart: number, rows: number, skipNonFinite = false): Promise<StepStats> {
    let stats: StepStats | null = null;
    await this.runSteps({ first: step, count: 1, batches: { start: batchStart, rows }, skipNonFinite }, (s) => ((stats = s), true));
    return stats!;
  }

  /**
   * Runs `attempt` until it succeeds. After each failure the pool is replaced and the failure is
   * counted against its step (the StepAttemptError's, else `currentStep()`); a step that fails
   * more than maxRetries times in a row fails for good.
   */
  private async retrying<T>(attempt: () => Promise<T>, currentStep: () => number): Promise<T> {
    const maxRetries = this.options.maxRetries ?? DEFAULT_MAX_RETRIES;
    let failing = -1;
    let attempts = 0;
    for (;;) {
      try {
        return await attempt();
      } catch (err) {
        const step = err instanceof StepAttemptError ? err.step : currentStep();
        const error = err instanceof StepAttemptError ? err.failure : err instanceof Error ? err : new Error(String(err));
        await this.replacePool();
        // A bad data file (a streamed batch that does not read or decode) would fail again: the
        // run ends at once, in one line naming the file, with no worker left waiting for it.
        if (err instanceof DataError) throw err;
        attempts = step === failing ? attempts + 1 : 1;
        failing = step;
        if (attempts > maxRetries) throw new StepFailedError(step, attempts, error);
        this.options.onRetry?.(step, attempts, error);
      }
    }
  }

  private async replacePool(): Promise<void> {
    nextGeneration(barrierViews(this.memory, this.layout).ctrl);
    await this.close();
    this.pool = this.options.host.startPool(this.options.workers, this.init);
  }

  /** Ends the step loop so the pool takes ordinary tasks again; a loop that will not end costs the pool. */
  private async stopLoop(): Promise<void> {
    if (!this.loop) return;
    const loop = this.loop;
    this.loop = null;
    if (!(await loop.stop(this.timeoutMs))) await this.replacePool();
  }

  private get timeoutMs(): number {
    return this.options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  }

  private loopFor(): StepLoop {
    if (!this.loop) {
      const pool = this.pool;
      const { spec, workers } = this.options;
      this.loop = new StepLoop(barrierViews(this.memory, this.layout), workers, this.options.host.cores, resolveCut(this.options.cut ?? "auto", spec, workers, this.options.host.cores), (task) => pool.run(task));
    }
    return this.loop;
  }

  /** Loss, accuracy and confusion matrix of a split (default the test set) with θ_step, split across the workers (retried like a step). */
  evaluate(step: number, split: EvalSplit = "test"): Promise<EvalStats> {
    if (this.layout.data[split].count === 0) throw new RangeError(`evaluate: the dataset has no ${split} rows`);
    return this.retrying(() => this.attemptEvaluate(step, split), () => step);
  }

  private async attemptEvaluate(step: number, split: EvalSplit): Promise<EvalStats> {
    await this.stopLoop();
    const t0 = performance.now();
    const nTest = this.layout.data[split].count;
    const tasks: EvalTask[] = [];
    for (let w = 0; w < this.options.workers; w++) {
      const rows = splitRange(nTest, this.options.workers, w);
      if (rows[1] > rows[0]) tasks.push({ kind: "eval", step, split, rows, chunk: tasks.length });
    }
    const results = await this.pool.phase(tasks, this.timeoutMs);
    const K = this.options.spec.nClasses;
    const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
    let correct = 0;
    for (const r of results) {
      correct += r.correct;
      r.confusion.forEach((n, i) => (confusion[Math.floor(i / K)]![i % K]! += n));
    }
    // Per-row losses summed in row order: the same for any worker count.
    let lossSum = 0;
    for (const loss of f32View(this.memory, this.layout.evalLoss).subarray(0, nTest)) lossSum += loss;
    return { loss: lossSum / nTest, accuracy: correct / nTest, confusion, wallMs: performance.now() - t0 };
  }

  async close(): Promise<void> {
    this.loop?.abandon();
    this.loop = null;
    await this.pool.close();
  }

  /** Each worker's mean phase times per step since the last resetProfile (read between commands). */
  phaseProfile(): WorkerProfile[] {
    const p = this.profile;
    return Array.from({ length: this.options.workers }, (_, worker) => {
      const f = (i: number) => p[worker * PROFILE_FIELDS + i]!;
      const n = Math.max(1, f(P_STEPS));
      return {
        worker, steps: f(P_STEPS), rows_ms: f(P_ROWS_MS) / n, wait_mid_ms: f(P_WAIT_MID_MS) / n, params_ms: f(P_PARAMS_MS) / n,
        optim_ms: f(P_OPTIM_MS) / n, wait_end_ms: f(P_WAIT_END_MS) / n, other_ms: f(P_OTHER_MS) / n, step_ms: f(P_STEP_MS) / n,
        rows: f(P_ROWS) / n,
      };
    });
  }

  resetProfile(): void {
    this.profile.fill(0);
  }

  /** Test hook: terminate step-worker thread `index` from outside. */
  terminateWorker(index: number): Promise<number> | undefined {
    return this.pool.terminateThread(index);
  }
}
