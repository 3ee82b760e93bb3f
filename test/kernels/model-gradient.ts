// The whole model's mean gradient computed through a kernel set (f32, in the set's own memory)
// against central finite differences of the float64 reference forward. The gradient is read
// from the fused PARAMS kernel's momentum output: with momentum 0 and no weight decay, v' = g.
import { tsKernels } from "../../src/kernels/ts/index.js";
import { backwardRows, denseSteps, forward, weightGrad, type ParamViews, type TrainContext, type Workspace } from "../../src/model/graph.js";
import { initParams } from "../../src/model/init.js";
import { activationWidths, colWidths, paramLayout, type ModelSpec } from "../../src/model/spec.js";
import { viewsOf } from "../../src/model/views.js";
import { Rng } from "../../src/rng.js";
import { finiteDiff, normRelError, randomArray } from "../helpers.js";
import type { SetUnderTest } from "./set-harness.js";

/** Normwise relative error of the set's gradient against float64 finite differences. */
/** `train` fixes dropout's masks (the same in the numeric and the analytic pass). */
export function modelGradientCheck(s: SetUnderTest, spec: ModelSpec, B: number, seed: number, train?: TrainContext): number {
  const { entries, nParams } = paramLayout(spec);
  const rng = new Rng(seed);
  const init32 = new Float32Array(nParams);
  initParams(init32, spec, seed);
  for (const e of entries) if (e.name.endsWith(".bias")) for (let i = 0; i < e.size; i++) init32[e.offset + i] = (rng.nextFloat() - 0.5) * 0.2;
  const inputs = randomArray(Float32Array, B * spec.nInputs, rng);
  const labels = Uint8Array.from({ length: B }, () => rng.nextInt(spec.nClasses));
  const widths = activationWidths(spec);

  // Numeric: float64 reference forward, mean loss.
  const k64 = tsKernels<Float64Array>();
  const params64 = Float64Array.from(init32);
  const pv64 = viewsOf(params64, spec);
  const ws64: Workspace<Float64Array> = { acts: widths.map((w) => new Float64Array(B * w)), dacts: widths.map((w) => new Float64Array(B * w)), cols: colWidths(spec).map((w) => new Float64Array(B * w)) };
  ws64.acts[0]!.set(inputs);
  const meanLoss = () => {
    forward(k64, spec, pv64, ws64, B, train);
    return k64.softmaxCrossEntropy(new Float64Array(B * spec.nClasses), new Float64Array(B), ws64.acts[widths.length - 1]!, labels, B, spec.nClasses, 1).lossSum / B;
  };
  const numeric = finiteDiff(params64, meanLoss);

  // Analytic: the set under test.
  const views = (from?: Float32Array): ParamViews<unknown> => {
    const v: ParamViews<unknown> = {};
    for (const e of entries) v[e.key] = s.f32(e.size, from?.subarray(e.offset, e.offset + e.size))[0];
    return v;
  };
  const pv = views(init32), zeros = views(), out = views();
  const grads: Record<string, Float32Array> = {};
  const gv: ParamViews<unknown> = {};
  for (const e of entries) [gv[e.key], grads[e.key]] = s.f32(e.size);
  const ws: Workspace<unknown> = {
    acts: widths.map((w, i) => s.f32(B * w, i === 0 ? inputs : undefined)[0]), dacts: widths.map((w) => s.f32(B * w)[0]),
    cols: colWidths(spec).map((w) => s.f32(B * w)[0]), dcols: colWidths(spec).map((w) => s.f32(B * w)[0]),
  };
  const [losses] = s.f32(B);
  const [rowSq] = s.f64(Math.max(...denseSteps(spec).map((d) => d.OC)));
  forward(s.k, spec, pv, ws, B, train);
  backwardRows(s.k, spec, pv, ws, s.u8(labels), losses, B, train);
  const hyper = { gradScale: 1 / B, lr: 1, momentum: 0, nesterov: false, weightDecay: 0 };
  for (const d of denseSteps(spec)) {
    const buffers = {
      weight: pv[d.weight], bias: pv[d.bias], weightVelocity: zeros[d.weight], biasVelocity: zeros[d.bias],
      weightOut: out[d.weight], biasOut: out[d.bias], weightVelocityOut: gv[d.weight], biasVelocityOut: gv[d.bias],
    };
    weightGrad(s.k, d, { sgd: hyper, params: buffers }, rowSq, ws, B, 0, d.OC);
  }
  const analytic = new Float64Array(nParams);
  for (const e of entries) analytic.set(grads[e.key]!, e.offset);
  return normRelError(analytic, numeric);
}
