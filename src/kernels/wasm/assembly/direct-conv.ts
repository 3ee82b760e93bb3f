// Convs straight on the NHWC activations, no im2col matrix: forward, input gradient, weight
// gradient (fused SGD or stored). The same contracts as the native set's (src/kernels/kernels.ts):
// forward and input gradient are row independent, the weight gradient is parameter-row
// independent and sums over the batch's windows in ascending order. Plain f32 mul then add (no
// FMA), each lane one output element, so a vector lane and the scalar tail give the same bits.
//
// Tap order: the weight's columns k = c·KH·KW + kh·KW + kw (PyTorch's [OC, C, KH, KW]) are visited
// as k' = (kh·KW + kw)·C + c, so a window reads its input along the contiguous channels: the input
// element of column k' of the window with corner (h0, w0) is inp[((h0 + kh)·W + w0 + kw)·C + c].
//
// Each kernel rearranges the weight (or keeps partial sums) in the calling worker's scratch slot
// of the arena, given by useScratch before the kernels run (engine/worker/step-handlers.ts): WASM
// threads share one memory, so a module-static buffer would be shared by every worker.
import { at } from "./simd";
import { sgdScalar, sgdVec } from "./sgd";
import { convFloats, gradFloats, gradSums, transformWeights, winogradConv, winogradTakes } from "./winograd";

let scratch: usize = 0;
let scratchFloats: i32 = 0;

/** The calling worker's scratch slot: n f32 at byte offset ptr. */
export function useScratch(ptr: usize, n: i32): void {
  scratch = ptr;
  scratchFloats = n;
}

function needScratch(n: i64): void {
  if (n > <i64>scratchFloats) abort("direct conv: the scratch slot is too small");
}

// @ts-ignore: decorator
@inline function inside(H: i32, W: i32, KH: i32, KW: i32, h0: i32, w0: i32): bool {
  return h0 >= 0 && w0 >= 0 && h0 + KH <= H && w0 + KW <= W;
}

// ---- forward: out (B, OH, OW, OC) = conv(inp (B, H, W, C)) + bias, optional ReLU ----
// wt (K', OC) in scratch: lanes along output channels. Per row, per strip of 8 output channels,
// per block of 4 neighbouring windows of one output row: 8 accumulators, k' ascending from 0.

export function convForward(
  out: usize, inp: usize, weight: usize, bias: usize, B: i32,
  C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OH: i32, OW: i32, OC: i32, relu: i32,
): void {
  if (winogradTakes(C, KH, KW, stride, pad, OC)) {
    needScratch(convFloats(C, OC));
    transformWeights(scratch, weight, C, OC, false);
    winogradConv(out, inp, scratch, bias, B, C, H, W, pad, OH, OW, OC, relu != 0);
    return;
  }
  const KK = KH * KW, K = C * KK;
  // wt (K', LD): LD = OC rounded up to 4, the padding columns zero, so every output channel
  // runs in a vector lane (a tail vector's extra lanes are computed and not stored)
  const LD = (OC + 3) & ~3;
  needScratch(<i64>K * LD);
  const wt = scratch;
  memory.fill(wt, 0, (<usize>(K * LD)) << 2);
  for (let o = 0; o < OC; o++)
    for (let c = 0; c < C; c++)
      for (let t = 0; t < KK; t++) store<f32>(at(wt, (t * C + c) * LD + o), load<f32>(at(weight, o * K + c * KK + t)));
  const OC8 = OC & ~7;
  for (let b = 0; b < B; b++) {
    const x = at(inp, b * H * W * C);
    const y = at(out, b * OH * OW * OC);
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * stride - pad;
      let ow = 0;
      for (; ow + 4 <= OW; ow += 4) {
        const allInside = inside(H, W, KH, KW, h0, ow * stride - pad) && inside(H, W, KH, KW, h0, (ow + 3) * stride - pad);
        let o = 0;
        for (; o < OC8; o += 8) {
          if (allInside) forwardBlock4x8(y, x, wt, bias, C, W, KH, KW, stride, pad, OW, OC, LD, h0, oh, ow, o, relu);
          else for (let r = 0; r < 4; r++) forwardOne(y, x, wt, bias, C, H, W, KH, KW, stride, pad, OW, OC, LD, h0, oh, ow + r, o, 8, relu);
        }
        for (let r = 0; r < 4; r++) forwardOne(y, x, wt, bias, C, H, W, KH, KW, stride, pad, OW, OC, LD, h0, oh, ow + r, o, OC - o, relu);
      }
      for (; ow < OW; ow++) forwardOne(y, x, wt, bias, C, H, W, KH, KW, stride, pad, OW, OC, LD, h0, oh, ow, 0, OC, relu);
    }
  }
}

