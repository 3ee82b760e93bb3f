import type { FloatArray } from "./types.js";

// Gathers B rows named by rowIndex[start .. start+B) and converts pixels u8 → f32 / 255.
// out (B, C)  outLabels (B)  images (N, C) u8  labels (N) u8  rowIndex (≥ start+B) u32
export function gatherRows<F extends FloatArray>(
  out: F, outLabels: Uint8Array,
  images: Uint8Array, labels: Uint8Array, rowIndex: Uint32Array,
  start: number, B: number, C: number,
): void {
  for (let b = 0; b < B; b++) {
    const row = rowIndex[start + b]!;
    const src = row * C;
    for (let c = 0; c < C; c++) out[b * C + c] = images[src + c]! / 255;
    outLabels[b] = labels[row]!;
  }
}
