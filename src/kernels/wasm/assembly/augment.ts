// data.augment (src/kernels/ts/augment.ts has the definition): the same u32 hash draws, the
// same f32 cosine and sine of the drawn angle, and the same f32 operations in the same order,
// so the same bits as the reference (a shift or flip only moves values).

import { mix32 } from "./dropout";

const AUGMENT_STREAM: u32 = 0xa06;

// out, inp (B, C·H·W) f32 at byte offsets; rows (C, H, W), or (H, W, C) with channelsLast
export function augmentRows(out: usize, inp: usize, B: i32, C: i32, H: i32, W: i32, channelsLast: i32, shift: i32, flip: i32, rotate: f64, fill: f32, seed: u32, step: u32, row0: u32): void {
  const width = C * H * W;
  const cs = channelsLast ? 1 : H * W;
  const ys = channelsLast ? W * C : W;
  const xs = channelsLast ? C : 1;
  const cx = <f32>(<f64>(W - 1) / 2);
  const cy = <f32>(<f64>(H - 1) / 2);
  const base0 = mix32(mix32(seed ^ ((AUGMENT_STREAM + 1) * 0x9e3779b1)) ^ step);
  const span = <u32>(2 * shift + 1);
  for (let r = 0; r < B; r++) {
    const h = mix32(base0 ^ (row0 + <u32>r));
    const dx = shift > 0 ? <i32>(mix32(h ^ 0) % span) - shift : 0;
    const dy = shift > 0 ? <i32>(mix32(h ^ 1) % span) - shift : 0;
    const flipped = flip != 0 && mix32(h ^ 2) >= 0x80000000;
    let c: f32 = 1;
    let s: f32 = 0;
    if (rotate > 0) {
      const theta = (<f64>mix32(h ^ 3) / 4294967296.0 * 2 - 1) * rotate * (Math.PI / 180);
      c = <f32>Math.cos(theta);
      s = <f32>Math.sin(theta);
    }
    const src = inp + ((<usize>r * <usize>width) << 2);
    const dst = out + ((<usize>r * <usize>width) << 2);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const xf = flipped ? W - 1 - x : x;
        const o = dst + ((<usize>(y * ys + x * xs)) << 2);
        if (!(rotate > 0)) {
          const sy = y - dy;
          const sx = xf - dx;
          const inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
          for (let ch = 0; ch < C; ch++) {
            store<f32>(o + ((<usize>(ch * cs)) << 2), inside ? load<f32>(src + ((<usize>(ch * cs + sy * ys + sx * xs)) << 2)) : fill);
          }
          continue;
        }
        const u = <f32>(xf - dx) - cx;
        const v = <f32>(y - dy) - cy;
        const px = c * u + s * v + cx;
        const py = c * v - s * u + cy;
        const fx0 = Mathf.floor(px);
        const fy0 = Mathf.floor(py);
        const x0 = <i32>fx0;
        const y0 = <i32>fy0;
        const fx = px - fx0;
        const fy = py - fy0;
        const gx: f32 = 1 - fx;
        const gy: f32 = 1 - fy;
        for (let ch = 0; ch < C; ch++) {
          const a = sample(src, ch * cs, y0, x0, H, W, ys, xs, fill);
          const b = sample(src, ch * cs, y0, x0 + 1, H, W, ys, xs, fill);
          const d = sample(src, ch * cs, y0 + 1, x0, H, W, ys, xs, fill);
          const e = sample(src, ch * cs, y0 + 1, x0 + 1, H, W, ys, xs, fill);
          const top = gx * a + fx * b;
          const bottom = gx * d + fx * e;
          store<f32>(o + ((<usize>(ch * cs)) << 2), gy * top + fy * bottom);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function sample(src: usize, channel: i32, y: i32, x: i32, H: i32, W: i32, ys: i32, xs: i32, fill: f32): f32 {
  return y >= 0 && y < H && x >= 0 && x < W ? load<f32>(src + ((<usize>(channel + y * ys + x * xs)) << 2)) : fill;
}