/** 4 windows (ow..ow+3, all inside the image) × output channels o..o+8. */
function forwardBlock4x8(
  y: usize, x: usize, wt: usize, bias: usize, C: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OW: i32, OC: i32, LD: i32,
  h0: i32, oh: i32, ow: i32, o: i32, relu: i32,
): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
  const sC = stride * C;
  const corner = x + ((<usize>((h0 * W + ow * stride - pad) * C)) << 2);
  let wk = at(wt, o);
  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++) {
      const xp = corner + ((<usize>((kh * W + kw) * C)) << 2);
      for (let c = 0; c < C; c++, wk += (<usize>LD) << 2) {
        const w0 = v128.load(wk), w1 = v128.load(wk + 16);
        const p = xp + ((<usize>c) << 2);
        const x0 = v128.load32_splat(p), x1 = v128.load32_splat(p + ((<usize>sC) << 2));
        const x2 = v128.load32_splat(p + ((<usize>(2 * sC)) << 2)), x3 = v128.load32_splat(p + ((<usize>(3 * sC)) << 2));
        a00 = f32x4.add(a00, f32x4.mul(x0, w0)); a01 = f32x4.add(a01, f32x4.mul(x0, w1));
        a10 = f32x4.add(a10, f32x4.mul(x1, w0)); a11 = f32x4.add(a11, f32x4.mul(x1, w1));
        a20 = f32x4.add(a20, f32x4.mul(x2, w0)); a21 = f32x4.add(a21, f32x4.mul(x2, w1));
        a30 = f32x4.add(a30, f32x4.mul(x3, w0)); a31 = f32x4.add(a31, f32x4.mul(x3, w1));
      }
    }
  const b0 = v128.load(at(bias, o)), b1 = v128.load(at(bias, o + 4));
  const row = at(y, (oh * OW + ow) * OC + o), next = (<usize>OC) << 2;
  storeOut(row, f32x4.add(a00, b0), relu); storeOut(row + 16, f32x4.add(a01, b1), relu);
  storeOut(row + next, f32x4.add(a10, b0), relu); storeOut(row + next + 16, f32x4.add(a11, b1), relu);
  storeOut(row + 2 * next, f32x4.add(a20, b0), relu); storeOut(row + 2 * next + 16, f32x4.add(a21, b1), relu);
  storeOut(row + 3 * next, f32x4.add(a30, b0), relu); storeOut(row + 3 * next + 16, f32x4.add(a31, b1), relu);
}

// @ts-ignore: decorator
@inline function storeOut(p: usize, v: v128, relu: i32): void {
  v128.store(p, relu ? f32x4.max(v, f32x4.splat(0)) : v);
}

/** One window × output channels o0..o0+n, any position (taps in the padding skipped), 4 lanes at a time. */
function forwardOne(
  y: usize, x: usize, wt: usize, bias: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OW: i32, OC: i32, LD: i32,
  h0: i32, oh: i32, ow: i32, o0: i32, n: i32, relu: i32,
): void {
  const w0 = ow * stride - pad;
  const dst = at(y, (oh * OW + ow) * OC);
  for (let o = o0; o < o0 + n; o += 4) {
    let acc = f32x4.splat(0);
    for (let kh = 0; kh < KH; kh++) {
      const h = h0 + kh;
      if (h < 0 || h >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const w = w0 + kw;
        if (w < 0 || w >= W) continue;
        const xp = at(x, (h * W + w) * C);
        const wk = at(wt, ((kh * KW + kw) * C) * LD + o);
        for (let c = 0; c < C; c++) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(at(xp, c)), v128.load(wk + ((<usize>(c * LD)) << 2))));
      }
    }
    const lanes = min(4, o0 + n - o);
    if (lanes == 4) storeOut(at(dst, o), f32x4.add(acc, v128.load(at(bias, o))), relu);
    else storeLanes(at(dst, o), acc, at(bias, o), lanes, relu);
  }
}

