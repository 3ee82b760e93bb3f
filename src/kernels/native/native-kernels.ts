// Loads the native kernels (C, AVX-512 or AVX2 + FMA, through Node-API: addon.cc) and adapts
// them to the Kernels interface with F = U8 = U32 = F64 = byte offset into the arena, like WASM.
// The addon trusts its arguments, so every call is checked here first: each buffer's extent
// must lie inside the arena, every size must be a non-negative integer, and the values the C
// code uses as indices (row indices, labels, parameter-row ranges) are checked too. A bad call
// throws an ordinary RangeError and never reaches C.
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import type { DenseParamBuffers, Kernels, LossStats, SgdHyper } from "../kernels.js";
import { nativeAddonDefault, nativeBuildRecord } from "../../paths.js";

/** The instruction sets the addon has code for, best first. */
export const NATIVE_ISAS = ["avx512", "avx2"] as const;
export type NativeIsa = (typeof NATIVE_ISAS)[number];

interface Addon {
  bind(arena: Uint8Array): void;
  cpuIsas(): NativeIsa[];
  useIsa(isa: NativeIsa): NativeIsa;
  gatherRows(out: number, outLabels: number, images: number, labels: number, rowIndex: number, start: number, B: number, C: number, mean: number, std: number): void;
  denseForward(out: number, inp: number, weight: number, bias: number, B: number, C: number, OC: number, relu: number): void;
  denseInputGrad(dinp: number, dout: number, weight: number, mask: number, B: number, C: number, OC: number): void;
  reluForward(out: number, inp: number, N: number): void;
  reluBackward(dinp: number, dout: number, out: number, N: number): void;
  softmaxCrossEntropy(dlogits: number, losses: number, logits: number, labels: number, B: number, K: number, gradScale: number): number;
  lastCorrect(): number;
  denseWeightGradSgd(...args: number[]): void;
  fmaPeakGflops(iterations: number): number;
}

/** Where the addon is: DPTRAIN_NATIVE_ADDON (tests point it elsewhere to exercise the fallback), else the build output. */
export function nativeAddonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DPTRAIN_NATIVE_ADDON || nativeAddonDefault;
}

let cached: { path: string; addon: Addon | null; reason: string } | null = null;

/** The addon for this thread, or why it cannot be had (one line). Loaded once per thread. */
export function loadAddon(path = nativeAddonPath()): { addon: Addon | null; reason: string } {
  if (cached?.path === path) return cached;
  let addon: Addon | null = null;
  let reason = "";
  if (!existsSync(path)) {
    reason = `the native addon was not built${buildFailure()}`;
  } else {
    try {
      addon = createRequire(import.meta.url)(path) as Addon;
      if (addon.cpuIsas().length === 0) {
        reason = "this CPU has neither AVX-512F nor AVX2 + FMA";
        addon = null;
      }
    } catch (err) {
      reason = `the native addon did not load: ${(err as Error).message.split("\n")[0]}`;
    }
  }
  cached = { path, addon, reason };
  return cached;
}

function buildFailure(): string {
  try {
    const record = JSON.parse(readFileSync(nativeBuildRecord, "utf8")) as { ok: boolean; error?: string };
    return record.ok ? "" : ` (${record.error}; see dist/native-build.log)`;
  } catch {
    return " (run npm run build)";
  }
}

/** The instruction sets this CPU runs with the addon, best first ([] when the addon is unavailable). */
export function nativeCpuIsas(path = nativeAddonPath()): NativeIsa[] {
  return loadAddon(path).addon?.cpuIsas() ?? [];
}

/** The arena's kernel-call checker: byte extents inside the memory, sizes as non-negative integers. */
function checker(memory: WebAssembly.Memory, kernel: string) {
  const limit = memory.buffer.byteLength;
  const fail = (what: string): never => {
    throw new RangeError(`native ${kernel}: ${what}`);
  };
  return {
    size(name: string, n: number): number {
      if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) fail(`${name} must be a non-negative integer, got ${n}`);
      return n;
    },
    extent(name: string, ptr: number, bytes: number): number {
      if (!Number.isInteger(ptr) || ptr <= 0 || ptr + bytes > limit) fail(`${name} [${ptr}, ${ptr + bytes}) is outside the arena (${limit} bytes)`);
      return ptr;
    },
  };
}

