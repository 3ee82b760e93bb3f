// Every WASM kernel against the TS reference on random shapes, odd sizes and a batch of 1.
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { instantiateWasmKernels, type WasmKernelExports } from "../../../src/kernels/wasm/loader.js";
import { denseBackward, denseForward } from "../../../src/kernels/ts/dense.js";
import { reluBackward, reluForward } from "../../../src/kernels/ts/relu.js";
import { softmaxCrossEntropy } from "../../../src/kernels/ts/softmax-ce.js";
import { gatherRows } from "../../../src/kernels/ts/gather.js";
import { reduceSgdUpdate } from "../../../src/optim/sgd.js";
import { wasmKernelsFile } from "../../../src/paths.js";
import { RESERVED_LOW_BYTES } from "../../../src/arena/layout.js";
import { Rng } from "../../../src/rng.js";
import { normRelError, randomArray } from "../../helpers.js";

const TOL = 1e-5;
let w: WasmKernelExports;
let memory: WebAssembly.Memory;
let cursor = RESERVED_LOW_BYTES;

/** Bump allocator over the shared memory: each test case takes fresh, 16-byte-aligned space. */
function alloc(bytes: number): number {
  const ptr = cursor;
  cursor += Math.ceil(bytes / 16) * 16 + 16;
  if (cursor > memory.buffer.byteLength) throw new Error("test memory exhausted");
  return ptr;
}
function f32(n: number, from?: Float32Array): [number, Float32Array] {
  const ptr = alloc(n * 4);
  const view = new Float32Array(memory.buffer, ptr, n);
  if (from) view.set(from);
  return [ptr, view];
}

beforeAll(async () => {
  expect(existsSync(wasmKernelsFile), "run npm run build").toBe(true);
  memory = new WebAssembly.Memory({ initial: 2048, maximum: 2048, shared: true });
  w = await instantiateWasmKernels(memory, wasmKernelsFile);
});

const shapes: [number, number, number][] = [
  // [B, C, OC]: batch of 1, odd columns (1, 3, 17, 785), odd outputs, and the seed MLP's shapes
  [1, 1, 1], [1, 3, 5], [3, 17, 7], [5, 785, 9], [8, 784, 520], [7, 520, 320], [2, 120, 10], [9, 33, 6],
];

describe("WASM dense kernels equal the TS reference (rel err ≤ 1e-5)", () => {
  for (const [B, C, OC] of shapes) {
    it(`forward and backward, B=${B} C=${C} OC=${OC}`, () => {
      cursor = RESERVED_LOW_BYTES;
      const rng = new Rng(B * 1000 + C * 10 + OC);
      const inp = randomArray(Float32Array, B * C, rng);
      const weight = randomArray(Float32Array, OC * C, rng, 0.2);
      const bias = randomArray(Float32Array, OC, rng);
      const dout = randomArray(Float32Array, B * OC, rng);
      const ref = { out: new Float32Array(B * OC), dinp: new Float32Array(B * C), dw: new Float32Array(OC * C), db: new Float32Array(OC) };
      denseForward(ref.out, inp, weight, bias, B, C, OC);
      denseBackward(ref.dinp, ref.dw, ref.db, dout, inp, weight, B, C, OC);
      const [pInp] = f32(B * C, inp), [pW] = f32(OC * C, weight), [pB] = f32(OC, bias), [pDout] = f32(B * OC, dout);
      const [pOut, out] = f32(B * OC), [pDinp, dinp] = f32(B * C), [pDw, dw] = f32(OC * C), [pDb, db] = f32(OC);
      dw.fill(NaN); // must be written, not accumulated
      w.denseForward(pOut, pInp, pW, pB, B, C, OC);
      w.denseBackward(pDinp, pDw, pDb, pDout, pInp, pW, B, C, OC);
      expect(normRelError(out, ref.out)).toBeLessThanOrEqual(TOL);
      expect(normRelError(dinp, ref.dinp)).toBeLessThanOrEqual(TOL);
      expect(normRelError(dw, ref.dw)).toBeLessThanOrEqual(TOL);
      expect(normRelError(db, ref.db)).toBeLessThanOrEqual(TOL);
    });
  }

  it("skips dinp when its pointer is 0", () => {
    cursor = RESERVED_LOW_BYTES;
    const [pInp] = f32(6, Float32Array.of(1, 2, 3, 4, 5, 6)), [pW] = f32(6, Float32Array.of(1, 1, 1, 1, 1, 1));
    const [pDout] = f32(4, Float32Array.of(1, 1, 1, 1)), [pDw, dw] = f32(6), [pDb, db] = f32(2);
    w.denseBackward(0, pDw, pDb, pDout, pInp, pW, 2, 3, 2);
    expect(Array.from(db)).toEqual([2, 2]);
    expect(Array.from(dw)).toEqual([5, 7, 9, 5, 7, 9]);
  });
});

