// dptrain predict --model FILE (--index N… | --image FILE… | --csv FILE | --npy FILE) [--invert] [--json]
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import { loadData } from "../data/dataset.js";
import { OWN_DATA_KINDS } from "../config/schema.js";
import { csvInputs, imageInputs, npyInputs, type PredictInputs } from "../run/predict-inputs.js";
import { normalizePixel, type InputNorm } from "../data/normalize.js";
import { modelInputFloats } from "../model/input-layout.js";
import { loadModelFile } from "../run/checkpoint.js";
import { predictProbabilities } from "../model/predict.js";
import { classNames } from "../data/class-names.js";
import { UsageError } from "../errors.js";
import { collect, configForModel, intOption } from "./options.js";

interface PredictFlags {
  model: string;
  config?: string;
  set: string[];
  index: number[];
  image: string[];
  csv?: string;
  npy?: string;
  invert: boolean;
  json: boolean;
}

export function registerPredict(program: Command): void {
  program
    .command("predict")
    .description("class and probabilities for test rows (by index), image files, a CSV of feature rows or an .npy array")
    .requiredOption("--model <file>", "model.safetensors (or checkpoint.safetensors)")
    .option("--index <n>", "test-set row to classify (repeatable)", (v: string, prev: number[]) => [...prev, intOption("--index", 0)(v)], [] as number[])
    .option("--image <file>", "an image (repeatable): MNIST models, a PNG of their input size, white digit on black; image-folder models, a PNG or JPEG, resized to their size", collect, [] as string[])
    .option("--csv <file>", "rows of features (CSV models): the training file's feature columns, with or without its label column")
    .option("--npy <file>", "an .npy array of samples (N, …) of the model's input shape and dtype")
    .option("--invert", "the PNG is dark ink on a light background", false)
    .option("-c, --config <file>", "config naming the dataset (default: the config.yaml beside the model)")
    .option("--set <key=value>", "override a config key (repeatable)", collect, [])
    .option("--json", "print JSON", false)
    .action(async (flags: PredictFlags) => {
      const given = [flags.index.length > 0, flags.image.length > 0, flags.csv !== undefined, flags.npy !== undefined].filter(Boolean).length;
      if (given !== 1) throw new UsageError("predict: expected one of --index N…, --image FILE…, --csv FILE or --npy FILE");
      const loaded = loadModelFile(flags.model);
      const config = configForModel(flags.model, flags.config, flags.set);
      const names = loaded.classNames ?? classNames(config.data.dataset, loaded.spec.nClasses);
      const own = (OWN_DATA_KINDS as readonly string[]).includes(config.data.dataset);
      const C = loaded.spec.nInputs;
      let prepared: PredictInputs;
      if (flags.csv !== undefined) prepared = await csvInputs(flags.csv, loaded, config.data);
      else if (flags.npy !== undefined) prepared = await npyInputs(flags.npy, loaded);
      else if (flags.image.length > 0 && own) prepared = await imageInputs(flags.image, loaded);
      else if (flags.image.length > 0) {
        const inputs = new Float32Array(flags.image.length * C);
        flags.image.forEach((file, i) => inputs.set(readPngInput(file, C, flags.invert, loaded.normalize), i * C));
        prepared = { inputs, sources: flags.image, labels: flags.image.map(() => null) };
      } else {
        const data = await loadData(config.data, config.seed, { standardize: loaded.standardize });
        const test = data.test;
        if (!test) throw new UsageError(`--index: the config's data have no test set (data.test)`);
        const width = test.inputs.length / test.count;
        const rows = flags.index.map((row) => {
          if (row >= test.count) throw new UsageError(`--index ${row}: expected a test row < ${test.count}, found ${row}`);
          return row;
        });
        const picked = new (test.inputs.constructor as new (n: number) => Uint8Array | Float32Array)(rows.length * width);
        rows.forEach((row, i) => picked.set(test.inputs.subarray(row * width, (row + 1) * width), i * width));
        prepared = { inputs: modelInputFloats(picked, loaded.spec, loaded.normalize), sources: rows.map((row) => `test[${row}]`), labels: rows.map((row) => names[test.labels[row]!]!) };
      }
      const { inputs, sources, labels } = prepared;
      const probs = predictProbabilities(loaded.spec, loaded.params, inputs, sources.length);
      const results = probs.map((p, i) => {
        const best = p.indexOf(Math.max(...p));
        return { input: sources[i]!, label: labels[i], predicted: names[best]!, probability: p[best]!, probabilities: Object.fromEntries(p.map((x, k) => [names[k]!, x])) };
      });
      if (flags.json) {
        // one --image of an MNIST model prints one object, as it always has
        process.stdout.write(`${JSON.stringify(flags.image.length === 1 && !own ? results[0] : results)}\n`);
        return;
      }
      for (const r of results) {
        const top = Object.entries(r.probabilities).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(", ");
        const truth = r.label === null ? "" : ` (true ${r.label})`;
        process.stdout.write(`${r.input}: ${r.predicted}${truth}  p=${r.probability.toFixed(4)}  top: ${top}\n`);
      }
    });
}

/** PNG → grayscale (0..255) → the model's input scaling, checked against the model's input size. */
function readPngInput(file: string, nInputs: number, invert: boolean, inputNorm: InputNorm): Float32Array {
  let png: PNG;
  try {
    png = PNG.sync.read(readFileSync(file));
  } catch (err) {
    throw new UsageError(`${file}: not a readable PNG (${(err as Error).message.split("\n")[0]})`);
  }
  if (png.width * png.height !== nInputs) {
    throw new UsageError(`${file}: expected a ${Math.sqrt(nInputs)}×${Math.sqrt(nInputs)} image (${nInputs} pixels), found ${png.width}×${png.height}`);
  }
  const out = new Float32Array(nInputs);
  for (let i = 0; i < nInputs; i++) {
    const [r, g, b, a] = [png.data[4 * i]!, png.data[4 * i + 1]!, png.data[4 * i + 2]!, png.data[4 * i + 3]! / 255];
    const gray = (0.299 * r + 0.587 * g + 0.114 * b) * a; // transparent pixels count as black
    out[i] = normalizePixel(invert ? 255 - gray : gray, inputNorm);
  }
  return out;
}
