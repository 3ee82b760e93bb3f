// An agent: a BullMQ worker that takes trials of any queued sweep and trains each in its own
// session thread. Per epoch it reports progress and stores the checkpoint in Redis, so that if
// this machine dies, BullMQ's stalled-job check hands the trial to another agent, which resumes
// it from that checkpoint: runs are bitwise deterministic, so the final weights are the ones an
// undisturbed run would have had. A graceful stop (stop()) lets running trials reach a
// checkpoint and puts them back in the queue.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config/schema.js";
import { decodeSafetensors } from "../io/safetensors.js";
import { checkResumable } from "../run/checkpoint.js";
import { resolvedConfig } from "../run/machine.js";
import { kernelsLabel } from "../kernels/resolve.js";
import { RUN_FILES } from "../run/run-dir.js";
import { parseMetrics, readMetrics } from "../report/metrics-log.js";
import { KEY_PREFIX, QUEUE_NAME, safeDirName, TRIAL_PROTOCOL, type TrialJobData, type TrialProgress, type TrialReturn } from "../queue/protocol.js";
import { parseConfigObject } from "../config/load.js";
import { finishedCurves, loadState, saveResult, saveState, storedReturn } from "../queue/trial-store.js";
import { metricOf } from "./median-stop.js";
import { startTrial, type RunningTrial } from "./run-trial.js";
import { curveOf, stopJudge } from "./stop-judge.js";

/** Errors that a retry elsewhere would only repeat: the trial fails for good with its one line. */
const DETERMINISTIC = new Set(["ConfigError", "DataError", "CheckpointError", "SafetensorsError", "RunDirError", "NonFiniteError"]);

export interface AgentOptions {
  redis: Redis;
  /** trials side by side on this machine */
  concurrency: number;
  /** step workers per trial (default: the cores split between the trials) */
  workers?: number;
  /** how long a trial's lock lives without renewal: a dead agent's trial goes back to the queue after about this */
  lockMs: number;
  say(line: string): void;
}

export interface Agent {
  name: string;
  /** graceful: running trials checkpoint and go back to the queue; resolves when all have */
  stop(): Promise<void>;
}

