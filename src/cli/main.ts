#!/usr/bin/env node
// dptrain CLI: one file per command (train, eval, predict, sweep, agent, bench, export, serve).
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import { EXIT, reportError } from "./exit.js";
import { registerTrain } from "./train.js";
import { registerEval } from "./eval.js";
import { registerPredict } from "./predict.js";
import { registerSweep } from "./sweep.js";
import { registerBench } from "./bench.js";
import { registerAgent } from "./agent.js";
import { registerExport } from "./export.js";
import { registerServe } from "./serve.js";

const { version } = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string };

const program = new Command("dptrain")
  .description("Data-parallel training of small neural networks on all cores of one machine")
  .version(version)
  .option("--verbose", "print stack traces with errors", false)
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, "dptrain: ")) });

for (const register of [registerTrain, registerEval, registerPredict, registerSweep, registerAgent, registerBench, registerExport, registerServe]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end with exit 0; usage errors were already printed on one line.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  } else {
    process.exitCode = reportError(err, program.opts<{ verbose: boolean }>().verbose);
  }
}
