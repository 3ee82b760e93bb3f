import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { loadDataset } from "../../src/data/dataset.js";
import { train } from "../../src/engine/trainer.js";

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
    expect(result.stopped).toBe(true);
    expect(result.state.step).toBe(10);
    expect(reasons).toEqual(["stop@10"]);
  }, 60_000);
});