/** The first `lanes` (< 4) lanes of acc + bias (optional ReLU) to dst (no allocation: the module has no heap of its own). */
function storeLanes(dst: usize, acc: v128, bias: usize, lanes: i32, relu: i32): void {
  storeLane(dst, f32x4.extract_lane(acc, 0), bias, relu);
  if (lanes > 1) storeLane(dst + 4, f32x4.extract_lane(acc, 1), bias + 4, relu);
  if (lanes > 2) storeLane(dst + 8, f32x4.extract_lane(acc, 2), bias + 8, relu);
}

// @ts-ignore: decorator
@inline function storeLane(dst: usize, a: f32, bias: usize, relu: i32): void {
  const y = a + load<f32>(bias);
  store<f32>(dst, relu && !(y > 0) ? 0 : y);
}

// ---- input gradient: dinp (B, H, W, C) from dout (B, OH, OW, OC) ----
// dinp[h, w, c] = Σ over taps (kh, kw) ascending, then o ascending, of dout[window reading
// (h, w) at that tap, o] · W[o, c, kh, kw], from 0; taps whose window does not exist add nothing.
// wx (KH·KW, OC, C) in scratch: lanes along input channels. Stride 1 copies each image's dout into
// a zero-bordered (PH, PW, OC) scratch so every tap reads a real or a zero gradient unchecked.

export function convInputGrad(
  dinp: usize, dout: usize, weight: usize, B: i32,
  C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OH: i32, OW: i32, OC: i32,
): void {
  if (winogradTakes(C, KH, KW, stride, pad, OC)) {
    // the forward of dout (OH, OW, OC) with the weight rotated by 180° and padded by 2 − pad
    needScratch(convFloats(OC, C));
    transformWeights(scratch, weight, C, OC, true);
    winogradConv(dinp, dout, scratch, 0, B, OC, OH, OW, 2 - pad, H, W, C, false);
    return;
  }
  const KK = KH * KW, K = C * KK;
  const PH = H + KH - 1, PW = W + KW - 1;
  const bordered = stride == 1 && pad < KH && pad < KW;
  // wx (KH·KW, OC, LD): LD = C rounded up to 4, the padding zero (a tail vector's extra lanes are not stored)
  const LD = (C + 3) & ~3;
  needScratch(<i64>KK * OC * LD + (bordered ? <i64>PH * PW * OC : 0));
  const wx = scratch;
  memory.fill(wx, 0, (<usize>(KK * OC * LD)) << 2);
  for (let o = 0; o < OC; o++)
    for (let c = 0; c < C; c++)
      for (let t = 0; t < KK; t++) store<f32>(at(wx, (t * OC + o) * LD + c), load<f32>(at(weight, o * K + c * KK + t)));
  const dp = at(scratch, KK * OC * LD);
  for (let b = 0; b < B; b++) {
    const dy = at(dout, b * OH * OW * OC);
    const dx = at(dinp, b * H * W * C);
    if (!bordered) {
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) dxStrided(dx, dy, wx, C, LD, W, KH, KW, stride, pad, OH, OW, OC, h, w);
      continue;
    }
    memory.fill(dp, 0, (<usize>(PH * PW * OC)) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const ph = oh + KH - 1 - pad;
      for (let ow = 0; ow < OW; ow++) memory.copy(at(dp, (ph * PW + ow + KW - 1 - pad) * OC), at(dy, (oh * OW + ow) * OC), (<usize>OC) << 2);
    }
    const C8 = C & ~7;
    for (let h = 0; h < H; h++) {
      let w = 0;
      for (; w + 4 <= W; w += 4) {
        let c = 0;
        for (; c < C8; c += 8) dxBlock4x8(dx, dp, wx, C, LD, W, KH, KW, OC, PW, h, w, c);
        for (let r = 0; r < 4; r++) dxOne(dx, dp, wx, C, LD, W, KH, KW, OC, PW, h, w + r, c);
      }
      for (; w < W; w++) dxOne(dx, dp, wx, C, LD, W, KH, KW, OC, PW, h, w, 0);
    }
  }
}

