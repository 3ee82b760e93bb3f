// GFLOP/s of the three GEMM shapes of each dense layer, TS reference vs WASM SIMD, on one thread.
//   forward y = x·Wᵀ + b    dW = dyᵀ·x    dx = dy·W       each 2·rows·C·OC flops
import { denseBackward, denseForward } from "../kernels/ts/dense.js";
import { instantiateWasmKernels } from "../kernels/wasm/loader.js";
import { RESERVED_LOW_BYTES } from "../arena/layout.js";
import { wasmKernelsFile } from "../paths.js";
import { Rng } from "../rng.js";

export interface KernelBenchRow {
  layer: string;
  shape: string;
  rows: number;
  op: "forward" | "dW" | "dx";
  ts_gflops: number;
  wasm_gflops: number;
  speedup: number;
}

/** Runs fn until at least minMs have passed (after one warm-up call); returns ms per call. */
function timeIt(fn: () => void, minMs: number): number {
  fn();
  let calls = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    fn();
    calls++;
    elapsed = performance.now() - t0;
  } while (elapsed < minMs);
  return elapsed / calls;
}

export async function benchKernels(dims: number[], rowsList: number[], minMs = 150): Promise<KernelBenchRow[]> {
  const maxBytes = Math.max(...dims.slice(1).map((oc, i) => 4 * (2 * oc * dims[i]! + oc * 2 + Math.max(...rowsList) * (dims[i]! + oc) * 2))) + RESERVED_LOW_BYTES + 4096;
  const pages = Math.ceil(maxBytes / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const w = await instantiateWasmKernels(memory, wasmKernelsFile);
  const rng = new Rng(1);
  const rows: KernelBenchRow[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const C = dims[l]!, OC = dims[l + 1]!;
    for (const B of rowsList) {
      let cursor = RESERVED_LOW_BYTES;
      const alloc = (n: number): [number, Float32Array] => {
        const ptr = cursor;
        cursor += Math.ceil((n * 4) / 64) * 64;
        const view = new Float32Array(memory.buffer, ptr, n);
        for (let i = 0; i < n; i++) view[i] = rng.nextFloat() - 0.5;
        return [ptr, view];
      };
      const [pX, x] = alloc(B * C), [pW, wt] = alloc(OC * C), [pB, bias] = alloc(OC), [pY, y] = alloc(B * OC);
      const [pDy, dy] = alloc(B * OC), [pDw, dw] = alloc(OC * C), [pDb, db] = alloc(OC), [pDx, dx] = alloc(B * C);
      const flops = 2 * B * C * OC;
      const gflops = (ms: number) => flops / (ms * 1e6);
      // The TS backward computes dbias, dW and dx together; time dW alone by passing dinp = null,
      // and dx as the difference. WASM exposes the same split through dinp = 0.
      const tsFwd = timeIt(() => denseForward(y, x, wt, bias, B, C, OC), minMs);
      const tsDw = timeIt(() => denseBackward(null, dw, db, dy, x, wt, B, C, OC), minMs);
      const tsAll = timeIt(() => denseBackward(dx, dw, db, dy, x, wt, B, C, OC), minMs);
      const wFwd = timeIt(() => w.denseForward(pY, pX, pW, pB, B, C, OC), minMs);
      const wDw = timeIt(() => w.denseBackward(0, pDw, pDb, pDy, pX, pW, B, C, OC), minMs);
      const wAll = timeIt(() => w.denseBackward(pDx, pDw, pDb, pDy, pX, pW, B, C, OC), minMs);
      const shape = `${OC}x${C}`;
      const layer = `fc${l + 1}`;
      for (const [op, ts, wasm] of [["forward", tsFwd, wFwd], ["dW", tsDw, wDw], ["dx", Math.max(tsAll - tsDw, 1e-9), Math.max(wAll - wDw, 1e-9)]] as const) {
        rows.push({ layer, shape, rows: B, op, ts_gflops: gflops(ts), wasm_gflops: gflops(wasm), speedup: ts / wasm });
      }
    }
  }
  return rows;
}
