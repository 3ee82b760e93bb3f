// Loads a dataset's four IDX files (in parallel, bounded by p-limit) and validates them as a set.
// The returned bytes are temporary: the engine copies them once into the shared arena.
import pLimit from "p-limit";
import { readIdx, type IdxFile } from "./idx.js";
import { DataError } from "./errors.js";
import { resolvePaths, type DatasetName, type IdxPaths } from "./sources.js";

export interface Split {
  /** (count, rows·cols) u8 pixels */
  images: Uint8Array;
  /** (count) u8 class ids < nClasses */
  labels: Uint8Array;
  count: number;
}

export interface Dataset {
  name: string;
  rows: number;
  cols: number;
  nClasses: number;
  train: Split;
  test: Split;
}

export const N_CLASSES = 10;

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
  const train = toSplit(trainImages, trainLabels, paths.trainImages, paths.trainLabels);
  const test = toSplit(testImages, testLabels, paths.testImages, paths.testLabels);
  const [, rows, cols] = trainImages.dims as [number, number, number];
  const [, testRows, testCols] = testImages.dims as [number, number, number];
  if (rows !== testRows || cols !== testCols) {
    throw new DataError(paths.testImages, `image size ${testRows}x${testCols} differs from the training images' ${rows}x${cols}`);
  }
  return { name, rows, cols, nClasses: N_CLASSES, train, test };
}

function toSplit(images: IdxFile, labels: IdxFile, imagesFile: string, labelsFile: string): Split {
  const count = images.dims[0]!;
  if (labels.dims[0] !== count) {
    throw new DataError(labelsFile, `label count ${labels.dims[0]} does not match image count ${count} in ${imagesFile}`);
  }
  const labelData = labels.data;
  for (let i = 0; i < labelData.length; i++) {
    if (labelData[i]! >= N_CLASSES) {
      throw new DataError(labelsFile, `label ${labelData[i]} at index ${i} is out of range: expected 0..${N_CLASSES - 1}`);
    }
  }
  return { images: images.data, labels: labelData, count };
}
