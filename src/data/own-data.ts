// Node: the user's own data (data.dataset csv, npy or images) as a Dataset: its train split,
// and the test and validation splits where they are files of the same kind, with one class
// list and one input shape for all of them. A fraction for data.validation and the
// standardization of f32 features are applied afterwards (dataset.ts), on the training rows.
import { open, readFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { readCsvTable, type CsvTable } from "./csv-table.js";
import { DataError, unreadable } from "./errors.js";
import { decodeImageFolder, imageFolderRowSource, readImageFolder, scanImageFolder } from "./image-folder.js";
import { parseNpy, parseNpyHeader, type NpyArray } from "./npy.js";
import { fileRowSource, type RowSource } from "./row-source.js";
import { MAX_CLASSES, plainClassNames, type Dataset, type InputType, type Split } from "./split.js";

type DataConfig = Config["data"];
type StreamChoice = DataConfig["stream"];

/** data.stream: auto streams a training X.npy whose data exceed this (the arena, a 4 GiB WebAssembly memory, also holds the model). */
export const STREAM_AUTO_BYTES = 2 ** 31;

type SplitFiles = { train: string; test: string | undefined; validation: string | undefined };

/** The kinds' splits before the holdout and standardization (standardize: null). */
export async function loadOwnData(data: DataConfig): Promise<Dataset> {
  const files: SplitFiles = { train: data.train!, test: data.test, validation: typeof data.validation === "string" ? data.validation : undefined };
  switch (data.dataset) {
    case "csv":
      return loadCsv(data, files);
    case "npy":
      return loadNpy(files, data.stream);
    case "images":
      return loadImages(data, files);
    default:
      throw new DataError("data.dataset", `expected csv, npy or images, found ${data.dataset}`);
  }
}

// ---- csv: string labels become classes in sorted order (numeric order where all are numbers)

async function loadCsv(data: DataConfig, files: SplitFiles): Promise<Dataset> {
  const options = { header: data.header, label: data.label };
  const train = await readCsvTable(files.train, options);
  const classNames = classOrder(train.labels, files.train);
  const ids = new Map(classNames.map((name, i) => [name, i]));
  const toSplit = (t: CsvTable, file: string): Split => {
    const labels = new Uint8Array(t.rows);
    for (let i = 0; i < t.rows; i++) {
      const id = ids.get(t.labels[i]!);
      if (id === undefined) {
        throw new DataError(`${file}:${t.lines[i]}:${t.labelColumn + 1}`, `label ${JSON.stringify(t.labels[i])}: expected one of the training file's classes (${preview(classNames)})`);
      }
      labels[i] = id;
    }
    return { inputs: t.features, labels, count: t.rows };
  };
  const other = async (file: string | undefined) => (file === undefined ? null : toSplit(await readCsvTable(file, { ...options, expectColumns: train.columns }), file));
  return {
    name: "csv", inputShape: [train.columns.length - 1], inputType: "f32", nClasses: classNames.length, classNames,
    train: toSplit(train, files.train), test: await other(files.test), validation: await other(files.validation), standardize: null,
  };
}

/** The distinct labels, sorted: numerically where every one is a number, else by code point. */
export function classOrder(labels: string[], file: string): string[] {
  const distinct = [...new Set(labels)];
  if (distinct.length > MAX_CLASSES) throw new DataError(file, `${distinct.length} distinct labels: at most ${MAX_CLASSES} classes`);
  if (distinct.length < 2) throw new DataError(file, `one distinct label (${JSON.stringify(distinct[0])}): expected at least two classes`);
  const numeric = distinct.every((l) => l.trim() !== "" && Number.isFinite(Number(l)));
  return distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const preview = (names: string[]) => (names.length > 8 ? [...names.slice(0, 7), "…"] : names).map((n) => JSON.stringify(n)).join(", ");

const NPY_NOT_FOUND = "file not found (data.dataset npy reads X.npy and y.npy from the folder data.train names)";

// ---- npy: a folder of X.npy (N, …) u8 or f32 and y.npy (N) integer class ids

async function readNpyFile(file: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw unreadable(file, err, NPY_NOT_FOUND);
  }
  return parseNpy(bytes, file);
}

interface NpyPair {
  split: Split;
  inputType: InputType;
  /** one sample's shape: (N, …) without N; (N, H, W) → (1, H, W) */
  shape: number[];
  maxLabel: number;
}

/** X.npy's header and a stream of its rows, the data left on disk (read a batch at a time while training). */
async function streamNpy(file: string): Promise<{ X: Pick<NpyArray, "dtype" | "shape">; source: (width: number) => RowSource }> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch (err) {
    throw unreadable(file, err, NPY_NOT_FOUND);
  }
  try {
    const { size } = await handle.stat();
    const head = new Uint8Array(Math.min(size, NPY_HEADER_READ));
    await handle.read(head, 0, head.length, 0);
    const h = parseNpyHeader(head, file, size);
    if (!h.littleEndian) throw new DataError(file, "big-endian data: streamed rows are read as stored; save it little-endian (numpy's default)");
    const N = h.shape[0] ?? 0;
    return { X: { dtype: h.dtype, shape: h.shape }, source: (width) => fileRowSource(file, h.dataStart, N, width, h.dtype === "f4" ? "f32" : "u8") };
  } finally {
    await handle.close();
  }
}

/** An .npy header is at most 64 KiB in practice (numpy writes version 1.0, a u16 length, for every array it can). */
const NPY_HEADER_READ = 1 << 20;

