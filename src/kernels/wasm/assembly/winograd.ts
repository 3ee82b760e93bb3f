// Winograd F(2×2, 3×3) for 3×3, stride-1 convs whose channel counts are multiples of 4 (the
// examples/mnist CNN's conv2: 32 → 64): each 2×2 block of outputs ("tile") costs 16 products per
// (input, output) channel pair instead of 36, so the multiplies fall by 2.25×. WASM SIMD has no
// FMA, so the direct kernels are bound by mul + add issue; this is the wasm set's way to the CNN
// speed of issue #19 (docs/benchmarks.md). Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks" (2016), with their matrices:
//
//   Y  = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A                     forward (and the input gradient: the
//                                                        forward of dout with the flipped weight)
//   dg = Σ over tiles  Gᵀ [(A dY Aᵀ) ⊙ (Bᵀ d B)] G      weight gradient (the forward's derivative)
//
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//   Aᵀ = [1 1 1 0; 0 1 −1 −1]
//
// d is a 4×4 input patch with corner (2·th − pad, 2·tw − pad), zero outside the image; tiles are
// numbered t = (b·TH + th)·TW + tw over the batch. Each of the 16 positions ξ of the transformed
// tile is a small GEMM over channels, run CHUNK tiles at a time out of the caller's scratch.
//
// Contracts (as the direct kernels'): the forward and the input gradient are row independent
// (a tile's outputs depend only on its own image); the weight gradient of row o sums its tiles'
// products in ascending t, whatever rows [o0, o1) the call covers. Every sum runs in a fixed order
// of plain f32 mul and add; a vector lane and the scalar code give the same bits.
import { at } from "./simd";

/** Tiles transformed and multiplied at a time (their matrices stay in L2 while the 16 GEMMs run). */
export const CHUNK: i32 = 64;

/** Whether the Winograd kernels take a conv of this shape (else the direct ones do). */
export function winogradTakes(C: i32, KH: i32, KW: i32, stride: i32, pad: i32, OC: i32): bool {
  return KH == 3 && KW == 3 && stride == 1 && pad >= 0 && pad <= 2 && (C & 3) == 0 && (OC & 3) == 0;
}

/** Floats of scratch winogradConv needs: U (16, Cin, Cout), V (16, CHUNK, Cin), M (16, CHUNK, Cout). */
export function convFloats(Cin: i32, Cout: i32): i64 {
  return 16 * (<i64>Cin * Cout + <i64>CHUNK * Cin + <i64>CHUNK * Cout);
}

/** Floats of scratch gradSums needs past the caller's K·R + R: M̃ (16, R, C), V (16, CHUNK, C), dY (16, CHUNK, R). */
export function gradFloats(C: i32, R: i32): i64 {
  return 16 * (<i64>R * C + <i64>CHUNK * C + <i64>CHUNK * R);
}

/**
 * U (16, Cin, Cout) = G g Gᵀ for every channel pair, g = weight (OC, C, 3, 3)[o, c]. forward: Cin = C,
 * Cout = OC. flipped (the input gradient): Cin = OC, Cout = C, g rotated by 180°.
 */
export function transformWeights(U: usize, weight: usize, C: i32, OC: i32, flipped: bool): void {
  const Cin = flipped ? OC : C, Cout = flipped ? C : OC, plane = Cin * Cout;
  for (let o = 0; o < OC; o++)
    for (let c = 0; c < C; c++) {
      const g = at(weight, (o * C + c) * 9);
      // tmp = G g (4×3), by rows of g
      let r0a: f32 = 0, r0b: f32 = 0, r0c: f32 = 0, r1a: f32 = 0, r1b: f32 = 0, r1c: f32 = 0, r2a: f32 = 0, r2b: f32 = 0, r2c: f32 = 0;
      if (flipped) {
        r0a = load<f32>(g, 32); r0b = load<f32>(g, 28); r0c = load<f32>(g, 24);
        r1a = load<f32>(g, 20); r1b = load<f32>(g, 16); r1c = load<f32>(g, 12);
        r2a = load<f32>(g, 8); r2b = load<f32>(g, 4); r2c = load<f32>(g, 0);
      } else {
        r0a = load<f32>(g, 0); r0b = load<f32>(g, 4); r0c = load<f32>(g, 8);
        r1a = load<f32>(g, 12); r1b = load<f32>(g, 16); r1c = load<f32>(g, 20);
        r2a = load<f32>(g, 24); r2b = load<f32>(g, 28); r2c = load<f32>(g, 32);
      }
      const t1a = (r0a + r1a + r2a) * 0.5, t1b = (r0b + r1b + r2b) * 0.5, t1c = (r0c + r1c + r2c) * 0.5;
      const t2a = (r0a - r1a + r2a) * 0.5, t2b = (r0b - r1b + r2b) * 0.5, t2c = (r0c - r1c + r2c) * 0.5;
      const dst = at(U, flipped ? o * Cout + c : c * Cout + o);
      const step = (<usize>plane) << 2;
      storeRow(dst, step, 0, r0a, r0b, r0c);
      storeRow(dst, step, 4, t1a, t1b, t1c);
      storeRow(dst, step, 8, t2a, t2b, t2c);
      storeRow(dst, step, 12, r2a, r2b, r2c);
    }
}

