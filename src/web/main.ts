// The page's main thread: the controls, the charts and the drawing pad. Training runs in the
// session worker (page-session.ts, over comlink) and its step workers; nothing here computes.
// document.body.dataset.state says what the page is doing (idle, training, paused, done,
// scaling, error), for users' scripts and the browser test.
import * as Comlink from "comlink";
import type { FaultSpec } from "../engine/common/protocol.js";
import type { EpochMetrics, StepInfo } from "../report/metrics.js";
import { curvesSpec, type CurvePoint } from "../report/curve-specs.js";
import type { PageRun, PageSession, ScalingPoint } from "./page-session.js";
import { PAGE_SCALING } from "../bench/measure-engine.js";
import { LiveChart, scalingSpec } from "./charts.js";
import { DigitPad } from "./digit-pad.js";
import softmaxYaml from "../../configs/mnist-softmax.yaml";
import mlpYaml from "../../configs/mnist-mlp.yaml";
import cnnYaml from "../../configs/mnist-cnn.yaml";

const PRESETS: Record<string, string> = { softmax: softmaxYaml, mlp: mlpYaml, cnn: cnnYaml };
const SCALING_STEPS = PAGE_SCALING.steps;
/** The curves are redrawn at most this often while steps arrive (every ~100 ms). */
const CURVE_REDRAW_MS = 250;

/** Test-only: ?faults=JSON, a fault plan for the step workers (engine/common/faults.ts). */
const faults = JSON.parse(new URLSearchParams(location.search).get("faults") ?? "[]") as FaultSpec[];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const session = Comlink.wrap<PageSession>(new Worker(new URL("session.worker.js", import.meta.url), { type: "module" }));
const curves = new LiveChart($("curves"));
const scalingChart = new LiveChart($("scaling-chart"));
const configBox = $<HTMLTextAreaElement>("config");
const workersBox = $<HTMLInputElement>("workers");
let points: CurvePoint[] = [];
let lastDrawn = 0;

function setState(state: string, status = ""): void {
  document.body.dataset.state = state;
  if (status) $("status").textContent = status;
  const busy = state === "training" || state === "scaling" || state === "checking";
  $<HTMLButtonElement>("train").disabled = busy;
  $<HTMLButtonElement>("scale").disabled = busy;
  $<HTMLButtonElement>("pause").disabled = state !== "training" && state !== "paused";
  $<HTMLButtonElement>("pause").textContent = state === "paused" ? "Resume" : "Pause";
  $<HTMLButtonElement>("download").disabled = state !== "done" && state !== "paused";
}

function showError(err: unknown): void {
  // A config error names the key and the line:col in the editor (there is no file).
  const message = err instanceof Error ? err.message : String(err);
  $("error").textContent = message.replace(/^config:\s*/, "");
  setState("error");
}

const events = Comlink.proxy({
  step(info: StepInfo) {
    $<HTMLProgressElement>("progress").value = info.step / info.totalSteps;
    $("status").textContent = `step ${info.step} / ${info.totalSteps} · epoch ${info.epoch + 1} · loss ${info.loss.toFixed(4)} · ${Math.round(info.samplesPerSec).toLocaleString("en-US")} samples/s`;
    points.push({ x: info.step, series: "train loss", value: info.epochLoss });
    if (performance.now() - lastDrawn > CURVE_REDRAW_MS) void redraw();
  },
  epoch(m: EpochMetrics) {
    points.push({ x: m.step, series: "train acc", value: m.train_acc });
    if (m.test_loss !== null) points.push({ x: m.step, series: "test loss", value: m.test_loss });
    if (m.test_acc !== null) points.push({ x: m.step, series: "test acc", value: m.test_acc });
    void redraw();
  },
  retry(step: number, attempt: number, message: string) {
    const line = `step ${step}: attempt ${attempt} failed (${message}); retrying from its saved parameters`;
    $("notice").textContent = $("notice").textContent ? `${$("notice").textContent}\n${line}` : line;
  },
});