/** The native set on this thread, running instruction set `isa`, over the arena `memory`. */
export function loadNativeKernels(memory: WebAssembly.Memory, isa: NativeIsa, path = nativeAddonPath()): Kernels<number, number, number, number> {
  const { addon, reason } = loadAddon(path);
  if (!addon) throw new Error(`native kernels unavailable: ${reason}`);
  addon.bind(new Uint8Array(memory.buffer));
  addon.useIsa(isa);
  const u8 = new Uint8Array(memory.buffer);
  const u32At = (ptr: number) => new DataView(memory.buffer).getUint32(ptr, true);
  return {
    gatherRows(out, outLabels, images, labels, rowIndex, start, B, C, mean, std) {
      const k = checker(memory, "gatherRows");
      k.size("B", B), k.size("C", C), k.size("start", start);
      k.extent("rowIndex", rowIndex, (start + B) * 4);
      let maxRow = -1;
      for (let b = 0; b < B; b++) maxRow = Math.max(maxRow, u32At(rowIndex + (start + b) * 4));
      k.extent("out", out, B * C * 4), k.extent("outLabels", outLabels, B), k.extent("images", images, (maxRow + 1) * C), k.extent("labels", labels, maxRow + 1);
      addon.gatherRows(out, outLabels, images, labels, rowIndex, start, B, C, mean, std);
    },
    denseForward(out, inp, weight, bias, B, C, OC, relu) {
      const k = checker(memory, "denseForward");
      k.size("B", B), k.size("C", C), k.size("OC", OC);
      k.extent("out", out, B * OC * 4), k.extent("inp", inp, B * C * 4), k.extent("weight", weight, OC * C * 4), k.extent("bias", bias, OC * 4);
      addon.denseForward(out, inp, weight, bias, B, C, OC, relu ? 1 : 0);
    },
    denseInputGrad(dinp, dout, weight, mask, B, C, OC) {
      const k = checker(memory, "denseInputGrad");
      k.size("B", B), k.size("C", C), k.size("OC", OC);
      k.extent("dinp", dinp, B * C * 4), k.extent("dout", dout, B * OC * 4), k.extent("weight", weight, OC * C * 4);
      if (mask !== null) k.extent("mask", mask, B * C * 4);
      addon.denseInputGrad(dinp, dout, weight, mask ?? 0, B, C, OC);
    },
    reluForward(out, inp, N) {
      const k = checker(memory, "reluForward");
      k.size("N", N), k.extent("out", out, N * 4), k.extent("inp", inp, N * 4);
      addon.reluForward(out, inp, N);
    },
    reluBackward(dinp, dout, out, N) {
      const k = checker(memory, "reluBackward");
      k.size("N", N), k.extent("dinp", dinp, N * 4), k.extent("dout", dout, N * 4), k.extent("out", out, N * 4);
      addon.reluBackward(dinp, dout, out, N);
    },
    softmaxCrossEntropy(dlogits, losses, logits, labels, B, K, gradScale): LossStats {
      const k = checker(memory, "softmaxCrossEntropy");
      k.size("B", B), k.size("K", K);
      k.extent("dlogits", dlogits, B * K * 4), k.extent("losses", losses, B * 4), k.extent("logits", logits, B * K * 4), k.extent("labels", labels, B);
      for (let b = 0; b < B; b++) if (u8[labels + b]! >= K) throw new RangeError(`native softmaxCrossEntropy: label ${u8[labels + b]} of row ${b} is not < K = ${K}`);
      const lossSum = addon.softmaxCrossEntropy(dlogits, losses, logits, labels, B, K, gradScale);
      return { lossSum, correct: addon.lastCorrect() };
    },
    denseWeightGradSgd(p: DenseParamBuffers<number>, rowSq, dout, inp, B, C, OC, o0, o1, h: SgdHyper) {
      const k = checker(memory, "denseWeightGradSgd");
      k.size("B", B), k.size("C", C), k.size("OC", OC), k.size("o0", o0), k.size("o1", o1);
      if (o0 > o1 || o1 > OC) throw new RangeError(`native denseWeightGradSgd: rows [${o0}, ${o1}) are not inside [0, ${OC})`);
      for (const name of ["weight", "weightVelocity", "weightOut", "weightVelocityOut"] as const) k.extent(name, p[name], OC * C * 4);
      for (const name of ["bias", "biasVelocity", "biasOut", "biasVelocityOut"] as const) k.extent(name, p[name], OC * 4);
      k.extent("rowSq", rowSq, OC * 8), k.extent("dout", dout, B * OC * 4), k.extent("inp", inp, B * C * 4);
      addon.denseWeightGradSgd(
        p.weight, p.bias, p.weightVelocity, p.biasVelocity, p.weightOut, p.biasOut, p.weightVelocityOut, p.biasVelocityOut,
        rowSq, dout, inp, B, C, OC, o0, o1, h.gradScale, h.lr, h.momentum, h.nesterov ? 1 : 0, h.weightDecay,
      );
    },
  };
}

/** This core's FMA peak in GFLOP/s (a tight loop of independent FMAs), for the kernel bench. */
export function nativeFmaPeakGflops(isa: NativeIsa, path = nativeAddonPath()): number {
  const { addon, reason } = loadAddon(path);
  if (!addon) throw new Error(`native kernels unavailable: ${reason}`);
  addon.useIsa(isa);
  addon.fmaPeakGflops(2e6); // warm up (frequency, caches)
  return Math.max(...[0, 1, 2].map(() => addon.fmaPeakGflops(2e7)));
}
