// The controller of a sweep on many machines: it puts the sweep's trials in the BullMQ queue
// (one job per trial, with an id made from the sweep's identity, so adding again is a no-op),
// shows the agents' progress, and collects each trial that is over into the sweep directory as a
// local sweep lays it out. It holds no state of its own: a trial.json in a trial directory means
// collected, everything else is in Redis; so Ctrl-C loses nothing, and running the same command
// again picks up where it was.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Queue, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { LoadedSweep, SweepRun } from "../config/sweep.js";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { KEY_PREFIX, QUEUE_NAME, TRIAL_PROTOCOL, trialJobId, type TrialJobData, type TrialProgress, type TrialReturn } from "../queue/protocol.js";
import { dropResult, loadResult, type TrialFiles } from "../queue/trial-store.js";
import { configToYaml, parseConfigObject } from "../config/load.js";
import { decodeSafetensors } from "../io/safetensors.js";
import { parse as parseYaml } from "yaml";
import { RUN_FILES } from "../run/run-dir.js";
import { parseMetrics } from "../report/metrics-log.js";
import { failedOutcome, outcomeFromRunDir, readOutcome, writeOutcome, type TrialOutcome } from "./outcome.js";
import { stopMetricOf } from "./stop-judge.js";

const SWEEP_FILE = "sweep.json";
/** a failure that is not the trial's own (an agent's machine, not its config) is tried this often */
const ATTEMPTS = 3;

export interface QueuedSweepOptions {
  redis: Redis;
  /** the queue URL as logs show it */
  queueShown: string;
  dir?: string;
  pollMs?: number;
  /** run the trials that failed again (their failed jobs are removed and queued anew) */
  retryFailed?: boolean;
  signal: AbortSignal;
  say(line: string): void;
}

/** name-hash: the same trials (configs, labels, stop rule) give the same id, on any machine. */
export function sweepIdOf(sweep: LoadedSweep): string {
  const identity = JSON.stringify({ runs: sweep.runs.map((r) => ({ label: r.label, config: r.config })), stop: sweep.spec.stop ?? null, metric: sweep.spec.metric });
  return `${sweep.name}-${createHash("sha256").update(identity).digest("hex").slice(0, 10)}`;
}

export function defaultQueuedSweepDir(sweep: LoadedSweep): string {
  return join("runs", sweep.name, sweepIdOf(sweep).slice(sweep.name.length + 1));
}

