// A sweep on this machine: trials side by side, each in its own session thread, bounded by
// p-limit; the cores are split between them so the total number of step workers stays within
// the machine. Early stopping compares with the trials finished so far in this process.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import pLimit from "p-limit";
import type { LoadedSweep } from "../config/sweep.js";
import { resolveKernels } from "../kernels/resolve.js";
import { claimRunDir } from "../run/run-dir.js";
import type { Curve } from "../config/sweep.js";
import { failedOutcome, outcomeFromRunDir, writeOutcome, type TrialOutcome } from "./outcome.js";
import { startTrial } from "./run-trial.js";
import { stopJudge, stopMetricOf } from "./stop-judge.js";
import { formatMetric } from "./summary.js";

export interface SweepBudget {
  parallel: number;
  workersPerRun: number;
}

/** Splits the cores: at most `cores` workers in all, at least one per experiment. */
export function sweepBudget(requested: number, runs: number, cores: number): SweepBudget {
  const parallel = Math.max(1, Math.min(requested, runs, cores));
  return { parallel, workersPerRun: Math.max(1, Math.floor(cores / parallel)) };
}

export interface LocalSweepOptions {
  dir: string;
  parallel?: number;
  force: boolean;
  log(line: string): void;
}

export async function runLocalSweep(sweep: LoadedSweep, o: LocalSweepOptions): Promise<{ outcomes: TrialOutcome[]; budget: SweepBudget; cores: number }> {
  const cores = availableParallelism();
  const budget = sweepBudget(o.parallel ?? sweep.spec.parallel, sweep.runs.length, cores);
  // Check every run directory before the first trial starts.
  sweep.runs.forEach((run) => claimRunDir(join(o.dir, run.label), o.force));
  mkdirSync(o.dir, { recursive: true });
  o.log(`sweep ${sweep.name}: ${sweep.runs.length} runs, ${budget.parallel} side by side × ${budget.workersPerRun} workers (${cores} cores) → ${o.dir}`);
  // Resolved once here, before the sessions start: a fallback to wasm is said once, not per run.
  for (const run of sweep.runs) resolveKernels(run.config.engine.kernels, run.config.engine.isa);
  const finished: Curve[] = [];
  const limit = pLimit(budget.parallel);
  const outcomes = await Promise.all(
    sweep.runs.map((run) =>
      limit(async (): Promise<TrialOutcome> => {
        const config = { ...run.config, engine: { ...run.config.engine, workers: budget.workersPerRun } };
        const runDir = join(o.dir, run.label);
        const judge = stopJudge(sweep.spec.stop, stopMetricOf(sweep), async () => finished);
        let outcome: TrialOutcome;
        try {
          const { judged } = await startTrial({ config, runDir, resume: false, force: o.force, judge }).done;
          if (!judged) finished.push(judge.curve);
          outcome = outcomeFromRunDir(run, runDir, { status: judged ? "stopped" : "finished", reason: judged ? judge.reason : null });
          o.log(judged ? `  stopped ${run.label}: ${judge.reason}` : `  done ${run.label}: test acc ${formatMetric(outcome.test_acc, "test_acc")}`);
        } catch (err) {
          const reason = (err as Error).message.split("\n")[0]!;
          o.log(`  failed ${run.label}: ${reason}`);
          outcome = failedOutcome(run, runDir, reason);
        }
        writeOutcome(outcome);
        return outcome;
      }),
    ),
  );
  return { outcomes, budget, cores };
}
