// Dense layer GEMMs, weight in nn.Linear layout (OC, C). All three shapes vectorise along a
// contiguous dimension of that layout, so no transposed copy is ever needed:
//   forward  out[b,o]  = bias[o] + Σ_c inp[b,c]·W[o,c]   dot products along c   (2 rows × 4 outputs)
//   dW       dW[o,c]   = Σ_b dout[b,o]·inp[b,c]          axpy along c          (4 outputs × 8 columns)
//   dx       dx[b,c]   = Σ_o dout[b,o]·W[o,c]            axpy along c          (4 rows × 8 columns)
// Tails (rows, outputs, columns not a multiple of the block) run the same sums one at a time.
import { at, hsum } from "./simd";

// out (B, OC)  inp (B, C)  weight (OC, C)  bias (OC)
export function denseForward(out: usize, inp: usize, weight: usize, bias: usize, B: i32, C: i32, OC: i32): void {
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
      const y0 = at(out, b * OC + o), y1 = at(out, (b + 1) * OC + o);
      store<f32>(y0, s00 + load<f32>(at(bias, o)));
      store<f32>(y0 + 4, s01 + load<f32>(at(bias, o + 1)));
      store<f32>(y0 + 8, s02 + load<f32>(at(bias, o + 2)));
      store<f32>(y0 + 12, s03 + load<f32>(at(bias, o + 3)));
      store<f32>(y1, s10 + load<f32>(at(bias, o)));
      store<f32>(y1 + 4, s11 + load<f32>(at(bias, o + 1)));
      store<f32>(y1 + 8, s12 + load<f32>(at(bias, o + 2)));
      store<f32>(y1 + 12, s13 + load<f32>(at(bias, o + 3)));
    }
    for (; o < OC; o++) {
      store<f32>(at(out, b * OC + o), dotRow(x0, at(weight, o * C), C) + load<f32>(at(bias, o)));
      store<f32>(at(out, (b + 1) * OC + o), dotRow(x1, at(weight, o * C), C) + load<f32>(at(bias, o)));
    }
  }
  for (; b < B; b++) {
    const x = at(inp, b * C);
    for (let o = 0; o < OC; o++) store<f32>(at(out, b * OC + o), dotRow(x, at(weight, o * C), C) + load<f32>(at(bias, o)));
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

// dinp (B, C) or 0 (first layer)  dweight (OC, C)  dbias (OC)  dout (B, OC)  inp (B, C)  weight (OC, C)
// Writes (does not accumulate) every output.
export function denseBackward(dinp: usize, dweight: usize, dbias: usize, dout: usize, inp: usize, weight: usize, B: i32, C: i32, OC: i32): void {
  biasGrad(dbias, dout, B, OC);
  weightGrad(dweight, dout, inp, B, C, OC);
  if (dinp != 0) inputGrad(dinp, dout, weight, B, C, OC);
}

// dbias (OC) = Σ_b dout[b, :]
function biasGrad(dbias: usize, dout: usize, B: i32, OC: i32): void {
  const OC4 = OC & ~3;
  for (let o = 0; o < OC4; o += 4) {
    let acc = f32x4.splat(0);
    for (let b = 0; b < B; b++) acc = f32x4.add(acc, v128.load(at(dout, b * OC + o)));
    v128.store(at(dbias, o), acc);
  }
  for (let o = OC4; o < OC; o++) {
    let s: f32 = 0;
    for (let b = 0; b < B; b++) s += load<f32>(at(dout, b * OC + o));
    store<f32>(at(dbias, o), s);
  }
}

// dweight (OC, C) = doutᵀ (OC, B) · inp (B, C)
function weightGrad(dweight: usize, dout: usize, inp: usize, B: i32, C: i32, OC: i32): void {
  const C8 = C & ~7;
  const C4 = C & ~3;
  let o = 0;
  for (; o + 4 <= OC; o += 4) {
    const d0 = at(dweight, o * C), d1 = at(dweight, (o + 1) * C), d2 = at(dweight, (o + 2) * C), d3 = at(dweight, (o + 3) * C);
    let c = 0;
    for (; c < C8; c += 8) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      for (let b = 0; b < B; b++) {
        const x = at(inp, b * C + c);
        const x0 = v128.load(x), x1 = v128.load(x + 16);
        const g = at(dout, b * OC + o);
        const g0 = f32x4.splat(load<f32>(g)), g1 = f32x4.splat(load<f32>(g + 4));
        const g2 = f32x4.splat(load<f32>(g + 8)), g3 = f32x4.splat(load<f32>(g + 12));
        a00 = f32x4.add(a00, f32x4.mul(g0, x0)); a01 = f32x4.add(a01, f32x4.mul(g0, x1));
        a10 = f32x4.add(a10, f32x4.mul(g1, x0)); a11 = f32x4.add(a11, f32x4.mul(g1, x1));
        a20 = f32x4.add(a20, f32x4.mul(g2, x0)); a21 = f32x4.add(a21, f32x4.mul(g2, x1));
        a30 = f32x4.add(a30, f32x4.mul(g3, x0)); a31 = f32x4.add(a31, f32x4.mul(g3, x1));
      }
      const off = (<usize>c) << 2;
      v128.store(d0 + off, a00); v128.store(d0 + off + 16, a01);
      v128.store(d1 + off, a10); v128.store(d1 + off + 16, a11);
      v128.store(d2 + off, a20); v128.store(d2 + off + 16, a21);
      v128.store(d3 + off, a30); v128.store(d3 + off + 16, a31);
    }
    for (let oo = o; oo < o + 4; oo++) weightGradColumns(dweight, dout, inp, B, C, OC, oo, c, C4);
  }
  for (; o < OC; o++) weightGradColumns(dweight, dout, inp, B, C, OC, o, 0, C4);
}