/** Row r of (G g Gᵀ): [a, (a + b + c)·½, (a − b + c)·½, c] at positions ξ0..ξ0+3. */
// @ts-ignore: decorator
@inline function storeRow(dst: usize, step: usize, xi0: i32, a: f32, b: f32, c: f32): void {
  store<f32>(dst + <usize>xi0 * step, a);
  store<f32>(dst + <usize>(xi0 + 1) * step, (a + b + c) * 0.5);
  store<f32>(dst + <usize>(xi0 + 2) * step, (a - b + c) * 0.5);
  store<f32>(dst + <usize>(xi0 + 3) * step, c);
}

/**
 * out (B, OH, OW, Cout) = inp (B, H, W, Cin) ⊛ the weight U was made from, padded by pad, + bias
 * (0: none), optional ReLU. scratch: convFloats(Cin, Cout) floats, U at its start.
 */
export function winogradConv(
  out: usize, inp: usize, scratch: usize, bias: usize, B: i32,
  Cin: i32, H: i32, W: i32, pad: i32, OH: i32, OW: i32, Cout: i32, relu: bool,
): void {
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1, perImage = TH * TW, total = B * perImage;
  const V = at(scratch, 16 * Cin * Cout), M = at(V, 16 * CHUNK * Cin);
  for (let t0 = 0; t0 < total; t0 += CHUNK) {
    const n = min(CHUNK, total - t0), n4 = (n + 3) & ~3;
    for (let i = 0; i < n4; i++) {
      if (i >= n) { zeroTile(V, i, Cin); continue; }
      const t = t0 + i, b = t / perImage, r = t - b * perImage, th = r / TW, tw = r - th * TW;
      inputTile(V, i, at(inp, b * H * W * Cin), Cin, H, W, 2 * th - pad, 2 * tw - pad);
    }
    for (let xi = 0; xi < 16; xi++) gemmTiles(at(M, xi * CHUNK * Cout), at(V, xi * CHUNK * Cin), at(scratch, xi * Cin * Cout), n4, Cin, Cout);
    for (let i = 0; i < n; i++) {
      const t = t0 + i, b = t / perImage, r = t - b * perImage, th = r / TW, tw = r - th * TW;
      outputTile(at(out, b * OH * OW * Cout), M, i, bias, Cout, OH, OW, 2 * th, 2 * tw, relu);
    }
  }
}

/** V[ξ, i, 0..C) = 0 for every ξ: a padding tile of the last chunk. */
function zeroTile(V: usize, i: i32, C: i32): void {
  for (let xi = 0; xi < 16; xi++) memory.fill(at(V, (xi * CHUNK + i) * C), 0, (<usize>C) << 2);
}

