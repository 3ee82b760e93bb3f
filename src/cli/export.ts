// dptrain export RUN_DIR|model.safetensors [-o model.onnx] [--probs] [--opset N]
import type { Command } from "commander";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { loadModelFile } from "../run/checkpoint.js";
import { DEFAULT_OPSET, exportOnnx, INPUT_NAME, LOGITS_NAME, MIN_OPSET, PROBS_NAME } from "../export/onnx.js";
import { writeFileAtomic } from "../io/atomic.js";
import { packageRoot } from "../paths.js";
import { classNames } from "../data/class-names.js";
import { UsageError } from "../errors.js";
import { configForModel, intOption } from "./options.js";

interface ExportFlags {
  output?: string;
  probs: boolean;
  opset: number;
}

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("write a trained model as ONNX (raw pixels in, logits out), for ONNX Runtime anywhere")
    .argument("<model>", "a run directory, or a model.safetensors (or checkpoint.safetensors)")
    .option("-o, --output <file>", "the ONNX file (default: model.onnx beside the model)")
    .option("--probs", "add a softmax output beside the logits", false)
    .option("--opset <n>", `ONNX opset, ${MIN_OPSET}–${DEFAULT_OPSET}`, intOption("--opset", MIN_OPSET), DEFAULT_OPSET)
    .action((target: string, flags: ExportFlags) => {
      const modelFile = isDirectory(target) ? join(target, "model.safetensors") : target;
      const output = flags.output ?? join(dirname(modelFile), `${basename(modelFile).replace(/\.safetensors$/, "")}.onnx`);
      const folder = dirname(resolve(output));
      if (!isDirectory(folder)) throw new UsageError(`-o ${output}: expected an existing folder, found no folder ${folder}`);
      if (isDirectory(output)) throw new UsageError(`-o ${output}: expected a file path, found a folder`);
      const loaded = loadModelFile(modelFile);
      // The run's config names the dataset (for class names); its text goes into the metadata as written.
      const config = configForModel(modelFile, undefined, []);
      const configFile = join(dirname(modelFile), "config.yaml");
      const { version } = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string };
      const bytes = exportOnnx(loaded, {
        opset: flags.opset,
        probs: flags.probs,
        classNames: loaded.classNames ?? classNames(config.data.dataset, loaded.spec.nClasses),
        version,
        ...(existsSync(configFile) ? { config: readFileSync(configFile, "utf8") } : {}),
      });
      writeFileAtomic(output, bytes);
      const K = loaded.spec.nClasses;
      const outs = flags.probs ? `${LOGITS_NAME}, ${PROBS_NAME} [batch, ${K}]` : `${LOGITS_NAME} [batch, ${K}]`;
      const range = loaded.inputType === "f32" ? "features" : "0–255";
      process.stdout.write(`wrote ${output}: opset ${flags.opset}, ${INPUT_NAME} [batch, ${loaded.spec.nInputs}] (${range}) → ${outs}, ${(bytes.length / 1e6).toFixed(2)} MB\n`);
    });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