async function readNpyPair(dir: string, stream: StreamChoice): Promise<NpyPair> {
  const [xFile, yFile] = [join(dir, "X.npy"), join(dir, "y.npy")];
  const streamed = stream === false ? null : await streamNpy(xFile);
  const big = streamed !== null && streamed.X.shape.reduce((a, b) => a * b, 1) * (streamed.X.dtype === "f4" ? 4 : 1) > STREAM_AUTO_BYTES;
  const X: Pick<NpyArray, "dtype" | "shape"> & { data?: NpyArray["data"] } = streamed && (stream === true || big) ? streamed.X : await readNpyFile(xFile);
  const y = await readNpyFile(yFile);
  if (X.dtype !== "u1" && X.dtype !== "f4") throw new DataError(xFile, `dtype ${X.dtype}: expected uint8 (pixels) or float32 (features)`);
  if (X.shape.length < 2) throw new DataError(xFile, `shape (${X.shape.join(", ")}): expected (N, features), (N, H, W) or (N, C, H, W)`);
  if (X.shape.length > 4) throw new DataError(xFile, `shape (${X.shape.join(", ")}): expected at most 4 dimensions (N, C, H, W)`);
  const N = X.shape[0]!;
  if (y.dtype === "f4" || y.dtype === "f8") throw new DataError(yFile, `dtype ${y.dtype}: expected an integer type for class ids`);
  if (!(y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1))) throw new DataError(yFile, `shape (${y.shape.join(", ")}): expected (N,) class ids`);
  if (y.shape[0] !== N) throw new DataError(yFile, `${y.shape[0]} labels, but X.npy has ${N} rows`);
  if (N === 0) throw new DataError(xFile, "no rows");
  const labels = new Uint8Array(N);
  let maxLabel = 0;
  for (let i = 0; i < N; i++) {
    const v = Number(y.data[i]!);
    if (v < 0 || v >= MAX_CLASSES) throw new DataError(yFile, `label ${v} at index ${i} is out of range: expected 0..${MAX_CLASSES - 1}`);
    labels[i] = v;
    maxLabel = Math.max(maxLabel, v);
  }
  const shape = X.shape.length === 3 ? [1, X.shape[1]!, X.shape[2]!] : X.shape.slice(1);
  const inputType = X.dtype === "u1" ? "u8" : "f32";
  if (X.data === undefined) {
    // Streamed: the rows stay in the file; their values are checked as far as a stream allows (finite loss, or onNonFinite).
    const source = streamed!.source(shape.reduce((a, b) => a * b, 1));
    return { split: { inputs: inputType === "f32" ? new Float32Array(0) : new Uint8Array(0), labels, count: N, source }, inputType, shape, maxLabel };
  }
  if (X.dtype === "f4") {
    const data = X.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new DataError(xFile, `value ${data[i]} at row ${Math.floor(i / (data.length / N))}: expected finite numbers`);
    }
  }
  return { split: { inputs: X.data as Uint8Array | Float32Array, labels, count: N }, inputType, shape, maxLabel };
}

async function loadNpy(files: SplitFiles, stream: StreamChoice): Promise<Dataset> {
  const train = await readNpyPair(files.train, stream);
  const other = async (dir: string | undefined) => {
    if (dir === undefined) return null;
    const pair = await readNpyPair(dir, false);
    const xFile = join(dir, "X.npy");
    if (pair.inputType !== train.inputType) throw new DataError(xFile, `${pair.inputType === "u8" ? "uint8" : "float32"}, but the training X.npy is ${train.inputType === "u8" ? "uint8" : "float32"}`);
    if (pair.shape.join() !== train.shape.join()) throw new DataError(xFile, `samples of shape (${pair.shape.join(", ")}), but the training X.npy's are (${train.shape.join(", ")})`);
    return pair;
  };
  const [test, validation] = [await other(files.test), await other(files.validation)];
  const nClasses = Math.max(train.maxLabel, test?.maxLabel ?? 0, validation?.maxLabel ?? 0) + 1;
  if (nClasses < 2) throw new DataError(join(files.train, "y.npy"), "every label is 0: expected at least two classes");
  return {
    name: "npy", inputShape: train.shape, inputType: train.inputType, nClasses, classNames: plainClassNames(nClasses),
    train: train.split, test: test?.split ?? null, validation: validation?.split ?? null, standardize: null,
  };
}

// ---- images: a folder of class folders (torchvision ImageFolder's order)

function loadImages(data: DataConfig, files: SplitFiles): Dataset {
  const scan = scanImageFolder(files.train, { size: data.size, channels: data.channels });
  if (scan.classNames.length < 2) throw new DataError(files.train, `one class folder (${scan.classNames[0]}): expected at least two classes`);
  const bytes = scan.files.length * scan.shape.reduce((a, b) => a * b, 1);
  const stream = data.stream === true || (data.stream === "auto" && bytes > STREAM_AUTO_BYTES);
  // Streamed: each batch's files are decoded as training reads them, never all at once.
  const train = stream
    ? { ...scan, inputs: new Uint8Array(0), source: imageFolderRowSource(scan) }
    : { ...decodeImageFolder(scan, files.train), source: undefined };
  const other = (dir: string | undefined): Split | null => {
    if (dir === undefined) return null;
    const d = readImageFolder(dir, { size: data.size, channels: data.channels ?? (train.shape[0] as 1 | 3), classNames: train.classNames, shape: train.shape });
    return { inputs: d.inputs, labels: d.labels, count: d.labels.length };
  };
  return {
    name: "images", inputShape: train.shape, inputType: "u8", nClasses: train.classNames.length, classNames: train.classNames,
    train: { inputs: train.inputs, labels: train.labels, count: train.labels.length, ...(train.source ? { source: train.source } : {}) },
    test: other(files.test), validation: other(files.validation), standardize: null,
  };
}
