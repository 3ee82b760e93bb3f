// Dropout with counter-based masks (src/kernels/ts/dropout.ts has the definition): the same u32
// hash, compare and f32 multiply, so the same bits as the reference.

// @ts-ignore: decorator
@inline export function mix32(x: u32): u32 {
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}

// @ts-ignore: decorator
@inline function mix32x4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x7feb352d));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(<i32>0x846ca68b));
  return v128.xor(x, i32x4.shr_u(x, 16));
}

// out, inp (B, C) f32 at byte offsets; forward and backward both
export function dropoutApply(out: usize, inp: usize, B: i32, C: i32, threshold: u32, scale: f32, seed: u32, step: u32, row0: u32, stream: u32): void {
  const base = mix32(mix32(seed ^ ((stream + 1) * 0x9e3779b1)) ^ step);
  for (let r = 0; r < B; r++) {
    const h = mix32(base ^ (row0 + <u32>r));
    const x = inp + ((<usize>r * <usize>C) << 2);
    const y = out + ((<usize>r * <usize>C) << 2);
    // 4 columns at a time: the same u32 hash in i32x4 lanes (mul keeps the low 32 bits, as u32 does)
    const C4 = C & ~3;
    const hv = i32x4.splat(h), tv = i32x4.splat(threshold), sv = f32x4.splat(scale), zero = f32x4.splat(0);
    for (let c = 0; c < C4; c += 4) {
      const keep = threshold == 0 ? i32x4.splat(-1) : i32x4.ge_u(mix32x4(v128.xor(hv, i32x4.add(i32x4.splat(c), i32x4(0, 1, 2, 3)))), tv);
      const p = (<usize>c) << 2;
      v128.store(y + p, v128.bitselect(f32x4.mul(v128.load(x + p), sv), zero, keep));
    }
    for (let c = C4; c < C; c++) {
      const keep = threshold == 0 || mix32(h ^ <u32>c) >= threshold;
      store<f32>(y + ((<usize>c) << 2), keep ? load<f32>(x + ((<usize>c) << 2)) * scale : 0);
    }
  }
}
