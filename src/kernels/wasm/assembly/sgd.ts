// REDUCE + SGD over one slice (see src/optim/sgd.ts for the math): slots summed in order
// 0..nSlots−1, then L2 weight decay, momentum and optional Nesterov, θ_t → θ_{t+1}.
import { at } from "./simd";

// thetaOut, velocityOut, theta, velocity (P)  slots (nSlots, slotStride); returns Σ g² over [start, end)
export function reduceSgdUpdate(
  thetaOut: usize, velocityOut: usize, theta: usize, velocity: usize,
  slots: usize, slotStride: i32, nSlots: i32, start: i32, end: i32,
  gradScale: f32, lr: f32, momentum: f32, nesterov: i32, weightDecay: f32,
): f64 {
  const vScale = f32x4.splat(gradScale), vLr = f32x4.splat(lr), vMom = f32x4.splat(momentum), vWd = f32x4.splat(weightDecay);
  const stride = (<usize>slotStride) << 2;
  let sq = f32x4.splat(0);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let g = v128.load(at(slots, i));
    let p = at(slots, i);
    for (let s = 1; s < nSlots; s++) {
      p += stride;
      g = f32x4.add(g, v128.load(p));
    }
    g = f32x4.mul(g, vScale);
    sq = f32x4.add(sq, f32x4.mul(g, g));
    const th = v128.load(at(theta, i));
    g = f32x4.add(g, f32x4.mul(vWd, th));
    const v = f32x4.add(f32x4.mul(vMom, v128.load(at(velocity, i))), g);
    v128.store(at(velocityOut, i), v);
    const d = nesterov ? f32x4.add(g, f32x4.mul(vMom, v)) : v;
    v128.store(at(thetaOut, i), f32x4.sub(th, f32x4.mul(vLr, d)));
  }
  let gradSq: f64 = <f64>f32x4.extract_lane(sq, 0) + <f64>f32x4.extract_lane(sq, 1) + <f64>f32x4.extract_lane(sq, 2) + <f64>f32x4.extract_lane(sq, 3);
  for (; i < end; i++) {
    let g: f32 = load<f32>(at(slots, i));
    for (let s = 1; s < nSlots; s++) g += load<f32>(at(slots, s * slotStride + i));
    g *= gradScale;
    gradSq += <f64>g * <f64>g;
    const th = load<f32>(at(theta, i));
    g += weightDecay * th;
    const v = momentum * load<f32>(at(velocity, i)) + g;
    store<f32>(at(velocityOut, i), v);
    store<f32>(at(thetaOut, i), th - lr * (nesterov ? g + momentum * v : v));
  }
  return gradSq;
}
