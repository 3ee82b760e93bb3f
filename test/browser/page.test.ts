/// <reference lib="dom" />
// The web page in real Chromium: the same engine and WASM kernels as the CLI on Web Workers over
// one shared memory, so the same config and seed give the same model.safetensors tensors as
// `dptrain train --set engine.kernels=wasm`, for any worker count, paused or not; and the page's
// checks, digit pad, scaling test and one-worker fallback without cross-origin isolation.
// Screenshots go to docs/ with DPTRAIN_SCREENSHOTS=1 (else a temporary folder).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "puppeteer-core";
import { decodeSafetensors } from "../../src/io/safetensors.js";
import { packageRoot } from "../../src/paths.js";
import { startServer, type RunningServer } from "../../src/serve/server.js";
import { runCli } from "../cli/run-cli.js";
import { launchChromium, PageDriver } from "../../src/bench/page-driver.js";

const work = mkdtempSync(join(tmpdir(), "dptrain-browser-"));
const shots = process.env.DPTRAIN_SCREENSHOTS === "1" ? join(packageRoot, "docs") : work;
const MLP = readFileSync(join(packageRoot, "configs", "mnist-mlp.yaml"), "utf8");
/** The seed MLP preset, cut to `steps` steps of its first epoch. */
const mlpSteps = (steps: number) => MLP.replace(/^  epochs: 10$/m, `  epochs: 1\n  maxSteps: ${steps}`);

let browser: Browser;
let isolated: RunningServer;
let plain: RunningServer;
/** model.safetensors of the CLI's 100-step wasm run at 2 workers */
let cliModel: Uint8Array;

/** The tensors' names, shapes and bytes; the metadata may differ (it holds no weights). */
function tensorsOf(bytes: Uint8Array, name: string): Record<string, string> {
  const file = decodeSafetensors(bytes, name);
  return Object.fromEntries([...file.tensors].map(([k, t]) => [k, `${t.shape.join("x")}:${Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString("base64")}`]));
}

beforeAll(async () => {
  const config = join(work, "mlp-100.yaml");
  writeFileSync(config, mlpSteps(100));
  const [cli, b, s1, s2] = await Promise.all([
    runCli(["train", "-c", config, "--set", "engine.kernels=wasm", "--set", "engine.workers=2", "--out", join(work, "cli-run")]),
    launchChromium(),
    startServer({ port: 0, host: "127.0.0.1", isolation: true }),
    startServer({ port: 0, host: "127.0.0.1", isolation: false }),
  ]);
  browser = b;
  isolated = s1;
  plain = s2;
  expect(cli.stderr).toBe("");
  expect(cli.code).toBe(0);
  cliModel = readFileSync(join(work, "cli-run", "model.safetensors"));
});

afterAll(async () => {
  await browser?.close();
  await isolated?.close();
  await plain?.close();
});

