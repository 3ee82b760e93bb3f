// Page threads: the coordinator (session worker) and each step worker.
// The messages between a page's step pool (web-pool.ts) and its step workers (step.worker.ts):
// WorkerInit once, then tasks by id. Like piscina's, a task's failure comes back as its message.
import type { StepTask, TaskResult, WorkerInit } from "../engine/common/protocol.js";

export type ToStepWorker =
  | { type: "init"; init: WorkerInit }
  | { type: "task"; id: number; task: StepTask };

export type FromStepWorker =
  | { id: number; result: TaskResult<StepTask> }
  | { id: number; error: string };