/** V[ξ, i, c] = (Bᵀ d B)[ξ] of channel c, d the 4×4 patch of img (H, W, C) with corner (h0, w0). */
function inputTile(V: usize, i: i32, img: usize, C: i32, H: i32, W: i32, h0: i32, w0: i32): void {
  const inside = h0 >= 0 && w0 >= 0 && h0 + 4 <= H && w0 + 4 <= W;
  const row = (<usize>(W * C)) << 2, col = (<usize>C) << 2, plane = (<usize>(CHUNK * C)) << 2;
  const zero = f32x4.splat(0);
  for (let c = 0; c < C; c += 4) {
    const p = at(img, (h0 * W + w0) * C + c);
    let d00 = zero, d01 = zero, d02 = zero, d03 = zero, d10 = zero, d11 = zero, d12 = zero, d13 = zero;
    let d20 = zero, d21 = zero, d22 = zero, d23 = zero, d30 = zero, d31 = zero, d32 = zero, d33 = zero;
    if (inside) {
      d00 = v128.load(p); d01 = v128.load(p + col); d02 = v128.load(p + 2 * col); d03 = v128.load(p + 3 * col);
      d10 = v128.load(p + row); d11 = v128.load(p + row + col); d12 = v128.load(p + row + 2 * col); d13 = v128.load(p + row + 3 * col);
      d20 = v128.load(p + 2 * row); d21 = v128.load(p + 2 * row + col); d22 = v128.load(p + 2 * row + 2 * col); d23 = v128.load(p + 2 * row + 3 * col);
      d30 = v128.load(p + 3 * row); d31 = v128.load(p + 3 * row + col); d32 = v128.load(p + 3 * row + 2 * col); d33 = v128.load(p + 3 * row + 3 * col);
    } else {
      d00 = patch(img, C, H, W, h0, w0, c); d01 = patch(img, C, H, W, h0, w0 + 1, c); d02 = patch(img, C, H, W, h0, w0 + 2, c); d03 = patch(img, C, H, W, h0, w0 + 3, c);
      d10 = patch(img, C, H, W, h0 + 1, w0, c); d11 = patch(img, C, H, W, h0 + 1, w0 + 1, c); d12 = patch(img, C, H, W, h0 + 1, w0 + 2, c); d13 = patch(img, C, H, W, h0 + 1, w0 + 3, c);
      d20 = patch(img, C, H, W, h0 + 2, w0, c); d21 = patch(img, C, H, W, h0 + 2, w0 + 1, c); d22 = patch(img, C, H, W, h0 + 2, w0 + 2, c); d23 = patch(img, C, H, W, h0 + 2, w0 + 3, c);
      d30 = patch(img, C, H, W, h0 + 3, w0, c); d31 = patch(img, C, H, W, h0 + 3, w0 + 1, c); d32 = patch(img, C, H, W, h0 + 3, w0 + 2, c); d33 = patch(img, C, H, W, h0 + 3, w0 + 3, c);
    }
    // Bᵀ d: rows e0 = d0 − d2, e1 = d1 + d2, e2 = d2 − d1, e3 = d1 − d3
    const e00 = f32x4.sub(d00, d20), e01 = f32x4.sub(d01, d21), e02 = f32x4.sub(d02, d22), e03 = f32x4.sub(d03, d23);
    const e10 = f32x4.add(d10, d20), e11 = f32x4.add(d11, d21), e12 = f32x4.add(d12, d22), e13 = f32x4.add(d13, d23);
    const e20 = f32x4.sub(d20, d10), e21 = f32x4.sub(d21, d11), e22 = f32x4.sub(d22, d12), e23 = f32x4.sub(d23, d13);
    const e30 = f32x4.sub(d10, d30), e31 = f32x4.sub(d11, d31), e32 = f32x4.sub(d12, d32), e33 = f32x4.sub(d13, d33);
    // (Bᵀ d) B: the same combination along each row
    const dst = at(V, i * C + c);
    storeBRow(dst, plane, 0, e00, e01, e02, e03);
    storeBRow(dst, plane, 4, e10, e11, e12, e13);
    storeBRow(dst, plane, 8, e20, e21, e22, e23);
    storeBRow(dst, plane, 12, e30, e31, e32, e33);
  }
}

/** [x0 − x2, x1 + x2, x2 − x1, x1 − x3] to positions ξ0..ξ0+3. */
// @ts-ignore: decorator
@inline function storeBRow(dst: usize, plane: usize, xi0: i32, x0: v128, x1: v128, x2: v128, x3: v128): void {
  v128.store(dst + <usize>xi0 * plane, f32x4.sub(x0, x2));
  v128.store(dst + <usize>(xi0 + 1) * plane, f32x4.add(x1, x2));
  v128.store(dst + <usize>(xi0 + 2) * plane, f32x4.sub(x2, x1));
  v128.store(dst + <usize>(xi0 + 3) * plane, f32x4.sub(x1, x3));
}