describe("the page, cross-origin isolated (dptrain serve)", () => {
  let page: PageDriver;
  beforeAll(async () => {
    page = await PageDriver.open(browser, isolated.url);
  });

  it("is cross-origin isolated and offers every core", async () => {
    expect(await page.page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    expect(await page.text("#isolation")).toMatch(/^Cross-origin isolated: .*wasm kernels \(\d+ cores\)/);
    const cores = await page.page.evaluate(() => navigator.hardwareConcurrency);
    expect(await page.page.$eval("#workers", (e) => (e as HTMLInputElement).value)).toBe(String(cores));
  });

  it.each([2, 1, 4])("trains 100 steps on %i workers to the CLI's weights, bit for bit", async (workers) => {
    expect(await page.train(mlpSteps(100), workers)).toBe("done");
    expect(await page.text("#status")).toMatch(new RegExp(`^done: step 100 / 100 on ${workers} workers? \\(wasm\\) · test accuracy \\d+\\.\\d+%$`));
    const model = await page.download();
    expect(tensorsOf(model, "page")).toEqual(tensorsOf(cliModel, "cli"));
    // the metadata too: the whole file is the CLI's
    expect(Buffer.from(model).equals(cliModel)).toBe(true);
    expect(page.errors).toEqual([]);
  });

  it("downloads a model.safetensors that dptrain eval reads", async () => {
    const file = join(work, "page-model.safetensors");
    writeFileSync(file, await page.download());
    const evalArgs = ["--json", "-c", join(work, "mlp-100.yaml"), "--set", "engine.kernels=wasm"];
    const r = await runCli(["eval", "--model", file, ...evalArgs]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const cli = await runCli(["eval", "--model", join(work, "cli-run", "model.safetensors"), ...evalArgs]);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(cli.stdout));
  });

  it("pauses at a step boundary and resumes to the same bits as a run never paused", async () => {
    expect(await page.train(mlpSteps(600), 2)).toBe("done");
    const unpaused = tensorsOf(await page.download(), "unpaused");
    await page.setConfig(mlpSteps(600), 2);
    await page.page.click("#train");
    await page.page.waitForFunction(() => Number((document.getElementById("progress") as HTMLProgressElement).value) > 0.4, { polling: 20 });
    await new Promise((r) => setTimeout(r, 400)); // the curves are redrawn every 250 ms
    await page.page.screenshot({ path: join(shots, "web-training.png") });
    await page.page.click("#pause");
    expect(await page.waitFor(["paused", "done", "error"])).toBe("paused");
    const at = Number(/^paused at step (\d+) \/ 600/.exec(await page.text("#status"))?.[1]);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(600);
    await page.page.click("#pause"); // now "Resume"
    expect(await page.waitFor(["done", "error"])).toBe("done");
    expect(tensorsOf(await page.download(), "resumed")).toEqual(unpaused);
  });

  it("reads a digit drawn on the pad with the trained model", async () => {
    // a "1": one upright stroke
    await page.draw([[[140, 40], [138, 140], [136, 240]]]);
    await page.page.waitForFunction(() => (document.getElementById("prediction")?.textContent ?? "") !== "", { timeout: 10_000 });
    expect(await page.text("#prediction")).toBe("1");
    const probs = (await page.text("#probs")).split("\n").map((line) => Number(/: ([\d.]+)%$/.exec(line)?.[1]));
    expect(probs).toHaveLength(10);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
    await page.page.click("#clear");
  });

  it("refuses a bad config with its line:col and key, and starts nothing", async () => {
    const bad = mlpSteps(100).replace("hidden: [520, 320, 240, 120]", "hidden: [520, -3]");
    expect(await page.train(bad, 2)).toBe("error");
    expect(await page.text("#error")).toMatch(/^9:\d+: model\.hidden\.1: expected .*, found -3$/);
    expect(await page.text("#status")).not.toMatch(/step/);
    const yamlError = "name: x\nmodel: [unclosed\n";
    expect(await page.train(yamlError, 2)).toBe("error");
    expect(await page.text("#error")).toMatch(/^\d+:\d+: YAML syntax error: /);
  });

  it("refuses a model too large for the page's memory before training, naming the key", async () => {
    const huge = mlpSteps(100).replace("hidden: [520, 320, 240, 120]", "hidden: [65536, 65536]");
    expect(await page.train(huge, 2)).toBe("error");
    expect(await page.text("#error")).toMatch(/^model\.hidden: expected a model and batch whose arena fits WebAssembly's 4 GiB, found [\d.]+ GiB/);
  });

  it("runs the scaling test: samples/s at 1…N workers, plotted", async () => {
    await page.setConfig(mlpSteps(100), 2);
    await page.page.click("#scale");
    expect(await page.waitFor(["idle", "error"])).toBe("idle");
    const lines = (await page.text("#scaling-table")).split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^1: \d+ samples\/s \(1\.00×\)$/);
    expect(lines[1]).toMatch(/^2: \d+ samples\/s \(\d\.\d\d×\)$/);
    expect(await page.page.$eval("#scaling-chart canvas", (c) => (c as HTMLCanvasElement).width)).toBeGreaterThan(0);
    await page.page.screenshot({ path: join(shots, "web-scaling.png") });
  });
});

describe("the examples/mnist CNN in the page (wasm's direct convolutions)", () => {
  it("trains 20 steps on 2 workers to the CLI's model.safetensors, byte for byte", async () => {
    const cnn = readFileSync(join(packageRoot, "configs", "mnist-cnn.yaml"), "utf8").replace(/^train:\n  epochs: 14$/m, "train:\n  epochs: 1\n  maxSteps: 20");
    expect(cnn).toContain("maxSteps: 20");
    const config = join(work, "cnn-20.yaml");
    writeFileSync(config, cnn);
    const cli = await runCli(["train", "-c", config, "--set", "engine.kernels=wasm", "--set", "engine.workers=2", "--out", join(work, "cnn-run")]);
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    const page = await PageDriver.open(browser, isolated.url);
    expect(await page.train(cnn, 2)).toBe("done");
    expect(await page.text("#status")).toMatch(/^done: step 20 \/ 20 on 2 workers \(wasm\)/);
    expect(Buffer.from(await page.download()).equals(readFileSync(join(work, "cnn-run", "model.safetensors")))).toBe(true);
    expect(page.errors).toEqual([]);
  });
});

describe("a step worker that fails or hangs in the page", () => {
  it("is replaced and its step re-run from its saved parameters: the CLI's bits", async () => {
    const faults = [
      { step: 30, phase: "rows", task: 1, kind: "throw", at: 0.5 },
      { step: 60, phase: "params", task: 0, kind: "hang", at: 0.5 },
    ];
    const page = await PageDriver.open(browser, `${isolated.url}?faults=${encodeURIComponent(JSON.stringify(faults))}`);
    // the hung worker is found by the step timeout
    const yaml = mlpSteps(100).replace(/^  kernels: auto$/m, "  kernels: auto\n  stepTimeoutMs: 3000");
    expect(await page.train(yaml, 2)).toBe("done");
    const notices = (await page.text("#notice")).split("\n");
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/^step 30: attempt 1 failed \(injected fault: throw in rows of worker 1, step 30\); retrying/);
    expect(notices[1]).toMatch(/^step 60: attempt 1 failed \(step phase did not finish within engine\.stepTimeoutMs = 3000 ms/);
    expect(tensorsOf(await page.download(), "page")).toEqual(tensorsOf(cliModel, "cli"));
  });
});

describe("the page without cross-origin isolation (dptrain serve --no-isolation)", () => {
  it("says so in one sentence and trains on one worker, to the same bits", async () => {
    const page = await PageDriver.open(browser, plain.url);
    expect(await page.page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
    expect(await page.text("#isolation")).toBe("This page is not cross-origin isolated (the server sent no COOP/COEP headers), so it trains on one worker.");
    expect(await page.train(mlpSteps(100), 4)).toBe("done");
    expect(await page.text("#status")).toMatch(/^done: step 100 \/ 100 on 1 worker \(wasm\)/);
    expect(tensorsOf(await page.download(), "page")).toEqual(tensorsOf(cliModel, "cli"));
    expect(page.errors).toEqual([]);
  });
});