describe("WASM elementwise kernels equal the TS reference", () => {
  it("relu forward/backward (N = 1, 7, 4099)", () => {
    for (const N of [1, 7, 4099]) {
      cursor = RESERVED_LOW_BYTES;
      const rng = new Rng(N);
      const inp = randomArray(Float32Array, N, rng), dout = randomArray(Float32Array, N, rng);
      const refOut = new Float32Array(N), refDinp = new Float32Array(N);
      reluForward(refOut, inp, N);
      reluBackward(refDinp, dout, refOut, N);
      const [pIn] = f32(N, inp), [pDout] = f32(N, dout), [pOut, out] = f32(N), [pDinp, dinp] = f32(N);
      w.reluForward(pOut, pIn, N);
      w.reluBackward(pDinp, pDout, pOut, N);
      expect(out).toEqual(refOut);
      expect(dinp).toEqual(refDinp);
    }
  });

  it("gather u8 → (f32/255 − mean)/std by row index (C = 3, 784, 785; plain, MNIST and other norms), bit-exact", () => {
    for (const C of [3, 784, 785]) {
      for (const [mean, std] of [[0, 1], [0.1307, 0.3081], [0.5, 0.25], [-1, 3]] as const) {
        cursor = RESERVED_LOW_BYTES;
        const N = 6, B = 4;
        const images = Uint8Array.from({ length: N * C }, (_, i) => (i * 131) % 256);
        const labels = Uint8Array.of(0, 1, 2, 3, 4, 5);
        const order = Uint32Array.of(5, 3, 0, 2, 4, 1);
        const ref = new Float32Array(B * C), refLabels = new Uint8Array(B);
        gatherRows(ref, refLabels, images, labels, order, 1, B, C, mean, std);
        const pImg = alloc(N * C); new Uint8Array(memory.buffer, pImg, N * C).set(images);
        const pLab = alloc(N); new Uint8Array(memory.buffer, pLab, N).set(labels);
        const pOrd = alloc(N * 4); new Uint32Array(memory.buffer, pOrd, N).set(order);
        const [pOut, out] = f32(B * C);
        const pOutLab = alloc(B);
        w.gatherRows(pOut, pOutLab, pImg, pLab, pOrd, 1, B, C, mean, std);
        expect(out).toEqual(ref);
        expect(Array.from(new Uint8Array(memory.buffer, pOutLab, B))).toEqual(Array.from(refLabels));
      }
    }
  });

  it("softmax-CE: loss, #correct, gradient; stable at ±1e4", () => {
    for (const [B, K, scale] of [[1, 10, 1], [13, 10, 1 / 13], [4, 3, 1]] as const) {
      cursor = RESERVED_LOW_BYTES;
      const rng = new Rng(B * K);
      const logits = randomArray(Float32Array, B * K, rng, 5);
      logits[0] = 1e4;
      if (B > 1) logits[K] = -1e4;
      const labels = Uint8Array.from({ length: B }, (_, i) => i % K);
      const refD = new Float32Array(B * K);
      const ref = softmaxCrossEntropy(refD, logits, labels, B, K, scale);
      const [pL] = f32(B * K, logits), [pD, d] = f32(B * K);
      const pLab = alloc(B); new Uint8Array(memory.buffer, pLab, B).set(labels);
      const loss = w.softmaxCrossEntropy(pD, pL, pLab, B, K, scale);
      expect(Math.abs(loss - ref.lossSum) / Math.max(1, Math.abs(ref.lossSum))).toBeLessThan(TOL);
      expect(w.lastCorrect()).toBe(ref.correct);
      expect(normRelError(d, refD)).toBeLessThanOrEqual(TOL);
      for (const g of d) expect(Number.isFinite(g)).toBe(true);
    }
  });

  it("reduce + SGD update over a slice (odd bounds, momentum, nesterov, weight decay)", () => {
    for (const [P, S, start, end, nesterov] of [[37, 3, 5, 33, false], [1000, 8, 0, 1000, true], [9, 1, 2, 3, false]] as const) {
      cursor = RESERVED_LOW_BYTES;
      const rng = new Rng(P + S);
      const theta = randomArray(Float32Array, P, rng), vel = randomArray(Float32Array, P, rng), slots = randomArray(Float32Array, S * P, rng);
      const hyper = { gradScale: 1 / 64, lr: 0.05, momentum: 0.9, nesterov, weightDecay: 1e-3 };
      const refTheta = new Float32Array(P).fill(7), refVel = new Float32Array(P).fill(7);
      const refSq = reduceSgdUpdate(refTheta, refVel, theta, vel, slots, P, S, start, end, hyper);
      const [pT] = f32(P, theta), [pV] = f32(P, vel), [pS] = f32(S * P, slots);
      const [pTo, tOut] = f32(P, new Float32Array(P).fill(7)), [pVo, vOut] = f32(P, new Float32Array(P).fill(7));
      const sq = w.reduceSgdUpdate(pTo, pVo, pT, pV, pS, P, S, start, end, hyper.gradScale, hyper.lr, hyper.momentum, nesterov ? 1 : 0, hyper.weightDecay);
      expect(normRelError(tOut, refTheta)).toBeLessThanOrEqual(TOL);
      expect(normRelError(vOut, refVel)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(sq - refSq) / refSq).toBeLessThan(1e-4);
      for (let i = 0; i < P; i++) if (i < start || i >= end) expect(tOut[i]).toBe(7); // outside the slice untouched
    }
  });

  it("the module's static data fits below the arena's reserved bytes", () => {
    expect(w.heapBase()).toBeLessThanOrEqual(RESERVED_LOW_BYTES);
  });
});
