import { describe, expect, it } from "vitest";
import { denseBackward, denseForward } from "../../../src/kernels/ts/dense.js";
import { Rng } from "../../../src/rng.js";
import { dot, finiteDiff, maxRelError, randomArray } from "../../helpers.js";

describe("denseForward", () => {
  it("computes x·Wᵀ + b (hand-derived)", () => {
    // inp (2, 3)  weight (2, 3)  bias (2)
    const inp = Float32Array.of(1, 2, 3, -1, 0, 4);
    const weight = Float32Array.of(1, 0, -1, 0.5, 0.5, 0.5);
    const bias = Float32Array.of(0.25, -1);
    const out = new Float32Array(4);
    denseForward(out, inp, weight, bias, 2, 3, 2);
    // row 0: 1−3+0.25 = −1.75, (1+2+3)/2−1 = 2 ; row 1: −1−4+0.25 = −4.75, (−1+4)/2−1 = 0.5
    expect(Array.from(out)).toEqual([-1.75, 2, -4.75, 0.5]);
  });
});

describe("denseBackward", () => {
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
  const dinp = new Float64Array(B * C);
  const dweight = new Float64Array(OC * C).fill(NaN); // must be written, not accumulated
  const dbias = new Float64Array(OC).fill(NaN);
  denseBackward(dinp, dweight, dbias, R, inp, weight, B, C, OC);

  it("dW matches central finite differences (float64)", () => {
    expect(maxRelError(dweight, finiteDiff(weight, loss))).toBeLessThan(1e-6);
  });
  it("db matches central finite differences (float64)", () => {
    expect(maxRelError(dbias, finiteDiff(bias, loss))).toBeLessThan(1e-6);
  });
  it("dx matches central finite differences (float64)", () => {
    expect(maxRelError(dinp, finiteDiff(inp, loss))).toBeLessThan(1e-6);
  });
  it("skips dx when dinp is null (first layer)", () => {
    const dw2 = new Float64Array(OC * C);
    const db2 = new Float64Array(OC);
    denseBackward(null, dw2, db2, R, inp, weight, B, C, OC);
    expect(Array.from(dw2)).toEqual(Array.from(dweight));
  });
});
