import { pixelTable } from "../../data/normalize.js";
import type { FloatArray } from "./types.js";

// Gathers B rows named by rowIndex[start .. start+B) and converts each pixel u8 → f32 as
// (v / 255 − mean) / std (torchvision's ToTensor then Normalize; mean 0, std 1 is plain /255).
// Each of the three operations is rounded to f32, as the WASM kernel does, so both kernel sets
// give the same bits; a 256-entry table holds the results.
// out (B, C)  outLabels (B)  images (N, C) u8  labels (N) u8  rowIndex (≥ start+B) u32
export function gatherRows<F extends FloatArray>(
  out: F, outLabels: Uint8Array,
  images: Uint8Array, labels: Uint8Array, rowIndex: Uint32Array,
  start: number, B: number, C: number, mean: number, std: number,
): void {
  const lut = pixelTable(mean, std);
  for (let b = 0; b < B; b++) {
    const row = rowIndex[start + b]!;
    const src = row * C;
    for (let c = 0; c < C; c++) out[b * C + c] = lut[images[src + c]!]!;
    outLabels[b] = labels[row]!;
  }
}
