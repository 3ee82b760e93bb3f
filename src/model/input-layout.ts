// The order of one row's inputs as the model's first layer reads them. Datasets hold images
// channel by channel, (C, H, W) as PyTorch does, so a linear first layer (after a flatten) sees
// PyTorch's flatten order. A conv2d first layer reads its rows channels last, (H, W, C), as it
// does every activation (model/spec.ts): images of C > 1 channels are transposed once, where
// they enter the arena and where eval and predict are given them.
import { normalizePixels, type InputNorm } from "../data/normalize.js";
import type { ModelSpec } from "./spec.js";

/** Whether the first layer reads (H, W, C) rows that differ from the stored (C, H, W) ones. */
export function readsChannelsLast(spec: ModelSpec): boolean {
  const shape = spec.inputShape;
  return spec.layers[0]?.kind === "conv2d" && shape !== undefined && shape.length === 3 && shape[0]! > 1 && shape[1]! * shape[2]! > 1;
}

/** rows (N, C·H·W) in (C, H, W) order → the order spec's first layer reads (a copy where they differ, else rows itself). */
export function modelInputs<T extends Uint8Array | Float32Array>(rows: T, spec: ModelSpec): T {
  if (!readsChannelsLast(spec)) return rows;
  const [C, H, W] = spec.inputShape as [number, number, number];
  const plane = H * W;
  const width = C * plane;
  const out = new (rows.constructor as new (n: number) => T)(rows.length);
  for (let n = 0; n < rows.length; n += width) {
    for (let c = 0; c < C; c++) for (let p = 0; p < plane; p++) out[n + p * C + c] = rows[n + c * plane + p]!;
  }
  return out;
}

/**
 * Samples as a Dataset stores them (N, width): u8 pixels in (C, H, W) order, or f32 features
 * already standardized → the model's f32 inputs (N, nInputs), the same bits the engine's gather
 * writes (normalized pixels, in the order the first layer reads).
 */
export function modelInputFloats(rows: Uint8Array | Float32Array, spec: ModelSpec, norm: InputNorm): Float32Array {
  const ordered = modelInputs(rows, spec);
  if (ordered instanceof Float32Array) return ordered === rows ? ordered.slice() : ordered;
  return normalizePixels(new Float32Array(ordered.length), ordered, norm);
}
