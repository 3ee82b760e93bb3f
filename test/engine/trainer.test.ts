import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { loadDataset } from "../../src/data/dataset.js";
import { loadConfig } from "../../src/config/load.js";
import { testAccuracy } from "./reference-loop.js";
import { train } from "../../src/run/train.js";
import { softmaxRegression } from "../../src/model/spec.js";

describe("train() library API on real MNIST", () => {
  it("seed MLP, 2 workers, 1 epoch: learns (≥ 93% test accuracy) and reports per-epoch metrics", async () => {
    const config = ConfigSchema.parse({
      seed: 1, model: { type: "mlp" }, train: { epochs: 1, batchSize: 64 },
      optim: { lr: 0.01, momentum: 0.5 }, engine: { workers: 2, kernels: "wasm" },
    });
    const steps: number[] = [];
    const result = await train(config, { dataset: await loadDataset("mnist"), onStep: (s) => steps.push(s.step) });
    expect(steps).toHaveLength(938);
    expect(result.history).toHaveLength(1);
    const m = result.history[0]!;
    console.log(`train(): seed MLP 1 epoch test acc ${(m.test_acc! * 100).toFixed(2)}%, ${m.samples_per_s.toFixed(0)} samples/s, kernel fraction ${m.kernel_fraction.toFixed(3)}`);
    expect(m.test_acc).toBeGreaterThanOrEqual(0.93);
    expect(m.train_loss).toBeLessThan(1);
    expect(Object.keys(result.params)).toContain("fc1.weight");
    expect(result.params["fc1.weight"]).toHaveLength(520 * 784);
  }, 120_000);

  it("configs/mnist-softmax.yaml (standardized inputs), 2 workers, 10 epochs: ≥ 91.8%, and the engine's eval agrees with the reference", async () => {
    const { config } = loadConfig("configs/mnist-softmax.yaml", ["engine.workers=2"]);
    const data = await loadDataset("mnist");
    const result = await train(config, { dataset: data });
    const acc = result.history[result.history.length - 1]!.test_acc!;
    console.log(`train(): mnist-softmax 10 epochs test acc ${(acc * 100).toFixed(2)}%`);
    expect(acc).toBeGreaterThanOrEqual(0.918);
    // The single-thread TS path, given the same weights and normalization, scores the same.
    const spec = softmaxRegression(784, 10);
    expect(Math.abs(testAccuracy(data, spec, result.state.params, config.data.normalize) - acc)).toBeLessThanOrEqual(0.0005);
    // Without the normalization those weights are far worse: the engine really applied it.
    expect(testAccuracy(data, spec, result.state.params)).toBeLessThan(acc - 0.05);
  }, 120_000);

  it("a graceful stop (AbortSignal) ends at a step boundary with a stop checkpoint", async () => {
    const config = ConfigSchema.parse({ model: { type: "softmax" }, train: { epochs: 2, batchSize: 256 }, engine: { workers: 2 } });
    const ac = new AbortController();
    const reasons: string[] = [];
    const result = await train(config, {
      dataset: await loadDataset("mnist"),
      signal: ac.signal,
      onStep: (s) => s.step === 10 && ac.abort(),
      onCheckpoint: (state, reason) => void reasons.push(`${reason}@${state.step}`),
    });
    // The workers halt at the first step boundary after they see the request (they run ahead of
    // the coordinator's reading by at most its 20 ms poll): never mid-step, never at the end.
    expect(result.stopped).toBe(true);
    expect(result.state.step).toBeGreaterThanOrEqual(10);
    expect(result.state.step).toBeLessThan(2 * 235);
    expect(reasons).toEqual([`stop@${result.state.step}`]);
  }, 60_000);
});
