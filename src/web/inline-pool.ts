// A page's coordinator (session worker), without cross-origin isolation.
// A page that is not cross-origin isolated cannot send shared memory to a worker, so its one step
// worker runs in the coordinator's own thread: the same handlers and the same step loop as a
// step-loop thread (worker/worker-loop.ts stepLoop), awaiting where that thread would block.
// One worker only: there is nobody to meet at a barrier.
import { barrierViews, CONSUMED } from "../engine/common/barrier.js";
import type { StepPool } from "../engine/coordinator/host.js";
import type { EvalTask, LoopResult, LoopTask, StepTask, TaskResult, WorkerInit } from "../engine/common/protocol.js";
import { createKernelsFor, type KernelLoaders } from "../engine/worker/kernels-for.js";
import { makeStepHandlers, type StepHandlers } from "../engine/worker/step-handlers.js";
import { stepLoop } from "../engine/worker/worker-loop.js";

/** The coordinator gets the thread back at least this often while steps run. */
const SLICE_MS = 15;

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class InlineStepPool implements StepPool {
  private readonly handlers: Promise<StepHandlers>;
  private closed = false;

  constructor(private readonly init: WorkerInit, loaders: KernelLoaders) {
    this.handlers = createKernelsFor(init, loaders).then((k) => makeStepHandlers(k, init));
  }

  async run<T extends StepTask>(task: T): Promise<TaskResult<T>> {
    const handlers = await this.handlers;
    const result = task.kind === "eval" ? handlers.eval(task as EvalTask) : await this.loop(handlers, task as LoopTask);
    return result as TaskResult<T>;
  }

  phase<T extends StepTask>(tasks: T[]): Promise<TaskResult<T>[]> {
    return Promise.all(tasks.map((t) => this.run(t)));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  terminateThread(): undefined {
    return undefined;
  }

  /** The step loop (worker-loop.ts stepLoop), awaiting where a step-loop thread would block, and every SLICE_MS of steps. */
  private async loop(handlers: StepHandlers, task: LoopTask): Promise<LoopResult> {
    const views = barrierViews(this.init.memory, this.init.layout);
    const loop = stepLoop(handlers, views, task);
    let sliceStart = performance.now();
    for (let r = loop.next(); ; r = loop.next()) {
      if (r.done) return r.value;
      if (this.closed) throw new Error("step pool closed");
      const wait = r.value;
      if (wait === null) {
        if (performance.now() - sliceStart <= SLICE_MS) continue;
      } else if ("consumed" in wait) {
        // the ring is full until the coordinator has read it: let it run
        while (Atomics.load(views.ctrl, CONSUMED) < wait.consumed) await nextTurn();
        continue;
      }
      // waiting for a command, or a slice of steps done: let the coordinator run
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}
