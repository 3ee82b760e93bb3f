// A sweep's report.html: every trial's test-accuracy curve overlaid, the sweep's metric against
// each swept key, the table of trials and the best one. Charts are SVG files beside it, rendered
// in Node like a run's report (charts.ts).
import { join, relative } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import type { LoadedSweep } from "../config/sweep.js";
import { writeFileAtomic } from "../io/atomic.js";
import type { TrialOutcome } from "./outcome.js";
import { formatMetric, scoreOf, shortValue, type SweepMetric } from "./summary.js";
import { renderSvg } from "../report/charts.js";
import { readMetrics } from "../report/metrics-log.js";
import { escapeHtml } from "../report/report.js";

export const SWEEP_REPORT_FILES = { curves: "sweep-curves.svg", keys: "sweep-keys.svg", html: "report.html" };

const STATUS_ORDER = ["finished", "stopped", "failed"];

export function sweepCurvesSpec(outcomes: TrialOutcome[], title: string): TopLevelSpec {
  const values = outcomes.flatMap((o) =>
    readMetrics(join(o.runDir, "metrics.jsonl")).filter((m) => m.test_acc !== null).map((m) => ({ trial: o.label, status: o.status, epoch: m.epoch, test_acc: m.test_acc })),
  );
  const epochs = Array.from({ length: Math.max(1, ...values.map((v) => v.epoch)) }, (_, i) => i + 1);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title, width: 560, height: 320,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", axis: { values: epochs, format: "d" }, scale: { domain: [1, Math.max(2, epochs.length)] }, title: "epoch" },
      y: { field: "test_acc", type: "quantitative", title: "test accuracy", scale: { zero: false } },
      color: { field: "trial", type: "nominal", title: "trial", legend: { labelLimit: 260 } },
      strokeDash: { field: "status", type: "nominal", sort: STATUS_ORDER, title: "status" },
    },
  };
}

/** One scatter per swept key: the sweep's metric of each trial against that key's value. */
export function metricByKeySpec(outcomes: TrialOutcome[], keys: string[], metric: SweepMetric, title: string): TopLevelSpec {
  const scored = outcomes.filter((o) => scoreOf(o, metric) !== null);
  const plots = keys.map((key) => {
    const xs = scored.map((o) => o.values[key]);
    const numeric = xs.every((v) => typeof v === "number");
    const nums = xs as number[];
    // A key that spans two decades or more (a learning rate) reads best on a log axis.
    const log = numeric && nums.length > 0 && Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) >= 100;
    return {
      width: 220, height: 200,
      data: { values: scored.map((o) => ({ x: numeric ? o.values[key] : JSON.stringify(o.values[key]), y: scoreOf(o, metric), trial: o.label, status: o.status })) },
      mark: { type: "point", filled: true, size: 70 },
      encoding: {
        x: { field: "x", type: numeric ? "quantitative" : "nominal", title: key, ...(numeric ? { scale: log ? { type: "log" } : { zero: false } } : {}) },
        y: { field: "y", type: "quantitative", title: metric, scale: { zero: false } },
        color: { field: "status", type: "nominal", sort: STATUS_ORDER, title: "status" },
        tooltip: [{ field: "trial" }, { field: "y", title: metric }],
      },
    };
  });
  return { $schema: "https://vega.github.io/schema/vega-lite/v5.json", title, hconcat: plots } as TopLevelSpec;
}

export async function writeSweepReport(dir: string, sweep: LoadedSweep, outcomes: TrialOutcome[], best: TrialOutcome | null): Promise<void> {
  const metric = sweep.spec.metric;
  const keys = Object.keys(outcomes[0]?.values ?? {});
  const sorted = [...outcomes].sort((a, b) => a.index - b.index);
  writeFileAtomic(join(dir, SWEEP_REPORT_FILES.curves), await renderSvg(sweepCurvesSpec(sorted, `${sweep.name}: test accuracy of every trial`)));
  if (keys.length > 0) writeFileAtomic(join(dir, SWEEP_REPORT_FILES.keys), await renderSvg(metricByKeySpec(sorted, keys, metric, `${sweep.name}: ${metric} against each swept key`)));
  const link = (o: TrialOutcome) => escapeHtml(relative(dir, o.runDir) || ".");
  const agents = sorted.some((o) => o.agent);
  const rows = sorted.map((o) => `<tr${o === best ? ' class="best"' : ""}><td class="l n"><a href="${link(o)}/">${escapeHtml(o.label)}</a></td>${keys.map((k) => `<td>${escapeHtml(shortValue(o.values[k]))}</td>`).join("")}<td class="l">${escapeHtml(o.status)}</td><td>${formatMetric(o.test_acc, "test_acc")}</td><td>${formatMetric(o.test_loss, "test_loss")}</td><td>${o.epochs}</td><td>${o.seconds === null ? "–" : o.seconds.toFixed(1)}</td>${agents ? `<td class="l n">${escapeHtml(o.agent ?? "")}</td><td class="l n">${escapeHtml(o.kernels ?? "")}</td>` : ""}<td class="l r">${escapeHtml(o.reason ?? "")}</td></tr>`).join("\n");
  const counts = STATUS_ORDER.map((s) => `${sorted.filter((o) => o.status === s).length} ${s}`).join(", ");
  const bestText = best
    ? `Best trial: <b><a href="${link(best)}/">${escapeHtml(best.label)}</a></b>, ${metric} <b>${formatMetric(scoreOf(best, metric), metric)}</b> (<a href="${link(best)}/model.safetensors">model.safetensors</a>)`
    : "No trial has the metric.";
  const search = sweep.spec.search === "random" ? `random search, ${sweep.spec.trials} trials, seed ${sweep.spec.seed}` : "grid search";
  const stop = sweep.spec.stop ? ` · median stopping on ${sweep.spec.stop.metric ?? metric} from epoch ${sweep.spec.stop.afterEpochs}` : "";
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(sweep.name)} — dptrain sweep report</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse}td,th{padding:.2em .7em;text-align:right;border-bottom:1px solid #ddd}td.l,th.l{text-align:left}td.n{white-space:nowrap}td.r{max-width:30em}tr.best{background:#eef6ee;font-weight:600}</style></head>
<body>
<h1>${escapeHtml(sweep.name)}</h1>
<p>${search}${stop} · ${sorted.length} trials: ${counts}</p>
<p>${bestText}</p>
<h2>Test accuracy per epoch</h2><img src="${SWEEP_REPORT_FILES.curves}" alt="test accuracy curves of every trial">
${keys.length > 0 ? `<h2>${metric} against each swept key</h2><img src="${SWEEP_REPORT_FILES.keys}" alt="${metric} against each swept key">` : ""}
<h2>Trials</h2>
<table><tr><th class="l">trial</th>${keys.map((k) => `<th>${escapeHtml(k)}</th>`).join("")}<th class="l">status</th><th>test acc</th><th>test loss</th><th>epochs</th><th>seconds</th>${agents ? '<th class="l">agent</th><th class="l">kernels</th>' : ""}<th class="l">reason</th></tr>
${rows}
</table>
<p>Files: <a href="summary.json">summary.json</a></p>
</body></html>
`;
  writeFileAtomic(join(dir, SWEEP_REPORT_FILES.html), html);
}
