// A page's coordinator (session worker), without cross-origin isolation.
// A page that is not cross-origin isolated cannot send shared memory to a worker, so its one step
// worker runs in the coordinator's own thread: the same handlers and the same per-command step
// generator as a step-loop thread (worker/worker-loop.ts runCommand), driven between the
// coordinator's awaits instead of blocking. One worker only: there is nobody to meet at a barrier.
import { barrierViews, CMD, CMD_EXIT, CONSUMED, SEQ } from "../engine/common/barrier.js";
import type { StepPool } from "../engine/coordinator/host.js";
import type { EvalTask, LoopResult, LoopTask, StepTask, TaskResult, WorkerInit } from "../engine/common/protocol.js";
import { createKernelsFor, type KernelLoaders } from "../engine/worker/kernels-for.js";
import { makeStepHandlers, type StepHandlers } from "../engine/worker/step-handlers.js";
import { runCommand } from "../engine/worker/worker-loop.js";

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

  /** runStepLoop's schedule, yielding the thread while waiting for commands and every SLICE_MS of steps. */
  private async loop(handlers: StepHandlers, task: LoopTask): Promise<LoopResult> {
    const views = barrierViews(this.init.memory, this.init.layout);
    const { ctrl } = views;
    let seq = task.seq;
    let steps = 0;
    for (;;) {
      while (Atomics.load(ctrl, SEQ) === seq) {
        if (this.closed) throw new Error("step pool closed");
        await nextTurn();
      }
      seq = Atomics.load(ctrl, SEQ);
      if (Atomics.load(ctrl, CMD) === CMD_EXIT) return { steps };
      const command = runCommand(handlers, views, task);
      let sliceStart = performance.now();
      for (let r = command.next(); ; r = command.next()) {
        if (r.done) {
          steps += r.value;
          break;
        }
        // the ring is full until the coordinator has read it: let it run
        while (r.value > 0 && Atomics.load(ctrl, CONSUMED) < r.value) await nextTurn();
        if (performance.now() - sliceStart > SLICE_MS) {
          await nextTurn();
          sliceStart = performance.now();
        }
        if (this.closed) throw new Error("step pool closed");
      }
    }
  }
}
