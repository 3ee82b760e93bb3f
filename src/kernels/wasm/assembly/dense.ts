// Dense layer GEMMs, weight in nn.Linear layout (OC, C). All three shapes vectorise along a
// contiguous dimension of that layout, so no transposed copy is ever needed:
//   forward  out[b,o]  = Σ_c inp[b,c]·W[o,c] + bias[o]   dot products along c   (2 rows × 4 outputs)   ROWS
//   dx       dx[b,c]   = Σ_o dout[b,o]·W[o,c]            axpy along c          (4 rows × 8 columns)   ROWS
//   dW       dW[o,c]   = Σ_b dout[b,o]·inp[b,c]          axpy along c          (4 outputs × 8 columns) PARAMS, fused with SGD
// Tails (rows, outputs, columns not a multiple of the block) run the same sums, in the same
// order, one at a time: a row's (or parameter row's) result never depends on the path that ran
// it (the row-independence contract in src/kernels/kernels.ts).
import { at, hsum } from "./simd";
import { sgdScalar, sgdVec } from "./sgd";

/** y, or max(y, 0) for a fused ReLU (NaN → 0, as the TS kernel). */
// @ts-ignore: decorator
@inline function activate(y: f32, relu: bool): f32 {
  return relu && !(y > 0) ? 0 : y;
}

// out (B, OC), rows ldOut apart  inp (B, C)  weight (OC, C)  bias (OC); relu: out = max(out, 0)
export function denseForward(out: usize, inp: usize, weight: usize, bias: usize, B: i32, C: i32, OC: i32, relu: bool, ldOut: i32): void {
  const C4 = C & ~3;
  let b = 0;
  for (; b + 2 <= B; b += 2) {
    const x0 = at(inp, b * C);
    const x1 = at(inp, (b + 1) * C);
    let o = 0;
    for (; o + 4 <= OC; o += 4) {
      const w0 = at(weight, o * C), w1 = at(weight, (o + 1) * C), w2 = at(weight, (o + 2) * C), w3 = at(weight, (o + 3) * C);
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
      let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
      for (let c = 0; c < C4; c += 4) {
        const off = (<usize>c) << 2;
        const v0 = v128.load(x0 + off), v1 = v128.load(x1 + off);
        const u0 = v128.load(w0 + off), u1 = v128.load(w1 + off), u2 = v128.load(w2 + off), u3 = v128.load(w3 + off);
        a00 = f32x4.add(a00, f32x4.mul(v0, u0)); a01 = f32x4.add(a01, f32x4.mul(v0, u1));
        a02 = f32x4.add(a02, f32x4.mul(v0, u2)); a03 = f32x4.add(a03, f32x4.mul(v0, u3));
        a10 = f32x4.add(a10, f32x4.mul(v1, u0)); a11 = f32x4.add(a11, f32x4.mul(v1, u1));
        a12 = f32x4.add(a12, f32x4.mul(v1, u2)); a13 = f32x4.add(a13, f32x4.mul(v1, u3));
      }
      let s00 = hsum(a00), s01 = hsum(a01), s02 = hsum(a02), s03 = hsum(a03);
      let s10 = hsum(a10), s11 = hsum(a11), s12 = hsum(a12), s13 = hsum(a13);
      for (let c = C4; c < C; c++) {
        const v0 = load<f32>(at(x0, c)), v1 = load<f32>(at(x1, c));
        s00 += v0 * load<f32>(at(w0, c)); s01 += v0 * load<f32>(at(w1, c));
        s02 += v0 * load<f32>(at(w2, c)); s03 += v0 * load<f32>(at(w3, c));
        s10 += v1 * load<f32>(at(w0, c)); s11 += v1 * load<f32>(at(w1, c));
        s12 += v1 * load<f32>(at(w2, c)); s13 += v1 * load<f32>(at(w3, c));
      }
      const y0 = at(out, b * ldOut + o), y1 = at(out, (b + 1) * ldOut + o);
      store<f32>(y0, activate(s00 + load<f32>(at(bias, o)), relu));
      store<f32>(y0 + 4, activate(s01 + load<f32>(at(bias, o + 1)), relu));
      store<f32>(y0 + 8, activate(s02 + load<f32>(at(bias, o + 2)), relu));
      store<f32>(y0 + 12, activate(s03 + load<f32>(at(bias, o + 3)), relu));
      store<f32>(y1, activate(s10 + load<f32>(at(bias, o)), relu));
      store<f32>(y1 + 4, activate(s11 + load<f32>(at(bias, o + 1)), relu));
      store<f32>(y1 + 8, activate(s12 + load<f32>(at(bias, o + 2)), relu));
      store<f32>(y1 + 12, activate(s13 + load<f32>(at(bias, o + 3)), relu));
    }
    for (; o < OC; o++) {
      store<f32>(at(out, b * ldOut + o), activate(dotRow(x0, at(weight, o * C), C) + load<f32>(at(bias, o)), relu));
      store<f32>(at(out, (b + 1) * ldOut + o), activate(dotRow(x1, at(weight, o * C), C) + load<f32>(at(bias, o)), relu));
    }
  }
  for (; b < B; b++) {
    const x = at(inp, b * C);
    for (let o = 0; o < OC; o++) store<f32>(at(out, b * ldOut + o), activate(dotRow(x, at(weight, o * C), C) + load<f32>(at(bias, o)), relu));
  }
}

