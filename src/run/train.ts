// The step loop: epochs of seeded batches through the engine, evaluation, metrics, checkpoint
// hooks, graceful stop at a step boundary, and the non-finite guard. Library entry: train().
import { availableParallelism } from "node:os";
import type { Config } from "../config/schema.js";
import { loadDataset, type Dataset } from "../data/dataset.js";
import { specForDataset } from "../model/build.js";
import type { ModelSpec } from "../model/spec.js";
import { namedParams } from "../model/views.js";
import { Engine, layoutInputOf, StepFailedError, type EngineOptions, type EvalStats } from "../engine/coordinator/engine.js";
import { ArenaTooLargeError, layout as computeLayout } from "../arena/layout.js";
import { ConfigError } from "../config/errors.js";
import { activationWidths, paramLayout } from "../model/spec.js";
import { resolveKernels, type ResolvedKernels } from "../kernels/resolve.js";
import type { EpochMetrics, StepInfo } from "../report/metrics.js";

/** Everything needed to continue training exactly where it stopped. */
export interface TrainState {
  /** global steps done */
  step: number;
  /** 0-based epoch the next step belongs to */
  epoch: number;
  params: Float32Array;
  /** the optimizer state (S, P): slots in optim/optimizers.ts stateSlots order */
  optimState: Float32Array;
  /** partial-epoch accumulators, so a resumed epoch reports the same metrics */
  epochLossSum: number;
  epochCorrect: number;
  epochRows: number;
  epochMs: number;
  epochKernelMs: number;
}

export type CheckpointReason = "epoch" | "stop" | "end" | "failure";

export interface TrainOptions {
  onStep?: ((info: StepInfo) => void) | undefined;
  /** returning false stops training before the next epoch, like the signal (a sweep's early stopping) */
  onEpoch?(metrics: EpochMetrics, evaluation: EvalStats | null): void | boolean | Promise<void | boolean>;
  onCheckpoint?(state: TrainState, reason: CheckpointReason): void | Promise<void>;
  /** abort = graceful stop: the current step finishes, then a "stop" checkpoint is offered */
  signal?: AbortSignal | undefined;
  /** a dataset already in memory (else config.data is loaded) */
  dataset?: Dataset;
  /** continue from a saved state */
  resume?: TrainState;
  /** told about each failed step attempt that is being retried */
  onRetry?(step: number, attempt: number, error: Error): void;
  /** test-only fault plan for the step workers (engine/faults.ts) */
  faults?: import("../engine/shared/faults.js").FaultSpec[];
}

export interface TrainResult {
  history: EpochMetrics[];
  /** named copies of the final parameters in nn.Linear layout: params["fc1.weight"] (520, 784) */
  params: Record<string, Float32Array>;
  state: TrainState;
  /** the last test-set evaluation, if any */
  evaluation: EvalStats | null;
  /** true when stopped by the signal before the end */
  stopped: boolean;
  spec: ModelSpec;
  workers: number;
}

export class NonFiniteError extends Error {
  constructor(readonly step: number, what: string, lr: number) {
    super(`step ${step}: ${what} is not finite; training diverged. Lower optim.lr (now ${lr}), e.g. --set optim.lr=${lr / 10}`);
    this.name = "NonFiniteError";
  }
}

export function resolveWorkers(workers: Config["engine"]["workers"]): number {
  return workers === "auto" ? availableParallelism() : workers;
}

export function stepsPerEpoch(config: Config, nTrain: number): number {
  return Math.ceil(nTrain / config.train.batchSize);
}

export function totalSteps(config: Config, nTrain: number): number {
  return Math.min(config.train.epochs * stepsPerEpoch(config, nTrain), config.train.maxSteps ?? Infinity);
}

/** EngineOptions' kernel fields for a resolved kernel set. */
export function kernelOptions(k: ResolvedKernels): Pick<EngineOptions, "kernels" | "nativeIsa" | "nativeAddon"> {
  return { kernels: k.set, nativeAddon: k.addon, ...(k.isa ? { nativeIsa: k.isa } : {}) };
}

