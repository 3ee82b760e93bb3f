// ReLU forward/backward and the u8 → f32 row gather ((v / 255 − mean) / std).
import { at } from "./simd";

// out (N)  inp (N)
export function reluForward(out: usize, inp: usize, N: i32): void {
  const zero = f32x4.splat(0);
  const N4 = N & ~3;
  for (let i = 0; i < N4; i += 4) {
    const x = v128.load(at(inp, i));
    v128.store(at(out, i), v128.bitselect(x, zero, f32x4.gt(x, zero))); // x > 0 ? x : 0 (NaN → 0, as the TS kernel)
  }
  for (let i = N4; i < N; i++) {
    const x = load<f32>(at(inp, i));
    store<f32>(at(out, i), x > 0 ? x : 0);
  }
}

// dinp (N)  dout (N)  out (N): the forward output
export function reluBackward(dinp: usize, dout: usize, out: usize, N: i32): void {
  const zero = f32x4.splat(0);
  const N4 = N & ~3;
  for (let i = 0; i < N4; i += 4) {
    v128.store(at(dinp, i), v128.bitselect(v128.load(at(dout, i)), zero, f32x4.gt(v128.load(at(out, i)), zero)));
  }
  for (let i = N4; i < N; i++) store<f32>(at(dinp, i), load<f32>(at(out, i)) > 0 ? load<f32>(at(dout, i)) : 0);
}

// out (B, C)  outLabels (B) u8  images (N, C) u8  labels (N) u8  rowIndex (≥ start+B) u32
// Three f32 operations per pixel in this order, matching the TS kernel's table bit for bit.
export function gatherRows(out: usize, outLabels: usize, images: usize, labels: usize, rowIndex: usize, start: i32, B: i32, C: i32, mean: f32, std: f32): void {
  const scale = f32x4.splat(255);
  const meanV = f32x4.splat(mean);
  const stdV = f32x4.splat(std);
  const C4 = C & ~3;
  for (let b = 0; b < B; b++) {
    const row = load<u32>(rowIndex + ((<usize>(start + b)) << 2));
    const src = images + <usize>row * <usize>C;
    const dst = at(out, b * C);
    for (let c = 0; c < C4; c += 4) {
      const bytes = v128.load32_zero(src + <usize>c);
      const ints = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(bytes));
      v128.store(dst + ((<usize>c) << 2), f32x4.div(f32x4.sub(f32x4.div(f32x4.convert_i32x4_u(ints), scale), meanV), stdV));
    }
    for (let c = C4; c < C; c++) store<f32>(dst + ((<usize>c) << 2), (<f32>load<u8>(src + <usize>c) / <f32>255 - mean) / std);
    store<u8>(outLabels + <usize>b, load<u8>(labels + <usize>row));
  }
}
