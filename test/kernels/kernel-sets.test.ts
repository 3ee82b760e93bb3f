// Every kernel set against the TS reference (random and odd shapes: 1, 3, 17, 785 columns, a
// batch of 1), the row-independence contract of src/kernels/kernels.ts for every set (the
// reference included), and the whole model's gradient through each set against float64 finite
// differences.
import { beforeAll, describe, expect, it } from "vitest";

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
import { denseForward, denseInputGrad, denseWeightGradSgd } from "../../src/kernels/ts/dense.js";
import { gatherRows } from "../../src/kernels/ts/gather.js";
import { reluBackward, reluForward } from "../../src/kernels/ts/relu.js";
import { softmaxCrossEntropy } from "../../src/kernels/ts/softmax-ce.js";
import type { ConvGeometry, OptimStepHyper, PoolGeometry, SgdHyper } from "../../src/kernels/kernels.js";
import { optimStepHyper } from "../../src/optim/optimizers.js";
import type { Region } from "../../src/arena/layout.js";
import { parseConfigObject } from "../../src/config/load.js";
import { specFromConfig } from "../../src/model/build.js";
import { Rng } from "../../src/rng.js";
import { mlp } from "../../src/model/spec.js";
import { normRelError, randomArray } from "../helpers.js";
import { modelGradientCheck } from "./model-gradient.js";
import { nativeAvailable, nativeSet, tsSet, wasmSet, type SetUnderTest } from "./set-harness.js";
import { loadAddon, nativeAddonPath, nativeCpuIsas, type NativeIsa } from "../../src/kernels/native/native-kernels.js";
import { nativeBuildRecord } from "../../src/paths.js";
import { resolveKernels } from "../../src/kernels/resolve.js";
import { existsSync, readFileSync } from "node:fs";

const TOL = 1e-5;
// Native: each instruction set this CPU runs. On an AVX-512 machine this runs the AVX2 path too
// (forced through the same addon), so both code paths are checked against the reference.
const loaders: Record<string, () => Promise<SetUnderTest | null>> = {
  ts: async () => tsSet(), wasm: () => wasmSet(),
  "native-avx512": async () => nativeSet("avx512"), "native-avx2": async () => nativeSet("avx2"),
};
const cpuIsas = nativeCpuIsas();
const runs = (name: string) => !name.startsWith("native-") || cpuIsas.includes(name.slice("native-".length) as NativeIsa);
const shapes: [number, number, number][] = [
  // [B, C, OC]: batch of 1, odd columns (1, 3, 17, 785), odd outputs, and the seed MLP's shapes
  [1, 1, 1], [1, 3, 5], [3, 17, 7], [5, 785, 9], [8, 784, 520], [7, 520, 320], [2, 120, 10], [9, 33, 6],
  // wide inputs: the native weight gradient's 512-column tiles, the last one short (the MNIST CNN's fc1 has 9216)
  [6, 1100, 11],
  // tall inputs (a conv's im2col matrix): the native weight gradient's row-chunked path, the forward's row tiles
  [300, 33, 6], [257, 288, 13],
];
const hypers: SgdHyper[] = [
  { gradScale: 1 / 8, lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 },
  { gradScale: 1 / 3, lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 },
];

/** Random inputs for one dense layer, with some exact zeros and negatives in the ReLU mask. */
function denseCase(B: number, C: number, OC: number) {
  const rng = new Rng(B * 1000 + C * 10 + OC);
  const mask = randomArray(Float32Array, B * C, rng);
  for (let i = 0; i < mask.length; i += 5) mask[i] = 0;
  return {
    inp: randomArray(Float32Array, B * C, rng), weight: randomArray(Float32Array, OC * C, rng, 0.2), bias: randomArray(Float32Array, OC, rng),
    dout: randomArray(Float32Array, B * OC, rng), velocity: randomArray(Float32Array, OC * C, rng, 0.1), biasVelocity: randomArray(Float32Array, OC, rng, 0.1), mask,
  };
}

const OPTIM_CASES: [string, Record<string, unknown>][] = [
  ["adam", { type: "adam", weightDecay: 0.01 }],
  ["adamw", { type: "adamw", betas: [0.8, 0.99] }],
  ["adadelta", { type: "adadelta", weightDecay: 0.001 }],
  ["rmsprop", { type: "rmsprop" }],
  ["rmsprop centered + momentum", { type: "rmsprop", momentum: 0.5, centered: true, weightDecay: 0.01 }],
];

/** The set's optimizerStep over [from, to) ranges of n parameters with seeded θ, gradient and state (state kept positive: it holds squares). */
function runOptimizerStep(s: SetUnderTest, h: OptimStepHyper, n: number, ranges: [number, number][]): Record<string, number[]> {
  const rng = new Rng(n + ["adam", "adadelta", "rmsprop"].indexOf(h.rule) * 7);
  const positive = () => Array.from({ length: n }, () => rng.nextFloat() * 0.01 + 1e-4);
  const theta = s.f32(n, randomArray(Float32Array, n, rng)), grad = s.f32(n, randomArray(Float32Array, n, rng, 0.1));
  const ins = [s.f32(n, positive()), s.f32(n, positive()), s.f32(n, randomArray(Float32Array, n, rng, 0.01))];
  const outs = [s.f32(n), s.f32(n), s.f32(n)];
  const thetaOut = s.f32(n);
  const thetaOutV = thetaOut[1];
  for (const [from, to] of ranges) {
    const at = (r: Region) => s.bind.f32({ offset: r.offset + from * 4, length: to - from, type: "f32" });
    const sl = (list: typeof ins) => [at(list[0]![2]), at(list[1]![2]), at(list[2]![2])] as [unknown, unknown, unknown];
    s.k.optimizerStep(at(thetaOut[2]), at(theta[2]), at(grad[2]), { state: sl(ins), stateOut: sl(outs) }, to - from, h);
  }
  // The slots this kind writes: adam and adadelta two; rmsprop one, plus momentum's and centered's.
  const used = h.rule === "rmsprop" ? [true, h.momentum !== 0, h.centered] : [true, true, false];
  return Object.fromEntries([["theta", [...thetaOutV]], ...outs.flatMap((o, i) => (used[i] ? [[`s${i}`, [...o[1]]]] : []))]);
}

