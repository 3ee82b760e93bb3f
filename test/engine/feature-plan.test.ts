// The feature cut's plan (src/engine/common/feature-plan.ts): which models it takes, each layer's
// outputs shared out exactly once in near-even aligned ranges, which last layers run by rows,
// and what engine.cut auto picks.
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfigObject } from "../../src/config/load.js";
import { FEATURE_ALIGN, featureCutRefusal, featureLayerCount, featurePlan, featureRange, resolveCut, ROW_TAIL_WEIGHTS } from "../../src/engine/common/feature-plan.js";
import { specForDataset } from "../../src/model/build.js";

const image = { inputShape: [1, 28, 28], nClasses: 10 };
const specOf = (model: Record<string, unknown>) => specForDataset(parseConfigObject({ data: { dataset: "mnist" }, model }, "test").model, image);
const seedMlp = specForDataset(loadConfig("configs/mnist-mlp.yaml").config.model, image);
const cnn = specForDataset(loadConfig("configs/mnist-cnn.yaml").config.model, image);
const softmax = specOf({ type: "softmax" });
const flatMlp = specOf({ type: "sequential", layers: [{ type: "flatten" }, { type: "linear", out: 64 }, { type: "relu" }, { type: "linear", out: 10 }] });

describe("featureRange", () => {
  for (const n of [1, 10, 37, 120, 240, 320, 520]) {
    for (const workers of [1, 2, 3, 4, 16]) {
      it(`${n} outputs, ${workers} workers: every output once, cuts on multiples of ${FEATURE_ALIGN}, shares within ${FEATURE_ALIGN} of even`, () => {
        let next = 0;
        for (let w = 0; w < workers; w++) {
          const [o0, o1] = featureRange(n, workers, w);
          expect(o0).toBe(next);
          expect(o1).toBeGreaterThanOrEqual(o0);
          if (o1 < n) expect(o1 % FEATURE_ALIGN).toBe(0);
          expect(Math.abs(o1 - o0 - n / workers)).toBeLessThanOrEqual(FEATURE_ALIGN);
          next = o1;
        }
        expect(next).toBe(n);
      });
    }
  }

  it("given the step's ends, shares follow them: even ends give the even ranges, others each worker's fraction, aligned, every output once", () => {
    for (const n of [10, 120, 240, 320, 520]) {
      for (const workers of [2, 3, 4]) {
        const even = Array.from({ length: workers }, (_, w) => (w + 1) / workers);
        for (let w = 0; w < workers; w++) expect(featureRange(n, workers, w, even)).toEqual(featureRange(n, workers, w));
      }
    }
    const ends = [0.25, 1];
    expect([0, 1].map((w) => featureRange(520, 2, w, ends))).toEqual([[0, 132], [132, 520]]);
    expect([0, 1].map((w) => featureRange(120, 2, w, ends))).toEqual([[0, 32], [32, 120]]);
    for (const e of [[0.1, 0.55, 1], [0, 0.5, 1], [0.3, 0.3, 1]]) {
      let next = 0;
      for (let w = 0; w < 3; w++) {
        const [o0, o1] = featureRange(240, 3, w, e);
        expect(o0).toBe(next);
        expect(o1).toBeGreaterThanOrEqual(o0);
        if (o1 < 240) expect(o1 % FEATURE_ALIGN).toBe(0);
        expect(Math.abs(o1 - e[w]! * 240)).toBeLessThanOrEqual(FEATURE_ALIGN / 2);
        next = o1;
      }
      expect(next).toBe(240);
    }
    // ends that are not increasing fractions ending at 1 give the even ranges (row-split.ts validEnds)
    expect([0, 1].map((w) => featureRange(520, 2, w, [0.9, 0.5]))).toEqual([[0, 260], [260, 520]]);
    expect(featurePlan(seedMlp, 2, [0.25, 1])[1]!.map((s) => [s.o0, s.o1])).toEqual([[132, 520], [80, 320], [60, 240], [32, 120], [4, 10]]);
  });

  it("featurePlan gives each worker its range of every layer", () => {
    const plan = featurePlan(seedMlp, 2);
    expect(plan.map((layers) => layers.map((s) => [s.dense.name, s.o0, s.o1]))).toEqual([
      [["fc1", 0, 260], ["fc2", 0, 160], ["fc3", 0, 120], ["fc4", 0, 60], ["fc5", 0, 4]],
      [["fc1", 260, 520], ["fc2", 160, 320], ["fc3", 120, 240], ["fc4", 60, 120], ["fc5", 4, 10]],
    ]);
  });
});

describe("which models take the feature cut", () => {
  it("linear layers with a ReLU between each two, with or without a leading flatten", () => {
    expect(featureCutRefusal(seedMlp)).toBeNull();
    expect(featureCutRefusal(softmax)).toBeNull();
    expect(featureCutRefusal(flatMlp)).toBeNull();
  });

  it("not a conv, a dropout, or a ReLU after the logits", () => {
    expect(featureCutRefusal(cnn)).toMatch(/linear layers with a ReLU between each two/);
    expect(featureCutRefusal(specOf({ type: "sequential", layers: [{ type: "flatten" }, { type: "linear", out: 64 }, { type: "relu" }, { type: "dropout", p: 0.5 }, { type: "linear", out: 10 }] }))).not.toBeNull();
    expect(featureCutRefusal(specOf({ type: "sequential", layers: [{ type: "flatten" }, { type: "linear", out: 64 }, { type: "linear", out: 10 }] }))).not.toBeNull();
  });

  it(`the last layers with at most ${ROW_TAIL_WEIGHTS} weights run by rows: the seed MLP's fc4 and fc5; at least one layer is cut by features`, () => {
    expect(featureLayerCount(seedMlp)).toBe(3);
    expect(featureLayerCount(flatMlp)).toBe(1);
    expect(featureLayerCount(softmax)).toBe(1);
  });

  it("engine.cut auto: features for the seed MLP at 2 or more workers up to the cores; rows at 1 worker, beyond the cores, for softmax regression (7,840 weights) and for the CNN", () => {
    expect(resolveCut("auto", seedMlp, 2, 2)).toBe("features");
    expect(resolveCut("auto", seedMlp, 16, 16)).toBe("features");
    expect(resolveCut("auto", seedMlp, 1, 2)).toBe("rows");
    expect(resolveCut("auto", seedMlp, 4, 2)).toBe("rows");
    expect(resolveCut("auto", softmax, 2, 2)).toBe("rows");
    expect(resolveCut("auto", cnn, 2, 2)).toBe("rows");
    expect(resolveCut("auto", flatMlp, 2, 2)).toBe("features");
    expect(resolveCut("rows", seedMlp, 2, 2)).toBe("rows");
    expect(resolveCut("features", softmax, 16, 2)).toBe("features");
  });
});
