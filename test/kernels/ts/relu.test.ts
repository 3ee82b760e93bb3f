import { describe, expect, it } from "vitest";
import { reluBackward, reluForward } from "../../../src/kernels/ts/relu.js";
import { Rng } from "../../../src/rng.js";
import { dot, finiteDiff, maxRelError, randomArray } from "../../helpers.js";

describe("relu", () => {
  it("forward clamps negatives (hand-derived)", () => {
    const out = new Float32Array(4);
    reluForward(out, Float32Array.of(-2, 0, 0.5, 3), 4);
    expect(Array.from(out)).toEqual([0, 0, 0.5, 3]);
  });
  it("backward passes the gradient where out > 0", () => {
    const dinp = new Float32Array(4);
    reluBackward(dinp, Float32Array.of(1, 2, 3, 4), Float32Array.of(0, 0, 0.5, 3), 4);
    expect(Array.from(dinp)).toEqual([0, 0, 3, 4]);
  });
  it("backward matches central finite differences (float64)", () => {
    const rng = new Rng(3);
    const N = 50;
    const inp = randomArray(Float64Array, N, rng);
    const R = randomArray(Float64Array, N, rng);
    const out = new Float64Array(N);
    const loss = () => {
      reluForward(out, inp, N);
      return dot(out, R);
    };
    loss();
    const dinp = new Float64Array(N);
    reluBackward(dinp, R, out, N);
    expect(maxRelError(dinp, finiteDiff(inp, loss))).toBeLessThan(1e-6);
  });
});
