// One descriptor per kernel: how its Kernels call (kernels.ts) becomes the flat call that the WASM
// module and the native addon export, where every buffer is a byte offset into the arena, and
// what each of those flat arguments is:
//   a buffer  element type, read or written, and its element count from the other arguments
//   a size    a count, which must be a non-negative integer
//   a scalar  a float or a 0/1 flag, passed as it is
// pointer-abi.ts builds the Kernels adapter from these, and the native set its bounds checks
// (native/checked-exports.ts). Adding a kernel: its source in each set plus one entry here.
import type { AugmentGeometry, AugmentKey, AugmentSettings, ConvGeometry, DenseGradBuffers, DenseParamBuffers, DropoutKey, Kernels, LossStats, OptimStateBuffers, OptimStepHyper, PoolGeometry, SgdHyper } from "./kernels.js";
import { dropoutConstants } from "./ts/dropout.js";

/** The named flat arguments of one call. */
export type AbiValues = Record<string, number>;

export type Element = "f32" | "f64" | "u8" | "u32";
export const ELEMENT_BYTES: Record<Element, number> = { f32: 4, f64: 8, u8: 1, u32: 4 };

export type AbiArg =
  | {
      kind: "buffer"; name: string; element: Element; io: "in" | "out";
      /** elements from the call's sizes; `memory` for counts that depend on values the call reads (row indices) */
      count: (a: AbiValues, memory: DataView) => number;
      /** 0 means "no buffer" (an optional mask or optimizer slot) */
      optional?: boolean;
    }
  | { kind: "size"; name: string }
  | { kind: "scalar"; name: string };

/** Pointer kernels: Kernels with every buffer named by its byte offset. */
export type PointerKernels = Kernels<number, number, number, number>;
type Call<K extends keyof PointerKernels> = Parameters<NonNullable<PointerKernels[K]>>;

export interface KernelDescriptor<K extends keyof PointerKernels> {
  /** the export that runs it (default: the kernel's own name) */
  export?: string;
  /** a kernel a set may leave out (kernels.ts marks it optional: the direct conv kernels) */
  optional?: boolean;
  abi: AbiArg[];
  /** the Kernels call's arguments → the flat arguments, in abi order */
  flatten(...args: Call<K>): number[];
  /** what the C code relies on beyond sizes and extents (index ranges, labels): a reason to refuse, or null */
  check?(a: AbiValues, memory: DataView): string | null;
  /** the export's return value → the kernel's (softmaxCrossEntropy's two figures) */
  result?(value: number, exports: { lastCorrect(): number }): ReturnType<NonNullable<PointerKernels[K]>>;
}

const f32in = (name: string, count: (a: AbiValues) => number): AbiArg => ({ kind: "buffer", name, element: "f32", io: "in", count });
const f32out = (name: string, count: (a: AbiValues) => number): AbiArg => ({ kind: "buffer", name, element: "f32", io: "out", count });
const sizes = (...names: string[]): AbiArg[] => names.map((name) => ({ kind: "size", name }));
const scalars = (...names: string[]): AbiArg[] => names.map((name) => ({ kind: "scalar", name }));

// ---- shared shapes ----------------------------------------------------------------------------

/** Floats spanned by `rows` rows of `width` floats whose starts are `ld` apart. */
const strided = (rows: number, width: number, ld: number) => (rows === 0 || width === 0 ? 0 : (rows - 1) * ld + width);

