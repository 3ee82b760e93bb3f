// Input normalization, applied when pixels are gathered: x = (u8 / 255 − mean) / std
// (torchvision's ToTensor then Normalize((mean,), (std,))). It belongs to the model's input
// contract, so model files carry it and predict/eval read it from there.
import { normalizedPixel, pixelTable } from "../kernels/ts/gather.js";

export interface InputNorm {
  mean: number;
  std: number;
}

/** Plain u8 / 255: the default, and what model files without the metadata were trained on. */
export const PLAIN_SCALING: InputNorm = { mean: 0, std: 1 };

/** pixels (N) u8 → out (N) f32 (at offset), bit-identical to what the kernels' gather writes. */
export function normalizePixels(out: Float32Array, pixels: Uint8Array, norm: InputNorm, offset = 0): Float32Array {
  const table = pixelTable(norm.mean, norm.std);
  for (let i = 0; i < pixels.length; i++) out[offset + i] = table[pixels[i]!]!;
  return out;
}

/** One pixel value in [0, 255], not necessarily an integer (a PNG's luminance). */
export function normalizePixel(v: number, norm: InputNorm): number {
  return normalizedPixel(v, norm.mean, norm.std);
}
