// SGD with momentum, Nesterov and L2 weight decay, torch.optim.SGD semantics (dampening 0).
// For each element i with its scaled mean gradient g:
//   g += weightDecay · θ[i]                 (L2, added to the gradient)
//   v' = momentum · v[i] + g
//   d  = nesterov ? g + momentum · v' : v'
//   θ'[i] = θ[i] − lr · d
// Reads θ_t, v_t and writes θ_{t+1}, v_{t+1} into the other buffers, so a step that dies
// half-way leaves θ_t, v_t intact and can simply be re-run.
import type { FloatArray } from "./types.js";
import type { SgdHyper } from "../kernels.js";

// thetaOut, velocityOut, theta, velocity, grad (n): grad already scaled to the mean gradient
export function sgdUpdate<F extends FloatArray>(thetaOut: F, velocityOut: F, theta: F, velocity: F, grad: F, n: number, hyper: SgdHyper): void {
  for (let i = 0; i < n; i++) {
    const g = grad[i]!;
    const gd = g + hyper.weightDecay * theta[i]!;
    const v = hyper.momentum * velocity[i]! + gd;
    velocityOut[i] = v;
    thetaOut[i] = theta[i]! - hyper.lr * (hyper.nesterov ? gd + hyper.momentum * v : v);
  }
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
