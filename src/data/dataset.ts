// Node: loads a dataset's four IDX files (in parallel, bounded by p-limit) and validates them as
// a set (split.ts). The returned bytes are temporary: the engine copies them once into the
// shared arena.
import pLimit from "p-limit";
import { readIdx } from "./idx.js";
import { resolvePaths, type DatasetName, type IdxPaths } from "./sources.js";
import { datasetFromIdx, type Dataset } from "./split.js";

export { N_CLASSES, type Dataset, type Split } from "./split.js";

/** At most this many files are read and gunzipped at once (each holds up to ~47 MB). */
const FILE_LOAD_CONCURRENCY = 2;

export async function loadDataset(dataset: DatasetName, dir?: string): Promise<Dataset> {
  const paths = await resolvePaths(dataset, dir);
  return loadIdxSet(dataset, paths);
}

export async function loadIdxSet(name: string, paths: IdxPaths): Promise<Dataset> {
  const limit = pLimit(FILE_LOAD_CONCURRENCY);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    limit(() => readIdx(paths.trainImages, "images")),
    limit(() => readIdx(paths.trainLabels, "labels")),
    limit(() => readIdx(paths.testImages, "images")),
    limit(() => readIdx(paths.testLabels, "labels")),
  ]);
  return datasetFromIdx(name, { trainImages, trainLabels, testImages, testLabels }, paths);
}