/** Channels c..c+4 of pixel (h, w), zero outside the image. */
// @ts-ignore: decorator
@inline function patch(img: usize, C: i32, H: i32, W: i32, h: i32, w: i32, c: i32): v128 {
  return h >= 0 && w >= 0 && h < H && w < W ? v128.load(at(img, (h * W + w) * C + c)) : f32x4.splat(0);
}

/**
 * M (n4, Cout) = V (n4, Cin) · U (Cin, Cout), one position ξ: 4 tiles × 8 output channels in
 * registers, Σ over input channels ascending from 0 (then 4 × 4 for a 4-channel rest).
 */
function gemmTiles(M: usize, V: usize, U: usize, n4: i32, Cin: i32, Cout: i32): void {
  const Cout8 = Cout & ~7;
  const vRow = (<usize>Cin) << 2, uRow = (<usize>Cout) << 2;
  for (let i = 0; i < n4; i += 4) {
    const v0 = at(V, i * Cin);
    let o = 0;
    for (; o < Cout8; o += 8) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      let vp = v0, up = at(U, o);
      for (let c = 0; c < Cin; c++, vp += 4, up += uRow) {
        const w0 = v128.load(up), w1 = v128.load(up + 16);
        const x0 = v128.load32_splat(vp), x1 = v128.load32_splat(vp + vRow);
        const x2 = v128.load32_splat(vp + 2 * vRow), x3 = v128.load32_splat(vp + 3 * vRow);
        a00 = f32x4.add(a00, f32x4.mul(x0, w0)); a01 = f32x4.add(a01, f32x4.mul(x0, w1));
        a10 = f32x4.add(a10, f32x4.mul(x1, w0)); a11 = f32x4.add(a11, f32x4.mul(x1, w1));
        a20 = f32x4.add(a20, f32x4.mul(x2, w0)); a21 = f32x4.add(a21, f32x4.mul(x2, w1));
        a30 = f32x4.add(a30, f32x4.mul(x3, w0)); a31 = f32x4.add(a31, f32x4.mul(x3, w1));
      }
      const m = at(M, i * Cout + o);
      v128.store(m, a00); v128.store(m + 16, a01);
      v128.store(m + uRow, a10); v128.store(m + uRow + 16, a11);
      v128.store(m + 2 * uRow, a20); v128.store(m + 2 * uRow + 16, a21);
      v128.store(m + 3 * uRow, a30); v128.store(m + 3 * uRow + 16, a31);
    }
    if (o < Cout) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let vp = v0, up = at(U, o);
      for (let c = 0; c < Cin; c++, vp += 4, up += uRow) {
        const w0 = v128.load(up);
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(vp), w0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(vp + vRow), w0));
        a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(vp + 2 * vRow), w0));
        a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(vp + 3 * vRow), w0));
      }
      const m = at(M, i * Cout + o);
      v128.store(m, a0); v128.store(m + uRow, a1); v128.store(m + 2 * uRow, a2); v128.store(m + 3 * uRow, a3);
    }
  }
}

