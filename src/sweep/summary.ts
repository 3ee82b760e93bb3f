// The end of a sweep, local or queued: the table on stdout, summary.json and the best trial.
import { join } from "node:path";
import type { LoadedSweep } from "../config/sweep.js";
import { shortNumber } from "../config/sweep-space.js";
import { writeFileAtomic } from "../io/atomic.js";
import type { TrialOutcome } from "./outcome.js";

export type SweepMetric = LoadedSweep["spec"]["metric"];

export function scoreOf(o: TrialOutcome, metric: SweepMetric): number | null {
  return metric === "test_acc" ? o.test_acc : o.test_loss;
}

/** The best finished trial by the sweep's metric (stopped trials only when none finished). */
export function bestOutcome(outcomes: TrialOutcome[], metric: SweepMetric): TrialOutcome | null {
  const scored = (status: TrialOutcome["status"]) => outcomes.filter((o) => o.status === status && scoreOf(o, metric) !== null);
  const pool = scored("finished").length > 0 ? scored("finished") : scored("stopped");
  const sign = metric === "test_acc" ? -1 : 1;
  return [...pool].sort((a, b) => sign * (scoreOf(a, metric)! - scoreOf(b, metric)!) || a.index - b.index)[0] ?? null;
}

export function formatMetric(value: number | null, metric: SweepMetric): string {
  if (value === null) return "–";
  return metric === "test_acc" ? `${(value * 100).toFixed(2)}%` : value.toFixed(4);
}

/** The per-trial table, one line each, columns padded. */
export function formatTable(outcomes: TrialOutcome[], keys: string[]): string {
  const header = ["trial", ...keys, "status", "test_acc", "test_loss", "epochs", "samples/s", "seconds"];
  const rows = [...outcomes].sort((a, b) => a.index - b.index).map((o) => [
    o.label, ...keys.map((k) => shortValue(o.values[k])), o.status,
    formatMetric(o.test_acc, "test_acc"), formatMetric(o.test_loss, "test_loss"), String(o.epochs),
    o.samples_per_s === null ? "–" : o.samples_per_s.toFixed(0), o.seconds === null ? "–" : o.seconds.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** A swept value for a table cell: sampled floats to 4 significant digits. */
export function shortValue(v: unknown): string {
  return typeof v === "number" ? shortNumber(v) : JSON.stringify(v);
}

export function bestLine(best: TrialOutcome | null, metric: SweepMetric): string {
  return best ? `best: ${best.label} ${metric} ${formatMetric(scoreOf(best, metric), metric)} (${best.runDir})` : "best: none (no trial has the metric)";
}

/** Writes DIR/summary.json: the sweep, every trial's outcome, and the best trial's label. */
export function writeSummary(dir: string, sweep: LoadedSweep, outcomes: TrialOutcome[], extra: Record<string, unknown>): TrialOutcome | null {
  const metric = sweep.spec.metric;
  const best = bestOutcome(outcomes, metric);
  const runs = [...outcomes].sort((a, b) => a.index - b.index).map((o) => ({ ...o, error: o.status === "failed" ? o.reason : null }));
  writeFileAtomic(join(dir, "summary.json"), JSON.stringify({
    name: sweep.name, metric, search: sweep.spec.search, ...(sweep.spec.search === "random" ? { seed: sweep.spec.seed } : {}),
    ...(sweep.spec.stop ? { stop: sweep.spec.stop } : {}), ...extra,
    runs, best: best?.label ?? null,
  }, null, 2) + "\n");
  return best;
}