const GEOMETRY = ["C", "H", "W", "KH", "KW", "stride", "pad", "OH", "OW"];
const geometry = (g: ConvGeometry) => [g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH, g.OW];
const convIn = (a: AbiValues) => a.B! * a.H! * a.W! * a.C!;
const convCol = (a: AbiValues) => a.B! * a.OH! * a.OW! * a.C! * a.KH! * a.KW!;
const convOut = (a: AbiValues) => a.B! * a.OH! * a.OW! * a.OC!;
const convK = (a: AbiValues) => a.C! * a.KH! * a.KW!;
function convWindows(a: AbiValues): string | null {
  const ok = a.stride! >= 1 && (a.OH! - 1) * a.stride! + a.KH! <= a.H! + 2 * a.pad! && (a.OW! - 1) * a.stride! + a.KW! <= a.W! + 2 * a.pad!;
  return ok ? null : `a ${a.KH}×${a.KW} window at stride ${a.stride} gives no ${a.OH}×${a.OW} output on ${a.H}×${a.W} padded by ${a.pad}`;
}
const POOL = ["C", "H", "W", "K", "stride", "OH", "OW"];
const pool = (g: PoolGeometry) => [g.C, g.H, g.W, g.K, g.stride, g.OH, g.OW];
const poolIn = (a: AbiValues) => a.B! * a.H! * a.W! * a.C!;
const poolOut = (a: AbiValues) => a.B! * a.OH! * a.OW! * a.C!;
function poolWindows(a: AbiValues): string | null {
  const ok = a.stride! >= 1 && a.K! >= 1 && (a.OH! - 1) * a.stride! + a.K! <= a.H! && (a.OW! - 1) * a.stride! + a.K! <= a.W!;
  return ok ? null : `a ${a.K}×${a.K} window at stride ${a.stride} gives no ${a.OH}×${a.OW} output on ${a.H}×${a.W}`;
}
const rowRange = (a: AbiValues) => (a.o0! <= a.o1! && a.o1! <= a.OC! ? null : `rows [${a.o0}, ${a.o1}) are not inside [0, ${a.OC})`);

/** θ_t, v_t, θ_{t+1}, v_{t+1} of one layer: weight (OC, cols) and bias (OC) each. */
const paramBuffers = (cols: (a: AbiValues) => number): AbiArg[] => [
  f32in("weight", (a) => a.OC! * cols(a)), f32in("bias", (a) => a.OC!), f32in("weightVelocity", (a) => a.OC! * cols(a)), f32in("biasVelocity", (a) => a.OC!),
  f32out("weightOut", (a) => a.OC! * cols(a)), f32out("biasOut", (a) => a.OC!), f32out("weightVelocityOut", (a) => a.OC! * cols(a)), f32out("biasVelocityOut", (a) => a.OC!),
];
const params = (p: DenseParamBuffers<number>) => [p.weight, p.bias, p.weightVelocity, p.biasVelocity, p.weightOut, p.biasOut, p.weightVelocityOut, p.biasVelocityOut];
const sgd = (h: SgdHyper) => [h.gradScale, h.lr, h.momentum, h.nesterov ? 1 : 0, h.weightDecay];
const SGD = scalars("gradScale", "lr", "momentum", "nesterov", "weightDecay");
const rowSq: AbiArg = { kind: "buffer", name: "rowSq", element: "f64", io: "out", count: (a) => a.OC! };
const gradBuffers = (cols: (a: AbiValues) => number): AbiArg[] => [f32out("weightGrad", (a) => a.OC! * cols(a)), f32out("biasGrad", (a) => a.OC!)];

const dropout = (out: number, inp: number, B: number, C: number, p: number, key: DropoutKey) => {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  const { threshold, scale } = dropoutConstants(p);
  return [out, inp, B, C, threshold, scale, key.seed >>> 0, key.step >>> 0, key.row0 >>> 0, key.stream >>> 0];
};
const DROPOUT: AbiArg[] = [f32out("out", (a) => a.B! * a.C!), f32in("inp", (a) => a.B! * a.C!), ...sizes("B", "C"), ...scalars("threshold", "scale", "seed", "step", "row0", "stream")];

/** The largest row index gatherRows reads (rowIndex[start … start + B)), or −1. */
function maxRowIndex(a: AbiValues, memory: DataView): number {
  let max = -1;
  for (let b = 0; b < a.B!; b++) max = Math.max(max, memory.getUint32(a.rowIndex! + (a.start! + b) * 4, true));
  return max;
}

