// Coordinator thread, in Node.
// The engine's host in Node: piscina step threads (pool.ts), os.availableParallelism() cores, and
// the WASM kernels built into dist/.
import { availableParallelism } from "node:os";
import { wasmKernelsFile } from "../../paths.js";
import { PiscinaStepPool } from "./pool.js";
import type { EngineHost } from "./host.js";

export const nodeHost: EngineHost = {
  startPool: (workers, init) => new PiscinaStepPool(workers, init),
  cores: availableParallelism(),
  wasmKernels: wasmKernelsFile,
};
