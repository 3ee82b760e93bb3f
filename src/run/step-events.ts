// Which of a run's steps go to another thread as progress events (each is a message between
// threads): the CLI's session thread (session.ts) and the web page's session worker both filter
// their steps here. Host-neutral.
import type { StepInfo } from "../report/metrics.js";

/** Step events are forwarded at most this often, besides an epoch's last step and the run's. */
export const STEP_EVENT_INTERVAL_MS = 100;

/** A filter over one run's steps: true at most every intervalMs, and always at the end of an epoch or of the run. */
export function stepEventGate(intervalMs = STEP_EVENT_INTERVAL_MS): (info: StepInfo) => boolean {
  let lastSent = 0;
  return (info) => {
    const now = performance.now();
    if (now - lastSent < intervalMs && info.step !== info.totalSteps && info.rowsDone !== info.rowsInEpoch) return false;
    lastSent = now;
    return true;
  };
}
