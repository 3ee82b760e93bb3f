// Reference REDUCE + SGD update over one contiguous slice of the flat parameter vector.
// For each i in [start, end):
//   g  = (slot_0[i] + slot_1[i] + … + slot_{S−1}[i]) · gradScale     (always this order: determinism)
//   g += weightDecay · θ[i]                                            (L2, as torch.optim.SGD)
//   v' = momentum · v[i] + g                                           (dampening 0)
//   d  = nesterov ? g + momentum · v' : v'
//   θ'[i] = θ[i] − lr · d
// Reads θ_t, v_t and writes θ_{t+1}, v_{t+1} into the other buffers, so a step that dies
// half-way leaves θ_t, v_t intact and can simply be re-run.
import type { FloatArray } from "../kernels/ts/types.js";
import type { SgdHyper } from "../kernels/kernels.js";

// thetaOut, velocityOut, theta, velocity (P)  slots (nSlots, slotStride)
export function reduceSgdUpdate<F extends FloatArray>(
  thetaOut: F, velocityOut: F, theta: F, velocity: F,
  slots: F, slotStride: number, nSlots: number,
  start: number, end: number, hyper: SgdHyper,
): number {
  const { gradScale, lr, momentum, nesterov, weightDecay } = hyper;
  let gradSq = 0;
  for (let i = start; i < end; i++) {
    let g = 0;
    for (let s = 0; s < nSlots; s++) g += slots[s * slotStride + i]!;
    g *= gradScale;
    gradSq += g * g;
    g += weightDecay * theta[i]!;
    const v = momentum * velocity[i]! + g;
    velocityOut[i] = v;
    thetaOut[i] = theta[i]! - lr * (nesterov ? g + momentum * v : v);
  }
  return gradSq;
}

/** Checked once at the edge (config validation also enforces these). */
export function validateSgdHyper(hyper: SgdHyper): void {
  const bad = (what: string) => {
    throw new RangeError(`sgd: ${what}`);
  };
  if (!(hyper.lr > 0) || !Number.isFinite(hyper.lr)) bad(`lr must be a finite number > 0, got ${hyper.lr}`);
  if (!(hyper.momentum >= 0 && hyper.momentum < 1)) bad(`momentum must be in [0, 1), got ${hyper.momentum}`);
  if (!(hyper.weightDecay >= 0) || !Number.isFinite(hyper.weightDecay)) bad(`weightDecay must be ≥ 0, got ${hyper.weightDecay}`);
  if (hyper.nesterov && hyper.momentum === 0) bad("nesterov needs momentum > 0");
  if (!(hyper.gradScale > 0)) bad(`gradScale must be > 0, got ${hyper.gradScale}`);
}
