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

// out, inp (B, C) f32 at byte offsets; forward and backward both
export function dropoutApply(out: usize, inp: usize, B: i32, C: i32, threshold: u32, scale: f32, seed: u32, step: u32, row0: u32, stream: u32): void {
  const base = mix32(mix32(seed ^ ((stream + 1) * 0x9e3779b1)) ^ step);
  for (let r = 0; r < B; r++) {
    const h = mix32(base ^ (row0 + <u32>r));
    const x = inp + ((<usize>r * <usize>C) << 2);
    const y = out + ((<usize>r * <usize>C) << 2);
    for (let c = 0; c < C; c++) {
      const keep = threshold == 0 || mix32(h ^ <u32>c) >= threshold;
      store<f32>(y + ((<usize>c) << 2), keep ? load<f32>(x + ((<usize>c) << 2)) * scale : 0);
    }
  }
}
