// Forward and backward over a model's layer list, written once against the Kernels interface,
// so the same composition runs the float32 TS kernels, the WASM kernels (F = arena pointer)
// and the float64 finite-difference checks.
import type { Kernels, LossStats } from "../kernels/kernels.js";
import { viewKey, type ModelSpec } from "./spec.js";

/** Named tensors of one parameter (or gradient) buffer: views["fc1Weight"], views["fc1Bias"], … */
export type ParamViews<F> = Record<string, F>;

/**
 * acts[0]   (B, nInputs) the gathered input rows
 * acts[i+1] (B, width)   output of layer i; acts[last] are the logits
 * dacts[i]  same shape as acts[i]: gradient of the loss w.r.t. acts[i] (dacts[0] is never written)
 */
export interface Workspace<F> {
  acts: F[];
  dacts: F[];
}

/** View names of each layer's weight and bias, computed once per spec (not per shard). */
const keyCache = new WeakMap<ModelSpec, { weight: string; bias: string }[]>();
function paramKeys(spec: ModelSpec): { weight: string; bias: string }[] {
  let keys = keyCache.get(spec);
  if (!keys) {
    keys = spec.layers.map((l) => (l.kind === "dense" ? { weight: viewKey(`${l.name}.weight`), bias: viewKey(`${l.name}.bias`) } : { weight: "", bias: "" }));
    keyCache.set(spec, keys);
  }
  return keys;
}

export function forward<F, U8, U32>(k: Kernels<F, U8, U32>, spec: ModelSpec, params: ParamViews<F>, ws: Workspace<F>, B: number): void {
  const keys = paramKeys(spec);
  spec.layers.forEach((layer, i) => {
    const inp = ws.acts[i]!;
    const out = ws.acts[i + 1]!;
    if (layer.kind === "dense") {
      const weight = params[keys[i]!.weight]!;
      const bias = params[keys[i]!.bias]!;
      k.denseForward(out, inp, weight, bias, B, layer.inFeatures, layer.outFeatures);
    } else {
      k.reluForward(out, inp, B * layer.features);
    }
  });
}

/**
 * Loss on acts[last] and backward through the layers in reverse, writing every gradient.
 * gradScale: 1 for a shard's Σ-gradient (the engine divides in REDUCE), 1/B for the mean.
 */
export function backward<F, U8, U32>(
  k: Kernels<F, U8, U32>, spec: ModelSpec, params: ParamViews<F>, grads: ParamViews<F>,
  ws: Workspace<F>, labels: U8, B: number, gradScale: number,
): LossStats {
  const last = spec.layers.length;
  const keys = paramKeys(spec);
  const stats = k.softmaxCrossEntropy(ws.dacts[last]!, ws.acts[last]!, labels, B, spec.nClasses, gradScale);
  for (let i = last - 1; i >= 0; i--) {
    const layer = spec.layers[i]!;
    const dout = ws.dacts[i + 1]!;
    if (layer.kind === "dense") {
      const { weight, bias } = keys[i]!;
      k.denseBackward(
        i === 0 ? null : ws.dacts[i]!,
        grads[weight]!, grads[bias]!,
        dout, ws.acts[i]!, params[weight]!,
        B, layer.inFeatures, layer.outFeatures,
      );
    } else {
      k.reluBackward(ws.dacts[i]!, dout, ws.acts[i + 1]!, B * layer.features);
    }
  }
  return stats;
}