async function redraw(): Promise<void> {
  lastDrawn = performance.now();
  if (points.length === 0) return curves.clear();
  await curves.draw(curvesSpec(points, "training", "step"));
}

async function finish(run: Promise<PageRun>): Promise<void> {
  try {
    const r = await run;
    await redraw();
    const acc = r.testAccuracy === null ? "" : ` · test accuracy ${(r.testAccuracy * 100).toFixed(2)}%`;
    setState(r.paused ? "paused" : "done", `${r.paused ? "paused at" : "done:"} step ${r.step} / ${r.totalSteps} on ${r.workers} worker${r.workers === 1 ? "" : "s"} (${r.kernels})${acc}`);
  } catch (err) {
    showError(err);
  }
}

$("train").addEventListener("click", async () => {
  $("error").textContent = "";
  $<HTMLProgressElement>("progress").value = 0;
  setState("checking", "checking the config…");
  try {
    await session.check(configBox.value, Number(workersBox.value));
  } catch (err) {
    return showError(err);
  }
  points = [];
  $("notice").textContent = "";
  void redraw();
  setState("training", "starting…");
  await finish(session.train(configBox.value, Number(workersBox.value), events, faults));
});

$("pause").addEventListener("click", async () => {
  if (document.body.dataset.state === "paused") {
    setState("training", "resuming…");
    await finish(session.resume(events));
  } else {
    await session.pause();
  }
});

$("scale").addEventListener("click", async () => {
  $("error").textContent = "";
  const top = Number(workersBox.value);
  const done: ScalingPoint[] = [];
  $("scaling-table").textContent = "";
  setState("scaling", `scaling test: 1…${top} workers, ${SCALING_STEPS} steps each`);
  try {
    await session.scaling(configBox.value, top, SCALING_STEPS, Comlink.proxy((p: ScalingPoint) => {
      done.push(p);
      $("status").textContent = `scaling test: ${p.workers} worker${p.workers === 1 ? "" : "s"}: ${Math.round(p.samples_per_s).toLocaleString("en-US")} samples/s`;
      void scalingChart.draw(scalingSpec(done, "samples/s against workers"));
    }), PAGE_SCALING.warmupMs);
    $("scaling-table").textContent = done.map((p) => `${p.workers}: ${Math.round(p.samples_per_s)} samples/s (${(p.samples_per_s / done[0]!.samples_per_s).toFixed(2)}×)`).join("\n");
    setState("idle", "scaling test done");
  } catch (err) {
    showError(err);
  }
});

$("download").addEventListener("click", async () => {
  let bytes: Uint8Array;
  try {
    bytes = await session.modelFile();
  } catch (err) {
    return showError(err);
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
  link.download = "model.safetensors";
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
});

const pad = new DigitPad($<HTMLCanvasElement>("pad"), async () => {
  const pixels = pad.pixels();
  if (!pixels) return;
  try {
    const probs = await session.predict(pixels);
    const best = probs.indexOf(Math.max(...probs));
    $("prediction").textContent = String(best);
    $("probs").textContent = probs.map((p, k) => `${k}: ${(p * 100).toFixed(1)}%`).join("\n");
  } catch (err) {
    $("prediction").textContent = "";
    $("probs").textContent = err instanceof Error ? err.message : String(err);
  }
});
$("clear").addEventListener("click", () => {
  pad.clear();
  $("prediction").textContent = "";
  $("probs").textContent = "";
});

$<HTMLSelectElement>("preset").addEventListener("change", (e) => {
  configBox.value = PRESETS[(e.target as HTMLSelectElement).value] ?? configBox.value;
});

async function start(): Promise<void> {
  configBox.value = PRESETS.mlp!;
  const info = await session.info();
  workersBox.value = String(info.isolated ? info.cores : 1);
  workersBox.max = String(info.isolated ? 256 : 1);
  $("isolation").textContent = info.isolated
    ? `Cross-origin isolated: training runs on Web Workers sharing one memory, with the wasm kernels (${info.cores} cores).`
    : "This page is not cross-origin isolated (the server sent no COOP/COEP headers), so it trains on one worker.";
  setState("idle", "ready");
}

void start();
