// The long accuracy runs (npm run test:accuracy): each config's recipe on real data, 2 workers.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { train } from "../../src/run/train.js";

async function finalAccuracy(file: string, sets: string[] = []): Promise<number> {
  const { config } = loadConfig(file, ["engine.workers=2", ...sets]);
  const t0 = performance.now();
  const result = await train(config, {});
  const last = result.history[result.history.length - 1]!;
  console.log(`${config.name}: ${result.history.length} epochs, test accuracy ${(last.test_acc! * 100).toFixed(2)}%, ${last.samples_per_s.toFixed(0)} samples/s, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return last.test_acc!;
}

describe("accuracy on real data (2 workers)", () => {
  it("seed MLP, batch 64, SGD lr 0.01 momentum 0.5, 10 epochs: ≥ 96.9% on MNIST", async () => {
    expect(await finalAccuracy("configs/mnist-mlp.yaml")).toBeGreaterThanOrEqual(0.969);
  }, 900_000);

  // configs/mnist-softmax.yaml standardizes the inputs (MNIST's mean/std). 9 seeds: 91.67–92.42%,
  // mean 92.04%, 8 of 9 at ≥ 91.8% (docs/benchmarks.md "Accuracy"). Seeds 42, 1, 2 were fixed before that trial.
  it("softmax regression, batch 256, lr 0.1, 10 epochs: ≥ 91.8% on MNIST for seeds 42, 1, 2", async () => {
    for (const seed of [42, 1, 2]) expect(await finalAccuracy("configs/mnist-softmax.yaml", [`seed=${seed}`])).toBeGreaterThanOrEqual(0.918);
  }, 600_000);

  it("softmax regression, same recipe: ≥ 82% on Fashion-MNIST", async () => {
    expect(await finalAccuracy("configs/fashion-softmax.yaml")).toBeGreaterThanOrEqual(0.82);
  }, 600_000);

  it("mnist-mlp-strong: ≥ 98.3% on MNIST", async () => {
    expect(await finalAccuracy("configs/mnist-mlp-strong.yaml")).toBeGreaterThanOrEqual(0.983);
  }, 1_800_000);

  it("mnist-mlp-adam (the seed MLP with Adam): ≥ 98.3% on MNIST", async () => {
    expect(await finalAccuracy("configs/mnist-mlp-adam.yaml")).toBeGreaterThanOrEqual(0.983);
  }, 1_800_000);

  // PyTorch's own recipe reaches 99.12–99.24% across seeds here (99.13% with seed 1), and dptrain
  // 99.15–99.32% (docs/benchmarks.md "Accuracy"): the bar is the low end of that spread.
  it("mnist-cnn (PyTorch's examples/mnist Net and recipe, 14 epochs): ≥ 99.1% on MNIST", async () => {
    expect(await finalAccuracy("configs/mnist-cnn.yaml")).toBeGreaterThanOrEqual(0.991);
  }, 3_600_000);

  it("fashion-cnn (the same on Fashion-MNIST): ≥ 91%", async () => {
    expect(await finalAccuracy("configs/fashion-cnn.yaml")).toBeGreaterThanOrEqual(0.91);
  }, 3_600_000);
});