/** Runs the set's fused PARAMS kernel for rows [o0, o1) on fresh output buffers; returns θ', v', rowSq. */
function runWeightGradSgd(s: SetUnderTest, c: ReturnType<typeof denseCase>, B: number, C: number, OC: number, ranges: [number, number][], hyper: SgdHyper, conv?: ConvGeometry) {
  const f = (n: number, from?: Float32Array) => s.f32(n, from);
  const [w] = f(OC * C, c.weight), [b] = f(OC, c.bias), [wv] = f(OC * C, c.velocity), [bv] = f(OC, c.biasVelocity);
  const [wOut, wOutV] = f(OC * C), [bOut, bOutV] = f(OC), [wvOut, wvOutV] = f(OC * C), [bvOut, bvOutV] = f(OC);
  const [sq, sqV] = s.f64(OC);
  // conv: B images (rows of c.inp of H·W·C floats) and C = C·KH·KW weight columns
  const [dout] = f(B * OC, c.dout), [inp] = f(c.inp.length, c.inp);
  const p = { weight: w, bias: b, weightVelocity: wv, biasVelocity: bv, weightOut: wOut, biasOut: bOut, weightVelocityOut: wvOut, biasVelocityOut: bvOut };
  for (const [o0, o1] of ranges) {
    if (conv) s.k.convWeightGradSgd!(p, sq, dout, inp, B / (conv.OH * conv.OW), conv, OC, o0, o1, hyper);
    else s.k.denseWeightGradSgd(p, sq, dout, inp, B, C, OC, o0, o1, hyper);
  }
  return { theta: [...wOutV, ...bOutV], velocity: [...wvOutV, ...bvOutV], rowSq: [...sqV] };
}

/** Runs the set's plain weight-gradient kernel for rows [o0, o1) into NaN-filled outputs (each must be written); returns the gradient and rowSq. */
function runWeightGrad(s: SetUnderTest, c: ReturnType<typeof denseCase>, B: number, C: number, OC: number, ranges: [number, number][], gradScale: number, conv?: ConvGeometry) {
  const [wg, wgV] = s.f32(OC * C, new Float32Array(OC * C).fill(NaN)), [bg, bgV] = s.f32(OC, new Float32Array(OC).fill(NaN));
  const [sq, sqV] = s.f64(OC);
  const [dout] = s.f32(B * OC, c.dout), [inp] = s.f32(c.inp.length, c.inp);
  for (const [o0, o1] of ranges) {
    if (conv) s.k.convWeightGrad!({ weightGrad: wg, biasGrad: bg }, sq, dout, inp, B / (conv.OH * conv.OW), conv, OC, o0, o1, gradScale);
    else s.k.denseWeightGrad({ weightGrad: wg, biasGrad: bg }, sq, dout, inp, B, C, OC, o0, o1, gradScale);
  }
  return { grad: Float32Array.from([...wgV, ...bgV]), rowSq: [...sqV] };
}

/** The fused kernel with no update (lr, momentum and decay 0, velocity 0): its velocity output is the gradient it applies. */
const applied = (gradScale: number): SgdHyper => ({ gradScale, lr: 0, momentum: 0, nesterov: false, weightDecay: 0 });

/** A conv layer's case: B images NHWC, their im2col matrix by the TS reference, and dense-case weights over C·KH·KW columns. */
function convCase(B: number, g: ConvGeometry, OC: number) {
  const K = g.C * g.KH * g.KW, P = g.OH * g.OW;
  const c = denseCase(B * P, K, OC);
  const rng = new Rng(K * 31 + OC);
  const images = randomArray(Float32Array, B * g.H * g.W * g.C, rng);
  const cols = new Float32Array(B * P * K);
  tsSet().k.im2col(cols, images, B, g);
  return { c, images, cols, K, P };
}

// .ci/run requires the addon it just built to load; here any state passes (the suite must run on
// the wasm fallback too), as long as a missing, failed or unloadable addon says why in one line.
it("the native addon loads and sees the CPU's instruction sets, or says in one line why it cannot (not built, does not load, no AVX2 + FMA)", () => {
  const record = JSON.parse(readFileSync(nativeBuildRecord, "utf8")) as { ok: boolean; error?: string };
  if (!record.ok) expect(record.error).toMatch(/\S/);
  const { addon, reason } = loadAddon();
  const file = nativeAddonPath();
  // What the CPU has, as the kernel reports it (x86-64 Linux): the addon must agree.
  const flags = existsSync("/proc/cpuinfo") ? (readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? "").trim().split(/\s+/) : null;
  if (!existsSync(file)) {
    // Not built: say so, with the build's own error when the build record has one.
    expect(addon).toBeNull();
    expect(reason).toMatch(record.ok ? /^the native addon was not built/ : /^the native addon was not built \(.+; see dist\/native-build\.log\)$/);
  } else if (addon === null) {
    // Built but unusable: the loader's error, or a CPU without either instruction set.
    expect(reason).toMatch(/^(the native addon did not load: \S[^\n]*|this CPU has neither AVX-512F nor AVX2 \+ FMA)$/);
    if (flags && /^this CPU/.test(reason)) expect(flags.includes("avx512f") || (flags.includes("avx2") && flags.includes("fma"))).toBe(false);
  } else {
    expect(reason).toBe("");
    if (flags) {
      expect(addon.cpuIsas().includes("avx512"), "avx512f in /proc/cpuinfo").toBe(flags.includes("avx512f"));
      expect(addon.cpuIsas().includes("avx2"), "avx2 and fma in /proc/cpuinfo").toBe(flags.includes("avx2") && flags.includes("fma"));
    }
  }
  expect(nativeAvailable).toBe(addon !== null && cpuIsas.length > 0);
  // engine.kernels: auto runs native exactly where the addon is usable.
  expect(resolveKernels("auto", "auto").set).toBe(nativeAvailable ? "native" : "wasm");
});