/** One dot product with the same lane/tail order as the blocked loop above. */
function dotRow(x: usize, w: usize, C: i32): f32 {
  const C4 = C & ~3;
  let acc = f32x4.splat(0);
  for (let c = 0; c < C4; c += 4) {
    const off = (<usize>c) << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(x + off), v128.load(w + off)));
  }
  let s = hsum(acc);
  for (let c = C4; c < C; c++) s += load<f32>(at(x, c)) * load<f32>(at(w, c));
  return s;
}

// dinp (B, C) = dout (B, OC) · weight (OC, C); mask (B, C) or 0: dinp = 0 where mask ≤ 0 (fused ReLU backward);
// the rows of dinp, weight and mask are ld apart (a column range of a wider layer: the feature cut)
export function denseInputGrad(dinp: usize, dout: usize, weight: usize, mask: usize, B: i32, C: i32, OC: i32, ld: i32): void {
  const C8 = C & ~7;
  const C4 = C & ~3;
  let b = 0;
  for (; b + 4 <= B; b += 4) {
    let c = 0;
    for (; c < C8; c += 8) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      for (let o = 0; o < OC; o++) {
        const w = at(weight, o * ld + c);
        const w0 = v128.load(w), w1 = v128.load(w + 16);
        const g0 = v128.load32_splat(at(dout, b * OC + o)), g1 = v128.load32_splat(at(dout, (b + 1) * OC + o));
        const g2 = v128.load32_splat(at(dout, (b + 2) * OC + o)), g3 = v128.load32_splat(at(dout, (b + 3) * OC + o));
        a00 = f32x4.add(a00, f32x4.mul(g0, w0)); a01 = f32x4.add(a01, f32x4.mul(g0, w1));
        a10 = f32x4.add(a10, f32x4.mul(g1, w0)); a11 = f32x4.add(a11, f32x4.mul(g1, w1));
        a20 = f32x4.add(a20, f32x4.mul(g2, w0)); a21 = f32x4.add(a21, f32x4.mul(g2, w1));
        a30 = f32x4.add(a30, f32x4.mul(g3, w0)); a31 = f32x4.add(a31, f32x4.mul(g3, w1));
      }
      storeMasked(dinp, mask, b * ld + c, a00); storeMasked(dinp, mask, b * ld + c + 4, a01);
      storeMasked(dinp, mask, (b + 1) * ld + c, a10); storeMasked(dinp, mask, (b + 1) * ld + c + 4, a11);
      storeMasked(dinp, mask, (b + 2) * ld + c, a20); storeMasked(dinp, mask, (b + 2) * ld + c + 4, a21);
      storeMasked(dinp, mask, (b + 3) * ld + c, a30); storeMasked(dinp, mask, (b + 3) * ld + c + 4, a31);
    }
    for (let bb = b; bb < b + 4; bb++) inputGradColumns(dinp, dout, weight, mask, C, OC, ld, bb, c, C4);
  }
  for (; b < B; b++) inputGradColumns(dinp, dout, weight, mask, C, OC, ld, b, 0, C4);
}

