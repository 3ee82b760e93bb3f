// The epoch loop: epochs of seeded batches through the engine (whose coordinator runs the steps),
// evaluation, metrics, checkpoint hooks, graceful stop at a step boundary, and the non-finite
// guard. Host-neutral: Node's train() (train.ts) and the web page's session both run it.
import type { Config } from "../config/schema.js";
import type { Dataset } from "../data/dataset.js";
import { specForDataset } from "../model/build.js";
import type { ModelSpec } from "../model/spec.js";
import { namedParams } from "../model/views.js";
import { Engine, StepFailedError, type EvalStats } from "../engine/coordinator/engine.js";
import type { EngineHost } from "../engine/coordinator/host.js";
import type { FaultSpec } from "../engine/common/protocol.js";
import type { ResolvedKernels } from "../kernels/resolve.js";
import type { EpochMetrics, StepInfo } from "../report/metrics.js";
import { checkArenaFits, engineOptions, stepsPerEpoch, totalSteps } from "./engine-options.js";
import { earlyStopWatch, type BestEpoch, type EarlyStopState } from "./early-stop.js";

export type { BestEpoch, EarlyStopState } from "./early-stop.js";

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
  /** train.earlyStop: the best epoch so far (null before the first measured epoch, or without earlyStop) */
  earlyStop: EarlyStopState | null;
}

export type CheckpointReason = "epoch" | "stop" | "end" | "failure";

export interface TrainLoopOptions {
  onStep?: ((info: StepInfo) => void) | undefined;
  /** returning false stops training before the next epoch, like the signal (a sweep's early stopping) */
  onEpoch?(metrics: EpochMetrics, evaluation: EvalStats | null): void | boolean | Promise<void | boolean>;
  onCheckpoint?(state: TrainState, reason: CheckpointReason): void | Promise<void>;
  /** abort = graceful stop: the current step finishes, then a "stop" checkpoint is offered */
  signal?: AbortSignal | undefined;
  /** continue from a saved state */
  resume?: TrainState;
  /** told about each failed step attempt that is being retried */
  onRetry?(step: number, attempt: number, error: Error): void;
  /** test-only fault plan for the step workers (engine/common/faults.ts) */
  faults?: FaultSpec[];
}

export interface TrainResult {
  history: EpochMetrics[];
  /** named copies of modelParams in nn.Linear layout: params["fc1.weight"] (520, 784) */
  params: Record<string, Float32Array>;
  state: TrainState;
  /** the last test-set evaluation, if any (with train.earlyStop: of the best epoch's weights) */
  evaluation: EvalStats | null;
  /** true when stopped by the signal before the end */
  stopped: boolean;
  /** train.earlyStop: the best epoch, whose weights modelParams are; and whether it ended the run early */
  best: BestEpoch | null;
  earlyStopped: boolean;
  /** what model.safetensors holds: the best epoch's θ with train.earlyStop, else the final θ (state.params) */
  modelParams: Float32Array;
  spec: ModelSpec;
  workers: number;
}

export class NonFiniteError extends Error {
  constructor(readonly step: number, what: string, lr: number) {
    super(`step ${step}: ${what} is not finite; training diverged. Lower optim.lr (now ${lr}), e.g. --set optim.lr=${lr / 10}`);
    this.name = "NonFiniteError";
  }
}

/** Where a run trains: its data in memory, its workers, its kernel set and its host (Node or a web page). */
export interface TrainSetup {
  dataset: Dataset;
  workers: number;
  kernels: ResolvedKernels;
  host: EngineHost;
}

export async function trainOn(config: Config, { dataset, workers, kernels, host }: TrainSetup, options: TrainLoopOptions = {}): Promise<TrainResult> {
  const spec = specForDataset(config.model, dataset);
  checkArenaFits(config, { dataset, spec, workers, kernels });
  const nTrain = dataset.train.count;
  const B = config.train.batchSize;
  const perEpoch = stepsPerEpoch(config, nTrain);
  const total = totalSteps(config, nTrain);
  const engine = Engine.create({
    ...engineOptions(config, { dataset, spec, workers, kernels }),
    host,
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
    let earlyStopped = false;
    const watch = config.train.earlyStop ? earlyStopWatch(config.train.earlyStop) : null;
    let early: EarlyStopState | null = r?.earlyStop ?? null;
    const snapshot = (): TrainState => ({
      step, epoch, params: engine.paramsBuffer(step).slice(), optimState: engine.optimStateBuffer(step).slice(),
      epochLossSum: acc.lossSum, epochCorrect: acc.correct, epochRows: acc.rows, epochMs: acc.ms, epochKernelMs: acc.kernelMs,
      earlyStop: early,
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
      const batches = { epochFirstStep: epoch * perEpoch, batchSize: B, trainRows: nTrain };
      const run = await engine.runSteps({ first: step, count: end - step, batches, skipNonFinite: config.train.onNonFinite === "skip-step" }, (s) => {
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
      const evalNow = dataset.test !== null && (last || (config.eval.every > 0 && (epoch + 1) % config.eval.every === 0));
      evaluation = evalNow ? await engine.evaluate(step, "test") : null;
      const validation = dataset.validation ? await engine.evaluate(step, "validation") : null;
      const metrics: EpochMetrics = {
        epoch: epoch + 1, step,
        train_loss: acc.lossSum / acc.rows, train_acc: acc.correct / acc.rows,
        val_loss: validation?.loss ?? null, val_acc: validation?.accuracy ?? null,
        test_loss: evaluation?.loss ?? null, test_acc: evaluation?.accuracy ?? null,
        samples_per_s: (acc.rows / acc.ms) * 1000, seconds: acc.ms / 1000,
        kernel_fraction: acc.kernelMs / acc.ms, complete: epochDone,
      };
      history.push(metrics);
      if (watch && epochDone) {
        early = watch(early, metrics, () => engine.paramsBuffer(step).slice());
        if (early && early.wait >= config.train.earlyStop!.patience && !last) earlyStopped = true;
      }
      if ((await options.onEpoch?.(metrics, evaluation)) === false && !last) stopped = true;
      if (epochDone) {
        epoch++;
        acc = { lossSum: 0, correct: 0, rows: 0, ms: 0, kernelMs: 0 };
      }
      const every = config.output.checkpointEvery;
      if (!last && !stopped && !earlyStopped && epochDone && every > 0 && epoch % every === 0) await options.onCheckpoint?.(snapshot(), "epoch");
      if (last || earlyStopped) break;
    }
    const state = snapshot();
    await options.onCheckpoint?.(state, stopped ? "stop" : "end");
    const best = early && watch ? { metric: config.train.earlyStop!.metric, value: early.best, epoch: early.bestEpoch, step: early.bestStep } : null;
    const modelParams = early && watch ? early.bestParams : state.params;
    if (best && best.step !== step && dataset.test && evaluation) {
      // The test figures describe the model the run keeps: the best epoch's weights, evaluated
      // in θ_step's buffer after the final state was taken.
      engine.paramsBuffer(step).set(modelParams);
      evaluation = await engine.evaluate(step, "test");
    }
    return { history, params: namedParams(modelParams, engine.layout.paramEntries), state, evaluation, stopped, best, earlyStopped, modelParams, spec, workers };
  }
}
