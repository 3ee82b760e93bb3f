// Applies a sweep's stop rule to one trial as its epochs come in. Where the finished trials'
// curves live is the caller's: in memory for a local sweep, in Redis for a queued one.
import type { Curve, LoadedSweep, StopMetric, StopRule } from "../config/sweep.js";
import type { EpochMetrics } from "../report/metrics.js";
import { medianStop, metricOf } from "./median-stop.js";

export interface StopJudge {
  /** called after each epoch: true = stop the trial now */
  afterEpoch(m: EpochMetrics): Promise<boolean>;
  /** the curve so far (what a finished trial publishes for the others) */
  readonly curve: Curve;
  /** why it stopped, once it has */
  readonly reason: string | null;
}

export function stopMetricOf(sweep: LoadedSweep): StopMetric {
  return sweep.spec.stop?.metric ?? sweep.spec.metric;
}

/** The curve of the epochs a resumed trial already did (its metrics.jsonl lines). */
export function curveOf(history: Pick<EpochMetrics, StopMetric | "epoch">[], metric: StopMetric): Curve {
  const curve: Curve = [];
  for (const m of history) if (!("partial" in m)) curve[m.epoch - 1] = metricOf(m, metric);
  return Array.from(curve, (v) => v ?? null);
}

/** A judge for one trial (no rule: never stops); finishedCurves() gives the curves of the trials that ran to the end. */
export function stopJudge(rule: StopRule | null | undefined, metric: StopMetric, finishedCurves: () => Promise<Curve[]>, initial: Curve = []): StopJudge {
  const curve: Curve = [...initial];
  let reason: string | null = null;
  return {
    curve,
    get reason() {
      return reason;
    },
    async afterEpoch(m) {
      if (!m.complete) return false;
      curve[m.epoch - 1] = metricOf(m, metric);
      curve.length = m.epoch;
      if (!rule) return false;
      const finished = await finishedCurves();
      const d = medianStop(rule, metric, curve, finished);
      if (!d.stop) return false;
      reason = `stopped after epoch ${m.epoch}: best ${metric} ${d.best!.toPrecision(4)} is worse than the median ${d.median!.toPrecision(4)} of ${finished.filter((c) => typeof c[m.epoch - 1] === "number").length} finished trials`;
      return true;
    },
  };
}