/** The config with engine.kernels and engine.isa resolved for this machine: what a run records in config.yaml and checkpoints. */
export function resolvedConfig(config: Config): { config: Config; kernels: ResolvedKernels } {
  const kernels = resolveKernels(config.engine.kernels, config.engine.isa);
  return { config: { ...config, engine: { ...config.engine, kernels: kernels.set, isa: kernels.isa ?? "auto" } }, kernels };
}

/** The engine a config describes, with `workers` threads (train, evaluate and bench all build it here). */
export function engineOptions(config: Config, dataset: Dataset, spec: ModelSpec, workers: number): EngineOptions {
  return {
    spec, dataset, seed: config.seed, batchSize: config.train.batchSize, workers,
    ...kernelOptions(resolveKernels(config.engine.kernels, config.engine.isa)), evalChunkRows: config.eval.batchSize,
    optim: { ...config.optim, stepsPerEpoch: stepsPerEpoch(config, dataset.train.count), totalSteps: totalSteps(config, dataset.train.count) },
    stepTimeoutMs: config.engine.stepTimeoutMs, maxRetries: config.engine.maxRetries, inputNorm: config.data.normalize,
  };
}

/**
 * Refuses a config whose arena would not fit WebAssembly's 4 GiB, naming the key that sizes the
 * biggest part: the parameters with their optimizer state (model.hidden), or the per-row
 * workspace (train.batchSize, or eval.batchSize × workers).
 */
export function checkArenaFits(config: Config, dataset: Dataset, spec: ModelSpec, workers: number): void {
  const input = layoutInputOf(engineOptions(config, dataset, spec, workers));
  try {
    computeLayout(input);
  } catch (err) {
    if (!(err instanceof ArenaTooLargeError)) throw err;
    const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
    const { nParams } = paramLayout(spec);
    const paramBytes = nParams * 4 * (2 + 2 * (input.stateSlots ?? 1) + (input.gradScratch ? 1 : 0));
    const rowFloats = activationWidths(spec).reduce((n, w) => n + 2 * w, 0);
    const evalRows = workers * config.eval.batchSize;
    const workspaceBytes = Math.max(config.train.batchSize, evalRows) * rowFloats * 4;
    const [key, what] = paramBytes >= workspaceBytes
      ? [config.model.type === "softmax" ? "model.type" : config.model.type === "sequential" ? "model.layers" : "model.hidden", `the parameters and optimizer state take ${gib(paramBytes)}`]
      : [evalRows > config.train.batchSize ? "eval.batchSize" : "train.batchSize", `the activations of ${Math.max(config.train.batchSize, evalRows)} rows take ${gib(workspaceBytes)}`];
    throw new ConfigError(`${key}: expected a model and batch whose arena fits WebAssembly's 4 GiB, found ${gib(err.bytes)} (${what}); lower ${key}`);
  }
}

