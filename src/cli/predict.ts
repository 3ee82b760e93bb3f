// dptrain predict --model FILE (--index N… | --image FILE.png) [--invert] [--json]
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import { loadDataset } from "../data/dataset.js";
import { normalizePixel, normalizePixels, type InputNorm } from "../data/normalize.js";
import { loadModelFile } from "../run/checkpoint.js";
import { predictProbabilities } from "../model/predict.js";
import { classNames } from "../report/class-names.js";
import { UsageError } from "../errors.js";
import { collect, configForModel, intOption } from "./options.js";

interface PredictFlags {
  model: string;
  config?: string;
  set: string[];
  index: number[];
  image?: string;
  invert: boolean;
  json: boolean;
}

export function registerPredict(program: Command): void {
  program
    .command("predict")
    .description("class and probabilities for test images (by index) or a PNG file")
    .requiredOption("--model <file>", "model.safetensors (or checkpoint.safetensors)")
    .option("--index <n>", "test-set row to classify (repeatable)", (v: string, prev: number[]) => [...prev, intOption("--index", 0)(v)], [] as number[])
    .option("--image <file>", "a PNG of the model's input size (28×28 for MNIST), white digit on black")
    .option("--invert", "the PNG is dark ink on a light background", false)
    .option("-c, --config <file>", "config naming the dataset (default: the config.yaml beside the model)")
    .option("--set <key=value>", "override a config key (repeatable)", collect, [])
    .option("--json", "print JSON", false)
    .action(async (flags: PredictFlags) => {
      if ((flags.index.length > 0) === (flags.image !== undefined)) throw new UsageError("predict: expected --index N… or --image FILE.png (one of them)");
      const loaded = loadModelFile(flags.model);
      const config = configForModel(flags.model, flags.config, flags.set);
      const names = classNames(config.data.dataset, loaded.spec.nClasses);
      const C = loaded.spec.nInputs;
      let inputs: Float32Array;
      let labels: (string | null)[];
      let sources: string[];
      if (flags.image) {
        inputs = readPngInput(flags.image, C, flags.invert, loaded.normalize);
        labels = [null];
        sources = [flags.image];
      } else {
        const data = await loadDataset(config.data.dataset, config.data.dir);
        inputs = new Float32Array(flags.index.length * C);
        flags.index.forEach((row, i) => {
          if (row >= data.test.count) throw new UsageError(`--index ${row}: expected a test row < ${data.test.count}, found ${row}`);
          normalizePixels(inputs, data.test.images.subarray(row * C, (row + 1) * C), loaded.normalize, i * C);
        });
        labels = flags.index.map((row) => names[data.test.labels[row]!]!);
        sources = flags.index.map((row) => `test[${row}]`);
      }
      const probs = predictProbabilities(loaded.spec, loaded.params, inputs, sources.length);
      const results = probs.map((p, i) => {
        const best = p.indexOf(Math.max(...p));
        return { input: sources[i]!, label: labels[i], predicted: names[best]!, probability: p[best]!, probabilities: Object.fromEntries(p.map((x, k) => [names[k]!, x])) };
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(flags.image ? results[0] : results)}\n`);
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
