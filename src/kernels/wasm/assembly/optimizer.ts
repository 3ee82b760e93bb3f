// The optimizer step of Adam/AdamW (kind 0), Adadelta (1) and RMSprop (2) on n contiguous f32
// parameters: src/kernels/ts/optimizer.ts's math in f32 ops. The vector body and the scalar
// tail do the same IEEE operations (add, sub, mul, div, sqrt, no FMA) in the same order, so an
// element's result does not depend on which of them ran it, i.e. on where a worker's range
// starts. Slot pointers are 0 where the kind has no such slot.

// @ts-ignore: decorator
@inline function stepVec(kind: i32, momentum: bool, centered: bool, thOut: usize, th: usize, grad: usize, s0: usize, s1: usize, s2: usize, o0: usize, o1: usize, o2: usize,
  p0: v128, p1: v128, p2: v128, p3: v128, p4: v128, p5: v128, l2: v128, decay: v128): void {
  const theta = v128.load(th);
  const g = f32x4.add(v128.load(grad), f32x4.mul(l2, theta));
  if (kind == 0) {
    const m0 = v128.load(s0);
    const m = f32x4.add(m0, f32x4.mul(p0, f32x4.sub(g, m0)));
    const v = f32x4.add(f32x4.mul(p1, v128.load(s1)), f32x4.mul(f32x4.mul(p2, g), g));
    v128.store(o0, m);
    v128.store(o1, v);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v), p4), p5);
    v128.store(thOut, f32x4.sub(f32x4.mul(theta, decay), f32x4.div(f32x4.mul(p3, m), denom)));
  } else if (kind == 1) {
    const acc = v128.load(s1);
    const sq = f32x4.add(f32x4.mul(p0, v128.load(s0)), f32x4.mul(f32x4.mul(p1, g), g));
    const delta = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(acc, p2)), f32x4.sqrt(f32x4.add(sq, p2))), g);
    v128.store(o0, sq);
    v128.store(o1, f32x4.add(f32x4.mul(p0, acc), f32x4.mul(f32x4.mul(p1, delta), delta)));
    v128.store(thOut, f32x4.sub(theta, f32x4.mul(p3, delta)));
  } else {
    const sq = f32x4.add(f32x4.mul(p0, v128.load(s0)), f32x4.mul(f32x4.mul(p1, g), g));
    v128.store(o0, sq);
    let avg: v128;
    if (centered) {
      const ga = f32x4.add(f32x4.mul(p0, v128.load(s2)), f32x4.mul(p1, g));
      v128.store(o2, ga);
      avg = f32x4.add(f32x4.sqrt(f32x4.sub(sq, f32x4.mul(ga, ga))), p2);
    } else {
      avg = f32x4.add(f32x4.sqrt(sq), p2);
    }
    if (momentum) {
      const buf = f32x4.add(f32x4.mul(p4, v128.load(s1)), f32x4.div(g, avg));
      v128.store(o1, buf);
      v128.store(thOut, f32x4.sub(theta, f32x4.mul(p3, buf)));
    } else {
      v128.store(thOut, f32x4.sub(theta, f32x4.div(f32x4.mul(p3, g), avg)));
    }
  }
}

// @ts-ignore: decorator
@inline function stepScalar(kind: i32, momentum: bool, centered: bool, thOut: usize, th: usize, grad: usize, s0: usize, s1: usize, s2: usize, o0: usize, o1: usize, o2: usize,
  p0: f32, p1: f32, p2: f32, p3: f32, p4: f32, p5: f32, l2: f32, decay: f32): void {
  const theta = load<f32>(th);
  const g = load<f32>(grad) + l2 * theta;
  if (kind == 0) {
    const m0 = load<f32>(s0);
    const m = m0 + p0 * (g - m0);
    const v = p1 * load<f32>(s1) + (p2 * g) * g;
    store<f32>(o0, m);
    store<f32>(o1, v);
    const denom = sqrt<f32>(v) / p4 + p5;
    store<f32>(thOut, theta * decay - (p3 * m) / denom);
  } else if (kind == 1) {
    const acc = load<f32>(s1);
    const sq = p0 * load<f32>(s0) + (p1 * g) * g;
    const delta = (sqrt<f32>(acc + p2) / sqrt<f32>(sq + p2)) * g;
    store<f32>(o0, sq);
    store<f32>(o1, p0 * acc + (p1 * delta) * delta);
    store<f32>(thOut, theta - p3 * delta);
  } else {
    const sq = p0 * load<f32>(s0) + (p1 * g) * g;
    store<f32>(o0, sq);
    let avg: f32;
    if (centered) {
      const ga = p0 * load<f32>(s2) + p1 * g;
      store<f32>(o2, ga);
      avg = sqrt<f32>(sq - ga * ga) + p2;
    } else {
      avg = sqrt<f32>(sq) + p2;
    }
    if (momentum) {
      const buf = p4 * load<f32>(s1) + g / avg;
      store<f32>(o1, buf);
      store<f32>(thOut, theta - p3 * buf);
    } else {
      store<f32>(thOut, theta - (p3 * g) / avg);
    }
  }
}

export function optimizerStep(kind: i32, thOut: usize, th: usize, grad: usize, s0: usize, s1: usize, s2: usize, o0: usize, o1: usize, o2: usize, n: i32,
  p0: f32, p1: f32, p2: f32, p3: f32, p4: f32, p5: f32, l2: f32, decay: f32): void {
  const momentum = p4 != 0;
  const centered = p5 != 0;
  const v0 = f32x4.splat(p0), v1 = f32x4.splat(p1), v2 = f32x4.splat(p2), v3 = f32x4.splat(p3);
  const v4 = f32x4.splat(p4), v5 = f32x4.splat(p5), vl2 = f32x4.splat(l2), vdecay = f32x4.splat(decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const b = (<usize>i) << 2;
    stepVec(kind, momentum, centered, thOut + b, th + b, grad + b, s0 + b, s1 + b, s2 + b, o0 + b, o1 + b, o2 + b, v0, v1, v2, v3, v4, v5, vl2, vdecay);
  }
  for (; i < n; i++) {
    const b = (<usize>i) << 2;
    stepScalar(kind, momentum, centered, thOut + b, th + b, grad + b, s0 + b, s1 + b, s2 + b, o0 + b, o1 + b, o2 + b, p0, p1, p2, p3, p4, p5, l2, decay);
  }
}
