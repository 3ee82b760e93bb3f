// Starts a TrainingSession in its own thread and returns its comlink handle.
import { Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { sessionWorkerFile } from "../paths.js";
import type { TrainingSession } from "./session.js";
import type { ExperimentEvents } from "./experiment.js";

export interface SessionHandle {
  session: Comlink.Remote<TrainingSession>;
  /** wraps callbacks so they can be passed to session.run() */
  events(events: ExperimentEvents): ExperimentEvents;
  close(): Promise<void>;
}

export function startSession(): SessionHandle {
  const worker = new Worker(sessionWorkerFile);
  const session = Comlink.wrap<TrainingSession>(nodeEndpoint(worker));
  return {
    session,
    // Over comlink every property of a proxy is callable, so optional callbacks must exist:
    // fill the missing ones with no-ops before proxying.
    events: (events) => Comlink.proxy({ onStart() {}, onStep() {}, onEpoch() {}, onCheckpoint() {}, onRetry() {}, ...events }),
    async close() {
      session[Comlink.releaseProxy]();
      await worker.terminate();
    },
  };
}
