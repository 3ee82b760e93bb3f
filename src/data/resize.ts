// Image resize for data.size: the triangle ("bilinear") filter, widened by the scale factor
// when shrinking so every source pixel counts (Pillow's BILINEAR, which torchvision's Resize
// uses on images). Separable: rows, then columns, each output the weighted mean of its
// source pixels in float64, rounded to the nearest u8 once at the end. Pure arithmetic on
// the decoded pixels, so it gives the same bytes on every machine. Written here rather than
// taken from a library: the libraries that resize in JavaScript bring whole image toolkits.

/** src (H, W, C) u8 → (OH, OW, C) u8. */
export function resizeBilinear(src: Uint8Array, H: number, W: number, C: number, OH: number, OW: number): Uint8Array {
  if (H === OH && W === OW) return src;
  const across = weights(W, OW);
  const down = weights(H, OH);
  // Pass 1: every source row resampled to OW columns, kept in float64.
  const mid = new Float64Array(H * OW * C);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < OW; x++) {
      const { first, w } = across[x]!;
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k]! * src[(y * W + first + k) * C + c]!;
        mid[(y * OW + x) * C + c] = s;
      }
    }
  }
  const out = new Uint8Array(OH * OW * C);
  for (let y = 0; y < OH; y++) {
    const { first, w } = down[y]!;
    for (let i = 0; i < OW * C; i++) {
      let s = 0;
      for (let k = 0; k < w.length; k++) s += w[k]! * mid[(first + k) * OW * C + i]!;
      out[y * OW * C + i] = Math.min(255, Math.max(0, Math.round(s)));
    }
  }
  return out;
}

/** For each of `out` output positions over `size` input ones: the first input it reads and the normalized weights from there. */
function weights(size: number, out: number): { first: number; w: Float64Array }[] {
  const scale = size / out;
  const support = Math.max(scale, 1); // the triangle's half-width, in input pixels
  return Array.from({ length: out }, (_, i) => {
    const center = (i + 0.5) * scale;
    const first = Math.max(0, Math.floor(center - support));
    const last = Math.min(size, Math.ceil(center + support));
    const w = new Float64Array(last - first);
    let total = 0;
    for (let j = first; j < last; j++) {
      const t = 1 - Math.abs((j + 0.5 - center) / support);
      w[j - first] = t > 0 ? t : 0;
      total += w[j - first]!;
    }
    for (let k = 0; k < w.length; k++) w[k]! /= total;
    return { first, w };
  });
}
