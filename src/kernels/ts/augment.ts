// data.augment: each training row's image randomly shifted (RandomCrop with padding), flipped
// left-right and rotated, after the gather and before the first layer. The row's random draws
// come from the counter-based hash dropout uses (dropout.ts), keyed by (seed, step, row,
// AUGMENT_STREAM, unit), so a row is augmented the same whichever worker gathers it, in a
// retried step and after a resume.
//
//   units: 0 → dx, 1 → dy (each uniform in [−shift, shift]), 2 → flip (bit 31), 3 → angle
//   angle θ = (u₃ / 2³² · 2 − 1) · rotate degrees; c = f32(cos θ), s = f32(sin θ)
//   out(y, x) = in(source(y, x)), inverse-mapped: x' = flip ? W − 1 − x : x; then
//     without rotation: (y − dy, x' − dx), an integer position (fill outside the image): exact
//     with rotation: u = (x' − dx) − cx, v = (y − dy) − cy about the centre (cx, cy) = ((W − 1)/2, (H − 1)/2),
//       sx = c·u + s·v + cx, sy = c·v − s·u + cy, then bilinear between the four neighbours
//       (fill outside), every operation rounded to f32 in this order
// Rows are (C, H, W) or, where the first layer is a conv on C > 1 channels, (H, W, C)
// (model/input-layout.ts); channelsLast says which. Every channel moves together.
// out, inp (B, C·H·W)
import type { AugmentGeometry, AugmentKey, AugmentSettings } from "../kernels.js";
import { dropoutHash } from "./dropout.js";
import type { FloatArray } from "./types.js";

/** Stream id of the augmentation hash (dropout layers use their index among the model's dropouts: 0, 1, …). */
export const AUGMENT_STREAM = 0xa06;

/** One row's draws: integer shift, flip, and the rotation's f32 cosine and sine (1, 0 without rotation). */
export function augmentDraws(a: AugmentSettings, seed: number, step: number, row: number): { dx: number; dy: number; flip: boolean; c: number; s: number } {
  const u = (unit: number) => dropoutHash(seed >>> 0, step >>> 0, row >>> 0, AUGMENT_STREAM, unit);
  const span = 2 * a.shift + 1;
  const dx = a.shift > 0 ? (u(0) % span) - a.shift : 0;
  const dy = a.shift > 0 ? (u(1) % span) - a.shift : 0;
  const flip = a.flip && u(2) >= 0x80000000;
  if (!(a.rotate > 0)) return { dx, dy, flip, c: 1, s: 0 };
  const theta = ((u(3) / 4294967296) * 2 - 1) * a.rotate * (Math.PI / 180);
  return { dx, dy, flip, c: Math.fround(Math.cos(theta)), s: Math.fround(Math.sin(theta)) };
}

export function augmentRows<F extends FloatArray>(out: F, inp: F, B: number, g: AugmentGeometry, a: AugmentSettings, key: AugmentKey): void {
  const { C, H, W } = g;
  const f = Math.fround;
  const width = C * H * W;
  const [cs, ys, xs] = g.channelsLast ? [1, W * C, C] : [H * W, W, 1];
  const cx = f((W - 1) / 2);
  const cy = f((H - 1) / 2);
  const fill = f(a.fill); // an f32, as the pointer sets receive it
  for (let r = 0; r < B; r++) {
    const d = augmentDraws(a, key.seed, key.step, key.row0 + r);
    const base = r * width;
    const at = (c: number, y: number, x: number) => (y >= 0 && y < H && x >= 0 && x < W ? inp[base + c * cs + y * ys + x * xs]! : fill);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const xf = d.flip ? W - 1 - x : x;
        const o = base + y * ys + x * xs;
        if (!(a.rotate > 0)) {
          for (let c = 0; c < C; c++) out[o + c * cs] = at(c, y - d.dy, xf - d.dx);
          continue;
        }
        const u = f(xf - d.dx - cx);
        const v = f(y - d.dy - cy);
        const sx = f(f(f(d.c * u) + f(d.s * v)) + cx);
        const sy = f(f(f(d.c * v) - f(d.s * u)) + cy);
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = f(sx - x0);
        const fy = f(sy - y0);
        const gx = f(1 - fx);
        const gy = f(1 - fy);
        for (let c = 0; c < C; c++) {
          const top = f(f(gx * at(c, y0, x0)) + f(fx * at(c, y0, x0 + 1)));
          const bottom = f(f(gx * at(c, y0 + 1, x0)) + f(fx * at(c, y0 + 1, x0 + 1)));
          out[o + c * cs] = f(f(gy * top) + f(fy * bottom));
        }
      }
    }
  }
}
