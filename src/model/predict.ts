// Class probabilities for a few inputs (CLI predict): forward with the reference kernels, then
// a max-shifted softmax in float64.
import { tsKernels } from "../kernels/ts/index.js";
import { viewsOf } from "./views.js";
import { forward } from "./graph.js";
import { activationWidths, colWidths, type ModelSpec } from "./spec.js";

// inputs (B, nInputs) f32 in [0, 1]  → probabilities (B) × (K)
export function predictProbabilities(spec: ModelSpec, params: Float32Array, inputs: Float32Array, B: number): number[][] {
  const ws = { acts: activationWidths(spec).map((w) => new Float32Array(B * w)), dacts: [], cols: colWidths(spec).map((w) => new Float32Array(B * w)) };
  ws.acts[0]!.set(inputs.subarray(0, B * spec.nInputs));
  forward(tsKernels<Float32Array>(), spec, viewsOf(params, spec), ws, B);
  const logits = ws.acts[ws.acts.length - 1]!;
  const K = spec.nClasses;
  return Array.from({ length: B }, (_, b) => {
    const row = Array.from(logits.subarray(b * K, (b + 1) * K));
    const max = Math.max(...row);
    const exps = row.map((x) => Math.exp(x - max));
    const sum = exps.reduce((a, c) => a + c, 0);
    return exps.map((e) => e / sum);
  });
}
