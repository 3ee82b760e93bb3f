// What one trial of a sweep came to, as its directory's trial.json records it. The local sweep and
// the queued controller both write it last, after the trial's other files, so a trial.json in a
// trial directory means "this trial is over and collected": a re-run of the sweep skips it.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { SweepRun } from "../config/sweep.js";
import type { SweepValue } from "../config/sweep-space.js";
import { writeFileAtomic } from "../io/atomic.js";
import { kernelsLabel } from "../kernels/resolve.js";
import { readMetrics } from "../report/metrics-log.js";

export const TRIAL_FILE = "trial.json";

/** finished: ran to the end; stopped: stopped early by the sweep's stop rule; failed: training failed (error says why). */
export type TrialStatus = "finished" | "stopped" | "failed";

export interface TrialOutcome {
  index: number;
  label: string;
  values: Record<string, SweepValue>;
  status: TrialStatus;
  runDir: string;
  test_acc: number | null;
  test_loss: number | null;
  /** epochs reported (a stopped trial has fewer than configured) */
  epochs: number;
  seconds: number | null;
  samples_per_s: number | null;
  /** the one-line reason of a failed trial, or of a stop ("test_acc 0.4123 < median 0.9012 after epoch 1") */
  reason: string | null;
  /** the agent that finished it (queued sweeps) */
  agent?: string;
  /** the kernel set that trained it: "native (avx512)", "wasm", … (from its config.yaml) */
  kernels?: string;
  /** why it was started again from step 0 (a stored checkpoint its agent could not use) */
  restarted?: string;
}

/** The outcome of a trial whose run directory holds its metrics.jsonl (test figures from the last epoch that has them). */
export function outcomeFromRunDir(run: SweepRun, runDir: string, { status, reason, agent, restarted }: { status: TrialStatus; reason: string | null; agent?: string | undefined; restarted?: string | undefined }): TrialOutcome {
  const history = readMetrics(join(runDir, "metrics.jsonl"));
  const evaluated = history.filter((m) => m.test_acc !== null);
  const last = evaluated[evaluated.length - 1];
  const seconds = history.reduce((t, m) => t + m.seconds, 0);
  const rows = history.reduce((t, m) => t + m.samples_per_s * m.seconds, 0);
  return {
    index: run.index, label: run.label, values: run.values, status, runDir,
    test_acc: last?.test_acc ?? null, test_loss: last?.test_loss ?? null, epochs: history.filter((m) => !("partial" in m)).length,
    seconds: history.length > 0 ? seconds : null, samples_per_s: seconds > 0 ? rows / seconds : null,
    reason, ...(agent ? { agent } : {}), ...kernelsOf(runDir), ...(restarted ? { restarted } : {}),
  };
}

/** The kernel set a run's config.yaml records (resolved when the run started), as a label. */
function kernelsOf(runDir: string): { kernels?: string } {
  try {
    const engine = (parseYaml(readFileSync(join(runDir, "config.yaml"), "utf8")) as { engine?: { kernels?: unknown; isa?: unknown } } | null)?.engine;
    if (typeof engine?.kernels !== "string") return {};
    return { kernels: kernelsLabel(engine.kernels, typeof engine.isa === "string" ? engine.isa : undefined) };
  } catch {
    return {};
  }
}

export function failedOutcome(run: SweepRun, runDir: string, reason: string, agent?: string): TrialOutcome {
  return { index: run.index, label: run.label, values: run.values, status: "failed", runDir, test_acc: null, test_loss: null, epochs: 0, seconds: null, samples_per_s: null, reason, ...(agent ? { agent } : {}) };
}

export function writeOutcome(outcome: TrialOutcome): void {
  mkdirSync(outcome.runDir, { recursive: true });
  writeFileAtomic(join(outcome.runDir, TRIAL_FILE), JSON.stringify(outcome, null, 2) + "\n");
}

/** The recorded outcome of a trial directory, or null when the trial is not over (or the file is unreadable). */
export function readOutcome(runDir: string): TrialOutcome | null {
  const path = join(runDir, TRIAL_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as TrialOutcome;
  } catch {
    return null;
  }
}
