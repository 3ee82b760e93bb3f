// Median stopping, as Optuna's MedianPruner decides it: after epoch e (e >= afterEpochs), a trial
// is stopped when its best value so far is worse than the median, over the finished trials that
// reached epoch e, of their value at epoch e; nothing is stopped before minTrials have finished.
// "Finished" means ran to the end: stopped and failed trials do not set the bar.
import type { Curve, StopMetric, StopRule } from "../config/sweep.js";
import type { EpochMetrics } from "../report/metrics.js";

export interface StopDecision {
  stop: boolean;
  /** the median it was compared with (null: too few finished trials, or before afterEpochs) */
  median: number | null;
  best: number | null;
}

export function higherIsBetter(metric: StopMetric): boolean {
  return metric.endsWith("_acc");
}

export function metricOf(m: Pick<EpochMetrics, StopMetric>, metric: StopMetric): number | null {
  const v = m[metric];
  return v === null || !Number.isFinite(v) ? null : v;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Should a trial whose curve so far is `curve` (its last entry is epoch curve.length) stop? */
export function medianStop(rule: Pick<StopRule, "afterEpochs" | "minTrials">, metric: StopMetric, curve: Curve, finished: Curve[]): StopDecision {
  const epoch = curve.length;
  const seen = curve.filter((v): v is number => v !== null);
  const up = higherIsBetter(metric);
  const best = seen.length === 0 ? null : up ? Math.max(...seen) : Math.min(...seen);
  if (epoch < rule.afterEpochs || best === null) return { stop: false, median: null, best };
  const atEpoch = finished.map((c) => c[epoch - 1]).filter((v): v is number => v !== undefined && v !== null);
  if (atEpoch.length < rule.minTrials) return { stop: false, median: null, best };
  const m = median(atEpoch);
  return { stop: up ? best < m : best > m, median: m, best };
}
