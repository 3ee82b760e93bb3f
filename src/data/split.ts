// A dataset in memory, as the engine copies it into the arena: u8 images and labels per split.
// Host-neutral: Node reads the IDX files (dataset.ts), a web page fetches them.
import { DataError } from "./errors.js";
import type { IdxFile } from "./idx-format.js";

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

/** The four IDX files of a dataset, and the names to report them by. */
export interface IdxSet<T> {
  trainImages: T;
  trainLabels: T;
  testImages: T;
  testLabels: T;
}

/** Validates four parsed IDX files as one dataset (counts agree, labels in range, one image size). */
export function datasetFromIdx(name: string, files: IdxSet<IdxFile>, names: IdxSet<string>): Dataset {
  const train = toSplit(files.trainImages, files.trainLabels, names.trainImages, names.trainLabels);
  const test = toSplit(files.testImages, files.testLabels, names.testImages, names.testLabels);
  const [, rows, cols] = files.trainImages.dims as [number, number, number];
  const [, testRows, testCols] = files.testImages.dims as [number, number, number];
  if (rows !== testRows || cols !== testCols) {
    throw new DataError(names.testImages, `image size ${testRows}x${testCols} differs from the training images' ${rows}x${cols}`);
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
