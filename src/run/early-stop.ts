// train.earlyStop: after each whole epoch, the watched metric either improves on the best so far
// by more than minDelta (the epoch becomes the best, its θ is kept) or it does not (wait + 1);
// the run ends when wait reaches patience (Keras's EarlyStopping with restore_best_weights).
import type { Config } from "../config/schema.js";
import type { EpochMetrics } from "../report/metrics.js";

/** Early stopping's counters and the best epoch's weights (kept in the checkpoint, so a resume continues them). */
export interface EarlyStopState {
  /** the watched metric's best value */
  best: number;
  /** 1-based epoch and global step of the best value */
  bestEpoch: number;
  bestStep: number;
  /** epochs since the best one */
  wait: number;
  /** θ after the best epoch */
  bestParams: Float32Array;
}

/** The epoch a run with train.earlyStop kept in model.safetensors. */
export interface BestEpoch {
  metric: string;
  value: number;
  epoch: number;
  step: number;
}

type EarlyStopConfig = NonNullable<Config["train"]["earlyStop"]>;

/** min for a loss, max for an accuracy, unless the config says. */
export function earlyStopMode(c: EarlyStopConfig): "min" | "max" {
  return c.mode !== "auto" ? c.mode : c.metric.endsWith("_loss") ? "min" : "max";
}

/** The state after an epoch's metrics (unchanged where the metric was not measured); bestParams() copies θ when the epoch is the new best. */
export function earlyStopWatch(c: EarlyStopConfig) {
  const sign = earlyStopMode(c) === "min" ? 1 : -1;
  return (state: EarlyStopState | null, m: EpochMetrics, bestParams: () => Float32Array): EarlyStopState | null => {
    const value = m[c.metric];
    if (value === null || value === undefined || !Number.isFinite(value)) return state;
    if (state === null || sign * (state.best - value) > c.minDelta) {
      return { best: value, bestEpoch: m.epoch, bestStep: m.step, wait: 0, bestParams: bestParams() };
    }
    return { ...state, wait: state.wait + 1 };
  };
}
