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

// Gathers B rows of f32 features named by rowIndex[start .. start+B): a copy, already
// standardized at load (data/standardize.ts). It has no arithmetic, so this one implementation
// serves every kernel set (on views of the shared arena) and the bits cannot differ between them.
// out (B, F)  outLabels (B)  features (N, F) f32  labels (N) u8  rowIndex (≥ start+B) u32
export function gatherFeatureRows(
  out: Float32Array, outLabels: Uint8Array,
  features: Float32Array, labels: Uint8Array, rowIndex: Uint32Array,
  start: number, B: number, F: number,
): void {
  for (let b = 0; b < B; b++) {
    const row = rowIndex[start + b]!;
    out.set(features.subarray(row * F, (row + 1) * F), b * F);
    outLabels[b] = labels[row]!;
  }
}
