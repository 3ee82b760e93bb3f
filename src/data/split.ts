// A dataset in memory, as the engine copies it into the arena: each split's inputs (u8 pixels or
// f32 features, one row per sample) and u8 class ids. Host-neutral: Node reads the files
// (dataset.ts and the loaders beside it), a web page fetches MNIST's IDX files.
import { DataError } from "./errors.js";
import type { IdxFile } from "./idx-format.js";
import type { RowSource } from "./row-source.js";
import type { Standardization } from "./standardize.js";

export interface Split {
  /** (count, inputWidth) row-major: u8 pixels in (C, H, W) order, or f32 features (Dataset.inputType); empty where `source` streams them */
  inputs: Uint8Array | Float32Array;
  /** a streamed training split (data.stream): where its inputs are read from, a batch at a time */
  source?: RowSource;
  /** (count) u8 class ids < nClasses */
  labels: Uint8Array;
  count: number;
}

export type InputType = "u8" | "f32";

export interface Dataset {
  name: string;
  /** one sample's shape: (C, H, W) for images (pixels stored channel by channel, PyTorch's order), (F) for features */
  inputShape: number[];
  /** u8: pixels, normalized as they are gathered (data.normalize); f32: features, copied as they are (standardized at load) */
  inputType: InputType;
  nClasses: number;
  /** class names in class-id order (a CSV's label values, an image folder's class folders, else "0", "1", …) */
  classNames: string[];
  train: Split;
  /** rows evaluated after every epoch (data.validation), or null */
  validation: Split | null;
  /** rows evaluated every eval.every epochs and after the last, or null */
  test: Split | null;
  /** f32 features: the per-feature standardization applied to every split, computed on the training rows */
  standardize: Standardization | null;
}

/** Values per sample: the product of the input shape. */
export const inputWidth = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** MNIST, Fashion-MNIST and other IDX sets have ten classes. */
export const N_CLASSES = 10;
/** Data that cannot fit the arena (a 4 GiB WebAssembly memory) are refused while they load. */
export const MAX_DATA_BYTES = 2 ** 32;
/** Class ids are stored as u8. */
export const MAX_CLASSES = 256;

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
  return {
    name, inputShape: [1, rows, cols], inputType: "u8", nClasses: N_CLASSES, classNames: plainClassNames(N_CLASSES),
    train, validation: null, test, standardize: null,
  };
}

/** "0", "1", … */
export function plainClassNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

function toSplit(images: IdxFile, labels: IdxFile, imagesFile: string, labelsFile: string): Split {
  const count = images.dims[0]!;
  if (labels.dims[0] !== count) {
    throw new DataError(labelsFile, `label count ${labels.dims[0]} does not match image count ${count} in ${imagesFile}`);
  }
  checkLabels(labels.data, N_CLASSES, labelsFile);
  return { inputs: images.data, labels: labels.data, count };
}

/** Every label < nClasses, else a DataError naming the first that is not. */
export function checkLabels(labels: ArrayLike<number>, nClasses: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= nClasses) {
      throw new DataError(file, `label ${labels[i]} at index ${i} is out of range: expected 0..${nClasses - 1}`);
    }
  }
}
