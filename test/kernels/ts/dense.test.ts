import { describe, expect, it } from "vitest";
import { denseForward, denseInputGrad, denseWeightGrad, denseWeightGradSgd } from "../../../src/kernels/ts/dense.js";
import { Rng } from "../../../src/rng.js";
import { dot, finiteDiff, maxRelError, randomArray } from "../../helpers.js";

describe("denseForward", () => {
  it("computes x·Wᵀ + b (hand-derived), and max(·, 0) with the fused ReLU", () => {
    // inp (2, 3)  weight (2, 3)  bias (2)
    const inp = Float32Array.of(1, 2, 3, -1, 0, 4);
    const weight = Float32Array.of(1, 0, -1, 0.5, 0.5, 0.5);
    const bias = Float32Array.of(0.25, -1);
    const out = new Float32Array(4);
    denseForward(out, inp, weight, bias, 2, 3, 2);
    // row 0: 1−3+0.25 = −1.75, (1+2+3)/2−1 = 2 ; row 1: −1−4+0.25 = −4.75, (−1+4)/2−1 = 0.5
    expect(Array.from(out)).toEqual([-1.75, 2, -4.75, 0.5]);
    denseForward(out, inp, weight, bias, 2, 3, 2, true);
    expect(Array.from(out)).toEqual([0, 2, 0, 0.5]);
  });
});

describe("dense gradients", () => {
  const B = 3, C = 5, OC = 4;
  const rng = new Rng(7);
  const inp = randomArray(Float64Array, B * C, rng);
  const weight = randomArray(Float64Array, OC * C, rng);
  const bias = randomArray(Float64Array, OC, rng);
  const R = randomArray(Float64Array, B * OC, rng); // L = Σ out ⊙ R, so dout = R
  const loss = () => {
    const out = new Float64Array(B * OC);
    denseForward(out, inp, weight, bias, B, C, OC);
    return dot(out, R);
  };
  const dinp = new Float64Array(B * C).fill(NaN); // must be written, not accumulated
  const dweight = new Float64Array(OC * C).fill(NaN);
  const dbias = new Float64Array(OC).fill(NaN);
  denseInputGrad(dinp, R, weight, null, B, C, OC);
  denseWeightGrad({ weightGrad: dweight, biasGrad: dbias }, new Float64Array(OC), R, inp, B, C, OC, 0, OC, 1);

  it("dW matches central finite differences (float64)", () => {
    expect(maxRelError(dweight, finiteDiff(weight, loss))).toBeLessThan(1e-6);
  });
  it("db matches central finite differences (float64)", () => {
    expect(maxRelError(dbias, finiteDiff(bias, loss))).toBeLessThan(1e-6);
  });
  it("dx matches central finite differences (float64)", () => {
    expect(maxRelError(dinp, finiteDiff(inp, loss))).toBeLessThan(1e-6);
  });
  it("dx with a ReLU mask is the gradient through max(inp, 0) of the layer before", () => {
    // The mask is the ReLU output that inp was: dinp must be zero where it is ≤ 0, dx elsewhere.
    const mask = Float64Array.from(inp, (v, i) => (i % 3 === 0 ? 0 : v));
    const masked = new Float64Array(B * C);
    denseInputGrad(masked, R, weight, mask, B, C, OC);
    for (let i = 0; i < B * C; i++) expect(masked[i]).toBe(mask[i]! > 0 ? dinp[i] : 0);
  });
  it("the fused kernel is the weight gradient (scaled) followed by SGD; rowSq is Σ g² per row", () => {
    const hyper = { gradScale: 0.5, lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0.01 };
    const velocity = randomArray(Float64Array, OC * C, rng), biasVelocity = randomArray(Float64Array, OC, rng);
    const p = {
      weight, bias, weightVelocity: velocity, biasVelocity,
      weightOut: new Float64Array(OC * C), biasOut: new Float64Array(OC), weightVelocityOut: new Float64Array(OC * C), biasVelocityOut: new Float64Array(OC),
    };
    const rowSq = new Float64Array(OC);
    denseWeightGradSgd(p, rowSq, R, inp, B, C, OC, 1, 3, hyper);
    for (let o = 1; o < 3; o++) {
      let sq = (dbias[o]! * 0.5) ** 2;
      for (let c = 0; c < C; c++) {
        const i = o * C + c;
        const g = dweight[i]! * 0.5;
        sq += g * g;
        const v = 0.9 * velocity[i]! + g + 0.01 * weight[i]!;
        expect(p.weightVelocityOut[i]).toBeCloseTo(v, 12);
        expect(p.weightOut[i]).toBeCloseTo(weight[i]! - 0.1 * v, 12);
      }
      expect(p.biasVelocityOut[o]).toBeCloseTo(0.9 * biasVelocity[o]! + dbias[o]! * 0.5 + 0.01 * bias[o]!, 12);
      expect(rowSq[o]).toBeCloseTo(sq, 12);
    }
    // Rows outside [o0, o1) are not touched.
    expect(p.weightOut[0]).toBe(0);
    expect(rowSq[3]).toBe(0);
  });
});
