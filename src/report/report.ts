// Writes the run's charts (SVG) and the report.html that links them.
import { join } from "node:path";
import type { Config } from "../config/schema.js";
import type { Dataset } from "../data/dataset.js";
import type { InputNorm } from "../data/normalize.js";
import { inputWidth, type Split } from "../data/split.js";
import { modelInputFloats } from "../model/input-layout.js";
import type { EvalStats } from "../engine/coordinator/engine.js";
import type { EpochMetrics } from "./metrics.js";
import { writeFileAtomic } from "../io/atomic.js";
import { predictProbabilities } from "../model/predict.js";
import type { ModelSpec } from "../model/spec.js";
import { confusionSpec, curvesSpec, pngDataUrl, predictionGridSpec, renderSvg } from "./charts.js";

export const REPORT_FILES = { curves: "curves.svg", confusion: "confusion.svg", predictions: "predictions.svg", html: "report.html" };

/** Predicted classes of a split's rows [0, n) with flat params (a handful of rows, reference kernels). */
export function predictRows(split: Split, spec: ModelSpec, params: Float32Array, n: number, inputNorm: InputNorm): number[] {
  const rows = Math.min(n, split.count);
  const inputs = modelInputFloats(split.inputs.subarray(0, rows * spec.nInputs), spec, inputNorm);
  return predictProbabilities(spec, params, inputs, rows).map((p) => p.indexOf(Math.max(...p)));
}

/** What report.html draws: the run's config, data and model, its final params, metrics and last evaluation. */
export interface ReportInputs {
  config: Config;
  data: Dataset;
  spec: ModelSpec;
  params: Float32Array;
  history: EpochMetrics[];
  evaluation: EvalStats | null;
}

export async function writeReport(dir: string, { config, data, spec, params, history, evaluation }: ReportInputs): Promise<void> {
  const names = data.classNames;
  writeFileAtomic(join(dir, REPORT_FILES.curves), await renderSvg(curvesSpec(history, `${config.name}: training curves`)));
  if (evaluation) writeFileAtomic(join(dir, REPORT_FILES.confusion), await renderSvg(confusionSpec(evaluation.confusion, names, `${config.name}: test confusion matrix`)));
  // A grid of images with their true and predicted classes, where the samples are images.
  const shown = data.test ?? data.validation;
  const [C, H, W] = data.inputShape as [number, number, number];
  const images = shown !== null && data.inputType === "u8" && data.inputShape.length === 3 && (C === 1 || C === 3);
  if (images) {
    const preds = predictRows(shown, spec, params, 18, config.data.normalize);
    const width = inputWidth(data.inputShape);
    const cells = preds.map((pred, i) => ({
      url: pngDataUrl((shown.inputs as Uint8Array).subarray(i * width, (i + 1) * width), H, W, Math.max(1, Math.round(56 / Math.max(H, W))), C),
      trueName: names[shown.labels[i]!]!, predName: names[pred]!,
    }));
    writeFileAtomic(join(dir, REPORT_FILES.predictions), await renderSvg(predictionGridSpec(cells, `${data.test ? "test" : "validation"} images: true / predicted`)));
  }
  const last = history[history.length - 1];
  const hasVal = history.some((m) => m.val_loss !== null && m.val_loss !== undefined);
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(2)}%`);
  const rows = history.map((m) => `<tr><td>${m.epoch}${m.complete ? "" : "*"}</td><td>${m.train_loss.toFixed(4)}</td><td>${pct(m.train_acc)}</td>${hasVal ? `<td>${m.val_loss?.toFixed(4) ?? "–"}</td><td>${pct(m.val_acc)}</td>` : ""}<td>${m.test_loss?.toFixed(4) ?? "–"}</td><td>${pct(m.test_acc)}</td><td>${m.samples_per_s.toFixed(0)}</td><td>${m.seconds.toFixed(1)}</td></tr>`).join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(config.name)} — dptrain report</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:right;border-bottom:1px solid #ddd}</style></head>
<body>
<h1>${escapeHtml(config.name)}</h1>
<p>${escapeHtml(config.data.dataset)} · ${escapeHtml(describeModel(config, spec))} ·
batch ${config.train.batchSize} · ${config.optim.type} lr ${config.optim.lr}${config.optim.momentum ? ` momentum ${config.optim.momentum}` : ""} · final test accuracy <b>${pct(last?.test_acc)}</b></p>
<h2>Training curves</h2><img src="${REPORT_FILES.curves}" alt="training curves">
${evaluation ? `<h2>Confusion matrix</h2><img src="${REPORT_FILES.confusion}" alt="confusion matrix">` : ""}
${images ? `<h2>Predictions</h2><img src="${REPORT_FILES.predictions}" alt="prediction grid">` : ""}
<h2>Epochs</h2>
<table><tr><th>epoch</th><th>train loss</th><th>train acc</th>${hasVal ? "<th>val loss</th><th>val acc</th>" : ""}<th>test loss</th><th>test acc</th><th>samples/s</th><th>seconds</th></tr>
${rows}
</table>
<p>Files: <a href="config.yaml">config.yaml</a> · <a href="metrics.jsonl">metrics.jsonl</a> · <a href="model.safetensors">model.safetensors</a> · <a href="checkpoint.safetensors">checkpoint.safetensors</a></p>
</body></html>
`;
  writeFileAtomic(join(dir, REPORT_FILES.html), html);
}

/** "softmax regression", "MLP 784-520-…-10", or a sequential model's layers in one line. */
export function describeModel(config: Config, spec: ModelSpec): string {
  const m = config.model;
  if (m.type === "softmax") return "softmax regression";
  if (m.type === "mlp") return `MLP ${[spec.nInputs, ...m.hidden, spec.nClasses].join("-")}`;
  return (m.layers ?? []).map((l) => {
    switch (l.type) {
      case "linear":
        return `linear ${l.out}`;
      case "conv2d":
        return `conv2d ${l.out} ${l.kernel}×${l.kernel}${l.stride > 1 ? ` /${l.stride}` : ""}${l.padding ? ` pad ${l.padding}` : ""}`;
      case "maxpool2d":
        return `maxpool ${l.kernel}`;
      case "dropout":
        return `dropout ${l.p}`;
      default:
        return l.type;
    }
  }).join(" → ");
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
