// The fast CNN check (npm test): PyTorch's examples/mnist Net (configs/mnist-cnn.yaml) for 120
// steps on real MNIST learns; the 14-epoch ≥ 99.2% run is in npm run test:accuracy.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { loadDataset } from "../../src/data/dataset.js";
import { train } from "../../src/run/train.js";

describe("configs/mnist-cnn.yaml", () => {
  it("120 steps of batch 64 with 2 workers: ≥ 94% test accuracy", async () => {
    const { config } = loadConfig("configs/mnist-cnn.yaml", ["train.maxSteps=120", "engine.workers=2"]);
    const result = await train(config, { dataset: await loadDataset("mnist") });
    const acc = result.history[result.history.length - 1]!.test_acc!;
    console.log(`mnist-cnn, 120 steps: test acc ${(acc * 100).toFixed(2)}%, ${result.history[0]!.samples_per_s.toFixed(0)} samples/s`);
    expect(acc).toBeGreaterThanOrEqual(0.94);
    expect(Object.keys(result.params)).toEqual(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
  }, 180_000);
});