/** dinp[i..i+4) = v, zeroed where mask[i..i+4) ≤ 0 when there is a mask. */
// @ts-ignore: decorator
@inline function storeMasked(dinp: usize, mask: usize, i: i32, v: v128): void {
  v128.store(at(dinp, i), mask == 0 ? v : v128.and(v, f32x4.gt(v128.load(at(mask, i)), f32x4.splat(0))));
}

/** dinp[b, from..C): 4 columns at a time up to C4, then one at a time. */
function inputGradColumns(dinp: usize, dout: usize, weight: usize, mask: usize, C: i32, OC: i32, ld: i32, b: i32, from: i32, C4: i32): void {
  let c = from;
  for (; c < C4; c += 4) {
    let acc = f32x4.splat(0);
    for (let o = 0; o < OC; o++) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(at(dout, b * OC + o)), v128.load(at(weight, o * ld + c))));
    storeMasked(dinp, mask, b * ld + c, acc);
  }
  for (; c < C; c++) {
    let s: f32 = 0;
    for (let o = 0; o < OC; o++) s += load<f32>(at(dout, b * OC + o)) * load<f32>(at(weight, o * ld + c));
    store<f32>(at(dinp, b * ld + c), mask != 0 && !(load<f32>(at(mask, b * ld + c)) > 0) ? 0 : s);
  }
}

// The PARAMS kernel: for output rows [o0, o1), g = gradScale · Σ_b dout[b,o]·inp[b,:] (b ascending)
// and gbias = gradScale · Σ_b dout[b,o], then SGD θ_t, v_t → θ_{t+1}, v_{t+1}; rowSq[o] = Σ g² (f64).
// weight … velocity buffers of one layer: weight (OC, C), bias (OC)  rowSq (OC) f64  dout (B, OC)  inp (B, C)
// Blocks of 4 rows × 8 columns; each row's squares go into 4 f32 lanes in ascending column
// order, exactly as the one-row path does, so rowSq[o] is the same on either path.
export function denseWeightGradSgd(
  weight: usize, bias: usize, weightVelocity: usize, biasVelocity: usize,
  weightOut: usize, biasOut: usize, weightVelocityOut: usize, biasVelocityOut: usize,
  rowSq: usize, dout: usize, inp: usize, B: i32, C: i32, OC: i32, o0: i32, o1: i32,
  gradScale: f32, lr: f32, momentum: f32, nesterov: bool, weightDecay: f32,
): void {
  weightGradUpdate(weight, bias, weightVelocity, biasVelocity, weightOut, biasOut, weightVelocityOut, biasVelocityOut, rowSq, dout, inp, B, C, OC, o0, o1, gradScale, lr, momentum, nesterov, weightDecay, false);
}

// The plain weight gradient: denseWeightGradSgd's sums for rows [o0, o1), stored as they are into
// weightGrad (OC, C) and biasGrad (OC), with rowSq[o] = Σ g²; no θ is read or written.
export function denseWeightGrad(weightGrad: usize, biasGrad: usize, rowSq: usize, dout: usize, inp: usize, B: i32, C: i32, OC: i32, o0: i32, o1: i32, gradScale: f32): void {
  weightGradUpdate(weightGrad, biasGrad, weightGrad, biasGrad, weightGrad, biasGrad, weightGrad, biasGrad, rowSq, dout, inp, B, C, OC, o0, o1, gradScale, 0, 0, false, 0, true);
}

/** Both of the above: the gradient sums, then per element SGD, or the gradient stored (gradOnly).
 * Inlined into each export, so gradOnly is a constant there and its branch leaves the hot loop. */
