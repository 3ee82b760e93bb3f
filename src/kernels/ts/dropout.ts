// Inverted dropout with counter-based masks: no generator state, so a row's mask is the same
// whichever worker computes it, in a retried step, or after a resume.
//   keep(row, unit) = hash(seed, step, row, stream, unit) ≥ threshold,  threshold = ⌊p · 2³²⌋
//   out = keep ? inp · scale : 0,  scale = f32(1 / (1 − p))
// The hash is lowbias32 (Wellons' integer mix) chained over the five words, in u32 arithmetic:
// the WASM and native kernels compute the same bits.
import type { DropoutKey } from "../kernels.js";
import type { FloatArray } from "./types.js";

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The mask word of one (row, unit); the unit is kept iff it is ≥ the threshold. */
export function dropoutHash(seed: number, step: number, row: number, stream: number, unit: number): number {
  let h = mix32((seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0);
  h = mix32((h ^ step) >>> 0);
  h = mix32((h ^ row) >>> 0);
  return mix32((h ^ unit) >>> 0);
}

/** ⌊p · 2³²⌋ and f32(1 / (1 − p)): what every kernel set compares and multiplies by. */
export function dropoutConstants(p: number): { threshold: number; scale: number } {
  return { threshold: Math.min(4294967295, Math.floor(p * 4294967296)), scale: Math.fround(1 / (1 - p)) };
}

function apply<F extends FloatArray>(out: F, inp: F, B: number, C: number, p: number, key: DropoutKey): void {
  const { threshold, scale } = dropoutConstants(p);
  for (let r = 0; r < B; r++) {
    const row = (key.row0 + r) >>> 0;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      out[i] = threshold === 0 || dropoutHash(key.seed, key.step, row, key.stream, c) >= threshold ? inp[i]! * scale : 0;
    }
  }
}

// out, inp (B, C)
export function dropoutForward<F extends FloatArray>(out: F, inp: F, B: number, C: number, p: number, key: DropoutKey): void {
  apply(out, inp, B, C, p, key);
}

// dinp, dout (B, C): the forward's mask and scale applied to the gradient
export function dropoutBackward<F extends FloatArray>(dinp: F, dout: F, B: number, C: number, p: number, key: DropoutKey): void {
  apply(dinp, dout, B, C, p, key);
}
