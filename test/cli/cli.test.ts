// End-to-end: the CLI as a user runs it, on real MNIST.
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { readSafetensors } from "../../src/run/checkpoint.js";
import { runCli } from "./run-cli.js";

const tmp = () => mkdtempSync(join(tmpdir(), "dptrain-cli-"));

describe("dptrain train", () => {
  it("with --set train.maxSteps=50 writes every file of the run directory", async () => {
    const out = join(tmp(), "run");
    const r = await runCli(["train", "-c", "configs/mnist-mlp.yaml", "--set", "train.maxSteps=50", "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Train Epoch: 1 \[64\/60000 \(0%\)\]\tLoss: \d+\.\d{6}$/m);
    expect(r.stdout).toMatch(/^Epoch 1\/10 \(partial: train\.maxSteps\): train loss \d\.\d{4} acc [\d.]+% \| test loss [\d.]+ acc [\d.]+% \| \d+ samples\/s/m);
    for (const f of ["config.yaml", "metrics.jsonl", "model.safetensors", "checkpoint.safetensors", "report.html", "curves.svg", "confusion.svg", "predictions.svg"]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0])).toEqual(expect.arrayContaining(["epoch", "step", "train_loss", "train_acc", "test_loss", "test_acc", "samples_per_s", "seconds"]));
    expect(lines[0].step).toBe(50);
    expect(lines[0].test_acc).toBeGreaterThan(0.5);
    // The resolved config reloads to the same values.
    expect(loadConfig(join(out, "config.yaml")).config.train.maxSteps).toBe(50);
    // model.safetensors: PyTorch nn.Linear names and shapes.
    const model = readSafetensors(join(out, "model.safetensors"));
    expect([...model.tensors.keys()]).toEqual(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias", "fc4.weight", "fc4.bias", "fc5.weight", "fc5.bias"]);
    expect(model.tensors.get("fc1.weight")!.shape).toEqual([520, 784]);
    const ckpt = readSafetensors(join(out, "checkpoint.safetensors"));
    expect(ckpt.metadata.step).toBe("50");
    expect(ckpt.tensors.has("momentum_buffer.fc1.weight")).toBe(true);
    expect(JSON.parse(ckpt.metadata.rng!).algorithm).toBe("xoshiro128**");
    const html = readFileSync(join(out, "report.html"), "utf8");
    for (const svg of ["curves.svg", "confusion.svg", "predictions.svg"]) expect(html).toContain(`src="${svg}"`);
    expect(readFileSync(join(out, "predictions.svg"), "utf8")).toContain("data:image/png;base64,");

    // eval --json: exactly one JSON object.
    const ev = await runCli(["eval", "--model", join(out, "model.safetensors"), "--json"]);
    expect(ev.code).toBe(0);
    const parsed = JSON.parse(ev.stdout);
    expect(Object.keys(parsed)).toEqual(["test_loss", "test_acc", "confusion"]);
    expect(parsed.test_acc).toBeCloseTo(lines[0].test_acc, 10);
    expect(parsed.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(10000);

    // predict by test index.
    const pr = await runCli(["predict", "--model", join(out, "model.safetensors"), "--index", "0", "--json"]);
    expect(pr.code).toBe(0);
    const [p0] = JSON.parse(pr.stdout);
    expect(p0.label).toBe("7");
    expect(Object.values(p0.probabilities as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);

    // An existing run is never overwritten without --force.
    const before = statSync(join(out, "model.safetensors")).mtimeMs;
    const again = await runCli(["train", "-c", "configs/mnist-mlp.yaml", "--set", "train.maxSteps=5", "--out", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`dptrain: ${out}: already holds a run (config.yaml, metrics.jsonl, checkpoint.safetensors, model.safetensors): expected an empty or new directory; pass --force to overwrite it or --resume ${out} to continue it\n`);
    expect(statSync(join(out, "model.safetensors")).mtimeMs).toBe(before);
  }, 120_000);

  it("--resume continues bitwise identically to an uninterrupted run", async () => {
    const dir = tmp();
    const base = ["-c", "configs/mnist-mlp.yaml", "--set", "engine.workers=2"];
    const full = await runCli(["train", ...base, "--set", "train.maxSteps=40", "--out", join(dir, "full")]);
    expect(full.code).toBe(0);
    const part = await runCli(["train", ...base, "--set", "train.maxSteps=15", "--out", join(dir, "part")]);
    expect(part.code).toBe(0);
    const resumed = await runCli(["train", "--resume", join(dir, "part"), "--set", "train.maxSteps=40", "--set", "engine.workers=1"]);
    expect(resumed.stderr).toBe("");
    expect(resumed.stdout).toContain("resuming at step 15");
    const a = readFileSync(join(dir, "full", "model.safetensors"));
    const b = readFileSync(join(dir, "part", "model.safetensors"));
    expect(b.equals(a)).toBe(true);
  }, 120_000);

  it("bad config: one line on stderr naming file:line:col, exit 2, nothing written", async () => {
    const dir = tmp();
    const cfg = join(dir, "bad.yaml");
    writeFileSync(cfg, "extends: " + join(process.cwd(), "configs/mnist-mlp.yaml") + "\noptim:\n  lr: -0.1\n");
    const r = await runCli(["train", "-c", cfg, "--out", join(dir, "run")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dptrain: ${cfg}:3:7: optim.lr: expected a number > 0, found -0.1\n`);
    expect(existsSync(join(dir, "run"))).toBe(false);
    const usage = await runCli(["train", "--bogus"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr.split("\n")[0]).toBe("dptrain: unknown option '--bogus'");
  }, 60_000);
});

describe("dptrain sweep", () => {
  it("runs the grid side by side and prints a summary with the best run", async () => {
    const dir = tmp();
    const sweep = join(dir, "sweep.yaml");
    writeFileSync(sweep, `name: tiny\nbase: ${join(process.cwd(), "configs/mnist-softmax.yaml")}\nset:\n  train.maxSteps: 20\ngrid:\n  optim.lr: [0.01, 0.5]\nparallel: 2\n`);
    const r = await runCli(["sweep", "-c", sweep, "--out", join(dir, "out")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 runs, 2 side by side × 1 workers/);
    expect(r.stdout).toMatch(/^best: lr=0\.5 test_acc [\d.]+% /m);
    const summary = JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8"));
    expect(summary.runs).toHaveLength(2);
    expect(summary.best).toBe("lr=0.5");
    expect(existsSync(join(dir, "out", "lr=0.01", "model.safetensors"))).toBe(true);
  }, 120_000);
});

describe("dptrain predict --image and bench --json", () => {
  it("a 28×28 PNG of a test digit is classified like the same test row", async () => {
    const { PNG } = await import("pngjs");
    const { loadDataset } = await import("../../src/data/dataset.js");
    const dir = tmp();
    const out = join(dir, "run");
    expect((await runCli(["train", "-c", "configs/mnist-softmax.yaml", "--set", "train.maxSteps=100", "--out", out])).code).toBe(0);
    const data = await loadDataset("mnist");
    const png = new PNG({ width: 28, height: 28 });
    for (let i = 0; i < 784; i++) {
      const v = data.test!.inputs[3 * 784 + i]!;
      png.data.set([v, v, v, 255], i * 4);
    }
    const file = join(dir, "digit.png");
    writeFileSync(file, PNG.sync.write(png));
    const byImage = JSON.parse((await runCli(["predict", "--model", join(out, "model.safetensors"), "--image", file, "--json"])).stdout);
    const [byIndex] = JSON.parse((await runCli(["predict", "--model", join(out, "model.safetensors"), "--index", "3", "--json"])).stdout);
    expect(byImage.predicted).toBe(byIndex.predicted);
    expect(byImage.probability).toBeCloseTo(byIndex.probability, 5);
    // The config standardizes inputs; the model file carries that, and predict applied it to both
    // inputs (an unnormalized PNG would give a visibly different probability).
    expect(JSON.parse(readSafetensors(join(out, "model.safetensors")).metadata.normalize!)).toEqual({ mean: 0.1307, std: 0.3081 });
    // The library path a user's own script takes gives the same probability as the CLI.
    const lib = await import("../../src/index.js");
    const model = lib.loadModelFile(join(out, "model.safetensors"));
    const x = lib.normalizePixels(new Float32Array(784), (data.test!.inputs as Uint8Array).subarray(3 * 784, 4 * 784), model.normalize);
    const [probs] = lib.predictProbabilities(model.spec, model.params, x, 1);
    expect(Math.max(...probs!)).toBeCloseTo(byIndex.probability, 12);
    const wrong = await runCli(["predict", "--model", join(out, "model.safetensors"), "--image", join(process.cwd(), "package.json")]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.startsWith(`dptrain: ${join(process.cwd(), "package.json")}: not a readable PNG`)).toBe(true);
  }, 60_000);

  it("bench --json prints exactly one object and the weights agree across thread counts", async () => {
    const r = await runCli(["bench", "-c", "configs/mnist-softmax.yaml", "--threads", "1,2", "--steps", "5", "--warmup", "1", "--warmup-ms", "0", "--repeat", "2", "--json", "--out", join(tmp(), "bench")]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(["machine", "runs"]);
    expect(Object.keys(report.machine)).toEqual(["cpus", "cpuModel", "node"]);
    expect(report.runs.map((x: { threads: number }) => x.threads)).toEqual([1, 2]);
    for (const key of ["threads", "batchSize", "steps", "samples_per_s", "speedup", "efficiency", "kernel_fraction", "weights_sha256"]) expect(report.runs[0]).toHaveProperty(key);
    // --warmup-ms 0: exactly the warm-up steps asked for
    for (const run of report.runs) expect(run.warmup_steps).toBe(1);
    expect(report.runs[1].weights_sha256).toBe(report.runs[0].weights_sha256);
    // --repeat 2: two interleaved rounds per thread count; the reported figure is one of them (the lower middle).
    for (const run of report.runs) {
      expect(run.samples_per_s_runs).toHaveLength(2);
      expect(run.samples_per_s).toBe(Math.min(...run.samples_per_s_runs));
    }
    expect(report.runs[0]).not.toHaveProperty("profile");
  }, 60_000);

  it("bench --profile --json adds each worker's phase times and the side-by-side figure; the chart is written; a timed warm-up leaves the weights equal", async () => {
    const out = join(tmp(), "bench-profile");
    const r = await runCli(["bench", "-c", "configs/mnist-softmax.yaml", "--threads", "1,2", "--steps", "5", "--warmup", "1", "--warmup-ms", "300", "--repeat", "1", "--profile", "--json", "--out", out]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const [one, two] = report.runs;
    // each run warmed for 300 ms (its own number of steps), then timed its 5 from the initial state
    expect(two.weights_sha256).toBe(one.weights_sha256);
    expect(one.warmup_steps).toBeGreaterThan(1);
    expect(one.profile).toHaveLength(1);
    expect(two.profile.map((p: { worker: number }) => p.worker)).toEqual([0, 1]);
    for (const p of two.profile) {
      expect(p.steps).toBe(5);
      for (const key of ["rows_ms", "wait_mid_ms", "params_ms", "optim_ms", "wait_end_ms", "other_ms", "step_ms"]) expect(p[key]).toBeGreaterThanOrEqual(0);
    }
    expect(one.side_by_side_samples_per_s).toBe(one.samples_per_s);
    expect(two.side_by_side_samples_per_s).toBeGreaterThan(0);
    // one core round trip per round (src/bench/core-round-trip.ts), on these 2 cores a number
    expect(report.core_round_trip_ns_runs).toHaveLength(1);
    expect(report.core_round_trip_ns).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(out, "bench.json"), "utf8")).core_round_trip_ns).toBe(report.core_round_trip_ns);
    expect(readFileSync(join(out, "profile.svg"), "utf8")).toMatch(/^<svg/);
  }, 90_000);
});
