import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { Engine, type EngineOptions } from "../../src/engine/coordinator/engine.js";
import { trainReference } from "./reference-loop.js";
import { mlp, softmaxRegression, type ModelSpec } from "../../src/model/spec.js";
import type { KernelSet } from "../../src/engine/common/protocol.js";
import { nativeCpuIsas, type NativeIsa } from "../../src/kernels/native/native-kernels.js";
import { resolveKernels } from "../../src/kernels/resolve.js";
import { normRelError } from "../helpers.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { constantSchedule, useEngines } from "./harness.js";
import { nodeHost } from "../../src/engine/coordinator/node-host.js";

const schedule = constantSchedule;
const harness = useEngines();

function engine(spec: ModelSpec, o: Omit<Partial<EngineOptions>, "kernels"> & { workers: number; kernels: KernelSet; nativeIsa?: NativeIsa; batchSize: number }): Engine {
  const { kernels, nativeIsa, ...rest } = o;
  const e = Engine.create({
    spec, dataset: harness.data(), seed: 7, evalChunkRows: 500, host: nodeHost,
    optim: { type: "sgd", lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4, schedule, stepsPerEpoch: 1000, totalSteps: 10000 },
    ...rest, kernels: resolveKernels(kernels, nativeIsa ?? "auto"),
  });
  return harness.track(e);
}

/** 30 steps: full batches, then a short last batch (rows < B) and a tiny one (rows < workers). */
async function run30(e: Engine, B: number): Promise<{ params: string; figures: string }> {
  e.writeEpochOrder(0);
  const figures: number[] = [];
  const record = (s: { lossSum: number; correct: number; gradNormSq: number }) => figures.push(s.lossSum, s.correct, s.gradNormSq);
  for (let s = 0; s < 28; s++) record(await e.step(s, s * B, B));
  record(await e.step(28, harness.data().train.count - 13, 13));
  record(await e.step(29, 100, 3));
  const ev = await e.evaluate(30);
  figures.push(ev.loss, ev.accuracy);
  return { params: createHash("sha256").update(e.paramsBuffer(30)).digest("hex"), figures: JSON.stringify(figures) };
}

const seedMlp = mlp([784, 520, 320, 240, 120, 10], "relu");
const softmax = softmaxRegression(784, 10);

const nativeRuns = nativeCpuIsas().length > 0;

describe("bitwise determinism across worker counts (30 steps)", () => {
  for (const kernels of ["native", "wasm", "ts"] as const) {
    for (const [name, spec, B] of [["mlp", seedMlp, kernels === "ts" ? 24 : 64], ["mlp, batch 100", seedMlp, kernels === "ts" ? 13 : 100], ["softmax", softmax, 256]] as const) {
      it.skipIf(kernels === "native" && !nativeRuns)(`${name}, ${kernels} kernels: W = 1, 2, 3, 4 give identical parameter bytes, losses, accuracy counts and gradient norms`, async () => {
        const runs: { params: string; figures: string }[] = [];
        for (const workers of [1, 2, 3, 4]) {
          const e = engine(spec, { workers, kernels, batchSize: B });
          runs.push(await run30(e, B));
          await e.close();
        }
        expect(new Set(runs.map((r) => r.params)).size).toBe(1);
        expect(new Set(runs.map((r) => r.figures)).size).toBe(1);
      }, 120_000);
    }
  }

  it("the kernel sets agree closely with the reference (not bitwise: FMA, summation order)", async () => {
    const sets: KernelSet[] = nativeRuns ? ["ts", "wasm", "native"] : ["ts", "wasm"];
    const params: Float32Array[] = [];
    for (const kernels of sets) {
      const e = engine(seedMlp, { workers: 2, kernels, batchSize: 32 });
      e.writeEpochOrder(0);
      for (let s = 0; s < 3; s++) await e.step(s, s * 32, 32);
      params.push(e.paramsBuffer(3).slice());
    }
    for (const p of params.slice(1)) expect(normRelError(p, params[0]!)).toBeLessThan(1e-5);
  }, 60_000);

  it.skipIf(!nativeCpuIsas().includes("avx2"))("native kernels forced to AVX2 (what an AVX-512 machine can run too) are deterministic across W and agree with wasm", async () => {
    const hashes: string[] = [];
    for (const workers of [1, 3]) {
      const e = engine(seedMlp, { workers, kernels: "native", nativeIsa: "avx2", batchSize: 64 });
      hashes.push((await run30(e, 64)).params);
      await e.close();
    }
    expect(hashes[1]).toBe(hashes[0]);
  }, 60_000);
});

describe("equivalence with the single-thread reference loop", () => {
  for (const [name, spec] of [["mlp", seedMlp], ["softmax", softmax]] as const) {
    it(`${name}: 5 parallel steps (W=2) match 5 whole-batch reference steps within 1e-6`, async () => {
      const B = 40;
      const e = engine(spec, { workers: 2, kernels: "ts", batchSize: B, optim: { type: "sgd", lr: 0.05, momentum: 0.5, nesterov: false, weightDecay: 0, schedule, stepsPerEpoch: 1500, totalSteps: 15000 } });
      e.writeEpochOrder(0);
      for (let s = 0; s < 5; s++) await e.step(s, s * B, B);
      const ref = trainReference(harness.data(), { spec, seed: 7, batchSize: B, lr: 0.05, momentum: 0.5, nesterov: false, weightDecay: 0, schedule, epochs: 1, maxSteps: 5 });
      expect(normRelError(e.paramsBuffer(5), ref.params)).toBeLessThan(1e-6);
    }, 60_000);
  }
});

