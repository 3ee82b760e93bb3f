// Loads the native kernels (C, AVX-512 or AVX2 + FMA, through Node-API: addon.cc) and adapts
// them to the Kernels interface with F = U8 = U32 = F64 = byte offset into the arena, like WASM.
// The addon trusts its arguments, so every call is checked here first: each buffer's extent
// must lie inside the arena, every size must be a non-negative integer, and the values the C
// code uses as indices (row indices, labels, parameter-row ranges) are checked too. A bad call
// throws an ordinary RangeError and never reaches C.
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import type { ConvGeometry, PoolGeometry } from "../kernels.js";
import { adaptPointerKernels, type PointerKernelExports, type PointerKernels } from "../pointer-abi.js";
import { nativeAddonDefault, nativeBuildRecord } from "../../paths.js";

/** The instruction sets the addon has code for, best first. */
export const NATIVE_ISAS = ["avx512", "avx2"] as const;
export type NativeIsa = (typeof NATIVE_ISAS)[number];

interface Addon extends PointerKernelExports {
  bind(arena: Uint8Array): void;
  cpuIsas(): NativeIsa[];
  useIsa(isa: NativeIsa): NativeIsa;
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

/** A conv's sizes checked, and the floats of its input and im2col matrix (windows must stay inside the padded input). */
function convExtents(c: ReturnType<typeof checker>, B: number, g: ConvGeometry): { inFloats: number; colFloats: number } {
  for (const [name, v] of Object.entries({ B, ...g })) c.size(name, v);
  if (g.stride < 1 || (g.OH - 1) * g.stride + g.KH > g.H + 2 * g.pad || (g.OW - 1) * g.stride + g.KW > g.W + 2 * g.pad) throw new RangeError(`native conv: a ${g.KH}×${g.KW} window at stride ${g.stride} gives no ${g.OH}×${g.OW} output on ${g.H}×${g.W} padded by ${g.pad}`);
  return { inFloats: B * g.H * g.W * g.C, colFloats: B * g.OH * g.OW * g.C * g.KH * g.KW };
}

/** A max-pool's sizes checked, and the floats of its input and output. */
function poolExtents(c: ReturnType<typeof checker>, B: number, g: PoolGeometry): { inFloats: number; outFloats: number } {
  for (const [name, v] of Object.entries({ B, ...g })) c.size(name, v);
  if (g.stride < 1 || g.K < 1 || (g.OH - 1) * g.stride + g.K > g.H || (g.OW - 1) * g.stride + g.K > g.W) throw new RangeError(`native maxpool: a ${g.K}×${g.K} window at stride ${g.stride} gives no ${g.OH}×${g.OW} output on ${g.H}×${g.W}`);
  return { inFloats: B * g.H * g.W * g.C, outFloats: B * g.OH * g.OW * g.C };
}

/** The native set on this thread, running instruction set `isa`, over the arena `memory`. */
export function loadNativeKernels(memory: WebAssembly.Memory, isa: NativeIsa, path = nativeAddonPath()): PointerKernels {
  const { addon, reason } = loadAddon(path);
  if (!addon) throw new Error(`native kernels unavailable: ${reason}`);
  addon.bind(new Uint8Array(memory.buffer));
  addon.useIsa(isa);
  return checkedAgainstArena(memory, adaptPointerKernels(addon));
}

/** Each kernel of `k` behind the checks that keep C inside the arena (see the file comment). */
function checkedAgainstArena(memory: WebAssembly.Memory, k: PointerKernels): PointerKernels {
  const u8 = new Uint8Array(memory.buffer);
  const u32At = (ptr: number) => new DataView(memory.buffer).getUint32(ptr, true);
  return {
    gatherRows(out, outLabels, images, labels, rowIndex, start, B, C, mean, std) {
      const c = checker(memory, "gatherRows");
      c.size("B", B), c.size("C", C), c.size("start", start);
      c.extent("rowIndex", rowIndex, (start + B) * 4);
      let maxRow = -1;
      for (let b = 0; b < B; b++) maxRow = Math.max(maxRow, u32At(rowIndex + (start + b) * 4));
      c.extent("out", out, B * C * 4), c.extent("outLabels", outLabels, B), c.extent("images", images, (maxRow + 1) * C), c.extent("labels", labels, maxRow + 1);
      k.gatherRows(out, outLabels, images, labels, rowIndex, start, B, C, mean, std);
    },
    denseForward(out, inp, weight, bias, B, C, OC, relu) {
      const c = checker(memory, "denseForward");
      c.size("B", B), c.size("C", C), c.size("OC", OC);
      c.extent("out", out, B * OC * 4), c.extent("inp", inp, B * C * 4), c.extent("weight", weight, OC * C * 4), c.extent("bias", bias, OC * 4);
      k.denseForward(out, inp, weight, bias, B, C, OC, relu);
    },
    denseInputGrad(dinp, dout, weight, mask, B, C, OC) {
      const c = checker(memory, "denseInputGrad");
      c.size("B", B), c.size("C", C), c.size("OC", OC);
      c.extent("dinp", dinp, B * C * 4), c.extent("dout", dout, B * OC * 4), c.extent("weight", weight, OC * C * 4);
      if (mask !== null) c.extent("mask", mask, B * C * 4);
      k.denseInputGrad(dinp, dout, weight, mask, B, C, OC);
    },
    reluForward(out, inp, N) {
      const c = checker(memory, "reluForward");
      c.size("N", N), c.extent("out", out, N * 4), c.extent("inp", inp, N * 4);
      k.reluForward(out, inp, N);
    },
    reluBackward(dinp, dout, out, N) {
      const c = checker(memory, "reluBackward");
      c.size("N", N), c.extent("dinp", dinp, N * 4), c.extent("dout", dout, N * 4), c.extent("out", out, N * 4);
      k.reluBackward(dinp, dout, out, N);
    },
    softmaxCrossEntropy(dlogits, losses, logits, labels, B, K, gradScale) {
      const c = checker(memory, "softmaxCrossEntropy");
      c.size("B", B), c.size("K", K);
      c.extent("dlogits", dlogits, B * K * 4), c.extent("losses", losses, B * 4), c.extent("logits", logits, B * K * 4), c.extent("labels", labels, B);
      for (let b = 0; b < B; b++) if (u8[labels + b]! >= K) throw new RangeError(`native softmaxCrossEntropy: label ${u8[labels + b]} of row ${b} is not < K = ${K}`);
      return k.softmaxCrossEntropy(dlogits, losses, logits, labels, B, K, gradScale);
    },
    denseWeightGradSgd(p, rowSq, dout, inp, B, C, OC, o0, o1, h) {
      const c = checker(memory, "denseWeightGradSgd");
      c.size("B", B), c.size("C", C), c.size("OC", OC), c.size("o0", o0), c.size("o1", o1);
      if (o0 > o1 || o1 > OC) throw new RangeError(`native denseWeightGradSgd: rows [${o0}, ${o1}) are not inside [0, ${OC})`);
      for (const name of ["weight", "weightVelocity", "weightOut", "weightVelocityOut"] as const) c.extent(name, p[name], OC * C * 4);
      for (const name of ["bias", "biasVelocity", "biasOut", "biasVelocityOut"] as const) c.extent(name, p[name], OC * 4);
      c.extent("rowSq", rowSq, OC * 8), c.extent("dout", dout, B * OC * 4), c.extent("inp", inp, B * C * 4);
      k.denseWeightGradSgd(p, rowSq, dout, inp, B, C, OC, o0, o1, h);
    },
    denseWeightGrad(grad, rowSq, dout, inp, B, C, OC, o0, o1, gradScale) {
      const c = checker(memory, "denseWeightGrad");
      c.size("B", B), c.size("C", C), c.size("OC", OC), c.size("o0", o0), c.size("o1", o1);
      if (o0 > o1 || o1 > OC) throw new RangeError(`native denseWeightGrad: rows [${o0}, ${o1}) are not inside [0, ${OC})`);
      c.extent("weightGrad", grad.weightGrad, OC * C * 4), c.extent("biasGrad", grad.biasGrad, OC * 4);
      c.extent("rowSq", rowSq, OC * 8), c.extent("dout", dout, B * OC * 4), c.extent("inp", inp, B * C * 4);
      k.denseWeightGrad(grad, rowSq, dout, inp, B, C, OC, o0, o1, gradScale);
    },
    convWeightGrad(grad, rowSq, dout, inp, B, g, OC, o0, o1, gradScale) {
      const c = checker(memory, "convWeightGrad");
      const { inFloats } = convExtents(c, B, g);
      c.size("OC", OC), c.size("o0", o0), c.size("o1", o1);
      if (o0 > o1 || o1 > OC) throw new RangeError(`native convWeightGrad: rows [${o0}, ${o1}) are not inside [0, ${OC})`);
      c.extent("weightGrad", grad.weightGrad, OC * g.C * g.KH * g.KW * 4), c.extent("biasGrad", grad.biasGrad, OC * 4);
      c.extent("rowSq", rowSq, OC * 8), c.extent("dout", dout, B * g.OH * g.OW * OC * 4), c.extent("inp", inp, inFloats * 4);
      k.convWeightGrad!(grad, rowSq, dout, inp, B, g, OC, o0, o1, gradScale);
    },
    convForward(out, inp, weight, bias, B, g, OC, relu) {
      const c = checker(memory, "convForward");
      const { inFloats } = convExtents(c, B, g);
      c.size("OC", OC);
      const K = g.C * g.KH * g.KW;
      c.extent("out", out, B * g.OH * g.OW * OC * 4), c.extent("inp", inp, inFloats * 4), c.extent("weight", weight, OC * K * 4), c.extent("bias", bias, OC * 4);
      k.convForward!(out, inp, weight, bias, B, g, OC, relu);
    },
    convInputGrad(dinp, dout, weight, B, g, OC) {
      const c = checker(memory, "convInputGrad");
      const { inFloats } = convExtents(c, B, g);
      c.size("OC", OC);
      c.extent("dinp", dinp, inFloats * 4), c.extent("dout", dout, B * g.OH * g.OW * OC * 4), c.extent("weight", weight, OC * g.C * g.KH * g.KW * 4);
      k.convInputGrad!(dinp, dout, weight, B, g, OC);
    },
    convWeightGradSgd(p, rowSq, dout, inp, B, g, OC, o0, o1, h) {
      const c = checker(memory, "convWeightGradSgd");
      const { inFloats } = convExtents(c, B, g);
      c.size("OC", OC), c.size("o0", o0), c.size("o1", o1);
      if (o0 > o1 || o1 > OC) throw new RangeError(`native convWeightGradSgd: rows [${o0}, ${o1}) are not inside [0, ${OC})`);
      const K = g.C * g.KH * g.KW;
      for (const name of ["weight", "weightVelocity", "weightOut", "weightVelocityOut"] as const) c.extent(name, p[name], OC * K * 4);
      for (const name of ["bias", "biasVelocity", "biasOut", "biasVelocityOut"] as const) c.extent(name, p[name], OC * 4);
      c.extent("rowSq", rowSq, OC * 8), c.extent("dout", dout, B * g.OH * g.OW * OC * 4), c.extent("inp", inp, inFloats * 4);
      k.convWeightGradSgd!(p, rowSq, dout, inp, B, g, OC, o0, o1, h);
    },
    im2col(col, inp, B, g) {
      const c = checker(memory, "im2col");
      const { inFloats, colFloats } = convExtents(c, B, g);
      c.extent("col", col, colFloats * 4), c.extent("inp", inp, inFloats * 4);
      k.im2col(col, inp, B, g);
    },
    col2im(dinp, dcol, B, g) {
      const c = checker(memory, "col2im");
      const { inFloats, colFloats } = convExtents(c, B, g);
      c.extent("dinp", dinp, inFloats * 4), c.extent("dcol", dcol, colFloats * 4);
      k.col2im(dinp, dcol, B, g);
    },
    maxpoolForward(out, inp, B, g) {
      const c = checker(memory, "maxpoolForward");
      const { inFloats, outFloats } = poolExtents(c, B, g);
      c.extent("out", out, outFloats * 4), c.extent("inp", inp, inFloats * 4);
      k.maxpoolForward(out, inp, B, g);
    },
    maxpoolBackward(dinp, dout, inp, B, g) {
      const c = checker(memory, "maxpoolBackward");
      const { inFloats, outFloats } = poolExtents(c, B, g);
      c.extent("dinp", dinp, inFloats * 4), c.extent("dout", dout, outFloats * 4), c.extent("inp", inp, inFloats * 4);
      k.maxpoolBackward(dinp, dout, inp, B, g);
    },
    transposeRows(out, inp, B, P, Q) {
      const c = checker(memory, "transposeRows");
      c.size("B", B), c.size("P", P), c.size("Q", Q), c.extent("out", out, B * P * Q * 4), c.extent("inp", inp, B * P * Q * 4);
      k.transposeRows(out, inp, B, P, Q);
    },
    dropoutForward(out, inp, B, C, p, key) {
      const c = checker(memory, "dropoutForward");
      c.size("B", B), c.size("C", C), c.extent("out", out, B * C * 4), c.extent("inp", inp, B * C * 4);
      if (!(p >= 0 && p < 1)) throw new RangeError(`native dropoutForward: p must be in [0, 1), got ${p}`);
      k.dropoutForward(out, inp, B, C, p, key);
    },
    dropoutBackward(dinp, dout, B, C, p, key) {
      const c = checker(memory, "dropoutBackward");
      c.size("B", B), c.size("C", C), c.extent("dinp", dinp, B * C * 4), c.extent("dout", dout, B * C * 4);
      if (!(p >= 0 && p < 1)) throw new RangeError(`native dropoutBackward: p must be in [0, 1), got ${p}`);
      k.dropoutBackward(dinp, dout, B, C, p, key);
    },
    optimizerStep(thetaOut, theta, grad, s, n, h) {
      const c = checker(memory, "optimizerStep");
      c.size("n", n);
      if (!["adam", "adadelta", "rmsprop"].includes(h.rule)) throw new RangeError(`native optimizerStep: rule ${JSON.stringify(h.rule)} is not adam, adadelta or rmsprop`);
      c.extent("thetaOut", thetaOut, n * 4), c.extent("theta", theta, n * 4), c.extent("grad", grad, n * 4);
      // The slots each rule reads: adam and adadelta two, rmsprop one plus momentum's and centered's.
      const needs = h.rule === "rmsprop" ? [true, h.momentum !== 0, h.centered] : [true, true, false];
      s.state.forEach((ptr, i) => (needs[i] ? c.extent(`state[${i}]`, ptr ?? 0, n * 4) : undefined));
      s.stateOut.forEach((ptr, i) => (needs[i] ? c.extent(`stateOut[${i}]`, ptr ?? 0, n * 4) : undefined));
      k.optimizerStep(thetaOut, theta, grad, s, n, h);
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