// @ts-ignore: decorator
@inline function weightGradUpdate(
  weight: usize, bias: usize, weightVelocity: usize, biasVelocity: usize,
  weightOut: usize, biasOut: usize, weightVelocityOut: usize, biasVelocityOut: usize,
  rowSq: usize, dout: usize, inp: usize, B: i32, C: i32, OC: i32, o0: i32, o1: i32,
  gradScale: f32, lr: f32, momentum: f32, nesterov: bool, weightDecay: f32, gradOnly: bool,
): void {
  const vScale = f32x4.splat(gradScale), vLr = f32x4.splat(lr), vMom = f32x4.splat(momentum), vWd = f32x4.splat(weightDecay);
  const C8 = C & ~7;
  let o = o0;
  for (; o + 4 <= o1; o += 4) {
    let sq0 = f32x4.splat(0), sq1 = f32x4.splat(0), sq2 = f32x4.splat(0), sq3 = f32x4.splat(0);
    for (let c = 0; c < C8; c += 8) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      for (let b = 0; b < B; b++) {
        const x = at(inp, b * C + c);
        const x0 = v128.load(x), x1 = v128.load(x + 16);
        const g = at(dout, b * OC + o);
        const g0 = v128.load32_splat(g), g1 = v128.load32_splat(g + 4);
        const g2 = v128.load32_splat(g + 8), g3 = v128.load32_splat(g + 12);
        a00 = f32x4.add(a00, f32x4.mul(g0, x0)); a01 = f32x4.add(a01, f32x4.mul(g0, x1));
        a10 = f32x4.add(a10, f32x4.mul(g1, x0)); a11 = f32x4.add(a11, f32x4.mul(g1, x1));
        a20 = f32x4.add(a20, f32x4.mul(g2, x0)); a21 = f32x4.add(a21, f32x4.mul(g2, x1));
        a30 = f32x4.add(a30, f32x4.mul(g3, x0)); a31 = f32x4.add(a31, f32x4.mul(g3, x1));
      }
      a00 = f32x4.mul(a00, vScale); a01 = f32x4.mul(a01, vScale); a10 = f32x4.mul(a10, vScale); a11 = f32x4.mul(a11, vScale);
      a20 = f32x4.mul(a20, vScale); a21 = f32x4.mul(a21, vScale); a30 = f32x4.mul(a30, vScale); a31 = f32x4.mul(a31, vScale);
      sq0 = f32x4.add(f32x4.add(sq0, f32x4.mul(a00, a00)), f32x4.mul(a01, a01));
      sq1 = f32x4.add(f32x4.add(sq1, f32x4.mul(a10, a10)), f32x4.mul(a11, a11));
      sq2 = f32x4.add(f32x4.add(sq2, f32x4.mul(a20, a20)), f32x4.mul(a21, a21));
      sq3 = f32x4.add(f32x4.add(sq3, f32x4.mul(a30, a30)), f32x4.mul(a31, a31));
      const i0 = o * C + c, i1 = i0 + C, i2 = i1 + C, i3 = i2 + C;
      sgdVec(at(weightOut, i0), at(weightVelocityOut, i0), at(weight, i0), at(weightVelocity, i0), a00, vLr, vMom, nesterov, vWd, gradOnly);
      sgdVec(at(weightOut, i0 + 4), at(weightVelocityOut, i0 + 4), at(weight, i0 + 4), at(weightVelocity, i0 + 4), a01, vLr, vMom, nesterov, vWd, gradOnly);
      sgdVec(at(weightOut, i1), at(weightVelocityOut, i1), at(weight, i1), at(weightVelocity, i1), a10, vLr, vMom, nesterov, vWd, gradOnly);
      sgdVec(at(weightOut, i1 + 4), at(weightVelocityOut, i1 + 4), at(weight, i1 + 4), at(weightVelocity, i1 + 4), a11, vLr, vMom, nesterov, vWd, gradOnly);
      sgdVec(at(weightOut, i2), at(weightVelocityOut, i2), at(weight, i2), at(weightVelocity, i2), a20, vLr, vMom, nesterov, vWd, gradOnly);
      sgdVec(at(weightOut, i2 + 4), at(weightVelocityOut, i2 + 4), at(weight, i2 + 4), at(weightVelocity, i2 + 4), a21, vLr, vMom, nesterov, vWd, gradOnly);
      sgdVec(at(weightOut, i3), at(weightVelocityOut, i3), at(weight, i3), at(weightVelocity, i3), a30, vLr, vMom, nesterov, vWd, gradOnly);
      sgdVec(at(weightOut, i3 + 4), at(weightVelocityOut, i3 + 4), at(weight, i3 + 4), at(weightVelocity, i3 + 4), a31, vLr, vMom, nesterov, vWd, gradOnly);
    }
    gradSgdRow(weight, bias, weightVelocity, biasVelocity, weightOut, biasOut, weightVelocityOut, biasVelocityOut, rowSq, dout, inp, B, C, OC, o, C8, sq0, gradScale, lr, momentum, nesterov, weightDecay, gradOnly);
    gradSgdRow(weight, bias, weightVelocity, biasVelocity, weightOut, biasOut, weightVelocityOut, biasVelocityOut, rowSq, dout, inp, B, C, OC, o + 1, C8, sq1, gradScale, lr, momentum, nesterov, weightDecay, gradOnly);
    gradSgdRow(weight, bias, weightVelocity, biasVelocity, weightOut, biasOut, weightVelocityOut, biasVelocityOut, rowSq, dout, inp, B, C, OC, o + 2, C8, sq2, gradScale, lr, momentum, nesterov, weightDecay, gradOnly);
    gradSgdRow(weight, bias, weightVelocity, biasVelocity, weightOut, biasOut, weightVelocityOut, biasVelocityOut, rowSq, dout, inp, B, C, OC, o + 3, C8, sq3, gradScale, lr, momentum, nesterov, weightDecay, gradOnly);
  }
  for (; o < o1; o++) {
    gradSgdRow(weight, bias, weightVelocity, biasVelocity, weightOut, biasOut, weightVelocityOut, biasVelocityOut, rowSq, dout, inp, B, C, OC, o, 0, f32x4.splat(0), gradScale, lr, momentum, nesterov, weightDecay, gradOnly);
  }
}

