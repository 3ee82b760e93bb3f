// Sweep files: grid and random search, distributions, and their one-line errors.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { errorOf, fileWriter } from "../helpers.js";
import { loadSweep } from "../../src/config/sweep.js";
import { Distribution, sample } from "../../src/config/sweep-space.js";
import { Rng } from "../../src/rng.js";

const base = join(process.cwd(), "configs/mnist-softmax.yaml");
const { dir, file } = fileWriter("dptrain-sweep-");

describe("random search", () => {
  const space = `search: random\ntrials: 6\nseed: 11\nspace:\n  optim.lr: { loguniform: [0.001, 0.5] }\n  optim.momentum: { uniform: [0.5, 0.9] }\n  train.batchSize: { int: [32, 256] }\n  eval.every: [1, 2]\n`;

  it("the same file gives the same trials; another seed gives others", () => {
    const a = loadSweep(file("r1.yaml", `name: r\nbase: ${base}\n${space}`));
    const b = loadSweep(file("r2.yaml", `name: r\nbase: ${base}\n${space}`));
    const c = loadSweep(file("r3.yaml", `name: r\nbase: ${base}\n${space.replace("seed: 11", "seed: 12")}`));
    expect(a.runs).toHaveLength(6);
    expect(a.runs.map((r) => r.values)).toEqual(b.runs.map((r) => r.values));
    expect(a.runs.map((r) => r.values)).not.toEqual(c.runs.map((r) => r.values));
    for (const r of a.runs) {
      const lr = r.values["optim.lr"] as number;
      expect(lr).toBeGreaterThanOrEqual(0.001);
      expect(lr).toBeLessThan(0.5);
      expect(r.config.optim.lr).toBe(lr);
      expect(Number.isInteger(r.config.train.batchSize) && r.config.train.batchSize >= 32 && r.config.train.batchSize <= 256).toBe(true);
      expect([1, 2]).toContain(r.config.eval.every);
    }
    // Directory names: position, then the values (floats to 4 significant digits).
    expect(a.runs[0]!.label).toMatch(/^0-lr=[\d.e-]+,momentum=[\d.]+,batchSize=\d+,every=[12]$/);
    expect(new Set(a.runs.map((r) => r.label)).size).toBe(6);
  });

  it("each distribution stays in its range and covers it", () => {
    const rng = new Rng(3);
    const draw = (d: unknown, n = 4000) => Array.from({ length: n }, () => sample(Distribution.parse(d), rng) as number);
    const ints = draw({ int: [2, 5] });
    expect(new Set(ints)).toEqual(new Set([2, 3, 4, 5]));
    const logs = draw({ loguniform: [1e-4, 1] });
    expect(Math.min(...logs)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...logs)).toBeLessThan(1);
    // Log-uniform: each decade gets about a quarter of the draws.
    expect(logs.filter((x) => x < 1e-3).length / logs.length).toBeCloseTo(0.25, 1);
    const uni = draw({ uniform: [-1, 1] });
    expect(uni.filter((x) => x < 0).length / uni.length).toBeCloseTo(0.5, 1);
    expect(new Set(draw(["a", "b", "c"], 300))).toEqual(new Set(["a", "b", "c"]));
  });

  it("bad search settings are one line naming the key", () => {
    expect(errorOf(() => loadSweep(file("e1.yaml", `base: ${base}\nsearch: random\nspace:\n  optim.lr: { uniform: [0.1, 0.01] }\ntrials: 3\n`)))).toBe(
      `${join(dir, "e1.yaml")}:4:24: space.optim.lr.uniform: expected [low, high] with low <= high, found "[0.1, 0.01]"`,
    );
    expect(errorOf(() => loadSweep(file("e2.yaml", `base: ${base}\nsearch: random\nspace:\n  optim.lr: { loguniform: [0, 1] }\ntrials: 3\n`)))).toMatch(/e2\.yaml:4:\d+: space\.optim\.lr\.loguniform: expected a low bound > 0 \(it is sampled on a log scale\), found 0$/);
    expect(errorOf(() => loadSweep(file("e3.yaml", `base: ${base}\nsearch: random\nspace:\n  optim.lr: { uniform: [0, 1], int: [1, 2] }\ntrials: 3\n`)))).toMatch(/e3\.yaml:4:\d+: space\.optim\.lr: expected exactly one of uniform, loguniform, int or choice, found "uniform and int"$/);
    expect(errorOf(() => loadSweep(file("e4.yaml", `base: ${base}\nsearch: random\nspace:\n  optim.lr: [0.1]\n`)))).toMatch(/e4\.yaml: trials: expected the number of trials to draw \(search is random\), found nothing$/);
    expect(errorOf(() => loadSweep(file("e5.yaml", `base: ${base}\ngrid:\n  optim.lr: [0.1]\ntrials: 4\n`)))).toMatch(/e5\.yaml:4:\d+: trials: expected no trials: with search: grid \(the grid gives the trials\), found 4$/);
    // A sampled value the config refuses names the trial, the space and the key.
    expect(errorOf(() => loadSweep(file("e6.yaml", `base: ${base}\nsearch: random\ntrials: 2\nspace:\n  optim.lr: { uniform: [5e7, 9e7] }\n`)))).toMatch(/e6\.yaml:5:3: trial 0-lr=\d+: --set optim\.lr=[\d.]+: optim\.lr: expected a number <= 1000000, found [\d.]+$/);
  });
});

describe("stop rule", () => {
  it("defaults: afterEpochs 1, minTrials 1, the sweep's metric", () => {
    const s = loadSweep(file("s1.yaml", `base: ${base}\ngrid:\n  optim.lr: [0.1]\nstop: { rule: median }\n`));
    expect(s.spec.stop).toEqual({ rule: "median", afterEpochs: 1, minTrials: 1 });
    expect(errorOf(() => loadSweep(file("s2.yaml", `base: ${base}\ngrid:\n  optim.lr: [0.1]\nstop: { rule: mean }\n`)))).toMatch(/s2\.yaml:4:\d+: stop\.rule: expected one of "median", found "mean"$/);
  });
});
