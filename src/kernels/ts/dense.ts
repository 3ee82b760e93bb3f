// Dense layer y = x·Wᵀ + b with W in nn.Linear layout (OC, C): the reference loops.
import type { DenseGradBuffers, DenseParamBuffers, SgdHyper } from "../kernels.js";
import { sgdUpdate } from "./sgd.js";
import type { FloatArray } from "./types.js";

// out (B, OC), rows ldOut apart  inp (B, C)  weight (OC, C)  bias (OC); relu: out = max(out, 0) (a fused ReLU layer)
export function denseForward<F extends FloatArray>(out: F, inp: F, weight: F, bias: F, B: number, C: number, OC: number, relu = false, ldOut = OC): void {
  for (let b = 0; b < B; b++) {
    const inRow = b * C;
    for (let o = 0; o < OC; o++) {
      const wRow = o * C;
      let sum = 0;
      for (let c = 0; c < C; c++) sum += inp[inRow + c]! * weight[wRow + c]!;
      sum += bias[o]!;
      out[b * ldOut + o] = relu && !(sum > 0) ? 0 : sum;
    }
  }
}

// dinp (B, C) = dout (B, OC) · weight (OC, C); zero where mask (B, C) ≤ 0 when a mask is given;
// the rows of dinp, weight and mask are ld apart
export function denseInputGrad<F extends FloatArray>(dinp: F, dout: F, weight: F, mask: F | null, B: number, C: number, OC: number, ld = C): void {
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let o = 0; o < OC; o++) sum += dout[b * OC + o]! * weight[o * ld + c]!;
      dinp[b * ld + c] = mask && !(mask[b * ld + c]! > 0) ? 0 : sum;
    }
  }
}

// The plain PARAMS kernel (kernels.ts denseWeightGrad): rows [o0, o1) of the mean gradient,
// g[o, :] = gradScale · Σ_b dout[b, o] · inp[b, :] and gbias[o] = gradScale · Σ_b dout[b, o], into
// grad.weightGrad (OC, C) and grad.biasGrad (OC); rowSq[o] = Σ g² over the row and its bias.
// dout (B, OC)  inp (B, C)
export function denseWeightGrad<F extends FloatArray>(
  grad: DenseGradBuffers<F>, rowSq: Float64Array, dout: F, inp: F,
  B: number, C: number, OC: number, o0: number, o1: number, gradScale: number,
): void {
  for (let o = o0; o < o1; o++) {
    rowSq[o] = gradientRow(grad.weightGrad.subarray(o * C, (o + 1) * C) as F, grad.biasGrad.subarray(o, o + 1) as F, dout, inp, B, C, OC, o, gradScale);
  }
}

// The fused PARAMS kernel (see kernels.ts): the same gradient rows, then SGD on them.
export function denseWeightGradSgd<F extends FloatArray>(
  p: DenseParamBuffers<F>, rowSq: Float64Array, dout: F, inp: F,
  B: number, C: number, OC: number, o0: number, o1: number, hyper: SgdHyper,
): void {
  const make = (n: number) => new (p.weight.constructor as new (n: number) => F)(n);
  const g = make(C);
  const gb = make(1);
  const row = (f: F, o: number) => f.subarray(o * C, (o + 1) * C) as F;
  const one = (f: F, o: number) => f.subarray(o, o + 1) as F;
  for (let o = o0; o < o1; o++) {
    rowSq[o] = gradientRow(g, gb, dout, inp, B, C, OC, o, hyper.gradScale);
    sgdUpdate(row(p.weightOut, o), row(p.weightVelocityOut, o), row(p.weight, o), row(p.weightVelocity, o), g, C, hyper);
    sgdUpdate(one(p.biasOut, o), one(p.biasVelocityOut, o), one(p.bias, o), one(p.biasVelocity, o), gb, 1, hyper);
  }
}

/** Row o of the mean gradient into g (C) and gb (1), each rounded to F as stored; returns Σ of their squares. */
function gradientRow<F extends FloatArray>(g: F, gb: F, dout: F, inp: F, B: number, C: number, OC: number, o: number, gradScale: number): number {
  let bsum = 0;
  for (let b = 0; b < B; b++) bsum += dout[b * OC + o]!;
  gb[0] = bsum * gradScale;
  let sq = gb[0]! * gb[0]!;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let b = 0; b < B; b++) sum += dout[b * OC + o]! * inp[b * C + c]!;
    g[c] = sum * gradScale;
    sq += g[c]! * g[c]!;
  }
  return sq;
}
