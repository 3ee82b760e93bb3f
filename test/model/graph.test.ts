import { describe, expect, it } from "vitest";
import { initParams } from "../../src/model/init.js";
import { mlp, paramLayout, softmaxRegression, type ModelSpec } from "../../src/model/spec.js";
import { modelGradientCheck } from "../kernels/model-gradient.js";
import { ts64Set } from "../kernels/set-harness.js";

/** The reference kernels' whole-model gradient, in float64, against float64 finite differences. */
const checkModel = (spec: ModelSpec, B: number, seed: number) => modelGradientCheck(ts64Set(), spec, B, seed);

describe("model forward/backward", () => {
  it("mlp layer list: fc1..fc5 with ReLU between, nn.Linear shapes", () => {
    const spec = mlp([784, 520, 320, 240, 120, 10], "relu");
    expect(spec.layers.map((l) => l.kind)).toEqual(["dense", "relu", "dense", "relu", "dense", "relu", "dense", "relu", "dense"]);
    const entries = paramLayout(spec).entries;
    expect(entries.map((e) => `${e.name} [${e.shape}]`)).toEqual([
      "fc1.weight [520,784]", "fc1.bias [520]", "fc2.weight [320,520]", "fc2.bias [320]", "fc3.weight [240,320]",
      "fc3.bias [240]", "fc4.weight [120,240]", "fc4.bias [120]", "fc5.weight [10,120]", "fc5.bias [10]",
    ]);
    expect(entries[0]!.key).toBe("fc1Weight");
    expect(entries.reduce((a, e) => a + e.size, 0)).toBe(682090);
  });

  it("mlp backward (fused dense+ReLU, masked input gradients, PARAMS kernel) matches finite differences (float64, norm rel err < 1e-6)", () => {
    expect(checkModel(mlp([13, 9, 7, 5], "relu"), 4, 1)).toBeLessThan(1e-6);
  });

  it("softmax regression backward matches finite differences (float64)", () => {
    expect(checkModel(softmaxRegression(17, 10), 3, 2)).toBeLessThan(1e-6);
  });

  it("init: kaiming-uniform bounds for ReLU layers, xavier for the last, zero biases, deterministic", () => {
    const spec = mlp([100, 50, 10], "relu");
    const { nParams, entries } = paramLayout(spec);
    const a = new Float32Array(nParams);
    const b = new Float32Array(nParams);
    initParams(a, spec, 5);
    initParams(b, spec, 5);
    expect(a).toEqual(b);
    const [w1, b1, w2] = entries as [typeof entries[0], typeof entries[0], typeof entries[0]];
    const maxAbs = (e: typeof w1) => Math.max(...Array.from(a.subarray(e.offset, e.offset + e.size), Math.abs));
    expect(maxAbs(w1)).toBeLessThanOrEqual(Math.sqrt(6 / 100));
    expect(maxAbs(w1)).toBeGreaterThan(0.9 * Math.sqrt(6 / 100));
    expect(maxAbs(w2)).toBeLessThanOrEqual(Math.sqrt(6 / 60));
    expect(maxAbs(b1)).toBe(0);
    const c = new Float32Array(nParams);
    initParams(c, spec, 6);
    expect(c).not.toEqual(a);
  });
});