for (const name of Object.keys(loaders)) {
  describe.skipIf(!runs(name))(`kernel set ${name}`, () => {
    let s: SetUnderTest;
    beforeAll(async () => {
      s = (await loaders[name]!())!;
    });

    if (name !== "ts") {
      describe(`equals the TS reference (norm rel err ≤ ${TOL})`, () => {
        for (const [B, C, OC] of shapes) {
          it(`dense forward (± fused ReLU), input gradient (± mask), weight gradient + SGD: B=${B} C=${C} OC=${OC}`, () => {
            s.reset();
            const c = denseCase(B, C, OC);
            for (const relu of [false, true]) {
              const ref = new Float32Array(B * OC);
              denseForward(ref, c.inp, c.weight, c.bias, B, C, OC, relu);
              const [out, outV] = s.f32(B * OC);
              s.k.denseForward(out, s.f32(B * C, c.inp)[0], s.f32(OC * C, c.weight)[0], s.f32(OC, c.bias)[0], B, C, OC, relu);
              expect(normRelError(outV, ref)).toBeLessThan(TOL);
            }
            for (const masked of [false, true]) {
              const ref = new Float32Array(B * C);
              denseInputGrad(ref, c.dout, c.weight, masked ? c.mask : null, B, C, OC);
              const [dinp, dinpV] = s.f32(B * C);
              dinpV.fill(NaN);
              s.k.denseInputGrad(dinp, s.f32(B * OC, c.dout)[0], s.f32(OC * C, c.weight)[0], masked ? s.f32(B * C, c.mask)[0] : null, B, C, OC);
              expect(normRelError(dinpV, ref)).toBeLessThan(TOL);
              if (masked) for (let i = 0; i < B * C; i++) if (!(c.mask[i]! > 0)) expect(dinpV[i]).toBe(0);
            }
            for (const hyper of hypers) {
              const ref = { theta: new Float32Array(OC * C + OC), velocity: new Float32Array(OC * C + OC), rowSq: new Float64Array(OC) };
              const part = (f: Float32Array, from: number, n: number) => f.subarray(from, from + n);
              denseWeightGradSgd(
                { weight: c.weight, bias: c.bias, weightVelocity: c.velocity, biasVelocity: c.biasVelocity, weightOut: part(ref.theta, 0, OC * C), biasOut: part(ref.theta, OC * C, OC), weightVelocityOut: part(ref.velocity, 0, OC * C), biasVelocityOut: part(ref.velocity, OC * C, OC) },
                ref.rowSq, c.dout, c.inp, B, C, OC, 0, OC, hyper,
              );
              const got = runWeightGradSgd(s, c, B, C, OC, [[0, OC]], hyper);
              expect(normRelError(got.velocity, ref.velocity)).toBeLessThan(TOL);
              expect(normRelError(got.theta, ref.theta)).toBeLessThan(TOL);
              expect(normRelError(got.rowSq, ref.rowSq)).toBeLessThan(TOL);
            }
          });
        }

        it("relu forward/backward (N = 1, 7, 4099), bit-exact", () => {
          for (const N of [1, 7, 4099]) {
            s.reset();
            const rng = new Rng(N);
            const inp = randomArray(Float32Array, N, rng), dout = randomArray(Float32Array, N, rng);
            const refOut = new Float32Array(N), refDinp = new Float32Array(N);
            reluForward(refOut, inp, N);
            reluBackward(refDinp, dout, refOut, N);
            const [pOut, out] = s.f32(N), [pDinp, dinp] = s.f32(N);
            s.k.reluForward(pOut, s.f32(N, inp)[0], N);
            s.k.reluBackward(pDinp, s.f32(N, dout)[0], pOut, N);
            expect(out).toEqual(refOut);
            expect(dinp).toEqual(refDinp);
          }
        });

        it("gather u8 → (f32/255 − mean)/std by row index (C = 3, 784, 785; four normalizations), bit-exact", () => {
          for (const C of [3, 784, 785]) {
            for (const [mean, std] of [[0, 1], [0.1307, 0.3081], [0.5, 0.25], [-1, 3]] as const) {
              s.reset();
              const N = 6, B = 4;
              const images = Uint8Array.from({ length: N * C }, (_, i) => (i * 131) % 256);
              const labels = Uint8Array.of(0, 1, 2, 3, 4, 5);
              const order = Uint32Array.of(5, 3, 0, 2, 4, 1);
              const ref = new Float32Array(B * C), refLabels = new Uint8Array(B);
              gatherRows(ref, refLabels, images, labels, order, 1, B, C, mean, std);
              const [pOut, out] = s.f32(B * C);
              const outLabels = new Uint8Array(B);
              const pOutLab = s.u8(outLabels);
              s.k.gatherRows(pOut, pOutLab, s.u8(images), s.u8(labels), s.u32(order), 1, B, C, mean, std);
              expect(out).toEqual(ref);
              const labelsOut = typeof pOutLab === "number" ? new Uint8Array(s.memory.buffer, pOutLab, B) : (pOutLab as Uint8Array);
              expect(Array.from(labelsOut)).toEqual(Array.from(refLabels));
            }
          }
        });

        it("softmax-CE: loss, per-row losses, #correct, gradient; stable at ±1e4", () => {
          for (const [B, K, scale] of [[1, 10, 1], [13, 10, 1 / 13], [4, 3, 1]] as const) {
            s.reset();
            const rng = new Rng(B * K);
            const logits = randomArray(Float32Array, B * K, rng, 5);
            logits[0] = 1e4;
            if (B > 1) logits[K] = -1e4;
            const labels = Uint8Array.from({ length: B }, (_, i) => i % K);
            const refD = new Float32Array(B * K), refLosses = new Float32Array(B);
            const ref = softmaxCrossEntropy(refD, refLosses, logits, labels, B, K, scale);
            const [pD, d] = s.f32(B * K), [pLoss, losses] = s.f32(B);
            const got = s.k.softmaxCrossEntropy(pD, pLoss, s.f32(B * K, logits)[0], s.u8(labels), B, K, scale);
            expect(Math.abs(got.lossSum - ref.lossSum) / Math.max(1, Math.abs(ref.lossSum))).toBeLessThan(1e-9);
            expect(got.correct).toBe(ref.correct);
            expect(normRelError(d, refD)).toBeLessThan(TOL);
            expect(normRelError(losses, refLosses)).toBeLessThan(TOL);
            expect(d.every(Number.isFinite)).toBe(true);
          }
        });

        it("the whole model's gradient (fused dense+ReLU, masked input gradients) matches float64 finite differences", () => {
          s.reset();
          expect(modelGradientCheck(s, mlp([13, 9, 7, 5], "relu"), 6, 3)).toBeLessThan(2e-4);
          // With dropout after each ReLU (masks fixed by the context): the unfused backward path.
          const dropped = specFromConfig(parseConfigObject({ model: { type: "sequential", layers: [{ type: "flatten" }, { type: "linear", out: 9 }, { type: "relu" }, { type: "dropout", p: 0.3 }, { type: "linear", out: 7 }, { type: "relu" }, { type: "dropout", p: 0.5 }, { type: "linear", out: 5 }] } }, "test").model, 13, 5, [1, 1, 13]);
          expect(modelGradientCheck(s, dropped, 6, 3, { seed: 9, step: 4, row0: 100 })).toBeLessThan(2e-4);
          // A small CNN: conv (padded, strided) + ReLU, conv, max-pool, dropout, flatten (NHWC → NCHW), linear.
          const cnn = specFromConfig(parseConfigObject({ model: { type: "sequential", layers: [
            { type: "conv2d", out: 4, kernel: 3, padding: 1 }, { type: "relu" }, { type: "conv2d", out: 5, kernel: 3, stride: 2 }, { type: "relu" },
            { type: "maxpool2d", kernel: 2 }, { type: "dropout", p: 0.25 }, { type: "flatten" }, { type: "linear", out: 3 },
          ] } }, "test").model, 2 * 9 * 9, 3, [2, 9, 9]);
          expect(modelGradientCheck(s, cnn, 3, 5, { seed: 2, step: 1, row0: 7 })).toBeLessThan(2e-4);
        });
      });
    }

    describe("row independence: B = 7 in one call equals row by row, bitwise", () => {
      for (const [C, OC] of [[1, 1], [3, 5], [17, 9], [785, 7], [784, 10]] as const) {
        it(`dense forward (± ReLU), input gradient (± mask), softmax-CE, relu, gather: C=${C} OC=${OC}`, () => {
          s.reset();
          const B = 7;
          const c = denseCase(B, C, OC);
          const [x, w, b, dout, mask] = [s.f32(B * C, c.inp)[0], s.f32(OC * C, c.weight)[0], s.f32(OC, c.bias)[0], s.f32(B * OC, c.dout)[0], s.f32(B * C, c.mask)[0]];
          // Row r of a (rows, width) buffer, as the set names it: a pointer plus bytes, or a subarray.
          const row = (buf: any, width: number, r: number, n = 1) => (typeof buf === "number" ? buf + r * width * 4 : (buf as Float32Array).subarray(r * width, (r + n) * width));
          const byRows = (width: number, whole: (out: any) => void, one: (out: any, r: number) => void) => {
            const [a, av] = s.f32(B * width), [bb, bv] = s.f32(B * width);
            whole(a);
            for (let r = 0; r < B; r++) one(row(bb, width, r), r);
            expect(Buffer.from(bv.buffer, bv.byteOffset, bv.byteLength).equals(Buffer.from(av.buffer, av.byteOffset, av.byteLength))).toBe(true);
          };
          for (const relu of [false, true]) {
            byRows(OC, (out) => s.k.denseForward(out, x, w, b, B, C, OC, relu), (out, r) => s.k.denseForward(out, row(x, C, r), w, b, 1, C, OC, relu));
          }
          byRows(C, (out) => s.k.denseInputGrad(out, dout, w, null, B, C, OC), (out, r) => s.k.denseInputGrad(out, row(dout, OC, r), w, null, 1, C, OC));
          byRows(C, (out) => s.k.denseInputGrad(out, dout, w, mask, B, C, OC), (out, r) => s.k.denseInputGrad(out, row(dout, OC, r), w, row(mask, C, r), 1, C, OC));
          const labels = s.u8(Array.from({ length: B }, (_, i) => i % OC));
          const labelAt = (r: number) => (typeof labels === "number" ? labels + r : (labels as Uint8Array).subarray(r, r + 1));
          const [lossA, lossAV] = s.f32(B), [lossB, lossBV] = s.f32(B);
          byRows(OC, (out) => s.k.softmaxCrossEntropy(out, lossA, dout, labels, B, OC, 1), (out, r) => s.k.softmaxCrossEntropy(out, row(lossB, 1, r), row(dout, OC, r), labelAt(r), 1, OC, 1));
          expect(Array.from(lossBV)).toEqual(Array.from(lossAV));
          byRows(C, (out) => s.k.reluForward(out, x, B * C), (out, r) => s.k.reluForward(out, row(x, C, r), C));
          const images = s.u8(Array.from({ length: 9 * C }, (_, i) => (i * 37) % 256));
          const srcLabels = s.u8([1, 2, 3, 4, 5, 6, 7, 8, 9]);
          const order = s.u32([8, 1, 7, 2, 6, 3, 5, 4, 0]);
          const outLabels = s.u8(new Array(B).fill(0));
          byRows(C, (out) => s.k.gatherRows(out, outLabels, images, srcLabels, order, 1, B, C, 0.1307, 0.3081), (out, r) => s.k.gatherRows(out, outLabels, images, srcLabels, order, 1 + r, 1, C, 0.1307, 0.3081));
        });
      }
    });

    describe("feature independence: a range of outputs (ldOut) or of input-gradient columns (ld) equals the whole call, bitwise", () => {
      // The feature cut (engine/common/feature-plan.ts) computes outputs [o0, o1) of each layer and
      // columns [c0, c1) of each input gradient, for all rows: any cut, aligned or not, must give
      // the whole call's bits (register blocks, vector tails and the 4 × 4 sums all fall elsewhere).
      for (const [B, C, OC, cuts] of [[7, 17, 9, [0, 3, 4, 9]], [64, 520, 320, [0, 160, 320]], [13, 120, 37, [0, 1, 8, 24, 31, 37]], [5, 784, 46, [0, 15, 46]]] as const) {
        it(`dense forward (± ReLU) by output ranges ${cuts.join("|")}, input gradient (± mask) by column ranges: B=${B} C=${C} OC=${OC}`, () => {
          s.reset();
          const c = denseCase(B, C, OC);
          const [x, w, b, dout, mask] = [s.f32(B * C, c.inp)[0], s.f32(OC * C, c.weight)[0], s.f32(OC, c.bias)[0], s.f32(B * OC, c.dout)[0], s.f32(B * C, c.mask)[0]];
          // Float `first` of a buffer onwards, as the set names it: a pointer plus bytes, or a subarray.
          const from = (buf: any, first: number) => (typeof buf === "number" ? buf + first * 4 : (buf as Float32Array).subarray(first));
          const same = (av: Float32Array, bv: Float32Array) => expect(Buffer.from(bv.buffer, bv.byteOffset, bv.byteLength).equals(Buffer.from(av.buffer, av.byteOffset, av.byteLength))).toBe(true);
          const ranges = (edges: readonly number[]) => edges.slice(1).map((e, i) => [edges[i]!, e] as const).filter(([a, z]) => z > a);
          for (const relu of [false, true]) {
            const [whole, wholeV] = s.f32(B * OC), [cut, cutV] = s.f32(B * OC);
            s.k.denseForward(whole, x, w, b, B, C, OC, relu);
            for (const [o0, o1] of ranges(cuts)) s.k.denseForward(from(cut, o0), x, from(w, o0 * C), from(b, o0), B, C, o1 - o0, relu, OC);
            same(wholeV, cutV);
          }
          // input-gradient columns: the same edges scaled to C
          const colCuts = [...new Set(cuts.map((e) => Math.round((e / OC) * C)))];
          for (const m of [null, mask]) {
            const [whole, wholeV] = s.f32(B * C), [cut, cutV] = s.f32(B * C);
            s.k.denseInputGrad(whole, dout, w, m, B, C, OC);
            for (const [c0, c1] of ranges(colCuts)) s.k.denseInputGrad(from(cut, c0), dout, from(w, c0), m === null ? null : from(m, c0), B, c1 - c0, OC, C);
            same(wholeV, cutV);
          }
        });
      }
    });

    describe("placement independence: the same bits wherever the operands lie, aligned to a vector or not", () => {
      // The native kernels read operands whose rows straddle cache lines (C not a whole number of
      // vectors, or a base off a vector boundary) from an aligned copy (native impl/dense.h): the
      // copy must change nothing. Each case runs once on 64-byte-aligned buffers and once with
      // every operand `shift` floats further on, and the outputs must be the same bits.
      for (const [B, C, OC, shift] of [[64, 520, 44, 4], [64, 528, 37, 4], [32, 528, 44, 8], [9, 784, 21, 3], [64, 40, 9, 1]] as const) {
        it(`dense forward (± ReLU) and input gradient (± mask): B=${B} C=${C} OC=${OC}, operands shifted ${shift} floats`, () => {
          s.reset();
          const c = denseCase(B, C, OC);
          const from = (buf: any, first: number) => (typeof buf === "number" ? buf + first * 4 : (buf as Float32Array).subarray(first));
          // an operand placed `at` floats into a buffer with 16 floats to spare
          const placed = (data: Float32Array, at: number) => {
            const [buf, view] = s.f32(data.length + 16);
            view.set(data, at);
            return from(buf, at);
          };
          const output = (n: number, at: number) => {
            const [buf, view] = s.f32(n + 16);
            view.fill(NaN);
            return { buf: from(buf, at), bits: () => Buffer.from(view.buffer, view.byteOffset + at * 4, n * 4) };
          };
          const run = (at: number) => {
            const [x, w, b, dout, mask] = [c.inp, c.weight, c.bias, c.dout, c.mask].map((d) => placed(d, at));
            const bits: Buffer[] = [];
            for (const relu of [false, true]) {
              const out = output(B * OC, at);
              s.k.denseForward(out.buf, x, w, b, B, C, OC, relu);
              bits.push(out.bits());
            }
            for (const m of [null, mask]) {
              const dinp = output(B * C, at);
              s.k.denseInputGrad(dinp.buf, dout, w, m, B, C, OC);
              bits.push(dinp.bits());
            }
            return bits;
          };
          const aligned = run(0), shifted = run(shift);
          aligned.forEach((a, i) => expect(shifted[i]!.equals(a), `output ${i}`).toBe(true));
        });
      }
    });

    describe("conv data movement: im2col, col2im, max-pool, transpose (NHWC)", () => {
      const convs: [string, ConvGeometry][] = [
        ["1→ 3×3, 8×8", { C: 1, H: 8, W: 8, KH: 3, KW: 3, stride: 1, pad: 0, OH: 6, OW: 6 }],
        ["3ch 5×5 stride 2 pad 2, 9×7", { C: 3, H: 9, W: 7, KH: 5, KW: 5, stride: 2, pad: 2, OH: 5, OW: 4 }],
        ["32ch 3×3, 6×6", { C: 32, H: 6, W: 6, KH: 3, KW: 3, stride: 1, pad: 1, OH: 6, OW: 6 }],
      ];
      const pools: [string, PoolGeometry][] = [
        ["2×2 on 8×8×5", { C: 5, H: 8, W: 8, K: 2, stride: 2, OH: 4, OW: 4 }],
        ["3×3 stride 2 on 7×9×2", { C: 2, H: 7, W: 9, K: 3, stride: 2, OH: 3, OW: 4 }],
        // overlapping windows on vector lanes (wasm pools 4 channels at a time) and a 2-channel tail
        ["3×3 stride 1 on 6×5×10", { C: 10, H: 6, W: 5, K: 3, stride: 1, OH: 4, OW: 3 }],
      ];
      /** Runs fn over rows [r0, r1) ranges of B rows; returns the output bytes. */
      const byRanges = (set: SetUnderTest, B: number, inW: number, outW: number, x: Float32Array, ranges: [number, number][], fn: (out: unknown, inp: unknown, n: number) => void, extra?: [number, Float32Array]) => {
        const [, , inR] = set.f32(B * inW, x);
        const [, outV, outR] = set.f32(B * outW);
        const exR = extra ? set.f32(B * extra[0], extra[1])[2] : null;
        for (const [r0, r1] of ranges) {
          const at = (r: Region, w: number) => set.bind.f32({ offset: r.offset + r0 * w * 4, length: (r1 - r0) * w, type: "f32" });
          if (exR) (fn as (o: unknown, i: unknown, n: number, e: unknown) => void)(at(outR, outW), at(inR, inW), r1 - r0, at(exR, extra![0]));
          else fn(at(outR, outW), at(inR, inW), r1 - r0);
        }
        return Buffer.from(outV.buffer, outV.byteOffset, outV.byteLength);
      };
      const B = 5;
      const check = (inW: number, outW: number, x: Float32Array, fn: (k: SetUnderTest["k"]) => (out: unknown, inp: unknown, n: number, e?: unknown) => void, extra?: [number, Float32Array]) => {
        s.reset();
        const whole = byRanges(s, B, inW, outW, x, [[0, B]], fn(s.k), extra);
        expect(whole.equals(byRanges(tsSet(), B, inW, outW, x, [[0, B]], fn(tsSet().k), extra))).toBe(true);
        expect(byRanges(s, B, inW, outW, x, [[0, 2], [2, 3], [3, B]], fn(s.k), extra).equals(whole)).toBe(true);
      };
      for (const [label, g] of convs) {
        it(`im2col and col2im: ${label}: the reference's bits, and one call equals row ranges`, () => {
          const inW = g.H * g.W * g.C;
          const colW = g.OH * g.OW * g.C * g.KH * g.KW;
          const rng = new Rng(inW);
          check(inW, colW, randomArray(Float32Array, B * inW, rng), (k) => (out, inp, n) => k.im2col(out, inp, n, g));
          check(colW, inW, randomArray(Float32Array, B * colW, rng), (k) => (out, inp, n) => k.col2im(out, inp, n, g));
        });
      }
      for (const [label, g] of pools) {
        it(`max-pool forward and backward: ${label}: the reference's bits, and one call equals row ranges`, () => {
          const inW = g.H * g.W * g.C;
          const outW = g.OH * g.OW * g.C;
          const rng = new Rng(inW + 1);
          const x = randomArray(Float32Array, B * inW, rng);
          for (let i = 0; i < x.length; i += 7) x[i] = x[i + 1] ?? 0; // ties: the first maximum wins
          // NaN propagates forward (as Math.max) and never wins backward; infinities are ordinary
          for (const [i, v] of [[3, NaN], [40, Infinity], [41, Infinity], [77, -Infinity], [120, NaN], [121, 5]] as const) x[i] = v;
          check(inW, outW, x, (k) => (out, inp, n) => k.maxpoolForward(out, inp, n, g));
          check(outW, inW, randomArray(Float32Array, B * outW, rng), (k) => (out, dout, n, inp) => k.maxpoolBackward(out, dout, inp, n, g), [inW, x]);
        });
      }
      it("transposeRows (B, P, Q) → (B, Q, P) and back", () => {
        const x = randomArray(Float32Array, B * 12, new Rng(12));
        check(12, 12, x, (k) => (out, inp, n) => k.transposeRows(out, inp, n, 3, 4));
      });
    });

    describe("dropout (counter-based masks)", () => {
      const key = { seed: 4242, step: 17, row0: 300, stream: 1 };
      for (const [B, C, p] of [[7, 784, 0.5], [3, 17, 0.25], [1, 1, 0.5], [64, 128, 0.1]] as const) {
        it(`forward and backward equal the reference bit for bit, and one call equals row by row: B=${B} C=${C} p=${p}`, () => {
          s.reset();
          const rng = new Rng(B * 31 + C);
          const x = randomArray(Float32Array, B * C, rng);
          const run = (set: SetUnderTest, backward: boolean, rows: [number, number][]) => {
            const [inp, , inpR] = set.f32(B * C, x);
            const [, outV, outR] = set.f32(B * C);
            for (const [r0, r1] of rows) {
              const at = (r: Region) => set.bind.f32({ offset: r.offset + r0 * C * 4, length: (r1 - r0) * C, type: "f32" });
              const k = { ...key, row0: key.row0 + r0 };
              if (backward) set.k.dropoutBackward(at(outR), at(inpR), r1 - r0, C, p, k);
              else set.k.dropoutForward(at(outR), at(inpR), r1 - r0, C, p, k);
            }
            void inp;
            return Buffer.from(outV.buffer, outV.byteOffset, outV.byteLength);
          };
          const ref = tsSet();
          for (const backward of [false, true]) {
            const whole = run(s, backward, [[0, B]]);
            expect(whole.equals(run(ref, backward, [[0, B]]))).toBe(true);
            expect(run(s, backward, Array.from({ length: B }, (_, r) => [r, r + 1] as [number, number])).equals(whole)).toBe(true);
          }
        });
      }
      it("drops a fraction p of the units, scales the rest by 1 / (1 − p), and p = 0 is a copy", () => {
        s.reset();
        const n = 20000;
        const [inp] = s.f32(n, new Float32Array(n).fill(1));
        const [out, outV] = s.f32(n);
        s.k.dropoutForward(out, inp, 10, n / 10, 0.3, key);
        const kept = outV.filter((v) => v !== 0);
        expect(Math.abs(1 - kept.length / n - 0.3)).toBeLessThan(0.02);
        expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.7)]));
        // Another step draws another mask: about 2p(1 − p) = 42% of the units change.
        const first = Array.from(outV, (v) => v !== 0);
        s.k.dropoutForward(out, inp, 10, n / 10, 0.3, { ...key, step: key.step + 1 });
        const changed = first.filter((k, i) => k !== (outV[i] !== 0)).length / n;
        expect(Math.abs(changed - 0.42)).toBeLessThan(0.03);
        const x = randomArray(Float32Array, 99, new Rng(5));
        const [xi] = s.f32(99, x);
        const [y, yV] = s.f32(99);
        s.k.dropoutForward(y, xi, 9, 11, 0, key);
        expect(Array.from(yV)).toEqual(Array.from(x));
      });
    });

    describe("data.augment (shift, flip, rotation per row from the counter-based hash)", () => {
      const key = { seed: 99, step: 5, row0: 40 };
      const cases = [
        ["gray 12×10, shift 3 + flip", { C: 1, H: 12, W: 10, channelsLast: false }, { shift: 3, flip: true, rotate: 0, fill: -0.5 }],
        ["RGB (C, H, W) 9×9, shift 2", { C: 3, H: 9, W: 9, channelsLast: false }, { shift: 2, flip: false, rotate: 0, fill: 0 }],
        ["RGB channels last 8×11, flip", { C: 3, H: 8, W: 11, channelsLast: true }, { shift: 0, flip: true, rotate: 0, fill: 0 }],
        ["gray 28×28, rotation ±15° + shift 2 + flip", { C: 1, H: 28, W: 28, channelsLast: false }, { shift: 2, flip: true, rotate: 15, fill: -0.4242 }],
        ["RGB channels last 10×10, rotation ±30°", { C: 3, H: 10, W: 10, channelsLast: true }, { shift: 0, flip: false, rotate: 30, fill: 0.1 }],
      ] as const;
      for (const [label, g, a] of cases) {
        it(`${label}: ${a.rotate ? "the reference within 1e-6 (bit for bit where the f32 sine and cosine agree)" : "the reference's bits (values only move)"}; one call equals row by row`, () => {
          s.reset();
          const B = 9;
          const width = g.C * g.H * g.W;
          const x = randomArray(Float32Array, B * width, new Rng(width));
          const run = (set: SetUnderTest, rows: [number, number][]) => {
            const [, , inpR] = set.f32(B * width, x);
            const [, outV, outR] = set.f32(B * width);
            for (const [r0, r1] of rows) {
              const at = (r: Region) => set.bind.f32({ offset: r.offset + r0 * width * 4, length: (r1 - r0) * width, type: "f32" });
              set.k.augmentRows(at(outR), at(inpR), r1 - r0, g, a, { ...key, row0: key.row0 + r0 });
            }
            return outV.slice();
          };
          const mine = run(s, [[0, B]]);
          const ref = run(tsSet(), [[0, B]]);
          if (a.rotate) expect(maxAbsDiff(mine, ref)).toBeLessThan(1e-6);
          else expect(Buffer.from(mine.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
          const byRow = run(s, Array.from({ length: B }, (_, r) => [r, r + 1] as [number, number]));
          expect(Buffer.from(byRow.buffer).equals(Buffer.from(mine.buffer))).toBe(true);
        });
      }
      it("draws shifts uniformly in [−shift, shift] and flips about half the rows; moving a row's content keeps its values", () => {
        s.reset();
        // One lit pixel per row at (4, 3) of a 9×15 image: where it lands is the row's draw. It
        // lands in row 4 + dy, and in column 3 + dx, or 11 − dx where the row was flipped.
        const [B, H, W] = [4000, 9, 15];
        const x = new Float32Array(B * H * W);
        for (let r = 0; r < B; r++) x[r * H * W + 4 * W + 3] = 1;
        const [inp] = s.f32(B * H * W, x);
        const [out, outV] = s.f32(B * H * W);
        s.k.augmentRows(out, inp, B, { C: 1, H, W, channelsLast: false }, { shift: 2, flip: true, rotate: 0, fill: 0 }, key);
        const dys = new Map<number, number>();
        let flipped = 0;
        for (let r = 0; r < B; r++) {
          const row = outV.subarray(r * H * W, (r + 1) * H * W);
          const at = row.findIndex((v) => v === 1);
          expect(row.filter((v) => v !== 0)).toHaveLength(1);
          const dy = Math.floor(at / W) - 4;
          dys.set(dy, (dys.get(dy) ?? 0) + 1);
          if (at % W >= 7) flipped++;
        }
        expect([...dys.keys()].sort((p, q) => p - q)).toEqual([-2, -1, 0, 1, 2]);
        for (const n of dys.values()) expect(Math.abs(n / B - 0.2)).toBeLessThan(0.03);
        expect(Math.abs(flipped / B - 0.5)).toBeLessThan(0.03);
      });
    });

    describe("optimizer step (adam, adamw, adadelta, rmsprop ± momentum ± centered)", () => {
      const n = 37; // 9 vectors of 4, 4 of 8 and 2 of 16, each with a tail
      for (const [label, o] of OPTIM_CASES) {
        const hyper = optimStepHyper(parseConfigObject({ optim: o }, "test").optim, 0.01, 3);
        if (name !== "ts") {
          it(`${label}: equals the TS reference (norm rel err ≤ ${TOL})`, () => {
            s.reset();
            const got = runOptimizerStep(s, hyper, n, [[0, n]]);
            const want = runOptimizerStep(tsSet(), hyper, n, [[0, n]]);
            for (const [key, values] of Object.entries(want)) expect(normRelError(got[key]!, values), key).toBeLessThanOrEqual(TOL);
          });
        }
        it(`${label}: one call equals odd splits and one element at a time, bitwise`, () => {
          s.reset();
          const whole = runOptimizerStep(s, hyper, n, [[0, n]]);
          const split = runOptimizerStep(s, hyper, n, [[0, 3], [3, 20], [20, n]]);
          const single = runOptimizerStep(s, hyper, n, Array.from({ length: n }, (_, i) => [i, i + 1] as [number, number]));
          for (const other of [split, single]) for (const key of Object.keys(whole)) expect(Float32Array.from(other[key]!), key).toEqual(Float32Array.from(whole[key]!));
        });
      }
    });

    // The native and wasm sets have direct conv kernels (ts convolves through im2col).
    if (name.startsWith("native") || name === "wasm") describe("direct conv (convForward, convInputGrad, convWeightGradSgd: no im2col matrix)", () => {
      const convs: [string, ConvGeometry, number][] = [
        // lanes along output channels (C < 8) and along input channels (C ≥ 8, a masked tail at 9)
        ["1→16 3×3 on 10×9 (MNIST conv1's shape)", { C: 1, H: 10, W: 9, KH: 3, KW: 3, stride: 1, pad: 0, OH: 8, OW: 7 }, 16],
        ["3→13 5×5 stride 2 pad 2 on 9×7", { C: 3, H: 9, W: 7, KH: 5, KW: 5, stride: 2, pad: 2, OH: 5, OW: 4 }, 13],
        ["32→19 3×3 pad 1 on 6×6", { C: 32, H: 6, W: 6, KH: 3, KW: 3, stride: 1, pad: 1, OH: 6, OW: 6 }, 19],
        ["9→7 2×3 stride 2 pad 1 on 7×8", { C: 9, H: 7, W: 8, KH: 2, KW: 3, stride: 2, pad: 1, OH: 4, OW: 4 }, 7],
        ["32→64 3×3 on 12×12 (conv2's channels)", { C: 32, H: 12, W: 12, KH: 3, KW: 3, stride: 1, pad: 0, OH: 10, OW: 10 }, 64],
        // the Winograd F(2×2, 3×3) path (3×3, stride 1, channels multiples of the lanes: 4 in wasm): odd output
        // sizes (half tiles at the edges), padding 1 and 2, a 4-channel rest after blocks of 8
        ["8→12 3×3 pad 1 on 7×5 (Winograd: odd sizes)", { C: 8, H: 7, W: 5, KH: 3, KW: 3, stride: 1, pad: 1, OH: 7, OW: 5 }, 12],
        ["4→20 3×3 pad 2 on 5×6 (Winograd: pad 2)", { C: 4, H: 5, W: 6, KH: 3, KW: 3, stride: 1, pad: 2, OH: 7, OW: 8 }, 20],
        // native's Winograd path (channels multiples of its 8 or 16 lanes): odd sizes, padding 1
        ["16→48 3×3 pad 1 on 7×5 (Winograd in every set)", { C: 16, H: 7, W: 5, KH: 3, KW: 3, stride: 1, pad: 1, OH: 7, OW: 5 }, 48],
      ];
      const B = 3;
      for (const [label, g, OC] of convs) {
        it(`${label}: forward (± ReLU) equals im2col + the TS dense kernel; one call equals row by row, bitwise`, () => {
          s.reset();
          const { c, images, cols, K, P } = convCase(B, g, OC);
          const inW = g.H * g.W * g.C, outW = P * OC;
          const [x, , xR] = s.f32(images.length, images), [w] = s.f32(OC * K, c.weight), [bias] = s.f32(OC, c.bias);
          for (const relu of [false, true]) {
            const [whole, wholeV] = s.f32(B * outW), [, rowsV, rowsR] = s.f32(B * outW);
            s.k.convForward!(whole, x, w, bias, B, g, OC, relu);
            const want = new Float32Array(B * outW);
            denseForward(want, cols, c.weight, c.bias, B * P, K, OC, relu);
            expect(normRelError(wholeV, want)).toBeLessThan(TOL);
            const at = (r: Region, width: number, b: number) => s.bind.f32({ offset: r.offset + b * width * 4, length: width, type: "f32" });
            for (let b = 0; b < B; b++) s.k.convForward!(at(rowsR, outW, b), at(xR, inW, b), w, bias, 1, g, OC, relu);
            expect(Buffer.from(rowsV.buffer, rowsV.byteOffset, rowsV.byteLength).equals(Buffer.from(wholeV.buffer, wholeV.byteOffset, wholeV.byteLength))).toBe(true);
          }
        });
        it(`${label}: input gradient equals the TS dense kernel + col2im; one call equals row by row, bitwise`, () => {
          s.reset();
          const { c, K, P } = convCase(B, g, OC);
          const inW = g.H * g.W * g.C, outW = P * OC;
          const [dout, , doutR] = s.f32(B * outW, c.dout), [w] = s.f32(OC * K, c.weight);
          const [whole, wholeV] = s.f32(B * inW), [, rowsV, rowsR] = s.f32(B * inW);
          s.k.convInputGrad!(whole, dout, w, B, g, OC);
          const dcol = new Float32Array(B * P * K), want = new Float32Array(B * inW);
          denseInputGrad(dcol, c.dout, c.weight, null, B * P, K, OC);
          tsSet().k.col2im(want, dcol, B, g);
          expect(normRelError(wholeV, want)).toBeLessThan(TOL);
          const at = (r: Region, width: number, b: number) => s.bind.f32({ offset: r.offset + b * width * 4, length: width, type: "f32" });
          for (let b = 0; b < B; b++) s.k.convInputGrad!(at(rowsR, inW, b), at(doutR, outW, b), w, 1, g, OC);
          expect(Buffer.from(rowsV.buffer, rowsV.byteOffset, rowsV.byteLength).equals(Buffer.from(wholeV.buffer, wholeV.byteOffset, wholeV.byteLength))).toBe(true);
        });
        it(`${label}: the plain weight gradient (convWeightGrad) equals the TS dense kernel over the im2col matrix and the fused kernel's bits; any row ranges give the same bits`, () => {
          s.reset();
          const { c, images, cols, K, P } = convCase(B, g, OC);
          const zero = { ...c, velocity: new Float32Array(OC * K), biasVelocity: new Float32Array(OC) };
          const conv = { ...zero, inp: images };
          const whole = runWeightGrad(s, conv, B * P, K, OC, [[0, OC]], 1 / B, g);
          const want = runWeightGrad(tsSet(), { ...zero, inp: cols }, B * P, K, OC, [[0, OC]], 1 / B);
          expect(normRelError(whole.grad, want.grad)).toBeLessThan(TOL);
          const fused = runWeightGradSgd(s, conv, B * P, K, OC, [[0, OC]], applied(1 / B), g);
          expect(whole.grad).toEqual(Float32Array.from(fused.velocity));
          expect(whole.rowSq).toEqual(fused.rowSq);
          const split = runWeightGrad(s, conv, B * P, K, OC, [[0, 1], [1, Math.min(7, OC)], [Math.min(7, OC), OC]], 1 / B, g);
          expect(split.grad).toEqual(whole.grad);
          expect(split.rowSq).toEqual(whole.rowSq);
        });
        it(`${label}: weight gradient + SGD equals the TS dense kernel over the im2col matrix; any row ranges give the same bits`, () => {
          s.reset();
          const { c, images, cols, K, P } = convCase(B, g, OC);
          const hyper = hypers[0]!;
          const conv = { ...c, inp: images };
          const whole = runWeightGradSgd(s, conv, B * P, K, OC, [[0, OC]], hyper, g);
          const want = runWeightGradSgd(tsSet(), { ...c, inp: cols }, B * P, K, OC, [[0, OC]], hyper);
          for (const key of ["theta", "velocity", "rowSq"] as const) expect(normRelError(Float64Array.from(whole[key]), Float64Array.from(want[key])), key).toBeLessThan(TOL);
          const split = runWeightGradSgd(s, conv, B * P, K, OC, [[0, 1], [1, Math.min(7, OC)], [Math.min(7, OC), OC]], hyper, g);
          const single = runWeightGradSgd(s, conv, B * P, K, OC, Array.from({ length: OC }, (_, o) => [o, o + 1] as [number, number]), hyper, g);
          for (const other of [split, single]) {
            expect(Float32Array.from(other.theta)).toEqual(Float32Array.from(whole.theta));
            expect(Float32Array.from(other.velocity)).toEqual(Float32Array.from(whole.velocity));
            expect(other.rowSq).toEqual(whole.rowSq);
          }
        });
      }
    });

    describe("the plain weight gradient (denseWeightGrad): the reference's values, the fused kernel's bits, any row ranges", () => {
      for (const [B, C, OC] of [[7, 785, 9], [64, 784, 13], [3, 17, 6], [1, 3, 5], [300, 33, 14], [129, 9, 7]] as const) {
        it(`B=${B} C=${C} OC=${OC}`, () => {
          s.reset();
          const c = { ...denseCase(B, C, OC), velocity: new Float32Array(OC * C), biasVelocity: new Float32Array(OC) };
          const whole = runWeightGrad(s, c, B, C, OC, [[0, OC]], 1 / B);
          const want = runWeightGrad(tsSet(), c, B, C, OC, [[0, OC]], 1 / B);
          expect(normRelError(whole.grad, want.grad)).toBeLessThan(TOL);
          expect(normRelError(Float64Array.from(whole.rowSq), Float64Array.from(want.rowSq))).toBeLessThan(TOL);
          const fused = runWeightGradSgd(s, c, B, C, OC, [[0, OC]], applied(1 / B));
          expect(whole.grad).toEqual(Float32Array.from(fused.velocity));
          expect(whole.rowSq).toEqual(fused.rowSq);
          const split = runWeightGrad(s, c, B, C, OC, [[0, 1], [1, Math.min(6, OC)], [Math.min(6, OC), OC]], 1 / B);
          const single = runWeightGrad(s, c, B, C, OC, Array.from({ length: OC }, (_, o) => [o, o + 1] as [number, number]), 1 / B);
          for (const other of [split, single]) {
            expect(other.grad).toEqual(whole.grad);
            expect(other.rowSq).toEqual(whole.rowSq);
          }
        });
      }
    });

    describe("parameter-row independence of the fused weight gradient + SGD, bitwise", () => {
      // 1024 and 1100 columns: two and three of the native kernel's 512-column tiles (the last one short and masked)
      for (const [B, C, OC] of [[7, 785, 9], [64, 784, 13], [3, 17, 6], [1, 3, 5], [300, 33, 14], [129, 9, 7], [4, 1024, 9], [16, 1100, 11]] as const) {
        it(`rows [0, OC) in one call equal odd splits and one row at a time: B=${B} C=${C} OC=${OC}`, () => {
          s.reset();
          const c = denseCase(B, C, OC);
          const hyper = hypers[0]!;
          const whole = runWeightGradSgd(s, c, B, C, OC, [[0, OC]], hyper);
          const split = runWeightGradSgd(s, c, B, C, OC, [[0, 1], [1, Math.min(6, OC)], [Math.min(6, OC), OC]], hyper);
          const single = runWeightGradSgd(s, c, B, C, OC, Array.from({ length: OC }, (_, o) => [o, o + 1] as [number, number]), hyper);
          for (const other of [split, single]) {
            expect(Float32Array.from(other.theta)).toEqual(Float32Array.from(whole.theta));
            expect(Float32Array.from(other.velocity)).toEqual(Float32Array.from(whole.velocity));
            expect(other.rowSq).toEqual(whole.rowSq);
          }
        });
      }
    });
  });
}
