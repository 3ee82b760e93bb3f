// dptrain eval --model FILE [-c FILE] [--set k=v]… [--json]
import type { Command } from "commander";
import { evaluate } from "../run/evaluate.js";
import { loadModelFile } from "../run/checkpoint.js";
import { classNames } from "../data/class-names.js";
import { collect, configForModel } from "./options.js";

interface EvalFlags {
  model: string;
  config?: string;
  set: string[];
  json: boolean;
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("test loss, accuracy and confusion matrix of a saved model")
    .requiredOption("--model <file>", "model.safetensors (or checkpoint.safetensors)")
    .option("-c, --config <file>", "config naming the data and engine (default: the config.yaml beside the model, else defaults)")
    .option("--set <key=value>", "override a config key (repeatable)", collect, [])
    .option("--json", "print one JSON object { test_loss, test_acc, confusion }", false)
    .action(async (flags: EvalFlags) => {
      const loaded = loadModelFile(flags.model);
      // The model file decides the architecture and the input scaling it was trained with.
      const base = configForModel(flags.model, flags.config, flags.set);
      const config = { ...base, model: loaded.model, data: { ...base.data, normalize: loaded.normalize } };
      const stats = await evaluate(config, loaded.named, { standardize: loaded.standardize });
      if (flags.json) {
        const key = stats.split === "test" ? "test" : "val";
        process.stdout.write(`${JSON.stringify({ [`${key}_loss`]: stats.loss, [`${key}_acc`]: stats.accuracy, confusion: stats.confusion })}\n`);
        return;
      }
      const names = loaded.classNames ?? classNames(config.data.dataset, loaded.spec.nClasses);
      const width = Math.max(5, ...names.map((n) => n.length)) + 1;
      const pad = (s: string | number) => String(s).padStart(width);
      const lines = [
        `${config.data.dataset} ${stats.split === "test" ? "test set" : "validation split"}: loss ${stats.loss.toFixed(4)}, accuracy ${(stats.accuracy * 100).toFixed(2)}%`,
        "confusion matrix (rows: true, columns: predicted)",
        pad("") + names.map(pad).join(""),
        ...stats.confusion.map((row, i) => pad(names[i]!) + row.map(pad).join("")),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
