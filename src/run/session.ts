// A training session that lives in its own thread (workers/session.worker.ts) and is driven
// over comlink by the CLI: run(), stop() (graceful, at a step boundary), snapshot(); progress
// flows back through Comlink.proxy callbacks. The CLI thread stays free for the progress bar
// and signal handling.
import { runExperiment, type ExperimentEvents, type ExperimentRequest, type ExperimentSummary } from "./experiment.js";
import type { StepInfo } from "../report/metrics.js";
import { stepEventGate } from "./step-events.js";


export interface SessionSnapshot {
  running: boolean;
  stopRequested: boolean;
  lastStep: StepInfo | null;
}

export class TrainingSession {
  private controller: AbortController | null = null;
  private lastStep: StepInfo | null = null;

  async run(request: ExperimentRequest, events: ExperimentEvents): Promise<ExperimentSummary> {
    if (this.controller) throw new Error("a training run is already in progress in this session");
    this.controller = new AbortController();
    const forward = stepEventGate();
    try {
      return await runExperiment(request, {
        onStart: (info) => void events.onStart?.(info),
        onStep: (info) => {
          this.lastStep = info;
          if (forward(info)) void events.onStep?.(info);
        },
        // awaited across the thread boundary: the caller may answer false (stop before the next epoch)
        onEpoch: (m) => events.onEpoch?.(m),
        onCheckpoint: (path, reason, step) => events.onCheckpoint?.(path, reason, step),
        onRetry: (step, attempt, message) => void events.onRetry?.(step, attempt, message),
      }, this.controller.signal);
    } finally {
      this.controller = null;
    }
  }

  /** Graceful stop: the current step finishes, a checkpoint is written, run() resolves with stopped. */
  stop(): boolean {
    if (!this.controller) return false;
    this.controller.abort();
    return true;
  }

  snapshot(): SessionSnapshot {
    return { running: this.controller !== null, stopRequested: this.controller?.signal.aborted ?? false, lastStep: this.lastStep };
  }
}
