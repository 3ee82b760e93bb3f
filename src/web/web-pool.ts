// A page's coordinator (session worker).
// The step pool in a page (engine/coordinator/host.ts StepPool): W module Web Workers, each given
// the shared memory + layout once. A task runs on a free worker; a failed or timed-out phase
// rejects, and the engine then closes the pool (terminating every worker) and starts a new one,
// as with piscina in Node. A worker that dies (onerror) fails the task it was running.
import { allWithin } from "../engine/coordinator/all-within.js";
import type { StepPool } from "../engine/coordinator/host.js";
import type { StepTask, TaskResult, WorkerInit } from "../engine/common/protocol.js";
import type { FromStepWorker, ToStepWorker } from "./messages.js";

interface Running {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  running: Running | null;
  dead: boolean;
}

export class WebStepPool implements StepPool {
  private readonly slots: Slot[];
  private readonly queue: { task: StepTask; running: Running }[] = [];
  private nextId = 0;
  private closed = false;

  constructor(workers: number, init: WorkerInit, url: string) {
    this.slots = Array.from({ length: workers }, () => {
      const worker = new Worker(url, { type: "module" });
      const slot: Slot = { worker, running: null, dead: false };
      worker.onmessage = (e: MessageEvent<FromStepWorker>) => this.finished(slot, e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.fail(slot, new Error(`step worker died: ${e.message || "uncaught error"}`));
      };
      worker.onmessageerror = () => this.fail(slot, new Error("step worker: a message could not be read"));
      worker.postMessage({ type: "init", init } satisfies ToStepWorker);
      return slot;
    });
  }

  run<T extends StepTask>(task: T): Promise<TaskResult<T>> {
    if (this.closed) return Promise.reject(new Error("step pool closed"));
    return new Promise<TaskResult<T>>((resolve, reject) => {
      this.queue.push({ task, running: { resolve: resolve as (r: unknown) => void, reject } });
      this.dispatch();
    });
  }

  phase<T extends StepTask>(tasks: T[], timeoutMs: number): Promise<TaskResult<T>[]> {
    // on a failure the engine closes this pool next, terminating every worker
    return allWithin(tasks.map((t) => this.run(t)), tasks[0]?.kind ?? "?", timeoutMs, () => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closed = new Error("step pool closed");
    for (const slot of this.slots) {
      slot.worker.terminate();
      slot.running?.reject(closed);
      slot.running = null;
    }
    for (const q of this.queue.splice(0)) q.running.reject(closed);
  }

  terminateThread(index: number): Promise<number> | undefined {
    const slot = this.slots[index];
    if (!slot || slot.dead) return undefined;
    slot.worker.terminate();
    this.fail(slot, new Error("step worker terminated"));
    return Promise.resolve(1);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.dead || slot.running) continue;
      const next = this.queue.shift();
      if (!next) return;
      const id = this.nextId++;
      slot.running = next.running;
      slot.worker.postMessage({ type: "task", id, task: next.task } satisfies ToStepWorker);
    }
    if (this.queue.length > 0 && this.slots.every((s) => s.dead)) {
      for (const q of this.queue.splice(0)) q.running.reject(new Error("every step worker died"));
    }
  }

  private finished(slot: Slot, m: FromStepWorker): void {
    const running = slot.running;
    slot.running = null;
    if ("error" in m) running?.reject(new Error(m.error));
    else running?.resolve(m.result);
    this.dispatch();
  }

  private fail(slot: Slot, error: Error): void {
    slot.dead = true;
    slot.running?.reject(error);
    slot.running = null;
    this.dispatch();
  }
}
