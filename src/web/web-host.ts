// A page's coordinator (session worker).
// The engine's host in a web page: Web Workers on the shared memory where the page is
// cross-origin isolated (web-pool.ts), else one step worker in the coordinator's thread
// (inline-pool.ts); navigator.hardwareConcurrency cores; the WASM kernels beside the page.
import type { EngineHost } from "../engine/coordinator/host.js";
import { InlineStepPool } from "./inline-pool.js";
import { webKernelLoaders } from "./wasm-fetch.js";
import { WebStepPool } from "./web-pool.js";

/** base: the URL the page's files are under (dist/web/). */
export function webHost(base: string, isolated: boolean): EngineHost {
  return {
    startPool(workers, init) {
      if (isolated) return new WebStepPool(workers, init, new URL("step.worker.js", base).href);
      if (workers !== 1) throw new Error(`engine.workers: expected 1 without cross-origin isolation, found ${workers}`);
      return new InlineStepPool(init, webKernelLoaders);
    },
    cores: navigator.hardwareConcurrency || 1,
    wasmKernels: new URL("kernels.wasm", base).href,
  };
}
