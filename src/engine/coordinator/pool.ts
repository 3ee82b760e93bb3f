// Coordinator thread, in Node.
// The step-worker pool in Node (host.ts StepPool): W piscina threads, each started once with the
// shared memory + layout. A failed or timed-out phase aborts the tasks still running, and
// piscina terminates their threads.
import { Piscina } from "piscina";
import { existsSync } from "node:fs";
import { setMaxListeners } from "node:events";
import { stepWorkerFile } from "../../paths.js";
import { allWithin } from "./all-within.js";
import type { StepTask, TaskResult, WorkerInit } from "../common/protocol.js";
import type { StepPool } from "./host.js";

/** How long close() waits for the threads to end before giving up on them. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Each thread is started with require(esm) turned off. piscina first tries require() on the
 * worker file (an ES module), and Node 20.19+ lets require() load ES modules. On that path, Node
 * 20.20.2 aborted the whole process ("FATAL ERROR: v8::Module::IsGraphAsync must be used on an
 * instantiated module", from piscina's worker.js) in about 1 run in 12 of the test that replaces
 * the workers after an injected fault. With the flag, require() throws ERR_REQUIRE_ESM and
 * piscina takes its import() fallback: the same module, loaded the way Node 20.18 loaded it. An
 * older Node that does not know the flag does not get it.
 */
const WORKER_EXEC_ARGV = process.allowedNodeEnvironmentFlags.has("--no-experimental-require-module")
  ? [...process.execArgv, "--no-experimental-require-module"]
  : process.execArgv;

export class PiscinaStepPool implements StepPool {
  private readonly piscina: Piscina;
  private closed = false;
  private readonly closing = new AbortController();

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
      execArgv: WORKER_EXEC_ARGV,
    });
    // Every running task listens on this signal: one listener per worker, not a leak.
    setMaxListeners(workers + 10, this.closing.signal);
  }

  /** One task on any free thread; aborted (its thread terminated) when the pool closes. */
  run<T extends StepTask>(task: T): Promise<TaskResult<T>> {
    return this.piscina.run(task, { signal: this.closing.signal }) as Promise<TaskResult<T>>;
  }

  /** Runs all tasks at once; resolves when every task is done, rejects on the first failure or at timeoutMs. */
  async phase<T extends StepTask>(tasks: T[], timeoutMs: number): Promise<TaskResult<T>[]> {
    const abort = new AbortController();
    setMaxListeners(tasks.length + 10, abort.signal);
    const runs = tasks.map((t) => this.piscina.run(t, { signal: abort.signal }) as Promise<TaskResult<T>>);
    // a failure aborts the tasks still running: piscina terminates their threads
    return allWithin(runs, tasks[0]?.kind ?? "?", timeoutMs, () => abort.abort());
  }

  /** Terminates every thread (also one stuck in a task). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.piscina.destroy(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
  }

  /** Test hook: terminate one live thread from outside, as an OOM killer or a crash would. */
  terminateThread(index: number): Promise<number> | undefined {
    return this.piscina.threads[index]?.terminate();
  }
}
