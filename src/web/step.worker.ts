// A page's step worker (a module Web Worker): receives the shared memory + layout once,
// instantiates the ts or wasm kernel set against it, and runs the step loop and EVAL tasks: the
// same handlers and loop as Node's piscina worker (workers/step.worker.ts).
import { barrierViews } from "../engine/common/barrier.js";
import type { StepTask } from "../engine/common/protocol.js";
import { runStepLoop } from "../engine/worker/worker-loop.js";
import { makeStepHandlers } from "../engine/worker/step-handlers.js";
import { createKernelsFor } from "../engine/worker/kernels-for.js";
import { webKernelLoaders } from "./wasm-fetch.js";
import type { FromStepWorker, ToStepWorker } from "./messages.js";

let ready: Promise<(task: StepTask) => unknown> | null = null;
const post = (m: FromStepWorker) => (globalThis as unknown as Worker).postMessage(m);

globalThis.onmessage = async (e: MessageEvent<ToStepWorker>) => {
  const m = e.data;
  if (m.type === "init") {
    const { init } = m;
    ready = createKernelsFor(init, webKernelLoaders).then((kernels) => {
      const handlers = makeStepHandlers(kernels, init);
      const views = barrierViews(init.memory, init.layout);
      return (task: StepTask) => (task.kind === "eval" ? handlers.eval(task) : runStepLoop(handlers, views, task));
    });
    return;
  }
  try {
    if (!ready) throw new Error("step worker: a task came before init");
    const run = await ready;
    post({ id: m.id, result: (await run(m.task)) as FromStepWorker extends { result: infer R } ? R : never });
  } catch (err) {
    post({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
};
