// GFLOP/s of the three GEMM shapes of each dense layer, for each kernel set, on one thread:
//   forward y = x·Wᵀ + b (ROWS)   dx = dy·W (ROWS)   dW = dyᵀ·x fused with SGD (PARAMS)
// each counted as 2·rows·C·OC flops. Every set runs through the same Kernels interface on the
// same shared memory, so the columns compare the kernels and nothing else.
import { viewBinder, pointerBinder, type Binder } from "../arena/arena.js";
import type { Region } from "../arena/layout.js";
import { RESERVED_LOW_BYTES } from "../kernels/kernels.js";
import type { Kernels } from "../kernels/kernels.js";
import { tsKernels } from "../kernels/ts/index.js";
import { loadWasmKernels } from "../kernels/wasm/loader.js";
import { wasmKernelsFile } from "../paths.js";
import { Rng } from "../rng.js";

export interface KernelBenchRow {
  layer: string;
  shape: string;
  rows: number;
  op: "forward" | "dW" | "dx";
  /** GFLOP/s by kernel set name */
  gflops: Record<string, number>;
}

/**
 * ms per call of fn: the fastest of ROUNDS rounds of at least minMs / ROUNDS each (after one
 * warm-up call). On a shared machine another tenant only ever adds time, so the fastest round is
 * the kernel's own speed; a mean over one long run swung by ±20% between runs here.
 */
const ROUNDS = 5;
function timeIt(fn: () => void, minMs: number): number {
  fn();
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const t0 = performance.now();
    let elapsed = 0;
    do {
      fn();
      calls++;
      elapsed = performance.now() - t0;
    } while (elapsed < minMs / ROUNDS);
    best = Math.min(best, elapsed / calls);
  }
  return best;
}

type AnyKernels = Kernels<any, any, any, any>;
export interface BenchSet {
  name: string;
  kernels: AnyKernels;
  bind: Binder<any, any, any, any>;
}

/** The kernel sets to compare on `memory`: ts and wasm, plus any extra (e.g. native) the caller loaded. */
export async function benchSets(memory: WebAssembly.Memory, extra: BenchSet[] = []): Promise<BenchSet[]> {
  return [
    { name: "ts", kernels: tsKernels<Float32Array>(), bind: viewBinder(memory) },
    { name: "wasm", kernels: await loadWasmKernels(memory, wasmKernelsFile), bind: pointerBinder },
    ...extra,
  ];
}

export function benchMemoryFor(dims: number[], rowsList: number[]): WebAssembly.Memory {
  const maxRows = Math.max(...rowsList);
  const floats = Math.max(...dims.slice(1).map((oc, i) => 6 * oc * dims[i]! + 6 * oc + maxRows * (2 * dims[i]! + 2 * oc) + 64 * 16));
  const pages = Math.ceil((floats * 4 + RESERVED_LOW_BYTES) / 65536) + 1;
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

export function benchKernels(memory: WebAssembly.Memory, sets: BenchSet[], dims: number[], rowsList: number[], minMs = 150): KernelBenchRow[] {
  const rng = new Rng(1);
  const rows: KernelBenchRow[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const C = dims[l]!, OC = dims[l + 1]!;
    for (const B of rowsList) {
      let cursor = RESERVED_LOW_BYTES;
      const alloc = (n: number, type: "f32" | "f64" = "f32"): Region => {
        const r: Region = { offset: cursor, length: n, type };
        cursor += Math.ceil((n * (type === "f64" ? 8 : 4)) / 64) * 64;
        if (type === "f32") {
          const view = new Float32Array(memory.buffer, r.offset, n);
          for (let i = 0; i < n; i++) view[i] = rng.nextFloat() - 0.5;
        }
        return r;
      };
      const x = alloc(B * C), y = alloc(B * OC), dy = alloc(B * OC), dx = alloc(B * C);
      const w = alloc(OC * C), b = alloc(OC), wv = alloc(OC * C), bv = alloc(OC);
      const wOut = alloc(OC * C), bOut = alloc(OC), wvOut = alloc(OC * C), bvOut = alloc(OC), rowSq = alloc(OC, "f64");
      const hyper = { gradScale: 1 / B, lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 0 };
      const flops = 2 * B * C * OC;
      const times = sets.map(({ kernels: k, bind }) => {
        const f = bind.f32;
        const buffers = { weight: f(w), bias: f(b), weightVelocity: f(wv), biasVelocity: f(bv), weightOut: f(wOut), biasOut: f(bOut), weightVelocityOut: f(wvOut), biasVelocityOut: f(bvOut) };
        return {
          forward: timeIt(() => k.denseForward(f(y), f(x), f(w), f(b), B, C, OC, true), minMs),
          dx: timeIt(() => k.denseInputGrad(f(dx), f(dy), f(w), f(x), B, C, OC), minMs),
          dW: timeIt(() => k.denseWeightGradSgd(buffers, bind.f64(rowSq), f(dy), f(x), B, C, OC, 0, OC, hyper), minMs),
        };
      });
      for (const op of ["forward", "dW", "dx"] as const) {
        const gflops: Record<string, number> = {};
        sets.forEach((s, i) => (gflops[s.name] = flops / (times[i]![op] * 1e6)));
        rows.push({ layer: `fc${l + 1}`, shape: `${OC}x${C}`, rows: B, op, gflops });
      }
    }
  }
  return rows;
}
