// The optimizer step of Adam/AdamW, Adadelta and RMSprop on n contiguous parameters (the
// scalars are kernels.ts OptimStepHyper; optim/optimizers.ts has the semantics and builds them).
import type { OptimStateBuffers, OptimStepHyper } from "../kernels.js";
import type { FloatArray } from "./types.js";

/**
 * The reference optimizer step on n parameters (kernels.ts optimizerStep). Float64 per element,
 * rounded to f32 where a value is stored.
 */
export function tsOptimizerStep<F extends FloatArray>(thetaOut: F, theta: F, grad: F, s: OptimStateBuffers<F>, n: number, h: OptimStepHyper): void {
  const [p0, p1, p2, p3, p4, p5, l2, decay] = h.p;
  const [s0, s1, s2] = s.state;
  const [o0, o1, o2] = s.stateOut;
  for (let i = 0; i < n; i++) {
    const th = theta[i]!;
    const g = grad[i]! + l2 * th;
    if (h.kind === 0) {
      // exp_avg.lerp_(g, 1 − β1); exp_avg_sq = β2·v + (1 − β2)·g²; θ −= step_size · m / (√v / √bc2 + eps)
      const m = Math.fround(s0[i]! + p0 * (g - s0[i]!));
      const v = Math.fround(p1 * s1![i]! + p2 * g * g);
      o0[i] = m;
      o1![i] = v;
      thetaOut[i] = Math.fround(th * decay) - (p3 * m) / (Math.sqrt(v) / p4 + p5);
    } else if (h.kind === 1) {
      // square_avg = ρ·sq + (1 − ρ)·g²; delta = √(acc + eps) / √(sq + eps) · g; acc = ρ·acc + (1 − ρ)·delta²
      const sq = Math.fround(p0 * s0[i]! + p1 * g * g);
      const delta = Math.fround((Math.sqrt(s1![i]! + p2) / Math.sqrt(sq + p2)) * g);
      o0[i] = sq;
      o1![i] = p0 * s1![i]! + p1 * delta * delta;
      thetaOut[i] = th - p3 * delta;
    } else {
      // square_avg = α·sq + (1 − α)·g²; avg = √(sq − grad_avg²) or √sq, + eps; momentum: buf = μ·buf + g/avg
      const sq = Math.fround(p0 * s0[i]! + p1 * g * g);
      o0[i] = sq;
      let avg: number;
      if (p5) {
        const ga = Math.fround(p0 * s2![i]! + p1 * g);
        o2![i] = ga;
        avg = Math.sqrt(Math.fround(sq - ga * ga)) + p2;
      } else {
        avg = Math.sqrt(sq) + p2;
      }
      if (p4) {
        const buf = Math.fround(p4 * s1![i]! + g / avg);
        o1![i] = buf;
        thetaOut[i] = th - p3 * buf;
      } else {
        thetaOut[i] = th - (p3 * g) / avg;
      }
    }
  }
}