/**
 * An optimizer step's record as the kernels take it: (kind, p0 … p7).
 *   kind 0 adam      p0 1−β1  p1 β2  p2 1−β2  p3 stepSize  p4 sqrtBias2  p5 eps  p6 l2  p7 thetaDecay
 *   kind 1 adadelta  p0 ρ  p1 1−ρ  p2 eps  p3 lr  p6 l2  (p7 1)
 *   kind 2 rmsprop   p0 α  p1 1−α  p2 eps  p3 lr  p4 momentum  p5 centered (0/1)  p6 l2  (p7 1)
 */
export function optimStepAbi(h: OptimStepHyper): [number, [number, number, number, number, number, number, number, number]] {
  switch (h.rule) {
    case "adam":
      return [0, [1 - h.beta1, h.beta2, 1 - h.beta2, h.stepSize, h.sqrtBias2, h.eps, h.l2, h.thetaDecay]];
    case "adadelta":
      return [1, [h.rho, 1 - h.rho, h.eps, h.lr, 0, 0, h.l2, 1]];
    case "rmsprop":
      return [2, [h.alpha, 1 - h.alpha, h.eps, h.lr, h.momentum, h.centered ? 1 : 0, h.l2, 1]];
  }
}
const slot = (name: string, io: "in" | "out"): AbiArg => ({ kind: "buffer", name, element: "f32", io, count: (a) => a.n!, optional: true });

// ---- the kernels --------------------------------------------------------------------------------

