// Coordinator thread.
// What the engine needs from the place it runs in, so that one engine runs in Node and in a web
// page: a way to start W step workers on the shared memory (piscina threads in Node,
// node-host.ts; Web Workers in a page, src/web/web-pool.ts), the machine's core count, and where
// the step workers find the compiled WASM kernels (a file path in Node, a URL in a page).
import type { StepTask, TaskResult, WorkerInit } from "../common/protocol.js";

/**
 * W step workers, each started once with the shared memory and the layout (WorkerInit).
 * A phase is a set of tasks run at once; it fails as a whole if any task fails or if it runs past
 * its timeout (PhaseTimeoutError), and then every task still running is stopped by terminating
 * its worker. Nothing waits without a timeout.
 */
export interface StepPool {
  /** One task on any free worker; stopped (its worker terminated) when the pool closes. */
  run<T extends StepTask>(task: T): Promise<TaskResult<T>>;
  /** Runs all tasks at once; resolves when every task is done, rejects on the first failure or at timeoutMs. */
  phase<T extends StepTask>(tasks: T[], timeoutMs: number): Promise<TaskResult<T>[]>;
  /** Terminates every worker (also one stuck in a task). */
  close(): Promise<void>;
  /** Test hook: terminate one live worker from outside, as an OOM killer or a crash would. */
  terminateThread(index: number): Promise<number> | undefined;
}

export interface EngineHost {
  /** starts `workers` step workers on init.memory */
  startPool(workers: number, init: WorkerInit): StepPool;
  /** the cores this machine has (a barrier spins only while every worker has one) */
  cores: number;
  /** where the step workers load the compiled WASM kernels from (WorkerInit.wasmPath) */
  wasmKernels: string;
}