export function startAgent(o: AgentOptions): Agent {
  const name = `${hostname()}:${process.pid}`;
  const workers = o.workers ?? Math.max(1, Math.floor(availableParallelism() / o.concurrency));
  const running = new Map<string, RunningTrial>();
  let stopping = false;

  async function processTrial(job: Job<TrialJobData, TrialReturn>, token?: string): Promise<TrialReturn> {
    const d = job.data;
    // Nothing from the payload is trusted: it is printed as JSON, checked against the protocol
    // and the config schema, and never joined into a path.
    const tag = `${JSON.stringify(String(d.sweepName)).slice(1, -1)}/${JSON.stringify(String(d.label)).slice(1, -1)}`;
    if (d.protocol !== TRIAL_PROTOCOL || !Number.isInteger(d.index) || d.index < 0) {
      const line = `job ${job.id}: expected a trial job of protocol ${TRIAL_PROTOCOL}, found protocol ${JSON.stringify(d.protocol ?? null)}, index ${JSON.stringify(d.index ?? null)} (queued by another dptrain version?)`;
      o.say(`failed ${tag}: ${line}`);
      throw new UnrecoverableError(line);
    }
    const already = await storedReturn(o.redis, d.sweepId, d.index);
    if (already) {
      o.say(`already done ${tag} (by ${already.agent}; that agent lost the job's lock before completing it): not run again`);
      return already;
    }
    const workDir = mkdtempSync(join(tmpdir(), "dptrain-agent-"));
    const runDir = join(workDir, `${d.index}-${safeDirName(String(d.label))}`);
    try {
      mkdirSync(runDir);
      // The same schema a config file meets (extends: and unknown keys refused).
      const checked = parseConfigObject(d.config, `job ${job.id} config`);
      const { dir: _dir, ...output } = checked.output;
      const config = { ...checked, engine: { ...checked.engine, workers }, output: { ...output, checkpointEvery: 1 } };
      let saved = await loadState(o.redis, d.sweepId, d.index);
      // A checkpoint this agent cannot continue (another kernel set or ISA wrote it, or it is
      // corrupt): runs are deterministic, so starting again from step 0 here is always right.
      const restarted = saved ? unusableState(saved, config) : null;
      if (restarted) {
        o.say(`restart ${tag} from step 0: ${restarted}`);
        saved = null;
      }
      if (saved) {
        writeFileSync(join(runDir, RUN_FILES.checkpoint), saved.checkpoint);
        writeFileSync(join(runDir, RUN_FILES.metrics), saved.metrics);
      }
      const judge = stopJudge(d.stop, d.stopMetric, () => finishedCurves(o.redis, d.sweepId), saved ? curveOf(readMetrics(join(runDir, RUN_FILES.metrics)), d.stopMetric) : []);
      const progress = (epoch: number, epochs: number, value: number | null, resumedAtStep?: number) =>
        job.updateProgress({ agent: name, epoch, epochs, stopMetric: d.stopMetric, value, ...(resumedAtStep === undefined ? {} : { resumedAtStep }) } satisfies TrialProgress);
      const trial = startTrial({
        config, runDir, resume: saved !== null, judge,
        events: {
          onStart: (info) => {
            o.say(info.resumedAtStep === null ? `start ${tag} (${info.kernels}, ${info.workers} workers)` : `resume ${tag} at step ${info.resumedAtStep} (${info.kernels}, ${info.workers} workers)`);
            void progress(judge.curve.length, config.train.epochs, judge.curve[judge.curve.length - 1] ?? null, info.resumedAtStep ?? undefined);
          },
          onEpoch: (m) => {
            o.say(`epoch ${m.epoch} ${tag} ${d.stopMetric} ${metricOf(m, d.stopMetric)?.toFixed(4) ?? "–"}`);
            void progress(m.epoch, config.train.epochs, metricOf(m, d.stopMetric));
          },
          // Awaited by the trainer: the next epoch starts once the checkpoint is in Redis.
          onCheckpoint: async (path, reason, step) => {
            if (reason === "end") return;
            const metricsFile = join(runDir, RUN_FILES.metrics);
            const metrics = existsSync(metricsFile) ? readFileSync(metricsFile, "utf8") : "";
            await saveState(o.redis, d.sweepId, d.index, { checkpoint: readFileSync(path), metrics });
            o.say(`checkpoint ${tag} step ${step}`);
          },
        },
      });
      running.set(job.id!, trial);
      if (stopping) void trial.stop();
      const { summary, judged } = await trial.done.finally(() => running.delete(job.id!));
      if (summary.stopped && !judged) {
        // Stopped by this agent's shutdown: the "stop" checkpoint is in Redis; hand the trial back.
        await job.moveToWait(token);
        o.say(`handed back ${tag} at step ${summary.step}`);
        throw new WaitingError();
      }
      const returned: TrialReturn = { status: judged ? "stopped" : "finished", agent: name, reason: judged ? judge.reason : null, ...(restarted ? { restarted } : {}) };
      const files = {
        model: readFileSync(join(runDir, RUN_FILES.model)),
        metrics: readFileSync(join(runDir, RUN_FILES.metrics), "utf8"),
        config: readFileSync(join(runDir, RUN_FILES.config), "utf8"),
      };
      await saveResult(o.redis, d.sweepId, d.index, { files, returned, curve: judged ? null : judge.curve });
      o.say(judged ? `stopped ${tag}: ${judge.reason}` : `done ${tag} test_acc ${summary.testAccuracy?.toFixed(4) ?? "–"}`);
      return returned;
    } catch (err) {
      if (err instanceof WaitingError) throw err;
      const e = err as Error;
      const line = e.message.split("\n")[0]!;
      o.say(`failed ${tag}: ${line}`);
      throw DETERMINISTIC.has(e.name) ? new UnrecoverableError(line) : new Error(line);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }

  const worker = new Worker<TrialJobData, TrialReturn>(QUEUE_NAME, processTrial, {
    connection: o.redis, prefix: KEY_PREFIX, concurrency: o.concurrency,
    lockDuration: o.lockMs, stalledInterval: o.lockMs, maxStalledCount: 5,
  });
  // Connection trouble is said by the connection itself (queue/connect.ts), once per outage.
  worker.on("error", () => {});
  o.say(`agent ${name}: waiting for trials (${o.concurrency} at a time × ${workers} workers)`);
  return {
    name,
    async stop() {
      stopping = true;
      const closing = worker.close();
      await Promise.all([...running.values()].map((t) => t.stop()));
      await closing;
    },
  };
}

/**
 * Why this agent cannot continue from a stored state, or null where it can: the checkpoint must
 * decode, be one this engine resumes, and have been written by the kernel set and instruction
 * set this machine runs for the trial's config (they round differently); its metrics must parse.
 */
function unusableState(saved: { checkpoint: Uint8Array; metrics: string }, config: Config): string | null {
  try {
    const file = decodeSafetensors(saved.checkpoint, "the stored checkpoint");
    checkResumable("the stored checkpoint", file);
    const here = resolvedConfig(config).config.engine;
    const [kernels, isa] = [file.metadata.kernels, file.metadata.isa];
    if (kernels !== here.kernels || isa !== here.isa) {
      return `its checkpoint was written by ${kernelsLabel(kernels, isa)} kernels and this agent runs ${kernelsLabel(here.kernels, here.isa)}`;
    }
    parseMetrics(saved.metrics);
    return null;
  } catch (err) {
    return `its checkpoint cannot be used (${(err as Error).message.split("\n")[0]})`;
  }
}
