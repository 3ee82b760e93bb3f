import { describe, expect, it } from "vitest";
import { argmaxRows, softmaxCrossEntropy } from "../../../src/kernels/ts/softmax-ce.js";
import { Rng } from "../../../src/rng.js";
import { finiteDiff, maxRelError, randomArray } from "../../helpers.js";

describe("softmaxCrossEntropy", () => {
  it("loss, gradient and #correct by hand", () => {
    // logits (1, 2) = [0, ln 3]: softmax = [1/4, 3/4]; label 0 → loss = ln 4, dlogits = [−3/4, 3/4]
    const dlogits = new Float64Array(2);
    const losses1 = new Float64Array(1);
    const { lossSum, correct } = softmaxCrossEntropy(dlogits, losses1, Float64Array.of(0, Math.log(3)), Uint8Array.of(0), 1, 2, 1);
    expect(losses1[0]).toBeCloseTo(Math.log(4), 12);
    expect(lossSum).toBeCloseTo(Math.log(4), 12);
    expect(dlogits[0]).toBeCloseTo(-0.75, 12);
    expect(dlogits[1]).toBeCloseTo(0.75, 12);
    expect(correct).toBe(0);
  });

  it("uniform logits give loss ln K and count the first max as the prediction", () => {
    const dlogits = new Float32Array(20);
    const { lossSum, correct } = softmaxCrossEntropy(dlogits, new Float32Array(2), new Float32Array(20), Uint8Array.of(0, 3), 2, 10, 0.5);
    expect(lossSum).toBeCloseTo(2 * Math.log(10), 5);
    expect(correct).toBe(1); // row 0: argmax 0 = label; row 1: argmax 0 ≠ 3
    expect(dlogits[0]).toBeCloseTo((0.1 - 1) * 0.5, 6);
    expect(dlogits[13]).toBeCloseTo((0.1 - 1) * 0.5, 6);
  });

  it("is stable for logits of ±1e4 (no NaN/Inf)", () => {
    const logits = Float32Array.of(1e4, -1e4, 0, 1e4 - 1, -1e4, 1e4, 0, 0, 0, 0);
    const dlogits = new Float32Array(10);
    const { lossSum } = softmaxCrossEntropy(dlogits, new Float32Array(2), logits, Uint8Array.of(1, 2), 2, 5, 1);
    expect(Number.isFinite(lossSum)).toBe(true);
    expect(lossSum).toBeCloseTo(2e4 + Math.log(1 + Math.exp(-1)) + 1e4, 0);
    for (const g of dlogits) expect(Number.isFinite(g)).toBe(true);
  });

  it("gradient matches central finite differences (float64)", () => {
    const B = 4, K = 10;
    const rng = new Rng(11);
    const logits = randomArray(Float64Array, B * K, rng, 3);
    const labels = Uint8Array.of(0, 9, 4, 4);
    const scratch = new Float64Array(B * K);
    const dlogits = new Float64Array(B * K);
    softmaxCrossEntropy(dlogits, new Float64Array(B), logits, labels, B, K, 1);
    const numeric = finiteDiff(logits, () => softmaxCrossEntropy(scratch, new Float64Array(B), logits, labels, B, K, 1).lossSum);
    expect(maxRelError(dlogits, numeric)).toBeLessThan(1e-6);
  });

  it("argmaxRows picks the first maximum", () => {
    const preds = new Uint8Array(2);
    argmaxRows(preds, Float32Array.of(1, 3, 3, 5, 0, 0), 2, 3);
    expect(Array.from(preds)).toEqual([1, 0]);
  });
});