/** The 2×2 outputs of tile i (corner (oh, ow) of img (OH, OW, Cout)) = Aᵀ m A + bias, the parts inside. */
function outputTile(img: usize, M: usize, i: i32, bias: usize, Cout: i32, OH: i32, OW: i32, oh: i32, ow: i32, relu: bool): void {
  const plane = (<usize>(CHUNK * Cout)) << 2;
  const right = ow + 1 < OW, below = oh + 1 < OH;
  const zero = f32x4.splat(0);
  for (let o = 0; o < Cout; o += 4) {
    const m = at(M, i * Cout + o);
    // s = Aᵀ m: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3 (rows of the 4×4 m)
    const m00 = v128.load(m), m01 = v128.load(m + plane), m02 = v128.load(m + 2 * plane), m03 = v128.load(m + 3 * plane);
    const m10 = v128.load(m + 4 * plane), m11 = v128.load(m + 5 * plane), m12 = v128.load(m + 6 * plane), m13 = v128.load(m + 7 * plane);
    const m20 = v128.load(m + 8 * plane), m21 = v128.load(m + 9 * plane), m22 = v128.load(m + 10 * plane), m23 = v128.load(m + 11 * plane);
    const m30 = v128.load(m + 12 * plane), m31 = v128.load(m + 13 * plane), m32 = v128.load(m + 14 * plane), m33 = v128.load(m + 15 * plane);
    const s00 = f32x4.add(f32x4.add(m00, m10), m20), s01 = f32x4.add(f32x4.add(m01, m11), m21);
    const s02 = f32x4.add(f32x4.add(m02, m12), m22), s03 = f32x4.add(f32x4.add(m03, m13), m23);
    const s10 = f32x4.sub(f32x4.sub(m10, m20), m30), s11 = f32x4.sub(f32x4.sub(m11, m21), m31);
    const s12 = f32x4.sub(f32x4.sub(m12, m22), m32), s13 = f32x4.sub(f32x4.sub(m13, m23), m33);
    // y = s A: y[r][0] = s_r0 + s_r1 + s_r2, y[r][1] = s_r1 − s_r2 − s_r3
    const bv = bias ? v128.load(at(bias, o)) : zero;
    const p = at(img, (oh * OW + ow) * Cout + o), next = (<usize>Cout) << 2, down = (<usize>(OW * Cout)) << 2;
    v128.store(p, finish(f32x4.add(f32x4.add(s00, s01), s02), bv, relu));
    if (right) v128.store(p + next, finish(f32x4.sub(f32x4.sub(s01, s02), s03), bv, relu));
    if (below) {
      v128.store(p + down, finish(f32x4.add(f32x4.add(s10, s11), s12), bv, relu));
      if (right) v128.store(p + down + next, finish(f32x4.sub(f32x4.sub(s11, s12), s13), bv, relu));
    }
  }
}

/** y + bias, then max(·, 0) (NaN → 0, as the TS ReLU) when relu. */
// @ts-ignore: decorator
@inline function finish(y: v128, bias: v128, relu: bool): v128 {
  const v = f32x4.add(y, bias);
  return relu ? v128.bitselect(v, f32x4.splat(0), f32x4.gt(v, f32x4.splat(0))) : v;
}

/**
 * The weight gradient's sums for rows [o0, o1) of a 3×3 stride-1 conv: acc (K', R) in the direct
 * kernel's tap order (k' = (kh·3 + kw)·C + c, lanes along the R rows) = Σ over the batch's tiles
 * ascending of Gᵀ [(A dY Aᵀ) ⊙ (Bᵀ d B)] G. work: gradFloats(C, R) floats past acc.
 */
export function gradSums(
  acc: usize, work: usize, dout: usize, inp: usize, B: i32,
  C: i32, H: i32, W: i32, pad: i32, OH: i32, OW: i32, OC: i32, o0: i32, o1: i32,
): void {
  const R = o1 - o0;
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1, perImage = TH * TW, total = B * perImage;
  const Mt = work, V = at(Mt, 16 * R * C), D = at(V, 16 * CHUNK * C);
  memory.fill(Mt, 0, (<usize>(16 * R * C)) << 2);
  for (let t0 = 0; t0 < total; t0 += CHUNK) {
    const n = min(CHUNK, total - t0);
    for (let i = 0; i < n; i++) {
      const t = t0 + i, b = t / perImage, r = t - b * perImage, th = r / TW, tw = r - th * TW;
      inputTile(V, i, at(inp, b * H * W * C), C, H, W, 2 * th - pad, 2 * tw - pad);
      gradTile(D, i, at(dout, b * OH * OW * OC + o0), OC, R, OH, OW, 2 * th, 2 * tw);
    }
    for (let xi = 0; xi < 16; xi++) accumulateTiles(at(Mt, xi * R * C), at(D, xi * CHUNK * R), at(V, xi * CHUNK * C), n, R, C);
  }
  // acc[(kh·3 + kw)·C + c, oa] = (Gᵀ M̃ G)[kh, kw] of M̃[·, oa, c]
  const plane = (<usize>(R * C)) << 2;
  for (let oa = 0; oa < R; oa++)
    for (let c = 0; c < C; c++) {
      const m = at(Mt, oa * C + c);
      // q = Gᵀ M̃ (3×4): q0 = m0 + ½m1 + ½m2, q1 = ½m1 − ½m2, q2 = ½m1 + ½m2 + m3 (rows of m)
      let q00: f32 = 0, q01: f32 = 0, q02: f32 = 0, q03: f32 = 0, q10: f32 = 0, q11: f32 = 0, q12: f32 = 0, q13: f32 = 0, q20: f32 = 0, q21: f32 = 0, q22: f32 = 0, q23: f32 = 0;
      for (let j = 0; j < 4; j++) {
        const a = load<f32>(m + <usize>j * plane), b = load<f32>(m + <usize>(4 + j) * plane);
        const c2 = load<f32>(m + <usize>(8 + j) * plane), d = load<f32>(m + <usize>(12 + j) * plane);
        const q0 = a + b * 0.5 + c2 * 0.5, q1 = b * 0.5 - c2 * 0.5, q2 = b * 0.5 + c2 * 0.5 + d;
        if (j == 0) { q00 = q0; q10 = q1; q20 = q2; } else if (j == 1) { q01 = q0; q11 = q1; q21 = q2; } else if (j == 2) { q02 = q0; q12 = q1; q22 = q2; } else { q03 = q0; q13 = q1; q23 = q2; }
      }
      storeGRow(acc, R, C, c, oa, 0, q00, q01, q02, q03);
      storeGRow(acc, R, C, c, oa, 1, q10, q11, q12, q13);
      storeGRow(acc, R, C, c, oa, 2, q20, q21, q22, q23);
    }
}

