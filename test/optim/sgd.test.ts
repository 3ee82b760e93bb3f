import { describe, expect, it } from "vitest";
import { sgdUpdate, validateSgdHyper } from "../../src/kernels/ts/sgd.js";
import { learningRateAt } from "../../src/optim/schedule.js";

const base = { gradScale: 1, lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 };

function run(hyper: typeof base, theta: number[], velocity: number[], grad: number[]) {
  const n = theta.length;
  const thetaOut = new Float64Array(n);
  const velOut = new Float64Array(n);
  sgdUpdate(thetaOut, velOut, Float64Array.from(theta), Float64Array.from(velocity), Float64Array.from(grad), n, hyper);
  return { theta: Array.from(thetaOut), velocity: Array.from(velOut) };
}

describe("sgdUpdate (torch.optim.SGD, hand-computed steps)", () => {
  it("plain SGD: θ' = θ − lr·g", () => {
    const r = run(base, [1], [0], [2]);
    expect(r.theta[0]).toBeCloseTo(0.8, 12);
  });
  it("momentum follows torch.optim.SGD: v' = μv + g, θ' = θ − lr·v'", () => {
    const r = run({ ...base, momentum: 0.9 }, [1], [0.5], [2]);
    expect(r.velocity[0]).toBeCloseTo(0.9 * 0.5 + 2, 12);
    expect(r.theta[0]).toBeCloseTo(1 - 0.1 * 2.45, 12);
  });
  it("nesterov: θ' = θ − lr·(g + μ·v')", () => {
    const r = run({ ...base, momentum: 0.9, nesterov: true }, [1], [0.5], [2]);
    expect(r.theta[0]).toBeCloseTo(1 - 0.1 * (2 + 0.9 * 2.45), 12);
  });
  it("weight decay is L2 (coupled): g ← g + wd·θ", () => {
    const r = run({ ...base, weightDecay: 0.01 }, [2], [0], [1]);
    expect(r.theta[0]).toBeCloseTo(2 - 0.1 * (1 + 0.02), 12);
  });
  it("rejects bad hyper-parameters", () => {
    expect(() => validateSgdHyper({ ...base, lr: 0 })).toThrow(/lr must be/);
    expect(() => validateSgdHyper({ ...base, momentum: 1 })).toThrow(/momentum/);
    expect(() => validateSgdHyper({ ...base, nesterov: true })).toThrow(/nesterov/);
  });
});

describe("learningRateAt", () => {
  const s = { type: "constant" as const, warmupEpochs: 0, stepEpochs: 1, gamma: 0.1, minLr: 0 };
  it("constant", () => expect(learningRateAt(123, { lr: 0.1, schedule: s, stepsPerEpoch: 10, totalSteps: 1000 })).toBe(0.1));
  it("step decays by gamma every stepEpochs", () => {
    expect(learningRateAt(19, { lr: 1, schedule: { ...s, type: "step", stepEpochs: 2 }, stepsPerEpoch: 10, totalSteps: 100 })).toBeCloseTo(1, 12);
    expect(learningRateAt(20, { lr: 1, schedule: { ...s, type: "step", stepEpochs: 2 }, stepsPerEpoch: 10, totalSteps: 100 })).toBeCloseTo(0.1, 12);
  });
  it("cosine goes from lr to minLr", () => {
    const c = { ...s, type: "cosine" as const, minLr: 0.01 };
    expect(learningRateAt(0, { lr: 1, schedule: c, stepsPerEpoch: 10, totalSteps: 100 })).toBeCloseTo(1, 12);
    expect(learningRateAt(50, { lr: 1, schedule: c, stepsPerEpoch: 10, totalSteps: 100 })).toBeCloseTo(0.505, 12);
    expect(learningRateAt(100, { lr: 1, schedule: c, stepsPerEpoch: 10, totalSteps: 100 })).toBeCloseTo(0.01, 12);
  });
  it("linear warmup", () => {
    const w = { ...s, warmupEpochs: 1 };
    expect(learningRateAt(0, { lr: 1, schedule: w, stepsPerEpoch: 10, totalSteps: 100 })).toBeCloseTo(0.1, 12);
    expect(learningRateAt(9, { lr: 1, schedule: w, stepsPerEpoch: 10, totalSteps: 100 })).toBeCloseTo(1, 12);
    expect(learningRateAt(10, { lr: 1, schedule: w, stepsPerEpoch: 10, totalSteps: 100 })).toBe(1);
  });
});
