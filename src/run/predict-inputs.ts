// Node: the inputs `dptrain predict` is given, as a model's f32 inputs (N, nInputs): rows of a
// CSV file, an .npy array, or image files. Each is prepared as training prepared its data:
// features standardized with the model file's statistics, pixels normalized with its
// data.normalize, images decoded, resized to the model's size and reduced to its channels.
import { readFile } from "node:fs/promises";
import type { Config } from "../config/schema.js";
import { readCsvTable } from "../data/csv-table.js";
import { DataError, unreadable } from "../data/errors.js";
import { parseNpy } from "../data/npy.js";
import { imageSample } from "../data/image-folder.js";
import { applyStandardization } from "../data/standardize.js";
import { modelInputFloats } from "../model/input-layout.js";
import type { LoadedModel } from "./checkpoint.js";

export interface PredictInputs {
  /** (N, nInputs) f32 */
  inputs: Float32Array;
  /** what to call each row in the output */
  sources: string[];
  /** each row's label where the file has one (a CSV's label column), else null */
  labels: (string | null)[];
}

/** A file's bytes, or a DataError naming it. */
async function readInput(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (err) {
    throw unreadable(file, err);
  }
}

/** f32 features (N, F) as training saw them: standardized with the model's statistics. */
function standardized(model: LoadedModel, features: Float32Array): Float32Array {
  return model.standardize ? applyStandardization(features, model.standardize) : features;
}

export async function csvInputs(file: string, model: LoadedModel, data: Config["data"]): Promise<PredictInputs> {
  if (model.inputType !== "f32") throw new DataError(file, "a CSV of features, but the model was trained on u8 pixels: pass --npy or --image");
  const F = model.spec.nInputs;
  const table = await readCsvTable(file, { header: data.header, label: data.label, features: F });
  return {
    inputs: standardized(model, table.features),
    sources: Array.from(table.lines, (line) => `${file}:${line}`),
    labels: table.labelColumn < 0 ? table.labels.map(() => null) : table.labels,
  };
}

export async function npyInputs(file: string, model: LoadedModel): Promise<PredictInputs> {
  const X = parseNpy(await readInput(file), file);
  const want = model.inputType === "u8" ? "u1" : "f4";
  if (X.dtype !== want) throw new DataError(file, `dtype ${X.dtype}: expected ${want === "u1" ? "uint8" : "float32"}, as the model was trained on`);
  const shape = model.spec.inputShape ?? [model.spec.nInputs];
  const width = model.spec.nInputs;
  const sample = X.shape.slice(1).reduce((a, b) => a * b, 1);
  // (N, …sample) with the model's sample size, or one sample of exactly the model's shape.
  const one = sample !== width && X.shape.join() === shape.join();
  if (!one && sample !== width) throw new DataError(file, `shape (${X.shape.join(", ")}): expected (N, ${shape.join(", ")}) for this model`);
  const N = one ? 1 : X.shape[0]!;
  const rows = X.data as Uint8Array | Float32Array;
  const inputs = rows instanceof Float32Array ? modelInputFloats(standardized(model, rows.slice()), model.spec, model.normalize) : modelInputFloats(rows, model.spec, model.normalize);
  return { inputs, sources: Array.from({ length: N }, (_, i) => `${file}[${i}]`), labels: new Array<null>(N).fill(null) };
}

/** PNG or JPEG files for a model trained on an image folder: (C, H, W) from its input shape. */
export async function imageInputs(files: string[], model: LoadedModel): Promise<PredictInputs> {
  const shape = model.spec.inputShape;
  if (model.inputType !== "u8" || !shape || shape.length !== 3) throw new DataError(files[0]!, "an image, but the model was not trained on images: pass --csv or --npy");
  const [C, H, W] = shape as [number, number, number];
  const width = C * H * W;
  const stored = new Uint8Array(files.length * width);
  // As an image folder's samples are made, each resized to the model's size.
  files.forEach((file, n) => imageSample(file, { shape: [C, H, W], resize: true }, stored.subarray(n * width, (n + 1) * width)));
  return { inputs: modelInputFloats(stored, model.spec, model.normalize), sources: files, labels: files.map(() => null) };
}