/** dweight[o, from..C): 4 columns at a time up to C4, then one at a time. */
function weightGradColumns(dweight: usize, dout: usize, inp: usize, B: i32, C: i32, OC: i32, o: i32, from: i32, C4: i32): void {
  let c = from;
  for (; c < C4; c += 4) {
    let acc = f32x4.splat(0);
    for (let b = 0; b < B; b++) acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(at(dout, b * OC + o))), v128.load(at(inp, b * C + c))));
    v128.store(at(dweight, o * C + c), acc);
  }
  for (; c < C; c++) {
    let s: f32 = 0;
    for (let b = 0; b < B; b++) s += load<f32>(at(dout, b * OC + o)) * load<f32>(at(inp, b * C + c));
    store<f32>(at(dweight, o * C + c), s);
  }
}

// dinp (B, C) = dout (B, OC) · weight (OC, C)
function inputGrad(dinp: usize, dout: usize, weight: usize, B: i32, C: i32, OC: i32): void {
  const C8 = C & ~7;
  const C4 = C & ~3;
  let b = 0;
  for (; b + 4 <= B; b += 4) {
    let c = 0;
    for (; c < C8; c += 8) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      for (let o = 0; o < OC; o++) {
        const w = at(weight, o * C + c);
        const w0 = v128.load(w), w1 = v128.load(w + 16);
        const g0 = f32x4.splat(load<f32>(at(dout, b * OC + o))), g1 = f32x4.splat(load<f32>(at(dout, (b + 1) * OC + o)));
        const g2 = f32x4.splat(load<f32>(at(dout, (b + 2) * OC + o))), g3 = f32x4.splat(load<f32>(at(dout, (b + 3) * OC + o)));
        a00 = f32x4.add(a00, f32x4.mul(g0, w0)); a01 = f32x4.add(a01, f32x4.mul(g0, w1));
        a10 = f32x4.add(a10, f32x4.mul(g1, w0)); a11 = f32x4.add(a11, f32x4.mul(g1, w1));
        a20 = f32x4.add(a20, f32x4.mul(g2, w0)); a21 = f32x4.add(a21, f32x4.mul(g2, w1));
        a30 = f32x4.add(a30, f32x4.mul(g3, w0)); a31 = f32x4.add(a31, f32x4.mul(g3, w1));
      }
      v128.store(at(dinp, b * C + c), a00); v128.store(at(dinp, b * C + c + 4), a01);
      v128.store(at(dinp, (b + 1) * C + c), a10); v128.store(at(dinp, (b + 1) * C + c + 4), a11);
      v128.store(at(dinp, (b + 2) * C + c), a20); v128.store(at(dinp, (b + 2) * C + c + 4), a21);
      v128.store(at(dinp, (b + 3) * C + c), a30); v128.store(at(dinp, (b + 3) * C + c + 4), a31);
    }
    for (let bb = b; bb < b + 4; bb++) inputGradColumns(dinp, dout, weight, C, OC, bb, c, C4);
  }
  for (; b < B; b++) inputGradColumns(dinp, dout, weight, C, OC, b, 0, C4);
}

/** dinp[b, from..C): 4 columns at a time up to C4, then one at a time. */
function inputGradColumns(dinp: usize, dout: usize, weight: usize, C: i32, OC: i32, b: i32, from: i32, C4: i32): void {
  let c = from;
  for (; c < C4; c += 4) {
    let acc = f32x4.splat(0);
    for (let o = 0; o < OC; o++) acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(at(dout, b * OC + o))), v128.load(at(weight, o * C + c))));
    v128.store(at(dinp, b * C + c), acc);
  }
  for (; c < C; c++) {
    let s: f32 = 0;
    for (let o = 0; o < OC; o++) s += load<f32>(at(dout, b * OC + o)) * load<f32>(at(weight, o * C + c));
    store<f32>(at(dinp, b * C + c), s);
  }
}
