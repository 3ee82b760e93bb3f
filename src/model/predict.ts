// Logits and class probabilities for a few inputs (CLI predict, ONNX export checks): forward with
// the reference kernels, then a max-shifted softmax in float64.
import { tsKernels } from "../kernels/ts/index.js";
import { viewsOf } from "./views.js";
import { forward } from "./graph.js";
import { activationWidths, colWidths, type ModelSpec } from "./spec.js";

// inputs (B, nInputs) f32, normalized as in training  → logits (B, K) f32
export function predictLogits(spec: ModelSpec, params: Float32Array, inputs: Float32Array, B: number): Float32Array {
  const ws = { acts: activationWidths(spec).map((w) => new Float32Array(B * w)), dacts: [], cols: colWidths(spec).map((w) => new Float32Array(B * w)) };
  ws.acts[0]!.set(inputs.subarray(0, B * spec.nInputs));
  forward(tsKernels<Float32Array>(), spec, viewsOf(params, spec), ws, B);
  return ws.acts[ws.acts.length - 1]!;
}

// inputs (B, nInputs) f32, normalized as in training  → probabilities (B) × (K)
export function predictProbabilities(spec: ModelSpec, params: Float32Array, inputs: Float32Array, B: number): number[][] {
  const logits = predictLogits(spec, params, inputs, B);
  const K = spec.nClasses;
  return Array.from({ length: B }, (_, b) => {
    const row = Array.from(logits.subarray(b * K, (b + 1) * K));
    const max = Math.max(...row);
    const exps = row.map((x) => Math.exp(x - max));
    const sum = exps.reduce((a, c) => a + c, 0);
    return exps.map((e) => e / sum);
  });
}