/** Claims DIR for this sweep: new, or already this sweep's (then it continues). */
function claimSweepDir(dir: string, sweepId: string): void {
  const file = join(dir, SWEEP_FILE);
  if (existsSync(file)) {
    let found: string | undefined;
    try {
      found = (JSON.parse(readFileSync(file, "utf8")) as { sweepId?: string }).sweepId;
    } catch {
      found = undefined;
    }
    if (found !== sweepId) throw new UsageError(`${file}: holds sweep ${JSON.stringify(found ?? "?")}, expected ${sweepId} (this file's trials): pass another --out`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(file, JSON.stringify({ sweepId }, null, 2) + "\n");
}

export async function runQueuedSweep(sweep: LoadedSweep, o: QueuedSweepOptions): Promise<{ outcomes: TrialOutcome[]; dir: string; sweepId: string; interrupted: boolean }> {
  const sweepId = sweepIdOf(sweep);
  const dir = o.dir ?? defaultQueuedSweepDir(sweep);
  claimSweepDir(dir, sweepId);
  const trialDir = (run: SweepRun) => join(dir, run.label);
  const outcomes = new Map<number, TrialOutcome>();
  for (const run of sweep.runs) {
    const done = readOutcome(trialDir(run));
    if (done && done.label === run.label && !(o.retryFailed && done.status === "failed")) outcomes.set(run.index, done);
  }
  const queue = new Queue<TrialJobData, TrialReturn>(QUEUE_NAME, { connection: o.redis, prefix: KEY_PREFIX });
  queue.on("error", () => {}); // said once per outage by the connection (queue/connect.ts)
  try {
    const pending = sweep.runs.filter((r) => !outcomes.has(r.index));
    if (o.retryFailed) {
      // A failed job is kept (removeOnFail: false) under the trial's job id: it goes, so the
      // enqueue below adds a fresh one with its attempts anew.
      let retried = 0;
      for (const run of pending) {
        const job = await queue.getJob(trialJobId(sweepId, run.index));
        if (job && (await job.getState()) === "failed") {
          await job.remove();
          retried++;
        }
      }
      o.say(`--retry-failed: ${retried} failed trial${retried === 1 ? "" : "s"} queued again`);
    }
    o.say(`sweep ${sweep.name} (${sweepId}) on ${o.queueShown}: ${sweep.runs.length} trials, ${outcomes.size} already collected → ${dir}`);
    await enqueue(queue, sweep, sweepId, pending);
    const shown = new Map<number, string>();
    while (outcomes.size < sweep.runs.length && !o.signal.aborted) {
      for (const run of sweep.runs) {
        if (outcomes.has(run.index) || o.signal.aborted) continue;
        const job = await queue.getJob(trialJobId(sweepId, run.index));
        if (!job) {
          await enqueue(queue, sweep, sweepId, [run]); // removed behind our back: queue it again
          continue;
        }
        const state = await job.getState();
        const line = progressLine(run, state, job.progress as TrialProgress | number | undefined);
        if (line !== shown.get(run.index)) {
          shown.set(run.index, line);
          o.say(line);
        }
        // The job was read before its state: one that finished in between is read again, so its
        // return value and failedReason are there.
        const final = state === "completed" || state === "failed" ? ((await queue.getJob(trialJobId(sweepId, run.index))) ?? job) : job;
        const outcome = state === "completed" ? await collect(run, final, sweepId) : state === "failed" ? failedOutcome(run, trialDir(run), final.failedReason || "failed") : null;
        if (!outcome) continue;
        if (outcome.status === "failed") writeOutcome(outcome);
        outcomes.set(run.index, outcome);
        o.say(outcome.status === "failed" ? `  failed ${run.label}: ${outcome.reason}` : outcome.status === "stopped" ? `  stopped ${run.label} (${outcome.agent}): ${outcome.reason}` : `  done ${run.label} (${outcome.agent}): test acc ${outcome.test_acc === null ? "–" : `${(outcome.test_acc * 100).toFixed(2)}%`}`);
      }
      await sleep(o.pollMs ?? 500, o.signal);
    }
  } finally {
    await queue.close();
  }
  return { outcomes: [...outcomes.values()], dir, sweepId, interrupted: outcomes.size < sweep.runs.length };

  async function collect(run: SweepRun, job: Job<TrialJobData, TrialReturn>, id: string): Promise<TrialOutcome | null> {
    const files = await loadResult(o.redis, id, run.index);
    if (!files) {
      // Completed, but its files are gone (collected into a directory since deleted): run it again.
      await job.remove();
      await enqueue(queue, sweep, id, [run]);
      return null;
    }
    // What came from Redis is checked before anything is written: a corrupt result is run again.
    const checked = checkedResult(files);
    if (typeof checked === "string") {
      o.say(`  ${run.label}: its stored result is corrupt (${checked}); running it again`);
      await dropResult(o.redis, id, run.index);
      await job.remove();
      await enqueue(queue, sweep, id, [run]);
      return null;
    }
    const runDir = trialDir(run);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, RUN_FILES.config), checked.configYaml);
    writeFileSync(join(runDir, RUN_FILES.metrics), files.metrics);
    writeFileAtomic(join(runDir, RUN_FILES.model), files.model);
    const ret = job.returnvalue;
    const outcome = outcomeFromRunDir(run, runDir, ret);
    writeOutcome(outcome); // the "collected" mark, before the copy in Redis goes
    await dropResult(o.redis, id, run.index);
    return outcome;
  }
}

/**
 * A stored result's files as they may be written: its config through the config schema (so no
 * extends: or unknown key reaches a later eval) and written anew, every metrics line JSON, and a
 * model file that decodes as one. A string says what is wrong.
 */
function checkedResult(files: TrialFiles): { configYaml: string } | string {
  try {
    const config = parseConfigObject(parseYaml(files.config), "config.yaml");
    parseMetrics(files.metrics);
    const model = decodeSafetensors(files.model, "model.safetensors");
    if (model.metadata.format !== "dptrain-model") throw new Error(`model.safetensors: expected a dptrain model, found format ${JSON.stringify(model.metadata.format ?? null)}`);
    return { configYaml: configToYaml(config) };
  } catch (err) {
    return (err as Error).message.split("\n")[0]!;
  }
}

/** Adds the trials' jobs (atomically; a job id that exists already is left as it is). */
async function enqueue(queue: Queue<TrialJobData, TrialReturn>, sweep: LoadedSweep, sweepId: string, runs: SweepRun[]): Promise<void> {
  if (runs.length === 0) return;
  await queue.addBulk(runs.map((run) => ({
    name: sweep.name,
    data: { protocol: TRIAL_PROTOCOL, sweepId, sweepName: sweep.name, index: run.index, label: run.label, values: run.values, config: run.config, stop: sweep.spec.stop ?? null, stopMetric: stopMetricOf(sweep) },
    opts: { jobId: trialJobId(sweepId, run.index), attempts: ATTEMPTS, backoff: { type: "fixed", delay: 1000 }, removeOnComplete: false, removeOnFail: false },
  })));
}

function progressLine(run: SweepRun, state: string, p: TrialProgress | number | undefined): string {
  if (typeof p !== "object" || p === null || state !== "active") return `  ${run.label}: ${state}`;
  const value = p.value === null ? "–" : p.stopMetric.endsWith("_acc") ? `${(p.value * 100).toFixed(2)}%` : p.value.toFixed(4);
  return `  ${run.label}: ${p.agent} epoch ${p.epoch}/${p.epochs} ${p.stopMetric} ${value}${p.resumedAtStep !== undefined ? ` (resumed at step ${p.resumedAtStep})` : ""}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
