// The PARAMS cut (src/engine/plan.ts): every parameter row owned by exactly one worker, cuts on
// whole 4-row blocks inside a layer, and the update's cost moving the cut between a conv layer
// (many multiply-adds per parameter) and a linear one (one update per few multiply-adds).
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { CHUNKS_PER_WORKER, paramChunks, paramPlan, PARAM_ROW_ALIGN, UPDATE_COST, updateCostFor, type ParamSegment } from "../../src/engine/common/plan.js";
import { BARRIER_SPIN_MS, barrierSpinMs } from "../../src/engine/coordinator/step-loop.js";
import { specForDataset } from "../../src/model/build.js";
import { denseSteps } from "../../src/model/graph.js";

const cnn = specForDataset(loadConfig("configs/mnist-cnn.yaml").config.model, { inputShape: [1, 28, 28], nClasses: 10 });

/** How many of layer `name`'s parameter rows worker w owns (0 if none). */
const ownedRows = (plan: ParamSegment[][], w: number, name: string) =>
  plan[w]!.filter((s) => s.dense.name === name).reduce((n, s) => n + s.o1 - s.o0, 0);

describe("paramPlan", () => {
  for (const workers of [1, 2, 3, 5]) {
    it(`MNIST CNN, ${workers} workers: every parameter row once, in layer order, cuts on ${PARAM_ROW_ALIGN}-row blocks`, () => {
      const plan = paramPlan(cnn, workers, 64);
      expect(plan).toHaveLength(workers);
      const seen: string[] = [];
      for (const segments of plan) {
        for (const s of segments) {
          expect(s.o1).toBeGreaterThan(s.o0);
          // a cut inside a layer falls on a block boundary; a layer's last row may end anywhere
          if (s.o0 > 0) expect(s.o0 % PARAM_ROW_ALIGN).toBe(0);
          if (s.o1 < s.dense.OC) expect(s.o1 % PARAM_ROW_ALIGN).toBe(0);
          for (let o = s.o0; o < s.o1; o++) seen.push(`${s.dense.name}:${o}`);
        }
      }
      const layers = denseSteps(cnn);
      expect(layers.map((d) => d.name)).toEqual(["conv1", "conv2", "fc1", "fc2"]);
      expect(seen).toEqual(layers.flatMap((d) => Array.from({ length: d.OC }, (_, o) => `${d.name}:${o}`)));
    });
  }

  it("a dearer update moves conv2's rows away from the worker that owns fc1 (1.18 M parameters to update, one multiply-add each per batch row)", () => {
    const cheap = paramPlan(cnn, 2, 64, 0);
    const base = paramPlan(cnn, 2, 64, UPDATE_COST);
    const dear = paramPlan(cnn, 2, 64, 400);
    // worker 0 starts at conv1; worker 1 ends at fc2 and owns all of fc1 in each of these cuts
    for (const plan of [cheap, base, dear]) expect(ownedRows(plan, 1, "fc1")).toBe(128);
    const conv2Of1 = (p: ParamSegment[][]) => ownedRows(p, 1, "conv2");
    expect(conv2Of1(cheap)).toBeGreaterThan(conv2Of1(base));
    expect(conv2Of1(base)).toBeGreaterThan(conv2Of1(dear));
    expect(conv2Of1(base) + ownedRows(base, 0, "conv2")).toBe(64);
  });

  it("updateCostFor: AVX-512's cheaper multiply-adds make an update cost more of them; other sets keep UPDATE_COST", () => {
    expect(updateCostFor("native", "avx512")).toBeGreaterThan(UPDATE_COST);
    expect(updateCostFor("native", "avx2")).toBe(UPDATE_COST);
    expect(updateCostFor("wasm", null)).toBe(UPDATE_COST);
    expect(updateCostFor("ts", null)).toBe(UPDATE_COST);
  });
});

describe("paramChunks (claimed at run time)", () => {
  const mlp = specForDataset(loadConfig("configs/mnist-mlp.yaml").config.model, { inputShape: [1, 28, 28], nClasses: 10 });
  for (const [name, spec] of [["MNIST CNN", cnn], ["seed MLP", mlp]] as const) {
    for (const workers of [1, 2, 3, 16]) {
      it(`${name}, ${workers} workers: chunks cover every parameter row once, in order, about ${CHUNKS_PER_WORKER} per worker`, () => {
        const chunks = paramChunks(spec, workers, 64);
        const rows = chunks.flat().flatMap((s) => Array.from({ length: s.o1 - s.o0 }, (_, i) => `${s.dense.name}:${s.o0 + i}`));
        expect(rows).toEqual(denseSteps(spec).flatMap((d) => Array.from({ length: d.OC }, (_, o) => `${d.name}:${o}`)));
        for (const chunk of chunks) expect(chunk.length).toBeGreaterThan(0);
        if (workers === 1) expect(chunks).toHaveLength(1);
        else expect(chunks.length).toBeGreaterThan(workers);
        expect(chunks.length).toBeLessThanOrEqual((CHUNKS_PER_WORKER + 1) * workers + denseSteps(spec).length);
        // a conv layer is cut no finer than paramPlan cuts it: each piece streams the whole batch
        for (const d of denseSteps(spec).filter((l) => l.positions > 1)) {
          const pieces = (plan: ParamSegment[][]) => plan.flat().filter((s) => s.dense.name === d.name).length;
          expect(pieces(chunks), d.name).toBe(pieces(paramPlan(spec, workers, 64)));
        }
      });
    }
  }
});

describe("barrier spinning", () => {
  it("spins only while every worker has a core of its own", () => {
    expect(barrierSpinMs(2, 2)).toBe(BARRIER_SPIN_MS);
    expect(barrierSpinMs(16, 16)).toBe(BARRIER_SPIN_MS);
    expect(barrierSpinMs(3, 2)).toBe(0);
    expect(barrierSpinMs(16, 2)).toBe(0);
  });
});