describe("evaluation", () => {
  it("splits the test set across workers: same loss, accuracy and confusion for W = 1 and 3", async () => {
    const results = [];
    for (const workers of [1, 3]) {
      const e = engine(softmax, { workers, kernels: "wasm", batchSize: 256 });
      e.writeEpochOrder(0);
      for (let s = 0; s < 20; s++) await e.step(s, s * 256, 256);
      results.push(await e.evaluate(20));
    }
    const [a, b] = results as [Awaited<ReturnType<Engine["evaluate"]>>, Awaited<ReturnType<Engine["evaluate"]>>];
    expect(b.accuracy).toBe(a.accuracy);
    expect(b.confusion).toEqual(a.confusion);
    expect(b.loss).toBe(a.loss); // per-row losses summed in row order
    expect(a.confusion.flat().reduce((x, y) => x + y, 0)).toBe(10000);
    const diagonal = a.confusion.reduce((sum, row, i) => sum + row[i]!, 0);
    expect(diagonal / 10000).toBe(a.accuracy);
    expect(a.accuracy).toBeGreaterThan(0.8);
  }, 60_000);
});

describe("phase profile (bench --profile)", () => {
  it("counts every step per worker, and each worker's phases add up to its step time", async () => {
    const B = 64;
    const e = engine(seedMlp, { workers: 2, kernels: "wasm", batchSize: B });
    e.writeEpochOrder(0);
    await e.runSteps({ first: 0, count: 5, batches: { epochFirstStep: 0, batchSize: B, trainRows: harness.data().train.count }, skipNonFinite: false }, () => true);
    e.resetProfile();
    let wall = 0;
    await e.runSteps({ first: 5, count: 20, batches: { epochFirstStep: 0, batchSize: B, trainRows: harness.data().train.count }, skipNonFinite: false }, (s) => ((wall += s.wallMs), true));
    const profile = e.phaseProfile();
    expect(profile.map((p) => p.worker)).toEqual([0, 1]);
    for (const p of profile) {
      expect(p.steps).toBe(20);
      const phases = [p.rows_ms, p.wait_mid_ms, p.params_ms, p.optim_ms, p.wait_end_ms, p.other_ms];
      for (const ms of phases) expect(ms).toBeGreaterThanOrEqual(0);
      expect(p.rows_ms).toBeGreaterThan(0);
      expect(p.params_ms).toBeGreaterThan(0);
      expect(p.optim_ms).toBe(0); // SGD is fused into the weight-gradient kernel
      const sum = phases.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - p.step_ms)).toBeLessThan(0.01 * p.step_ms + 1e-3);
    }
    // worker 0's step times are what the ring reports as each step's wall time
    expect(Math.abs(profile[0]!.step_ms * 20 - wall)).toBeLessThan(0.01 * wall);
    e.resetProfile();
    expect(e.phaseProfile().every((p) => p.steps === 0 && p.step_ms === 0)).toBe(true);
  });

  // worker 1 of 2 stalls 8 ms at the start of each step's ROWS (one "slow" fault per step): its
  // share must shrink (rows, and under the feature cut every layer's outputs with them), and the
  // weights after 30 steps must be the one-worker bits
  const slowCases = [
    { cut: "rows" as const, model: "softmax regression", spec: softmax, maxRows: 16 },
    { cut: "features" as const, model: "the seed MLP", spec: seedMlp, maxRows: 24 },
  ];
  for (const { cut, model, spec, maxRows } of slowCases) {
    it(`the ${cut} cut gives a slower worker a smaller share (${model}: fewer than ${maxRows} of 64 rows), and the weights keep their bits`, async () => {
      const B = 64;
      const batches = { epochFirstStep: 0, batchSize: B, trainRows: harness.data().train.count };
      const hashes: string[] = [];
      let rows: number[] = [];
      for (const workers of [1, 2]) {
        const faults = workers === 1 ? [] : Array.from({ length: 30 }, (_, step) => ({ step, phase: "rows" as const, task: 1, kind: "slow" as const, at: 0.08 }));
        const e = engine(spec, { workers, kernels: "wasm", batchSize: B, cut, faults });
        e.writeEpochOrder(0);
        e.resetProfile();
        await e.runSteps({ first: 0, count: 30, batches, skipNonFinite: false }, () => true);
        hashes.push(createHash("sha256").update(e.paramsBuffer(30)).digest("hex"));
        rows = e.phaseProfile().map((p) => p.rows);
        await e.close();
      }
      expect(hashes[1]).toBe(hashes[0]);
      // over 30 steps (the first two even), worker 1 moves toward its floor of MIN_SHARE of an even share
      expect(rows[0]! + rows[1]!).toBeCloseTo(B, 9);
      expect(rows[1]!).toBeLessThan(maxRows);
    }, 60_000);
  }

  it("an optimizer other than SGD shows its own time", async () => {
    const B = 32;
    const adam = ConfigSchema.parse({ optim: { type: "adam" } }).optim;
    const e = engine(softmax, { workers: 2, kernels: "ts", batchSize: B, optim: { ...adam, stepsPerEpoch: 1000, totalSteps: 10000 } });
    e.writeEpochOrder(0);
    await e.runSteps({ first: 0, count: 4, batches: { epochFirstStep: 0, batchSize: B, trainRows: harness.data().train.count }, skipNonFinite: false }, () => true);
    const optim = e.phaseProfile().map((p) => p.optim_ms);
    expect(optim.some((ms) => ms > 0)).toBe(true);
  });
});
