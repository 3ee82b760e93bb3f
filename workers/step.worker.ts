// piscina step worker: receives the shared memory + layout once (workerData), instantiates the
// selected kernel set against it, and handles GRAD / REDUCE / EVAL tasks and the step loop by name.
import { workerData } from "node:worker_threads";
import { makeStepHandlers } from "../src/engine/step-handlers.js";
import { createKernelsFor } from "../src/kernels/select.js";
import type { StepTask, WorkerInit } from "../src/engine/protocol.js";
import { barrierViews, runStepLoop } from "../src/engine/step-loop.js";

const init = workerData as WorkerInit;

async function start() {
  const { kernels, bind } = await createKernelsFor(init.kernels, init.memory, init.wasmPath);
  const handlers = makeStepHandlers(kernels, bind, init.memory, init.layout, init.spec, init.optim, init.inputNorm, init.faults);
  return (task: StepTask) => {
    switch (task.kind) {
      case "grad":
        return handlers.grad(task);
      case "reduce":
        return handlers.reduce(task);
      case "eval":
        return handlers.eval(task);
      case "loop": {
        const { ctrl, results } = barrierViews(init.memory, init.layout.barrier);
        return runStepLoop(handlers, ctrl, results, task, init.layout.nParams);
      }
    }
  };
}

export default start();