export const DESCRIPTORS: { [K in keyof PointerKernels]-?: KernelDescriptor<K> } = {
  gatherRows: {
    abi: [
      f32out("out", (a) => a.B! * a.C!), { kind: "buffer", name: "outLabels", element: "u8", io: "out", count: (a) => a.B! },
      { kind: "buffer", name: "images", element: "u8", io: "in", count: (a, m) => (maxRowIndex(a, m) + 1) * a.C! },
      { kind: "buffer", name: "labels", element: "u8", io: "in", count: (a, m) => maxRowIndex(a, m) + 1 },
      { kind: "buffer", name: "rowIndex", element: "u32", io: "in", count: (a) => a.start! + a.B! },
      ...sizes("start", "B", "C"), ...scalars("mean", "std"),
    ],
    flatten: (out, outLabels, images, labels, rowIndex, start, B, C, mean, std) => [out, outLabels, images, labels, rowIndex, start, B, C, mean, std],
  },
  denseForward: {
    abi: [f32out("out", (a) => strided(a.B!, a.OC!, a.ldOut!)), f32in("inp", (a) => a.B! * a.C!), f32in("weight", (a) => a.OC! * a.C!), f32in("bias", (a) => a.OC!), ...sizes("B", "C", "OC"), ...scalars("relu"), ...sizes("ldOut")],
    flatten: (out, inp, weight, bias, B, C, OC, relu, ldOut) => [out, inp, weight, bias, B, C, OC, relu ? 1 : 0, ldOut ?? OC],
    check: (a) => (a.ldOut! < a.OC! ? `ldOut (${a.ldOut}) must be at least OC (${a.OC})` : null),
  },
  denseInputGrad: {
    abi: [
      f32out("dinp", (a) => strided(a.B!, a.C!, a.ld!)), f32in("dout", (a) => a.B! * a.OC!), f32in("weight", (a) => strided(a.OC!, a.C!, a.ld!)),
      { ...f32in("mask", (a) => strided(a.B!, a.C!, a.ld!)), optional: true } as AbiArg, ...sizes("B", "C", "OC", "ld"),
    ],
    flatten: (dinp, dout, weight, mask, B, C, OC, ld) => [dinp, dout, weight, mask ?? 0, B, C, OC, ld ?? C],
    check: (a) => (a.ld! < a.C! ? `ld (${a.ld}) must be at least C (${a.C})` : null),
  },
  reluForward: {
    abi: [f32out("out", (a) => a.N!), f32in("inp", (a) => a.N!), ...sizes("N")],
    flatten: (out, inp, N) => [out, inp, N],
  },
  reluBackward: {
    abi: [f32out("dinp", (a) => a.N!), f32in("dout", (a) => a.N!), f32in("out", (a) => a.N!), ...sizes("N")],
    flatten: (dinp, dout, out, N) => [dinp, dout, out, N],
  },
  softmaxCrossEntropy: {
    abi: [
      f32out("dlogits", (a) => a.B! * a.K!), f32out("losses", (a) => a.B!), f32in("logits", (a) => a.B! * a.K!),
      { kind: "buffer", name: "labels", element: "u8", io: "in", count: (a) => a.B! }, ...sizes("B", "K"), ...scalars("gradScale"),
    ],
    flatten: (dlogits, losses, logits, labels, B, K, gradScale) => [dlogits, losses, logits, labels, B, K, gradScale],
    check(a, memory) {
      for (let b = 0; b < a.B!; b++) {
        const label = memory.getUint8(a.labels! + b);
        if (label >= a.K!) return `label ${label} of row ${b} is not < K = ${a.K}`;
      }
      return null;
    },
    result: (lossSum, x): LossStats => ({ lossSum, correct: x.lastCorrect() }),
  },
  denseWeightGradSgd: {
    abi: [...paramBuffers((a) => a.C!), rowSq, f32in("dout", (a) => a.B! * a.OC!), f32in("inp", (a) => a.B! * a.C!), ...sizes("B", "C", "OC", "o0", "o1"), ...SGD],
    flatten: (p, rowSqAt, dout, inp, B, C, OC, o0, o1, h) => [...params(p), rowSqAt, dout, inp, B, C, OC, o0, o1, ...sgd(h)],
    check: rowRange,
  },
  denseWeightGrad: {
    abi: [...gradBuffers((a) => a.C!), rowSq, f32in("dout", (a) => a.B! * a.OC!), f32in("inp", (a) => a.B! * a.C!), ...sizes("B", "C", "OC", "o0", "o1"), ...scalars("gradScale")],
    flatten: (g: DenseGradBuffers<number>, rowSqAt, dout, inp, B, C, OC, o0, o1, gradScale) => [g.weightGrad, g.biasGrad, rowSqAt, dout, inp, B, C, OC, o0, o1, gradScale],
    check: rowRange,
  },
  augmentRows: {
    abi: [
      f32out("out", (a) => a.B! * a.C! * a.H! * a.W!), f32in("inp", (a) => a.B! * a.C! * a.H! * a.W!), ...sizes("B", "C", "H", "W", "channelsLast", "shift", "flip"),
      ...scalars("rotate", "fill", "seed", "step", "row0"),
    ],
    // rotate travels as degrees; the kernels draw each row's angle and take f32(cos), f32(sin) of it
    flatten: (out, inp, B, g: AugmentGeometry, a: AugmentSettings, key: AugmentKey) => [
      out, inp, B, g.C, g.H, g.W, g.channelsLast ? 1 : 0, a.shift, a.flip ? 1 : 0, a.rotate, a.fill, key.seed >>> 0, key.step >>> 0, key.row0 >>> 0,
    ],
  },
  dropoutForward: { export: "dropoutApply", abi: DROPOUT, flatten: dropout },
  dropoutBackward: { export: "dropoutApply", abi: DROPOUT, flatten: dropout },
  im2col: {
    abi: [f32out("col", convCol), f32in("inp", convIn), ...sizes("B", ...GEOMETRY)],
    flatten: (col, inp, B, g) => [col, inp, B, ...geometry(g)],
    check: convWindows,
  },
  col2im: {
    abi: [f32out("dinp", convIn), f32in("dcol", convCol), ...sizes("B", ...GEOMETRY)],
    flatten: (dinp, dcol, B, g) => [dinp, dcol, B, ...geometry(g)],
    check: convWindows,
  },
  maxpoolForward: {
    abi: [f32out("out", poolOut), f32in("inp", poolIn), ...sizes("B", ...POOL)],
    flatten: (out, inp, B, g) => [out, inp, B, ...pool(g)],
    check: poolWindows,
  },
  maxpoolBackward: {
    abi: [f32out("dinp", poolIn), f32in("dout", poolOut), f32in("inp", poolIn), ...sizes("B", ...POOL)],
    flatten: (dinp, dout, inp, B, g) => [dinp, dout, inp, B, ...pool(g)],
    check: poolWindows,
  },
  transposeRows: {
    abi: [f32out("out", (a) => a.B! * a.P! * a.Q!), f32in("inp", (a) => a.B! * a.P! * a.Q!), ...sizes("B", "P", "Q")],
    flatten: (out, inp, B, P, Q) => [out, inp, B, P, Q],
  },
  convForward: {
    optional: true,
    abi: [f32out("out", convOut), f32in("inp", convIn), f32in("weight", (a) => a.OC! * convK(a)), f32in("bias", (a) => a.OC!), ...sizes("B", ...GEOMETRY, "OC"), ...scalars("relu")],
    flatten: (out, inp, weight, bias, B, g, OC, relu) => [out, inp, weight, bias, B, ...geometry(g), OC, relu ? 1 : 0],
    check: convWindows,
  },
  convInputGrad: {
    optional: true,
    abi: [f32out("dinp", convIn), f32in("dout", convOut), f32in("weight", (a) => a.OC! * convK(a)), ...sizes("B", ...GEOMETRY, "OC")],
    flatten: (dinp, dout, weight, B, g, OC) => [dinp, dout, weight, B, ...geometry(g), OC],
    check: convWindows,
  },
  convWeightGradSgd: {
    optional: true,
    abi: [...paramBuffers(convK), rowSq, f32in("dout", convOut), f32in("inp", convIn), ...sizes("B", ...GEOMETRY, "OC", "o0", "o1"), ...SGD],
    flatten: (p, rowSqAt, dout, inp, B, g, OC, o0, o1, h) => [...params(p), rowSqAt, dout, inp, B, ...geometry(g), OC, o0, o1, ...sgd(h)],
    check: (a) => convWindows(a) ?? rowRange(a),
  },
  convWeightGrad: {
    optional: true,
    abi: [...gradBuffers(convK), rowSq, f32in("dout", convOut), f32in("inp", convIn), ...sizes("B", ...GEOMETRY, "OC", "o0", "o1"), ...scalars("gradScale")],
    flatten: (g: DenseGradBuffers<number>, rowSqAt, dout, inp, B, geo, OC, o0, o1, gradScale) => [g.weightGrad, g.biasGrad, rowSqAt, dout, inp, B, ...geometry(geo), OC, o0, o1, gradScale],
    check: (a) => convWindows(a) ?? rowRange(a),
  },
  useScratch: {
    optional: true,
    abi: [f32out("scratch", (a) => a.n!), ...sizes("n")],
    flatten: (scratch, n) => [scratch, n],
  },
  optimizerStep: {
    abi: [
      ...scalars("kind"), f32out("thetaOut", (a) => a.n!), f32in("theta", (a) => a.n!), f32in("grad", (a) => a.n!),
      slot("s0", "in"), slot("s1", "in"), slot("s2", "in"), slot("s0Out", "out"), slot("s1Out", "out"), slot("s2Out", "out"),
      ...sizes("n"), ...scalars("p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"),
    ],
    flatten(thetaOut, theta, grad, s: OptimStateBuffers<number>, n, h: OptimStepHyper) {
      const [kind, p] = optimStepAbi(h);
      const [a, b, c] = s.state;
      const [ao, bo, co] = s.stateOut;
      return [kind, thetaOut, theta, grad, a, b ?? 0, c ?? 0, ao, bo ?? 0, co ?? 0, n, ...p];
    },
    check(a) {
      if (![0, 1, 2].includes(a.kind!)) return `kind ${a.kind} is not 0 (adam), 1 (adadelta) or 2 (rmsprop)`;
      // The slots each rule reads and writes: adam and adadelta two; rmsprop one, plus momentum's and centered's.
      const needs = a.kind === 2 ? [true, a.p4 !== 0, a.p5 !== 0] : [true, true, false];
      for (const [i, needed] of needs.entries()) {
        if (needed && (a[`s${i}`] === 0 || a[`s${i}Out`] === 0)) return `state slot ${i} is needed by this rule, found none`;
      }
      return null;
    },
  },
};
