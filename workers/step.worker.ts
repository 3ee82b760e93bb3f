// piscina step worker: receives the shared memory + layout once (workerData), instantiates the
// selected kernel set against it, and runs the step loop and EVAL tasks.
import { workerData } from "node:worker_threads";
import { barrierViews } from "../src/engine/common/barrier.js";
import { runStepLoop } from "../src/engine/worker/worker-loop.js";
import { makeStepHandlers } from "../src/engine/worker/step-handlers.js";
import { createKernelsFor } from "../src/engine/worker/kernels-for.js";
import type { StepTask, WorkerInit } from "../src/engine/common/protocol.js";

const init = workerData as WorkerInit;

async function start() {
  const handlers = makeStepHandlers(await createKernelsFor(init), init);
  const views = barrierViews(init.memory, init.layout);
  return (task: StepTask) => (task.kind === "eval" ? handlers.eval(task) : runStepLoop(handlers, views, task));
}

export default start();
