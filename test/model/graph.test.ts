import { describe, expect, it } from "vitest";
import { tsKernels } from "../../src/kernels/ts/index.js";
import { backward, forward, type Workspace } from "../../src/model/graph.js";
import { viewsOf } from "../../src/model/views.js";
import { initParams } from "../../src/model/init.js";
import { activationWidths, mlp, paramLayout, softmaxRegression, type ModelSpec } from "../../src/model/spec.js";
import { Rng } from "../../src/rng.js";
import { finiteDiff, maxRelError, randomArray } from "../helpers.js";

/** Whole-model gradient (float64 copy of the reference path) vs central finite differences. */
function checkModel(spec: ModelSpec, B: number, seed: number) {
  const k = tsKernels<Float64Array>();
  const { nParams } = paramLayout(spec);
  const rng = new Rng(seed);
  const init32 = new Float32Array(nParams);
  initParams(init32, spec, seed);
  const params = Float64Array.from(init32);
  // Non-zero biases so the check covers them as they train.
  for (const e of paramLayout(spec).entries) if (e.name.endsWith(".bias")) for (let i = 0; i < e.size; i++) params[e.offset + i] = (rng.nextFloat() - 0.5) * 0.2;
  const grads = new Float64Array(nParams);
  const widths = activationWidths(spec);
  const ws: Workspace<Float64Array> = { acts: widths.map((w) => new Float64Array(B * w)), dacts: widths.map((w) => new Float64Array(B * w)) };
  ws.acts[0]!.set(randomArray(Float64Array, B * spec.nInputs, rng));
  const labels = Uint8Array.from({ length: B }, () => rng.nextInt(spec.nClasses));
  const pv = viewsOf(params, spec);
  const gv = viewsOf(grads, spec);
  const meanLoss = () => {
    forward(k, spec, pv, ws, B);
    const scratch = new Float64Array(B * spec.nClasses);
    return k.softmaxCrossEntropy(scratch, ws.acts[ws.acts.length - 1]!, labels, B, spec.nClasses, 1).lossSum / B;
  };
  forward(k, spec, pv, ws, B);
  backward(k, spec, pv, gv, ws, labels, B, 1 / B);
  const analytic = Float64Array.from(grads);
  const numeric = finiteDiff(params, meanLoss);
  // Padding between tensors has no gradient either way.
  return maxRelError(analytic, numeric);
}

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

  it("mlp backward matches finite differences (float64, max rel err < 1e-6)", () => {
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
