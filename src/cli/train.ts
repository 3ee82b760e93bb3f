// dptrain train -c FILE [--set k=v]… [--out DIR] [--resume DIR] [--force]
import type { Command } from "commander";
import { join } from "node:path";
import { loadConfig } from "../config/load.js";
import { checkResumable } from "../run/checkpoint.js";
import { startSession } from "../run/session-client.js";
import { createProgress } from "../report/progress.js";
import { RUN_FILES } from "../run/run-dir.js";
import { UsageError } from "../errors.js";
import { EXIT, reportError } from "./exit.js";
import { collect } from "./options.js";

interface TrainFlags {
  config?: string;
  set: string[];
  out?: string;
  resume?: string;
  force: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train a model from a YAML experiment config; writes a run directory")
    .option("-c, --config <file>", "experiment config (YAML); with --resume, defaults to DIR/config.yaml")
    .option("--set <key=value>", "override a config key, e.g. --set optim.lr=0.05 (repeatable)", collect, [])
    .option("--out <dir>", "run directory (default: output.dir, else runs/<name>/<yyyymmdd-hhmmss>)")
    .option("--resume <dir>", "continue the run in <dir> from its checkpoint.safetensors")
    .option("--force", "overwrite a run directory that already holds a run", false)
    .action(async (flags: TrainFlags, cmd: Command) => {
      process.exitCode = await trainCommand(flags, cmd.optsWithGlobals<{ verbose: boolean }>().verbose);
    });
}

async function trainCommand(flags: TrainFlags, verbose: boolean): Promise<number> {
  const configFile = flags.config ?? (flags.resume ? join(flags.resume, RUN_FILES.config) : undefined);
  if (!configFile) throw new UsageError("train: expected -c FILE (or --resume DIR), found neither");
  if (flags.resume && flags.out) throw new UsageError("train: --out and --resume both name the run directory; pass one");
  // An old checkpoint is refused for what it is before its config.yaml is read (whose keys may be old too).
  if (flags.resume) checkResumable(join(flags.resume, RUN_FILES.checkpoint));
  const { config } = loadConfig(configFile, flags.set);
  const progress = createProgress();
  const handle = startSession();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      void handle.session.snapshot().then((snap) => {
        const at = snap.lastStep ? ` (at step ${snap.lastStep.step} of ${snap.lastStep.totalSteps})` : "";
        progress.log(`${signal}: finishing the current step${at} and writing a checkpoint… (again to quit at once)`);
      });
      void handle.session.stop();
    } else {
      // Every file is written atomically (temp + rename), so quitting now corrupts nothing.
      progress.stop();
      process.stderr.write(`${signal}: quitting at once\n`);
      process.exit(EXIT.interrupted);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let runDir = flags.resume ?? "";
  let lastCheckpoint: { path: string; step: number } | null = null;
  try {
    const summary = await handle.session.run(
      { config, ...(flags.out ? { outDir: flags.out } : {}), ...(flags.resume ? { resumeDir: flags.resume } : {}), force: flags.force },
      handle.events({
        onStart: (info) => {
          runDir = info.runDir;
          const resumed = info.resumedAtStep === null ? "" : `, resuming at step ${info.resumedAtStep}`;
          progress.log(`dptrain: ${config.name} → ${info.runDir} (${info.totalSteps} steps, ${info.workers} workers, ${info.kernels} kernels${resumed})`);
        },
        onStep: (info) => progress.step(info),
        onEpoch: (m) => progress.epoch(m, config.train.epochs),
        onCheckpoint: (path, _reason, step) => {
          lastCheckpoint = { path, step };
        },
        onRetry: (step, attempt, message) => progress.log(`dptrain: step ${step}, attempt ${attempt} failed (${message}); replacing the workers and re-running the step`),
      }),
    );
    progress.stop();
    if (summary.stopped) {
      process.stdout.write(`Stopped at step ${summary.step}; checkpoint written. Resume with:\n  dptrain train --resume ${summary.runDir}\n`);
      return EXIT.interrupted;
    }
    const acc = summary.testAccuracy === null ? "" : `, test accuracy ${(summary.testAccuracy * 100).toFixed(2)}%`;
    const b = summary.best;
    if (b) {
      const why = summary.earlyStopped ? `early stop: no ${b.metric} improvement for ${config.train.earlyStop!.patience} epochs; ` : "";
      process.stdout.write(`${why}best epoch ${b.epoch} (${b.metric} ${b.value.toFixed(4)}): model.safetensors holds its weights\n`);
    }
    process.stdout.write(`Done: ${summary.step} steps${acc}. Report: ${join(summary.runDir, "report.html")}\n`);
    return EXIT.ok;
  } catch (err) {
    progress.stop();
    const code = reportError(err, verbose);
    const name = (err as Error).name;
    if (name === "NonFiniteError" || name === "StepFailedError") {
      const cp = lastCheckpoint as { path: string; step: number } | null;
      process.stderr.write(cp
        ? `dptrain: the last good checkpoint is ${cp.path} (step ${cp.step}); resume with: dptrain train --resume ${runDir}\n`
        : "dptrain: no checkpoint was written before the failure\n");
    }
    return code;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await handle.close();
  }
}