/** dinp[h, w..w+4, c..c+8) from the bordered gradient dp and wx. */
function dxBlock4x8(dx: usize, dp: usize, wx: usize, C: i32, LD: i32, W: i32, KH: i32, KW: i32, OC: i32, PW: i32, h: i32, w: i32, c: i32): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
  const step = (<usize>OC) << 2, cStep = (<usize>C) << 2, wStep = (<usize>LD) << 2;
  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++) {
      let d = at(dp, ((h + KH - 1 - kh) * PW + (w + KW - 1 - kw)) * OC);
      let wk = at(wx, (kh * KW + kw) * OC * LD + c);
      for (let o = 0; o < OC; o++, d += 4, wk += wStep) {
        const w0 = v128.load(wk), w1 = v128.load(wk + 16);
        const d0 = v128.load32_splat(d), d1 = v128.load32_splat(d + step);
        const d2 = v128.load32_splat(d + 2 * step), d3 = v128.load32_splat(d + 3 * step);
        a00 = f32x4.add(a00, f32x4.mul(d0, w0)); a01 = f32x4.add(a01, f32x4.mul(d0, w1));
        a10 = f32x4.add(a10, f32x4.mul(d1, w0)); a11 = f32x4.add(a11, f32x4.mul(d1, w1));
        a20 = f32x4.add(a20, f32x4.mul(d2, w0)); a21 = f32x4.add(a21, f32x4.mul(d2, w1));
        a30 = f32x4.add(a30, f32x4.mul(d3, w0)); a31 = f32x4.add(a31, f32x4.mul(d3, w1));
      }
    }
  const p = at(dx, (h * W + w) * C + c);
  v128.store(p, a00); v128.store(p + 16, a01);
  v128.store(p + cStep, a10); v128.store(p + cStep + 16, a11);
  v128.store(p + 2 * cStep, a20); v128.store(p + 2 * cStep + 16, a21);
  v128.store(p + 3 * cStep, a30); v128.store(p + 3 * cStep + 16, a31);
}

/** dinp[h, w, c0..C) from the bordered gradient, 4 channels at a time (a tail's extra lanes not stored). */
function dxOne(dx: usize, dp: usize, wx: usize, C: i32, LD: i32, W: i32, KH: i32, KW: i32, OC: i32, PW: i32, h: i32, w: i32, c0: i32): void {
  for (let c = c0; c < C; c += 4) {
    let acc = f32x4.splat(0);
    for (let kh = 0; kh < KH; kh++)
      for (let kw = 0; kw < KW; kw++) {
        const d = at(dp, ((h + KH - 1 - kh) * PW + (w + KW - 1 - kw)) * OC);
        const wk = at(wx, (kh * KW + kw) * OC * LD + c);
        for (let o = 0; o < OC; o++) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(at(d, o)), v128.load(at(wk, o * LD))));
      }
    const dst = at(dx, (h * W + w) * C + c);
    const lanes = min(4, C - c);
    if (lanes == 4) v128.store(dst, acc);
    else {
      store<f32>(dst, f32x4.extract_lane(acc, 0));
      if (lanes > 1) store<f32>(dst + 4, f32x4.extract_lane(acc, 1));
      if (lanes > 2) store<f32>(dst + 8, f32x4.extract_lane(acc, 2));
    }
  }
}

