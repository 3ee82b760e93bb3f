// The step-worker pool: W piscina threads, each started once with the shared memory + layout.
import { Piscina } from "piscina";
import { existsSync } from "node:fs";
import { stepWorkerFile } from "../paths.js";
import type { StepTask, TaskResult, WorkerInit } from "./protocol.js";

export class StepPool {
  private readonly piscina: Piscina;
  private closed = false;

  constructor(
    readonly workers: number,
    init: WorkerInit,
  ) {
    if (!existsSync(stepWorkerFile)) throw new Error(`${stepWorkerFile}: not built; run npm run build`);
    this.piscina = new Piscina({
      filename: stepWorkerFile,
      workerData: init,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 2 ** 31 - 1,
      concurrentTasksPerWorker: 1,
    });
  }

  run<T extends StepTask>(task: T): Promise<TaskResult<T>> {
    return this.piscina.run(task) as Promise<TaskResult<T>>;
  }

  /** Runs one phase: all tasks at once, resolved when every task is done. */
  phase<T extends StepTask>(tasks: T[]): Promise<TaskResult<T>[]> {
    return Promise.all(tasks.map((t) => this.run(t)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina.destroy();
  }
}
