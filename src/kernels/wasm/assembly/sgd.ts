// SGD on a few contiguous f32 elements (see src/kernels/ts/sgd.ts for the math). The vector and
// the scalar forms do the same f32 operations in the same order, so an element's result does not
// depend on which of them ran it. gradOnly (denseWeightGrad): store g itself into velocityOut (the
// gradient region), reading and writing no θ.
import { at } from "./simd";

// @ts-ignore: decorator
@inline export function sgdVec(thetaOut: usize, velocityOut: usize, theta: usize, velocity: usize, g: v128, lr: v128, momentum: v128, nesterov: bool, weightDecay: v128, gradOnly: bool): void {
  if (gradOnly) {
    v128.store(velocityOut, g);
    return;
  }
  const th = v128.load(theta);
  const gd = f32x4.add(g, f32x4.mul(weightDecay, th));
  const v = f32x4.add(f32x4.mul(momentum, v128.load(velocity)), gd);
  v128.store(velocityOut, v);
  const d = nesterov ? f32x4.add(gd, f32x4.mul(momentum, v)) : v;
  v128.store(thetaOut, f32x4.sub(th, f32x4.mul(lr, d)));
}

// @ts-ignore: decorator
@inline export function sgdScalar(thetaOut: usize, velocityOut: usize, theta: usize, velocity: usize, g: f32, lr: f32, momentum: f32, nesterov: bool, weightDecay: f32, gradOnly: bool): void {
  if (gradOnly) {
    store<f32>(velocityOut, g);
    return;
  }
  const th = load<f32>(theta);
  const gd = g + weightDecay * th;
  const v = momentum * load<f32>(velocity) + gd;
  store<f32>(velocityOut, v);
  store<f32>(thetaOut, th - lr * (nesterov ? gd + momentum * v : v));
}