/** Any stride: pixel (h, w), each tap's window found and checked; the same order (taps, then o). */
function dxStrided(dx: usize, dy: usize, wx: usize, C: i32, LD: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OH: i32, OW: i32, OC: i32, h: i32, w: i32): void {
  for (let c = 0; c < C; c++) {
    let s: f32 = 0;
    for (let kh = 0; kh < KH; kh++) {
      const sh = h + pad - kh;
      if (sh < 0 || sh % stride != 0 || sh / stride >= OH) continue;
      for (let kw = 0; kw < KW; kw++) {
        const sw = w + pad - kw;
        if (sw < 0 || sw % stride != 0 || sw / stride >= OW) continue;
        const d = at(dy, ((sh / stride) * OW + sw / stride) * OC);
        const wk = at(wx, (kh * KW + kw) * OC * LD + c);
        for (let o = 0; o < OC; o++) s += load<f32>(at(d, o)) * load<f32>(at(wk, o * LD));
      }
    }
    store<f32>(at(dx, (h * W + w) * C + c), s);
  }
}

// ---- weight gradient: rows [o0, o1) of g = gradScale · Σ over every window of the batch (b, oh,
// ow ascending) of dout[window, o] · its input column, and the bias sums; then, per element, SGD
// (θ_t, v_t → θ_{t+1}, v_{t+1}) or the gradient stored (gradOnly); rowSq[o] = Σ g² (f64) ----
// Partial sums in scratch: acc (K', R) with lanes along output channels, then R bias sums. Per
// output row (b, oh), each tile of 4 columns × 8 output channels stays in registers while the
// row's windows pass.

export function convWeightGradSgd(
  weight: usize, bias: usize, weightVelocity: usize, biasVelocity: usize,
  weightOut: usize, biasOut: usize, weightVelocityOut: usize, biasVelocityOut: usize,
  rowSq: usize, dout: usize, inp: usize, B: i32,
  C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OH: i32, OW: i32, OC: i32, o0: i32, o1: i32,
  gradScale: f32, lr: f32, momentum: f32, nesterov: bool, weightDecay: f32,
): void {
  convGradUpdate(weight, bias, weightVelocity, biasVelocity, weightOut, biasOut, weightVelocityOut, biasVelocityOut, rowSq, dout, inp, B, C, H, W, KH, KW, stride, pad, OH, OW, OC, o0, o1, gradScale, lr, momentum, nesterov, weightDecay, false);
}

export function convWeightGrad(
  weightGrad: usize, biasGrad: usize, rowSq: usize, dout: usize, inp: usize, B: i32,
  C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OH: i32, OW: i32, OC: i32, o0: i32, o1: i32, gradScale: f32,
): void {
  convGradUpdate(weightGrad, biasGrad, weightGrad, biasGrad, weightGrad, biasGrad, weightGrad, biasGrad, rowSq, dout, inp, B, C, H, W, KH, KW, stride, pad, OH, OW, OC, o0, o1, gradScale, 0, 0, false, 0, true);
}

