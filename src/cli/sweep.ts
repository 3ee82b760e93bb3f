// dptrain sweep -c SWEEP.yaml [--parallel N] [--out DIR]
// Experiments run side by side, each in its own session thread, bounded by p-limit; the cores
// are split between them so the total number of step workers stays within the machine.
import type { Command } from "commander";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import { loadSweep } from "../config/sweep.js";
import { startSession } from "../engine/session-client.js";
import { resolveKernels } from "../kernels/resolve.js";
import { writeFileAtomic } from "../io/atomic.js";
import { defaultRunDir, claimRunDir } from "../run/run-dir.js";
import type { ExperimentSummary } from "../run/experiment.js";
import { EXIT, reportError } from "./exit.js";
import { intOption } from "./options.js";
import { mkdirSync } from "node:fs";

interface SweepFlags {
  config: string;
  parallel?: number;
  out?: string;
  force: boolean;
}

export function registerSweep(program: Command): void {
  program
    .command("sweep")
    .description("run a grid of experiments side by side and summarise them")
    .requiredOption("-c, --config <file>", "sweep file (YAML: base, grid, parallel, metric)")
    .option("--parallel <n>", "experiments side by side (default: the sweep file's parallel)", intOption("--parallel"))
    .option("--out <dir>", "sweep directory (default: runs/<sweep name>/<yyyymmdd-hhmmss>)")
    .option("--force", "overwrite run directories that already hold runs", false)
    .action(async (flags: SweepFlags, cmd: Command) => {
      process.exitCode = await sweepCommand(flags, cmd.optsWithGlobals<{ verbose: boolean }>().verbose);
    });
}

export interface SweepBudget {
  parallel: number;
  workersPerRun: number;
}

/** Splits the cores: at most `cores` workers in all, at least one per experiment. */
export function sweepBudget(requested: number, runs: number, cores: number): SweepBudget {
  const parallel = Math.max(1, Math.min(requested, runs, cores));
  return { parallel, workersPerRun: Math.max(1, Math.floor(cores / parallel)) };
}

async function sweepCommand(flags: SweepFlags, verbose: boolean): Promise<number> {
  const sweep = loadSweep(flags.config);
  const cores = availableParallelism();
  const { parallel, workersPerRun } = sweepBudget(flags.parallel ?? sweep.spec.parallel, sweep.runs.length, cores);
  const dir = flags.out ?? defaultRunDir(sweep.name);
  // Check every run directory before the first experiment starts.
  sweep.runs.forEach((run) => claimRunDir(join(dir, run.label), flags.force));
  mkdirSync(dir, { recursive: true });
  process.stdout.write(`sweep ${sweep.name}: ${sweep.runs.length} runs, ${parallel} side by side × ${workersPerRun} workers (${cores} cores) → ${dir}\n`);
  // Resolved once here, before the sessions start: a fallback to wasm is said once, not per run.
  for (const run of sweep.runs) resolveKernels(run.config.engine.kernels, run.config.engine.isa);
  const limit = pLimit(parallel);
  const results = await Promise.all(
    sweep.runs.map((run) =>
      limit(async () => {
        const config = { ...run.config, engine: { ...run.config.engine, workers: workersPerRun } };
        const handle = startSession();
        try {
          const summary = await handle.session.run({ config, outDir: join(dir, run.label), force: flags.force, noReport: true }, handle.events({}));
          const acc = summary.testAccuracy === null ? "–" : `${(summary.testAccuracy * 100).toFixed(2)}%`;
          process.stdout.write(`  done ${run.label}: test acc ${acc}\n`);
          return { run, summary, error: null as string | null };
        } catch (err) {
          process.stdout.write(`  failed ${run.label}: ${(err as Error).message.split("\n")[0]}\n`);
          return { run, summary: null as ExperimentSummary | null, error: (err as Error).message };
        } finally {
          await handle.close();
        }
      }),
    ),
  );
  const metric = sweep.spec.metric;
  const score = (s: ExperimentSummary | null) => (s === null ? null : metric === "test_acc" ? s.testAccuracy : s.testLoss);
  const ok = results.filter((r) => score(r.summary) !== null);
  const best = ok.sort((a, b) => (metric === "test_acc" ? score(b.summary)! - score(a.summary)! : score(a.summary)! - score(b.summary)!))[0];
  const keys = Object.keys(sweep.spec.grid);
  const header = ["run", ...keys, "test_acc", "test_loss", "samples/s", "seconds"];
  const rows = results.map(({ run, summary, error }) => {
    const last = summary?.history[summary.history.length - 1];
    const seconds = summary?.history.reduce((t, m) => t + m.seconds, 0);
    return [
      run.label, ...keys.map((k) => JSON.stringify(run.values[k])),
      summary?.testAccuracy === null || !summary ? (error ? "failed" : "–") : `${(summary.testAccuracy * 100).toFixed(2)}%`,
      summary?.testLoss?.toFixed(4) ?? "–", last ? last.samples_per_s.toFixed(0) : "–", seconds?.toFixed(1) ?? "–",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  process.stdout.write(`\n${line(header)}\n${rows.map(line).join("\n")}\n`);
  if (best) process.stdout.write(`best: ${best.run.label} ${metric} ${metric === "test_acc" ? `${(best.summary!.testAccuracy! * 100).toFixed(2)}%` : best.summary!.testLoss!.toFixed(4)} (${best.summary!.runDir})\n`);
  writeFileAtomic(join(dir, "summary.json"), JSON.stringify({
    name: sweep.name, metric, parallel, workersPerRun, cores,
    runs: results.map(({ run, summary, error }) => ({ label: run.label, values: run.values, runDir: summary?.runDir ?? join(dir, run.label), test_acc: summary?.testAccuracy ?? null, test_loss: summary?.testLoss ?? null, error })),
    best: best ? best.run.label : null,
  }, null, 2) + "\n");
  const failed = results.filter((r) => r.error !== null);
  if (failed.length > 0) return reportError(new Error(`${failed.length} of ${results.length} runs failed (see above)`), verbose);
  return EXIT.ok;
}
