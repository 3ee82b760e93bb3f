import type { FloatArray } from "../kernels/ts/types.js";
import type { ParamViews } from "./graph.js";
import { paramLayout, type ModelSpec, type ParamEntry } from "./spec.js";

/** Named views of a flat parameter array (outside the arena): views.fc1Weight is fc1.weight (OC, C). */
export function viewsOf<F extends FloatArray>(flat: F, spec: ModelSpec): ParamViews<F> {
  const views: ParamViews<F> = {};
  for (const e of paramLayout(spec).entries) views[e.key] = flat.subarray(e.offset, e.offset + e.size) as F;
  return views;
}

/** Copies of each parameter tensor by PyTorch name: named["fc1.weight"] is (OC, C). */
export function namedParams(flat: Float32Array, entries: ParamEntry[]): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const e of entries) out[e.name] = flat.slice(e.offset, e.offset + e.size);
  return out;
}