// @ts-ignore: decorator
@inline function convGradUpdate(
  weight: usize, bias: usize, weightVelocity: usize, biasVelocity: usize,
  weightOut: usize, biasOut: usize, weightVelocityOut: usize, biasVelocityOut: usize,
  rowSq: usize, dout: usize, inp: usize, B: i32,
  C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OH: i32, OW: i32, OC: i32, o0: i32, o1: i32,
  gradScale: f32, lr: f32, momentum: f32, nesterov: bool, weightDecay: f32, gradOnly: bool,
): void {
  if (o0 >= o1) return;
  const KK = KH * KW, K = C * KK, R = o1 - o0;
  const wino = winogradTakes(C, KH, KW, stride, pad, OC);
  needScratch(<i64>K * R + R + (wino ? gradFloats(C, R) : 0));
  const acc = scratch, sums = at(scratch, K * R);
  memory.fill(acc, 0, (<usize>(K * R + R)) << 2);
  if (wino) gradSums(acc, at(scratch, K * R + R), dout, inp, B, C, H, W, pad, OH, OW, OC, o0, o1);
  else directGradSums(acc, R, dout, inp, B, C, H, W, KH, KW, stride, pad, OH, OW, OC, o0);
  // bias sums: each output channel's sequential sum over the windows (b, oh, ow ascending)
  const R4 = R & ~3, K4 = K & ~3;
  for (let b = 0; b < B; b++)
    for (let win = 0; win < OH * OW; win++) {
      const d = at(dout, (b * OH * OW + win) * OC + o0);
      let r = 0;
      for (; r < R4; r += 4) v128.store(at(sums, r), f32x4.add(v128.load(at(sums, r)), v128.load(at(d, r))));
      for (; r < R; r++) store<f32>(at(sums, r), load<f32>(at(sums, r)) + load<f32>(at(d, r)));
    }
  const vScale = f32x4.splat(gradScale), vLr = f32x4.splat(lr), vMom = f32x4.splat(momentum), vWd = f32x4.splat(weightDecay);
  for (let o = o0; o < o1; o++) {
    const oa = o - o0;
    // row o in PyTorch's column order k = c·KK + t, read from tap order k' = t·C + c
    let sq = f32x4.splat(0);
    let k = 0;
    for (; k < K4; k += 4) {
      let g = f32x4.splat(0);
      g = f32x4.replace_lane(g, 0, load<f32>(at(acc, tapOf(k, C, KK) * R + oa)));
      g = f32x4.replace_lane(g, 1, load<f32>(at(acc, tapOf(k + 1, C, KK) * R + oa)));
      g = f32x4.replace_lane(g, 2, load<f32>(at(acc, tapOf(k + 2, C, KK) * R + oa)));
      g = f32x4.replace_lane(g, 3, load<f32>(at(acc, tapOf(k + 3, C, KK) * R + oa)));
      g = f32x4.mul(g, vScale);
      sq = f32x4.add(sq, f32x4.mul(g, g));
      const i = o * K + k;
      sgdVec(at(weightOut, i), at(weightVelocityOut, i), at(weight, i), at(weightVelocity, i), g, vLr, vMom, nesterov, vWd, gradOnly);
    }
    let s: f64 = <f64>f32x4.extract_lane(sq, 0) + <f64>f32x4.extract_lane(sq, 1) + <f64>f32x4.extract_lane(sq, 2) + <f64>f32x4.extract_lane(sq, 3);
    for (; k < K; k++) {
      const g = load<f32>(at(acc, tapOf(k, C, KK) * R + oa)) * gradScale;
      s += <f64>(g * g);
      const i = o * K + k;
      sgdScalar(at(weightOut, i), at(weightVelocityOut, i), at(weight, i), at(weightVelocity, i), g, lr, momentum, nesterov, weightDecay, gradOnly);
    }
    const g = load<f32>(at(sums, oa)) * gradScale;
    s += <f64>(g * g);
    sgdScalar(at(biasOut, o), at(biasVelocityOut, o), at(bias, o), at(biasVelocity, o), g, lr, momentum, nesterov, weightDecay, gradOnly);
    store<f64>(rowSq + ((<usize>o) << 3), s);
  }
}

/** acc (K', R) += the direct sums: per output row (b, oh), each tile of 4 columns × 8 output channels in registers while the row's windows pass. */
function directGradSums(
  acc: usize, R: i32, dout: usize, inp: usize, B: i32,
  C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OH: i32, OW: i32, OC: i32, o0: i32,
): void {
  const K = C * KH * KW;
  const R8 = R & ~7, K4 = K & ~3;
  for (let b = 0; b < B; b++) {
    const x = at(inp, b * H * W * C);
    const dy = at(dout, b * OH * OW * OC);
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * stride - pad;
      let oa = 0;
      for (; oa < R8; oa += 8) {
        let k = 0;
        for (; k < K4; k += 4) gradTile4x8(acc, R, x, dy, C, H, W, KH, KW, stride, pad, OW, OC, h0, oh, o0 + oa, oa, k);
        for (; k < K; k++) gradColumn(acc, R, x, dy, C, H, W, KH, KW, stride, pad, OW, OC, h0, oh, o0 + oa, oa, k, 8);
      }
      if (oa + 4 <= R) {
        let k = 0;
        for (; k < K4; k += 4) gradTile4x4(acc, R, x, dy, C, H, W, KH, KW, stride, pad, OW, OC, h0, oh, o0 + oa, oa, k);
        for (; k < K; k++) gradColumn(acc, R, x, dy, C, H, W, KH, KW, stride, pad, OW, OC, h0, oh, o0 + oa, oa, k, 4);
        oa += 4;
      }
      if (oa < R) for (let k = 0; k < K; k++) gradColumn(acc, R, x, dy, C, H, W, KH, KW, stride, pad, OW, OC, h0, oh, o0 + oa, oa, k, R - oa);
    }
  }
}