export async function train(config: Config, options: TrainOptions = {}): Promise<TrainResult> {
  const dataset = options.dataset ?? (await loadDataset(config.data.dataset, config.data.dir));
  const spec = specForDataset(config.model, dataset);
  checkArenaFits(config, dataset, spec, resolveWorkers(config.engine.workers));
  const nTrain = dataset.train.count;
  const B = config.train.batchSize;
  const perEpoch = stepsPerEpoch(config, nTrain);
  const total = totalSteps(config, nTrain);
  const workers = resolveWorkers(config.engine.workers);
  const engine = Engine.create({
    ...engineOptions(config, dataset, spec, workers),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const lastGood: { snapshot: (() => TrainState) | null } = { snapshot: null };
  try {
    return await runLoop();
  } catch (err) {
    // θ_t of the failed step is intact: leave a checkpoint a resume can start from.
    if (err instanceof StepFailedError && lastGood.snapshot) await options.onCheckpoint?.(lastGood.snapshot(), "failure");
    throw err;
  } finally {
    await engine.close();
  }

  async function runLoop(): Promise<TrainResult> {
    const history: EpochMetrics[] = [];
    let evaluation: EvalStats | null = null;
    const r = options.resume;
    let step = r?.step ?? 0;
    if (r) engine.loadState(step, r.params, r.optimState);
    let epoch = r?.epoch ?? 0;
    let acc = { lossSum: r?.epochLossSum ?? 0, correct: r?.epochCorrect ?? 0, rows: r?.epochRows ?? 0, ms: r?.epochMs ?? 0, kernelMs: r?.epochKernelMs ?? 0 };
    let stopped = false;
    const snapshot = (): TrainState => ({
      step, epoch, params: engine.paramsBuffer(step).slice(), optimState: engine.optimStateBuffer(step).slice(),
      epochLossSum: acc.lossSum, epochCorrect: acc.correct, epochRows: acc.rows, epochMs: acc.ms, epochKernelMs: acc.kernelMs,
    });
    lastGood.snapshot = snapshot;

    while (step < total && !stopped) {
      if (options.signal?.aborted) {
        stopped = true;
        break;
      }
      engine.writeEpochOrder(epoch);
      const end = Math.min((epoch + 1) * perEpoch, total);
      let nonFinite: { step: number; what: string } | null = null;
      const run = await engine.runSteps(step, end - step, { epochFirstStep: epoch * perEpoch, batchSize: B, trainRows: nTrain }, config.train.onNonFinite === "skip-step", (s) => {
        if (s.nonFinite) {
          const what = Number.isFinite(s.lossSum) ? "the gradient norm" : "the loss";
          if (config.train.onNonFinite === "stop") {
            nonFinite = { step: s.step, what };
            return false;
          }
        } else {
          acc.lossSum += s.lossSum;
          acc.correct += s.correct;
        }
        acc.rows += s.rows;
        acc.ms += s.wallMs;
        acc.kernelMs += s.kernelMs;
        step = s.step + 1;
        options.onStep?.({
          step, totalSteps: total, epoch, epochs: config.train.epochs, rowsDone: acc.rows, rowsInEpoch: nTrain,
          loss: s.lossSum / s.rows, epochLoss: acc.lossSum / acc.rows, samplesPerSec: (acc.rows / acc.ms) * 1000,
        });
        // A graceful stop: the workers halt after the step in progress (all of it is reported).
        return !options.signal?.aborted;
      });
      const halted = nonFinite as { step: number; what: string } | null;
      if (run.outcome === "non-finite" && halted) throw new NonFiniteError(halted.step, halted.what, config.optim.lr);
      if (options.signal?.aborted && step < total) stopped = true;
      const epochDone = step === (epoch + 1) * perEpoch;
      if (stopped && !epochDone) break;
      const last = step >= total;
      const evalNow = last || (config.eval.every > 0 && (epoch + 1) % config.eval.every === 0);
      evaluation = evalNow ? await engine.evaluate(step) : null;
      const metrics: EpochMetrics = {
        epoch: epoch + 1, step,
        train_loss: acc.lossSum / acc.rows, train_acc: acc.correct / acc.rows,
        test_loss: evaluation?.loss ?? null, test_acc: evaluation?.accuracy ?? null,
        samples_per_s: (acc.rows / acc.ms) * 1000, seconds: acc.ms / 1000,
        kernel_fraction: acc.kernelMs / acc.ms, complete: epochDone,
      };
      history.push(metrics);
      if ((await options.onEpoch?.(metrics, evaluation)) === false && !last) stopped = true;
      if (epochDone) {
        epoch++;
        acc = { lossSum: 0, correct: 0, rows: 0, ms: 0, kernelMs: 0 };
      }
      const every = config.output.checkpointEvery;
      if (!last && !stopped && epochDone && every > 0 && epoch % every === 0) await options.onCheckpoint?.(snapshot(), "epoch");
      if (last) break;
    }
    const state = snapshot();
    await options.onCheckpoint?.(state, stopped ? "stop" : "end");
    return { history, params: namedParams(state.params, engine.layout.paramEntries), state, evaluation, stopped, spec, workers };
  }
}
