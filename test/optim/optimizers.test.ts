// Each optimizer against torch.optim: three steps from the same θ and gradients, compared with
// the trajectories and final state torch 1.13 computed (test/optim/torch_reference.py wrote
// REFERENCE). Our arithmetic is float64 per element, rounded to f32 on store; torch rounds every
// op to f32, so the two agree to a few ulps, not bit for bit.
import { describe, expect, it } from "vitest";
import { optimizerUpdate, stateSlots, type OptimSpec } from "../../src/optim/optimizers.js";
import { parseConfigObject } from "../../src/config/load.js";

const REFERENCE: Record<string, { theta: number[][]; state: Record<string, number[]> }> = {"adam": {"theta": [[0.49000000953674316, -1.2400000095367432, 1.9900000095367432], [0.4833492040634155, -1.2397119998931885, 1.9800423383712769], [0.4752235412597656, -1.2391308546066284, 1.9733916521072388]], "state": {"exp_avg": [0.03689349442720413, -0.0038821217603981495, 0.07071042060852051], "exp_avg_sq": [8.412626630160958e-05, 0.00018208830442745239, 0.00046130281407386065]}}, "adamw": {"theta": [[0.4897499978542328, -1.2393749952316284, 1.9889999628067017], [0.48739373683929443, -1.2429652214050293, 1.9781426191329956], [0.48023027181625366, -1.2468701601028442, 1.9758273363113403]], "state": {"exp_avg": [0.04480000212788582, 0.058400001376867294, 0.018400005996227264], "exp_avg_sq": [0.0005227600340731442, 0.00207604025490582, 0.0024008401669561863]}}, "adadelta": {"theta": [[0.49683916568756104, -1.246838092803955, 1.996837854385376], [0.4986802041530609, -1.250805139541626, 1.993866205215454], [0.49445921182632446, -1.2520225048065186, 1.9969673156738281]], "state": {"square_avg": [0.005277490708976984, 0.017939409241080284, 0.02269730158150196], "acc_delta": [2.8959805149497697e-06, 2.3744423742755316e-06, 2.5663894120953046e-06]}}, "rmsprop": {"theta": [[0.40000009536743164, -1.1500000953674316, 1.9000000953674316], [0.44490137696266174, -1.2395323514938354, 1.8357919454574585], [0.3574274480342865, -1.2614797353744507, 1.8970184326171875]], "state": {"square_avg": [0.0005227600340731442, 0.00207604025490582, 0.0024008401669561863]}}, "rmsprop_centered_momentum": {"theta": [[0.46666666865348816, -1.2166666984558105, 1.9666666984558105], [0.4616411626338959, -1.2277179956436157, 1.9265559911727905], [0.42899641394615173, -1.2390581369400024, 1.923748254776001]], "state": {"square_avg": [0.005506777670234442, 0.017371119931340218, 0.0237344391644001], "momentum_buffer": [3.2644755840301514, 1.1340135335922241, 0.28077924251556396], "grad_avg": [0.02617328241467476, 0.02312956564128399, 0.027433112263679504]}}};

const theta0 = [0.5, -1.25, 2.0];
const grads = [[0.1, -0.2, 0.3], [-0.05, 0.4, 0.25], [0.2, 0.1, -0.3]];

const cases: Record<string, Record<string, unknown>> = {
  adam: { type: "adam", lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1 },
  adamw: { type: "adamw", lr: 0.01, betas: [0.8, 0.99], eps: 1e-8, weightDecay: 0.05 },
  adadelta: { type: "adadelta", lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0.01 },
  rmsprop: { type: "rmsprop", lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
  rmsprop_centered_momentum: { type: "rmsprop", lr: 0.01, alpha: 0.9, eps: 1e-8, weightDecay: 0.02, momentum: 0.5, centered: true },
};

describe("optimizers against torch.optim", () => {
  for (const [name, optim] of Object.entries(cases)) {
    it(`${name}: three steps`, () => {
      const o = parseConfigObject({ optim }, "test").optim as OptimSpec;
      const slots = stateSlots(o);
      const n = theta0.length;
      let theta = Float32Array.from(theta0);
      let state = slots.map(() => new Float32Array(n));
      for (let t = 1; t <= grads.length; t++) {
        const thetaOut = new Float32Array(n);
        const stateOut = slots.map(() => new Float32Array(n));
        optimizerUpdate(o, o.lr, t, thetaOut, stateOut, theta, state, Float32Array.from(grads[t - 1]!), n);
        for (let i = 0; i < n; i++) expect(thetaOut[i]).toBeCloseTo(REFERENCE[name]!.theta[t - 1]![i]!, 6);
        [theta, state] = [thetaOut, stateOut];
      }
      expect(slots.sort()).toEqual(Object.keys(REFERENCE[name]!.state).sort());
      for (const [s, values] of Object.entries(REFERENCE[name]!.state)) {
        const got = state[stateSlots(o).indexOf(s)]!;
        for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - values[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1e-3, Math.abs(values[i]!)));
      }
    });
  }

  it("the config fills each type's torch defaults and refuses keys the type does not use", () => {
    const o = (optim: Record<string, unknown>) => parseConfigObject({ optim }, "test").optim;
    expect(o({ type: "adam" })).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    expect(o({ type: "adamw" })).toMatchObject({ lr: 1e-3, weightDecay: 0.01 });
    expect(o({ type: "adadelta" })).toMatchObject({ lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 });
    expect(o({ type: "rmsprop" })).toMatchObject({ lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false });
    expect(o({})).toMatchObject({ type: "sgd", lr: 0.01, momentum: 0, nesterov: false });
    expect(() => o({ type: "sgd", betas: [0.9, 0.99] })).toThrow(/^test: optim\.betas: expected no betas with type sgd \(its keys: lr, momentum, nesterov, weightDecay, schedule\), found a list of 2$/);
  });
});