/** The tap-order index k' of PyTorch column k = c·KK + t. */
// @ts-ignore: decorator
@inline function tapOf(k: i32, C: i32, KK: i32): i32 {
  return (k % KK) * C + k / KK;
}

/** Offset of column k' from a window's corner: ((kh·W + kw)·C + c). */
// @ts-ignore: decorator
@inline function tapOffset(k: i32, C: i32, W: i32, KW: i32): i32 {
  const t = k / C, c = k - t * C;
  return ((t / KW) * W + t % KW) * C + c;
}

function gradTile4x8(
  acc: usize, R: i32, x: usize, dy: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OW: i32, OC: i32,
  h0: i32, oh: i32, o: i32, oa: i32, k: i32,
): void {
  gradTile(acc, R, x, dy, C, H, W, KH, KW, stride, pad, OW, OC, h0, oh, o, oa, k, true);
}

function gradTile4x4(
  acc: usize, R: i32, x: usize, dy: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OW: i32, OC: i32,
  h0: i32, oh: i32, o: i32, oa: i32, k: i32,
): void {
  gradTile(acc, R, x, dy, C, H, W, KH, KW, stride, pad, OW, OC, h0, oh, o, oa, k, false);
}

/**
 * acc[k..k+4, oa..oa+8) (eight: true, else oa..oa+4) += Σ over the windows of output row oh
 * (ascending ow) of x[k'] · dout[o]. Inlined into the two above, so `eight` folds away.
 */
// @ts-ignore: decorator
@inline function gradTile(
  acc: usize, R: i32, x: usize, dy: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OW: i32, OC: i32,
  h0: i32, oh: i32, o: i32, oa: i32, k: i32, eight: bool,
): void {
  const p0 = at(acc, k * R + oa), p1 = at(acc, (k + 1) * R + oa), p2 = at(acc, (k + 2) * R + oa), p3 = at(acc, (k + 3) * R + oa);
  const z = f32x4.splat(0);
  let a00 = v128.load(p0), a01 = eight ? v128.load(p0 + 16) : z, a10 = v128.load(p1), a11 = eight ? v128.load(p1 + 16) : z;
  let a20 = v128.load(p2), a21 = eight ? v128.load(p2 + 16) : z, a30 = v128.load(p3), a31 = eight ? v128.load(p3 + 16) : z;
  const f0 = tapOffset(k, C, W, KW), f1 = tapOffset(k + 1, C, W, KW), f2 = tapOffset(k + 2, C, W, KW), f3 = tapOffset(k + 3, C, W, KW);
  // the windows [lo, hi) of this output row lie wholly inside the image: no checks there
  let lo = 0, hi = 0;
  if (h0 >= 0 && h0 + KH <= H) {
    while (lo < OW && lo * stride - pad < 0) lo++;
    hi = OW;
    while (hi > lo && (hi - 1) * stride - pad + KW > W) hi--;
  }
  for (let ow = 0; ow < OW; ow++) {
    const w0 = ow * stride - pad;
    const d = at(dy, (oh * OW + ow) * OC + o);
    const d0 = v128.load(d), d1 = eight ? v128.load(d + 16) : z;
    const corner = (h0 * W + w0) * C;
    if (ow >= lo && ow < hi) {
      // one stretch of inside windows, walked with pointers
      let xp = at(x, corner), dp = d;
      const xStep = (<usize>(stride * C)) << 2, dStep = (<usize>OC) << 2;
      const o0 = (<usize>f0) << 2, o1 = (<usize>f1) << 2, o2 = (<usize>f2) << 2, o3 = (<usize>f3) << 2;
      for (; ow < hi; ow++, xp += xStep, dp += dStep) {
        const e0 = v128.load(dp);
        const x0 = v128.load32_splat(xp + o0), x1 = v128.load32_splat(xp + o1);
        const x2 = v128.load32_splat(xp + o2), x3 = v128.load32_splat(xp + o3);
        a00 = f32x4.add(a00, f32x4.mul(x0, e0)); a10 = f32x4.add(a10, f32x4.mul(x1, e0));
        a20 = f32x4.add(a20, f32x4.mul(x2, e0)); a30 = f32x4.add(a30, f32x4.mul(x3, e0));
        if (eight) {
          const e1 = v128.load(dp + 16);
          a01 = f32x4.add(a01, f32x4.mul(x0, e1)); a11 = f32x4.add(a11, f32x4.mul(x1, e1));
          a21 = f32x4.add(a21, f32x4.mul(x2, e1)); a31 = f32x4.add(a31, f32x4.mul(x3, e1));
        }
      }
      ow--;
      continue;
    }
    if (tapIn(k, C, H, W, KW, h0, w0)) { const v = v128.load32_splat(at(x, corner + f0)); a00 = f32x4.add(a00, f32x4.mul(v, d0)); if (eight) a01 = f32x4.add(a01, f32x4.mul(v, d1)); }
    if (tapIn(k + 1, C, H, W, KW, h0, w0)) { const v = v128.load32_splat(at(x, corner + f1)); a10 = f32x4.add(a10, f32x4.mul(v, d0)); if (eight) a11 = f32x4.add(a11, f32x4.mul(v, d1)); }
    if (tapIn(k + 2, C, H, W, KW, h0, w0)) { const v = v128.load32_splat(at(x, corner + f2)); a20 = f32x4.add(a20, f32x4.mul(v, d0)); if (eight) a21 = f32x4.add(a21, f32x4.mul(v, d1)); }
    if (tapIn(k + 3, C, H, W, KW, h0, w0)) { const v = v128.load32_splat(at(x, corner + f3)); a30 = f32x4.add(a30, f32x4.mul(v, d0)); if (eight) a31 = f32x4.add(a31, f32x4.mul(v, d1)); }
  }
  v128.store(p0, a00); v128.store(p1, a10); v128.store(p2, a20); v128.store(p3, a30);
  if (eight) {
    v128.store(p0 + 16, a01); v128.store(p1 + 16, a11); v128.store(p2 + 16, a21); v128.store(p3 + 16, a31);
  }
}

