// piscina step worker: receives the shared memory + layout once (workerData), instantiates the
// selected kernel set against it, and runs the step loop and EVAL tasks. (A web page's step
// worker, src/web/step.worker.ts, is the same with Web Worker messages and no native set.)
import { workerData } from "node:worker_threads";
import { barrierViews } from "../src/engine/common/barrier.js";
import { runStepLoop } from "../src/engine/worker/worker-loop.js";
import { makeStepHandlers } from "../src/engine/worker/step-handlers.js";
import { createKernelsFor, type KernelLoaders } from "../src/engine/worker/kernels-for.js";
import { loadWasmKernels } from "../src/kernels/wasm/loader.js";
import { loadNativeKernels } from "../src/kernels/native/native-kernels.js";
import type { StepTask, WorkerInit } from "../src/engine/common/protocol.js";

const init = workerData as WorkerInit;
const loaders: KernelLoaders = { wasm: loadWasmKernels, native: loadNativeKernels };

async function start() {
  const handlers = makeStepHandlers(await createKernelsFor(init, loaders), init);
  const views = barrierViews(init.memory, init.layout);
  return (task: StepTask) => (task.kind === "eval" ? handlers.eval(task) : runStepLoop(handlers, views, task));
}

export default start();
