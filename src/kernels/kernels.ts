// The kernel set interface. F is how a float buffer is named: a Float32Array/Float64Array view
// (TS reference kernels) or a byte offset into the shared arena (WASM kernels). U8 and U32 name
// byte and uint32 buffers the same way. The model (model/graph.ts) is written once against this.
import type { LossStats } from "./ts/types.js";

export type { LossStats };

export interface SgdHyper {
  /** multiplies the summed gradient: 1 / rows in the batch */
  gradScale: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  /** L2 (coupled, PyTorch SGD semantics): g ← g + weightDecay·θ before momentum */
  weightDecay: number;
}

export interface Kernels<F, U8, U32> {
  // out (B, C)  outLabels (B)  images (N, C)  labels (N)  rowIndex (≥ start+B); out = (u8 / 255 − mean) / std in f32
  gatherRows(out: F, outLabels: U8, images: U8, labels: U8, rowIndex: U32, start: number, B: number, C: number, mean: number, std: number): void;
  // out (B, OC)  inp (B, C)  weight (OC, C)  bias (OC)
  denseForward(out: F, inp: F, weight: F, bias: F, B: number, C: number, OC: number): void;
  // dinp (B, C) | null  dweight (OC, C)  dbias (OC)  dout (B, OC)  inp (B, C)  weight (OC, C)
  denseBackward(dinp: F | null, dweight: F, dbias: F, dout: F, inp: F, weight: F, B: number, C: number, OC: number): void;
  // out (N)  inp (N)
  reluForward(out: F, inp: F, N: number): void;
  // dinp (N)  dout (N)  out (N)
  reluBackward(dinp: F, dout: F, out: F, N: number): void;
  // dlogits (B, K)  logits (B, K)  labels (B)
  softmaxCrossEntropy(dlogits: F, logits: F, labels: U8, B: number, K: number, gradScale: number): LossStats;
  // thetaOut, velocityOut, theta, velocity (P)  slots (nSlots, slotStride); touches [start, end)
  // Returns Σ g² over the slice (g = the scaled mean gradient before weight decay), for the
  // gradient norm and the non-finite check.
  reduceSgdUpdate(
    thetaOut: F, velocityOut: F, theta: F, velocity: F,
    slots: F, slotStride: number, nSlots: number,
    start: number, end: number, hyper: SgdHyper,
  ): number;
}
