// Input normalization, applied when pixels are gathered: x = (u8 / 255 − mean) / std
// (torchvision's ToTensor then Normalize((mean,), (std,))). It belongs to the model's input
// contract, so model files carry it and predict/eval read it from there.

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

let cached: { mean: number; std: number; table: Float32Array } | null = null;

/** (v / 255 − mean) / std with each step rounded to f32; v is a pixel value in [0, 255] (not only integers). */
export function normalizedPixel(v: number, mean: number, std: number): number {
  const f = Math.fround;
  // Computing in double and rounding once per operation is exact f32 arithmetic (53 ≥ 2·24 + 2).
  return f(f(f(v / 255) - f(mean)) / f(std));
}

/** normalizedPixel of every byte value 0..255. */
export function pixelTable(mean: number, std: number): Float32Array {
  if (cached?.mean === mean && cached.std === std) return cached.table;
  const table = Float32Array.from({ length: 256 }, (_, v) => normalizedPixel(v, mean, std));
  cached = { mean, std, table };
  return table;
}