/** Row o from column `from` on (4 at a time, then one at a time), then its bias; writes rowSq[o] from the lanes of sq and the rest. */
function gradSgdRow(
  weight: usize, bias: usize, weightVelocity: usize, biasVelocity: usize,
  weightOut: usize, biasOut: usize, weightVelocityOut: usize, biasVelocityOut: usize,
  rowSq: usize, dout: usize, inp: usize, B: i32, C: i32, OC: i32, o: i32, from: i32, sq: v128,
  gradScale: f32, lr: f32, momentum: f32, nesterov: bool, weightDecay: f32, gradOnly: bool,
): void {
  const vScale = f32x4.splat(gradScale), vLr = f32x4.splat(lr), vMom = f32x4.splat(momentum), vWd = f32x4.splat(weightDecay);
  const C4 = C & ~3;
  let c = from;
  for (; c < C4; c += 4) {
    let acc = f32x4.splat(0);
    for (let b = 0; b < B; b++) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(at(dout, b * OC + o)), v128.load(at(inp, b * C + c))));
    acc = f32x4.mul(acc, vScale);
    sq = f32x4.add(sq, f32x4.mul(acc, acc));
    const i = o * C + c;
    sgdVec(at(weightOut, i), at(weightVelocityOut, i), at(weight, i), at(weightVelocity, i), acc, vLr, vMom, nesterov, vWd, gradOnly);
  }
  let s: f64 = <f64>f32x4.extract_lane(sq, 0) + <f64>f32x4.extract_lane(sq, 1) + <f64>f32x4.extract_lane(sq, 2) + <f64>f32x4.extract_lane(sq, 3);
  for (; c < C; c++) {
    let a: f32 = 0;
    for (let b = 0; b < B; b++) a += load<f32>(at(dout, b * OC + o)) * load<f32>(at(inp, b * C + c));
    const g = a * gradScale;
    s += <f64>(g * g);
    const i = o * C + c;
    sgdScalar(at(weightOut, i), at(weightVelocityOut, i), at(weight, i), at(weightVelocity, i), g, lr, momentum, nesterov, weightDecay, gradOnly);
  }
  let a: f32 = 0;
  for (let b = 0; b < B; b++) a += load<f32>(at(dout, b * OC + o));
  const g = a * gradScale;
  s += <f64>(g * g);
  sgdScalar(at(biasOut, o), at(biasVelocityOut, o), at(bias, o), at(biasVelocity, o), g, lr, momentum, nesterov, weightDecay, gradOnly);
  store<f64>(rowSq + ((<usize>o) << 3), s);
}
