// Dense layer y = x·Wᵀ + b with W in nn.Linear layout (OC, C).
import type { FloatArray } from "./types.js";

// out (B, OC)  inp (B, C)  weight (OC, C)  bias (OC)
export function denseForward<F extends FloatArray>(out: F, inp: F, weight: F, bias: F, B: number, C: number, OC: number): void {
  for (let b = 0; b < B; b++) {
    const inRow = b * C;
    for (let o = 0; o < OC; o++) {
      const wRow = o * C;
      let sum = bias[o]!;
      for (let c = 0; c < C; c++) sum += inp[inRow + c]! * weight[wRow + c]!;
      out[b * OC + o] = sum;
    }
  }
}

// dinp (B, C) or null (first layer: no input gradient needed)  dweight (OC, C)  dbias (OC)
// dout (B, OC)  inp (B, C)  weight (OC, C)
// Writes (does not accumulate) dweight, dbias and dinp.
export function denseBackward<F extends FloatArray>(
  dinp: F | null, dweight: F, dbias: F,
  dout: F, inp: F, weight: F,
  B: number, C: number, OC: number,
): void {
  for (let o = 0; o < OC; o++) {
    let sum = 0;
    for (let b = 0; b < B; b++) sum += dout[b * OC + o]!;
    dbias[o] = sum;
  }
  for (let o = 0; o < OC; o++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let b = 0; b < B; b++) sum += dout[b * OC + o]! * inp[b * C + c]!;
      dweight[o * C + c] = sum;
    }
  }
  if (dinp === null) return;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let o = 0; o < OC; o++) sum += dout[b * OC + o]! * weight[o * C + c]!;
      dinp[b * C + c] = sum;
    }
  }
}
