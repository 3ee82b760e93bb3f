// Node: a config's data as one Dataset. The IDX kinds load four files (in parallel, bounded by
// p-limit; split.ts validates them as a set); csv, npy and images load the user's files
// (own-data.ts). Then, on the training rows only: a fraction of them held out for validation
// (holdout.ts), and f32 features standardized (standardize.ts). The returned arrays are
// temporary: the engine copies them once into the shared arena.
import pLimit from "p-limit";
import type { Config } from "../config/schema.js";
import { OWN_DATA_KINDS } from "../config/schema.js";
import { classNames } from "./class-names.js";
import { DataError } from "./errors.js";
import { holdout } from "./holdout.js";
import { readIdx } from "./idx.js";
import { loadOwnData, STREAM_AUTO_BYTES } from "./own-data.js";
import { resolvePaths, type DatasetName, type IdxPaths } from "./sources.js";
import { datasetFromIdx, inputWidth, type Dataset } from "./split.js";
import { applyStandardization, fitStandardization, fitStandardizationChunks, type Standardization } from "./standardize.js";
import { memoryRowSource, type RowSource } from "./row-source.js";

/** A source's rows in order, a chunk at a time. */
function* sourceChunks(source: RowSource): Generator<Float32Array> {
  const CHUNK = 4096;
  for (let i = 0; i < source.count; i += CHUNK) {
    const rows = Uint32Array.from({ length: Math.min(CHUNK, source.count - i) }, (_, k) => i + k);
    const out = new Float32Array(rows.length * source.width);
    source.read(rows, out);
    yield out;
  }
}

export { N_CLASSES, type Dataset, type Split } from "./split.js";

/** At most this many files are read and gunzipped at once (each holds up to ~47 MB). */
const FILE_LOAD_CONCURRENCY = 2;

export interface LoadDataOptions {
  /** f32 features: apply these statistics (a model file's) instead of fitting them on the training rows */
  standardize?: Standardization | null;
}

/** config.data as a Dataset: its splits, classes and input shape, held out and standardized as it says. */
export async function loadData(data: Config["data"], seed: number, options: LoadDataOptions = {}): Promise<Dataset> {
  const own = (OWN_DATA_KINDS as readonly string[]).includes(data.dataset);
  if (!own && typeof data.validation === "string") {
    throw new DataError("data.validation", `expected a fraction of the training rows (data.dataset ${data.dataset} has no validation files), found ${JSON.stringify(data.validation)}`);
  }
  const loaded = own ? await loadOwnData(data) : await loadDataset(data.dataset as DatasetName, data.dir);
  let dataset = loaded;
  const width = inputWidth(loaded.inputShape);
  const tooBig = data.stream === "auto" && loaded.train.inputs.byteLength > STREAM_AUTO_BYTES;
  if ((data.stream === true || tooBig) && !loaded.train.source) {
    // Streamed from memory: the same feeding path as a file read in place. The data fit this
    // process, not necessarily the arena (WebAssembly's 4 GiB, which also holds the model).
    dataset = { ...loaded, train: { ...loaded.train, source: memoryRowSource(loaded.train.inputs, width), inputs: loaded.train.inputs.subarray(0, 0) } };
  }
  if (typeof data.validation === "number") {
    const { train, validation } = holdout(dataset.train, data.validation, loaded.nClasses, seed, width);
    dataset = { ...dataset, train, validation };
  }
  if (dataset.inputType === "f32" && data.standardize) {
    const source = dataset.train.source;
    const stats = options.standardize ?? (source ? fitStandardizationChunks(() => sourceChunks(source), width) : fitStandardization(dataset.train.inputs as Float32Array, width));
    if (stats.mean.length !== width) throw new DataError("data", `the model was standardized for ${stats.mean.length} features, the data have ${width}`);
    // A streamed split's rows are standardized as they are fed (engine/coordinator/stream-feeder.ts).
    for (const split of [dataset.train, dataset.validation, dataset.test]) if (split && !split.source) applyStandardization(split.inputs as Float32Array, stats);
    dataset = { ...dataset, standardize: stats };
  }
  return dataset;
}

export async function loadDataset(dataset: DatasetName, dir?: string): Promise<Dataset> {
  const paths = await resolvePaths(dataset, dir);
  const loaded = await loadIdxSet(dataset, paths);
  return { ...loaded, classNames: classNames(dataset, loaded.nClasses) };
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
