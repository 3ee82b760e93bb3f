// im2col / col2im, max-pool and the per-row transpose on NHWC activations: the loops of
// src/kernels/ts/conv.ts over f32 at byte offsets (data movement and compares: the same bits).

// @ts-ignore: decorator
@inline function f(ptr: usize, i: i64): usize {
  return ptr + (<usize>i << 2);
}

export function im2col(col: usize, inp: usize, B: i32, C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OH: i32, OW: i32): void {
  const K = C * KH * KW;
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const base = ((<i64>b * OH + oh) * OW + ow) * K;
        for (let c = 0; c < C; c++)
          for (let kh = 0; kh < KH; kh++) {
            const h = oh * stride + kh - pad;
            for (let kw = 0; kw < KW; kw++) {
              const w = ow * stride + kw - pad;
              const v: f32 = h >= 0 && h < H && w >= 0 && w < W ? load<f32>(f(inp, ((<i64>b * H + h) * W + w) * C + c)) : 0;
              store<f32>(f(col, base + (c * KH + kh) * KW + kw), v);
            }
          }
      }
}

export function col2im(dinp: usize, dcol: usize, B: i32, C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OH: i32, OW: i32): void {
  const K = C * KH * KW;
  memory.fill(dinp, 0, <usize>(<i64>B * H * W * C) << 2);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const base = ((<i64>b * OH + oh) * OW + ow) * K;
        for (let c = 0; c < C; c++)
          for (let kh = 0; kh < KH; kh++) {
            const h = oh * stride + kh - pad;
            if (h < 0 || h >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const w = ow * stride + kw - pad;
              if (w < 0 || w >= W) continue;
              const at = f(dinp, ((<i64>b * H + h) * W + w) * C + c);
              store<f32>(at, load<f32>(at) + load<f32>(f(dcol, base + (c * KH + kh) * KW + kw)));
            }
          }
      }
}

// Max-pool on 4 channels at a time (lanes along the contiguous channels), the channels past the
// last multiple of 4 one at a time: the same compares in the same tap order as the scalar loop,
// so the same bits.

export function maxpoolForward(out: usize, inp: usize, B: i32, C: i32, H: i32, W: i32, K: i32, stride: i32, OH: i32, OW: i32): void {
  const C4 = C & ~3;
  const negInf = f32x4.splat(-Infinity), nanV = f32x4.splat(NaN);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const corner = ((<i64>b * H + oh * stride) * W + ow * stride) * C;
        const dst = ((<i64>b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C4; c += 4) {
          let m = negInf, nan = v128.splat<i32>(0);
          for (let kh = 0; kh < K; kh++)
            for (let kw = 0; kw < K; kw++) {
              const v = v128.load(f(inp, corner + (<i64>kh * W + kw) * C + c));
              nan = v128.or(nan, f32x4.ne(v, v));
              m = v128.bitselect(v, m, f32x4.gt(v, m));
            }
          v128.store(f(out, dst + c), v128.bitselect(nanV, m, nan));
        }
        for (let c = C4; c < C; c++) {
          let m: f32 = -Infinity;
          let nan = false;
          for (let kh = 0; kh < K; kh++)
            for (let kw = 0; kw < K; kw++) {
              const v = load<f32>(f(inp, corner + (<i64>kh * W + kw) * C + c));
              nan = nan || v != v;
              m = v > m ? v : m;
            }
          store<f32>(f(out, dst + c), nan ? NaN : m);
        }
      }
}

// Each window's gradient goes to its first maximum. The vector form adds dout to the winning tap
// and +0 to the others: dinp starts at +0 and a sum of +0-started additions is never −0, so
// adding +0 leaves every element's bits as they are.
export function maxpoolBackward(dinp: usize, dout: usize, inp: usize, B: i32, C: i32, H: i32, W: i32, K: i32, stride: i32, OH: i32, OW: i32): void {
  memory.fill(dinp, 0, <usize>(<i64>B * H * W * C) << 2);
  const C4 = C & ~3;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const corner = ((<i64>b * H + oh * stride) * W + ow * stride) * C;
        const src = ((<i64>b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C4; c += 4) {
          let m = v128.load(f(inp, corner + c)), best = i32x4.splat(0);
          for (let t = 1; t < K * K; t++) {
            const kh = t / K, kw = t - kh * K;
            const v = v128.load(f(inp, corner + (<i64>kh * W + kw) * C + c));
            const gt = f32x4.gt(v, m);
            m = v128.bitselect(v, m, gt);
            best = v128.bitselect(i32x4.splat(t), best, gt);
          }
          const g = v128.load(f(dout, src + c));
          for (let t = 0; t < K * K; t++) {
            const kh = t / K, kw = t - kh * K;
            const p = f(dinp, corner + (<i64>kh * W + kw) * C + c);
            v128.store(p, f32x4.add(v128.load(p), v128.bitselect(g, zero, i32x4.eq(best, i32x4.splat(t)))));
          }
        }
        for (let c = C4; c < C; c++) {
          let best: i64 = -1;
          let m: f32 = -Infinity;
          for (let kh = 0; kh < K; kh++)
            for (let kw = 0; kw < K; kw++) {
              const i = corner + (<i64>kh * W + kw) * C + c;
              const v = load<f32>(f(inp, i));
              if (v > m || best < 0) {
                m = v;
                best = i;
              }
            }
          const at = f(dinp, best);
          store<f32>(at, load<f32>(at) + load<f32>(f(dout, src + c)));
        }
      }
}

export function transposeRows(out: usize, inp: usize, B: i32, P: i32, Q: i32): void {
  for (let b = 0; b < B; b++) {
    const o = <i64>b * P * Q;
    for (let p = 0; p < P; p++)
      for (let q = 0; q < Q; q++) store<f32>(f(out, o + <i64>q * P + p), load<f32>(f(inp, o + <i64>p * Q + q)));
  }
}