/** Whether column k' of the window with corner (h0, w0) falls inside the image. */
// @ts-ignore: decorator
@inline function tapIn(k: i32, C: i32, H: i32, W: i32, KW: i32, h0: i32, w0: i32): bool {
  const t = k / C;
  const h = h0 + t / KW, w = w0 + t % KW;
  return h >= 0 && w >= 0 && h < H && w < W;
}

/** acc[k, oa..oa+n) += Σ over the windows of output row oh of x[k'] · dout[o]: 4 lanes, then one at a time. */
function gradColumn(
  acc: usize, R: i32, x: usize, dy: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, stride: i32, pad: i32, OW: i32, OC: i32,
  h0: i32, oh: i32, o: i32, oa: i32, k: i32, n: i32,
): void {
  const f = tapOffset(k, C, W, KW);
  const row = at(acc, k * R + oa);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let a = v128.load(at(row, j));
    for (let ow = 0; ow < OW; ow++) {
      const w0 = ow * stride - pad;
      if (!tapIn(k, C, H, W, KW, h0, w0)) continue;
      a = f32x4.add(a, f32x4.mul(v128.load32_splat(at(x, (h0 * W + w0) * C + f)), v128.load(at(dy, (oh * OW + ow) * OC + o + j))));
    }
    v128.store(at(row, j), a);
  }
  for (; j < n; j++) {
    let a = load<f32>(at(row, j));
    for (let ow = 0; ow < OW; ow++) {
      const w0 = ow * stride - pad;
      if (!tapIn(k, C, H, W, KW, h0, w0)) continue;
      a += load<f32>(at(x, (h0 * W + w0) * C + f)) * load<f32>(at(dy, (oh * OW + ow) * OC + o + j));
    }
    store<f32>(at(row, j), a);
  }
  void KH;
}
