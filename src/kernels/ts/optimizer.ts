// The optimizer step of Adam/AdamW, Adadelta and RMSprop on n contiguous parameters (the record
// and its math are kernels.ts OptimStepHyper; optim/optimizers.ts builds it from the config).
import type { OptimStateBuffers, OptimStepHyper } from "../kernels.js";
import type { FloatArray } from "./types.js";

/**
 * The reference optimizer step on n parameters (kernels.ts optimizerStep). Float64 per element,
 * rounded to f32 where a value is stored. Each scalar is derived as descriptors.ts optimStepAbi
 * derives it for the WASM and native sets (1 − β1 in float64, …), so all sets start from the same numbers.
 */
export function tsOptimizerStep<F extends FloatArray>(thetaOut: F, theta: F, grad: F, s: OptimStateBuffers<F>, n: number, h: OptimStepHyper): void {
  const [s0, s1, s2] = s.state;
  const [o0, o1, o2] = s.stateOut;
  switch (h.rule) {
    case "adam": {
      // exp_avg.lerp_(g, 1 − β1); exp_avg_sq = β2·v + (1 − β2)·g²; θ = θ·thetaDecay − stepSize · m / (√v / √bc2 + eps)
      const oneMinusBeta1 = 1 - h.beta1, oneMinusBeta2 = 1 - h.beta2;
      for (let i = 0; i < n; i++) {
        const th = theta[i]!;
        const g = grad[i]! + h.l2 * th;
        const m = Math.fround(s0[i]! + oneMinusBeta1 * (g - s0[i]!));
        const v = Math.fround(h.beta2 * s1![i]! + oneMinusBeta2 * g * g);
        o0[i] = m;
        o1![i] = v;
        thetaOut[i] = Math.fround(th * h.thetaDecay) - (h.stepSize * m) / (Math.sqrt(v) / h.sqrtBias2 + h.eps);
      }
      return;
    }
    case "adadelta": {
      // square_avg = ρ·sq + (1 − ρ)·g²; delta = √(acc + eps) / √(sq + eps) · g; acc = ρ·acc + (1 − ρ)·delta²
      const oneMinusRho = 1 - h.rho;
      for (let i = 0; i < n; i++) {
        const th = theta[i]!;
        const g = grad[i]! + h.l2 * th;
        const sq = Math.fround(h.rho * s0[i]! + oneMinusRho * g * g);
        const delta = Math.fround((Math.sqrt(s1![i]! + h.eps) / Math.sqrt(sq + h.eps)) * g);
        o0[i] = sq;
        o1![i] = h.rho * s1![i]! + oneMinusRho * delta * delta;
        thetaOut[i] = th - h.lr * delta;
      }
      return;
    }
    case "rmsprop": {
      // square_avg = α·sq + (1 − α)·g²; avg = √(sq − grad_avg²) or √sq, + eps; momentum: buf = μ·buf + g/avg
      const oneMinusAlpha = 1 - h.alpha;
      for (let i = 0; i < n; i++) {
        const th = theta[i]!;
        const g = grad[i]! + h.l2 * th;
        const sq = Math.fround(h.alpha * s0[i]! + oneMinusAlpha * g * g);
        o0[i] = sq;
        let avg: number;
        if (h.centered) {
          const ga = Math.fround(h.alpha * s2![i]! + oneMinusAlpha * g);
          o2![i] = ga;
          avg = Math.sqrt(Math.fround(sq - ga * ga)) + h.eps;
        } else {
          avg = Math.sqrt(sq) + h.eps;
        }
        if (h.momentum) {
          const buf = Math.fround(h.momentum * s1![i]! + g / avg);
          o1![i] = buf;
          thetaOut[i] = th - h.lr * buf;
        } else {
          thetaOut[i] = th - (h.lr * g) / avg;
        }
      }
      return;
    }
  }
}
