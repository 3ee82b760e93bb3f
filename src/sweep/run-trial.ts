// Runs one trial of a sweep in its own session thread (a local sweep and an agent both use it),
// asking its stop judge after every epoch. The calling thread stays free: progress, signals and,
// for an agent, the queue's lock renewals.
import type { Config } from "../config/schema.js";
import { startSession } from "../run/session-client.js";
import type { ExperimentEvents, ExperimentSummary } from "../run/experiment.js";
import type { StopJudge } from "./stop-judge.js";

export interface TrialRequest {
  config: Config;
  runDir: string;
  /** continue from runDir's checkpoint */
  resume: boolean;
  force?: boolean;
  judge: StopJudge;
  /** more observers (the judge's answer is what stops the run) */
  events?: Omit<ExperimentEvents, "onEpoch"> & { onEpoch?(m: Parameters<NonNullable<ExperimentEvents["onEpoch"]>>[0]): void };
}

export interface RunningTrial {
  /** graceful stop: the step in progress finishes, a checkpoint is written, done resolves with stopped */
  stop(): Promise<void>;
  done: Promise<{ summary: ExperimentSummary; judged: boolean }>;
}

export function startTrial(req: TrialRequest): RunningTrial {
  const handle = startSession();
  let judged = false;
  const done = (async () => {
    try {
      const summary = await handle.session.run(
        { config: req.config, ...(req.resume ? { resumeDir: req.runDir } : { outDir: req.runDir }), force: req.force ?? false, noReport: true },
        handle.events({
          ...req.events,
          onEpoch: async (m) => {
            req.events?.onEpoch?.(m);
            if (await req.judge.afterEpoch(m)) judged = true;
            return !judged;
          },
        }),
      );
      // The trainer ignores a stop after the last epoch: that trial finished.
      return { summary, judged: judged && summary.stopped };
    } finally {
      await handle.close();
    }
  })();
  return { done, stop: async () => void (await handle.session.stop()) };
}