/** Row kh of (q G): [q0 + ½q1 + ½q2, ½q1 − ½q2, ½q1 + ½q2 + q3] to acc's taps (kh, 0..2) of channel c, row oa. */
// @ts-ignore: decorator
@inline function storeGRow(acc: usize, R: i32, C: i32, c: i32, oa: i32, kh: i32, q0: f32, q1: f32, q2: f32, q3: f32): void {
  store<f32>(at(acc, ((kh * 3) * C + c) * R + oa), q0 + q1 * 0.5 + q2 * 0.5);
  store<f32>(at(acc, ((kh * 3 + 1) * C + c) * R + oa), q1 * 0.5 - q2 * 0.5);
  store<f32>(at(acc, ((kh * 3 + 2) * C + c) * R + oa), q1 * 0.5 + q2 * 0.5 + q3);
}

/** D[ξ, i, 0..R) = (A dY Aᵀ)[ξ], dY the 2×2 output gradients at corner (oh, ow) of img (OH, OW, OC) from row o0 on (zero outside). */
function gradTile(D: usize, i: i32, img: usize, OC: i32, R: i32, OH: i32, OW: i32, oh: i32, ow: i32): void {
  const right = ow + 1 < OW, below = oh + 1 < OH;
  const plane = (<usize>(CHUNK * R)) << 2, next = (<usize>OC) << 2, down = (<usize>(OW * OC)) << 2;
  const base = at(img, (oh * OW + ow) * OC);
  const R4 = R & ~3;
  const zero = f32x4.splat(0);
  let r = 0;
  for (; r < R4; r += 4) {
    const p = at(base, r);
    const y00 = v128.load(p), y01 = right ? v128.load(p + next) : zero;
    const y10 = below ? v128.load(p + down) : zero, y11 = below && right ? v128.load(p + down + next) : zero;
    // A dY (4×2): rows y0, y0 + y1, y0 − y1, −y1; then · Aᵀ along each row the same way
    const dst = at(D, i * R + r);
    storeARow(dst, plane, 0, y00, y01);
    storeARow(dst, plane, 4, f32x4.add(y00, y10), f32x4.add(y01, y11));
    storeARow(dst, plane, 8, f32x4.sub(y00, y10), f32x4.sub(y01, y11));
    storeARow(dst, plane, 12, f32x4.neg(y10), f32x4.neg(y11));
  }
  for (; r < R; r++) {
    const p = at(base, r);
    const y00 = load<f32>(p), y01: f32 = right ? load<f32>(p + next) : 0;
    const y10: f32 = below ? load<f32>(p + down) : 0, y11: f32 = below && right ? load<f32>(p + down + next) : 0;
    const dst = at(D, i * R + r);
    storeARowScalar(dst, plane, 0, y00, y01);
    storeARowScalar(dst, plane, 4, y00 + y10, y01 + y11);
    storeARowScalar(dst, plane, 8, y00 - y10, y01 - y11);
    storeARowScalar(dst, plane, 12, -y10, -y11);
  }
}

