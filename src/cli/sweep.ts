// dptrain sweep -c SWEEP.yaml [--parallel N] [--out DIR]          trials on this machine
// dptrain sweep -c SWEEP.yaml --queue redis://HOST:PORT [--out DIR] trials on agents anywhere
// Either way the sweep directory ends with one directory per trial, summary.json and report.html.
import type { Command } from "commander";
import { loadSweep, type LoadedSweep } from "../config/sweep.js";
import { connectRedis } from "../queue/connect.js";
import { givenQueueUrl, QUEUE_ENV } from "../queue/url.js";
import { UsageError } from "../errors.js";
import { writeSweepReport } from "../sweep/sweep-report.js";
import { defaultRunDir } from "../run/run-dir.js";
import { runLocalSweep } from "../sweep/local-sweep.js";
import type { TrialOutcome } from "../sweep/outcome.js";
import { defaultQueuedSweepDir, runQueuedSweep } from "../sweep/queued-sweep.js";
import { bestLine, formatTable, writeSummary } from "../sweep/summary.js";
import { EXIT, reportError } from "./exit.js";
import { intOption } from "./options.js";

interface SweepFlags {
  config: string;
  parallel?: number;
  out?: string;
  queue?: string | boolean;
  queueFile?: string;
  retryFailed: boolean;
  force: boolean;
}

export function registerSweep(program: Command): void {
  program
    .command("sweep")
    .description("run a sweep of experiments (grid or random search) and summarise them")
    .requiredOption("-c, --config <file>", "sweep file (YAML: base, grid or space, parallel, metric, stop)")
    .option("--parallel <n>", "trials side by side on this machine (default: the sweep file's parallel)", intOption("--parallel"))
    .option("--queue [url]", "put the trials in a Redis queue for `dptrain agent`s to run (redis://[:PASSWORD@]HOST:PORT[/DB]; without a URL: --queue-file, else $DPTRAIN_QUEUE)")
    .option("--queue-file <file>", "queue the trials on the Redis whose URL is this file's first line (keeps a password out of `ps`)")
    .option("--out <dir>", "sweep directory (default: runs/<sweep name>/<yyyymmdd-hhmmss>; with --queue runs/<sweep name>/<sweep hash>)")
    .option("--retry-failed", "with --queue: queue the trials that failed again", false)
    .option("--force", "overwrite run directories that already hold runs", false)
    .action(async (flags: SweepFlags, cmd: Command) => {
      const verbose = cmd.optsWithGlobals<{ verbose: boolean }>().verbose;
      try {
        const queued = flags.queue !== undefined || flags.queueFile !== undefined;
        if (flags.retryFailed && !queued) throw new UsageError("--retry-failed: expected --queue (a local sweep runs every trial each time)");
        process.exitCode = queued ? await queuedSweep(flags) : await localSweep(flags, verbose);
      } catch (err) {
        process.exitCode = reportError(err, verbose);
      }
    });
}

const say = (line: string) => void process.stdout.write(`${line}\n`);

async function finish(dir: string, sweep: LoadedSweep, outcomes: TrialOutcome[], extra: Record<string, unknown>): Promise<void> {
  const best = writeSummary(dir, sweep, outcomes, extra);
  await writeSweepReport(dir, sweep, outcomes, best);
  say(`\n${formatTable(outcomes, Object.keys(outcomes[0]?.values ?? {}))}`);
  say(bestLine(best, sweep.spec.metric));
  say(`report: ${dir}/report.html`);
}

async function localSweep(flags: SweepFlags, verbose: boolean): Promise<number> {
  const sweep = loadSweep(flags.config);
  const dir = flags.out ?? defaultRunDir(sweep.name);
  const { outcomes, budget, cores } = await runLocalSweep(sweep, { dir, force: flags.force, log: say, ...(flags.parallel ? { parallel: flags.parallel } : {}) });
  await finish(dir, sweep, outcomes, { parallel: budget.parallel, workersPerRun: budget.workersPerRun, cores });
  const failed = outcomes.filter((r) => r.status === "failed");
  if (failed.length > 0) return reportError(new Error(`${failed.length} of ${outcomes.length} runs failed (see above)`), verbose);
  return EXIT.ok;
}

async function queuedSweep(flags: SweepFlags): Promise<number> {
  if (flags.parallel) say("--parallel is ignored with --queue: each agent's --concurrency sets it");
  const url = givenQueueUrl(flags, `--queue: expected a URL, or one in --queue-file FILE or ${QUEUE_ENV}, found none`);
  const sweep = loadSweep(flags.config);
  const redis = await connectRedis(url, say, "dptrain-sweep");
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(EXIT.interrupted);
    say("stopping: the trials stay in the queue and the agents go on; run the same command again to collect them");
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const { outcomes, dir, sweepId, interrupted } = await runQueuedSweep(sweep, { redis, queueShown: url.shown, dir: flags.out ?? defaultQueuedSweepDir(sweep), retryFailed: flags.retryFailed, signal: stop.signal, say });
    if (interrupted) return EXIT.interrupted;
    await finish(dir, sweep, outcomes, { queue: url.shown, sweepId, agents: [...new Set(outcomes.flatMap((o) => (o.agent ? [o.agent] : [])))] });
    return EXIT.ok;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    redis.disconnect();
  }
}