/** [x0, x0 + x1, x0 − x1, −x1] to positions ξ0..ξ0+3. */
// @ts-ignore: decorator
@inline function storeARow(dst: usize, plane: usize, xi0: i32, x0: v128, x1: v128): void {
  v128.store(dst + <usize>xi0 * plane, x0);
  v128.store(dst + <usize>(xi0 + 1) * plane, f32x4.add(x0, x1));
  v128.store(dst + <usize>(xi0 + 2) * plane, f32x4.sub(x0, x1));
  v128.store(dst + <usize>(xi0 + 3) * plane, f32x4.neg(x1));
}

// @ts-ignore: decorator
@inline function storeARowScalar(dst: usize, plane: usize, xi0: i32, x0: f32, x1: f32): void {
  store<f32>(dst + <usize>xi0 * plane, x0);
  store<f32>(dst + <usize>(xi0 + 1) * plane, x0 + x1);
  store<f32>(dst + <usize>(xi0 + 2) * plane, x0 - x1);
  store<f32>(dst + <usize>(xi0 + 3) * plane, -x1);
}

/**
 * Mt (R, C) += Σ over tiles i < n ascending of D (·, R)[i, r] · V (·, C)[i, c], one position ξ:
 * 4 rows × 8 channels in registers (then 4-channel and single-row rests, the same order per element).
 */
function accumulateTiles(Mt: usize, D: usize, V: usize, n: i32, R: i32, C: i32): void {
  const R4 = R & ~3, C8 = C & ~7;
  const dRow = (<usize>R) << 2, vRow = (<usize>C) << 2, mRow = (<usize>C) << 2;
  let r = 0;
  for (; r < R4; r += 4) {
    let c = 0;
    for (; c < C8; c += 8) {
      const m = at(Mt, r * C + c);
      let a00 = v128.load(m), a01 = v128.load(m + 16), a10 = v128.load(m + mRow), a11 = v128.load(m + mRow + 16);
      let a20 = v128.load(m + 2 * mRow), a21 = v128.load(m + 2 * mRow + 16), a30 = v128.load(m + 3 * mRow), a31 = v128.load(m + 3 * mRow + 16);
      let dp = at(D, r), vp = at(V, c);
      for (let i = 0; i < n; i++, dp += dRow, vp += vRow) {
        const v0 = v128.load(vp), v1 = v128.load(vp + 16);
        const g0 = v128.load32_splat(dp), g1 = v128.load32_splat(dp + 4), g2 = v128.load32_splat(dp + 8), g3 = v128.load32_splat(dp + 12);
        a00 = f32x4.add(a00, f32x4.mul(g0, v0)); a01 = f32x4.add(a01, f32x4.mul(g0, v1));
        a10 = f32x4.add(a10, f32x4.mul(g1, v0)); a11 = f32x4.add(a11, f32x4.mul(g1, v1));
        a20 = f32x4.add(a20, f32x4.mul(g2, v0)); a21 = f32x4.add(a21, f32x4.mul(g2, v1));
        a30 = f32x4.add(a30, f32x4.mul(g3, v0)); a31 = f32x4.add(a31, f32x4.mul(g3, v1));
      }
      v128.store(m, a00); v128.store(m + 16, a01); v128.store(m + mRow, a10); v128.store(m + mRow + 16, a11);
      v128.store(m + 2 * mRow, a20); v128.store(m + 2 * mRow + 16, a21); v128.store(m + 3 * mRow, a30); v128.store(m + 3 * mRow + 16, a31);
    }
    for (; c < C; c += 4) for (let rr = r; rr < r + 4; rr++) accumulateOne(Mt, D, V, n, R, C, rr, c);
  }
  for (; r < R; r++) for (let c = 0; c < C; c += 4) accumulateOne(Mt, D, V, n, R, C, r, c);
}

/** Mt[r, c..c+4) += Σ over tiles ascending of D[i, r] · V[i, c..c+4). */
function accumulateOne(Mt: usize, D: usize, V: usize, n: i32, R: i32, C: i32, r: i32, c: i32): void {
  const m = at(Mt, r * C + c);
  let a = v128.load(m);
  for (let i = 0; i < n; i++) a = f32x4.add(a, f32x4.mul(v128.load32_splat(at(D, i * R + r)), v128.load(at(V, i * C + c))));
  v128.store(m, a);
}
