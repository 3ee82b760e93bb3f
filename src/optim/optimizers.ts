// Adam, AdamW, Adadelta and RMSprop with torch.optim's semantics (the single-tensor, non-fused
// path of torch 2.x), applied to one contiguous run of parameters after PARAMS has written its
// mean gradient. SGD is fused into the weight-gradient kernels instead (optim/sgd.ts).
//
// The state slots carry PyTorch's state names; each slot is a flat P-vector in the arena,
// double-buffered like θ: read from state_t, written to state_{t+1}.
//   adam, adamw  exp_avg, exp_avg_sq      t = global step + 1 (bias correction)
//   adadelta     square_avg, acc_delta
//   rmsprop      square_avg (+ momentum_buffer when momentum > 0, + grad_avg when centered)
//   sgd          momentum_buffer
// Arithmetic is float64 per element, rounded to f32 on store, the same in every kernel set.
import type { OptimConfig } from "../config/optim-schema.js";

/** The optimizer's settings as a step needs them. */
export type OptimSpec = Omit<OptimConfig, "schedule">;

export function stateSlots(o: OptimSpec): string[] {
  switch (o.type) {
    case "sgd":
      return ["momentum_buffer"];
    case "adam":
    case "adamw":
      return ["exp_avg", "exp_avg_sq"];
    case "adadelta":
      return ["square_avg", "acc_delta"];
    case "rmsprop":
      return ["square_avg", ...(o.momentum ? ["momentum_buffer"] : []), ...(o.centered ? ["grad_avg"] : [])];
  }
}

type F32 = Float32Array;

/**
 * One step over n parameters: θ_{t+1}, state_{t+1} from θ_t, state_t and the mean gradient g.
 * `lr` is the scheduled rate of this step; `t` the 1-based step count (Adam's bias correction).
 * state/stateOut hold the slots in stateSlots order.
 */
export function optimizerUpdate(o: OptimSpec, lr: number, t: number, thetaOut: F32, stateOut: F32[], theta: F32, state: F32[], grad: F32, n: number): void {
  const wd = o.weightDecay;
  switch (o.type) {
    case "sgd": {
      const [vOut, v] = [stateOut[0]!, state[0]!];
      const mom = o.momentum ?? 0;
      for (let i = 0; i < n; i++) {
        const g = grad[i]! + wd * theta[i]!;
        const vn = Math.fround(mom * v[i]! + g);
        vOut[i] = vn;
        thetaOut[i] = theta[i]! - lr * (o.nesterov ? g + mom * vn : vn);
      }
      return;
    }
    case "adam":
    case "adamw": {
      const [b1, b2] = o.betas!;
      const eps = o.eps!;
      const [m, v] = [state[0]!, state[1]!];
      const [mOut, vOut] = [stateOut[0]!, stateOut[1]!];
      const stepSize = lr / (1 - b1 ** t);
      const bc2Sqrt = Math.sqrt(1 - b2 ** t);
      const decoupled = o.type === "adamw";
      for (let i = 0; i < n; i++) {
        // adamw: θ ← θ(1 − lr·wd) before the Adam step; adam: L2 into the gradient
        const th = decoupled ? Math.fround(theta[i]! * (1 - lr * wd)) : theta[i]!;
        const g = decoupled ? grad[i]! : grad[i]! + wd * theta[i]!;
        const mn = Math.fround(m[i]! + (1 - b1) * (g - m[i]!)); // exp_avg.lerp_(grad, 1 − β1)
        const vn = Math.fround(b2 * v[i]! + (1 - b2) * g * g);
        mOut[i] = mn;
        vOut[i] = vn;
        thetaOut[i] = th - (stepSize * mn) / (Math.sqrt(vn) / bc2Sqrt + eps);
      }
      return;
    }
    case "adadelta": {
      const rho = o.rho!;
      const eps = o.eps!;
      const [sq, acc] = [state[0]!, state[1]!];
      const [sqOut, accOut] = [stateOut[0]!, stateOut[1]!];
      for (let i = 0; i < n; i++) {
        const g = grad[i]! + wd * theta[i]!;
        const sqn = Math.fround(rho * sq[i]! + (1 - rho) * g * g);
        const delta = Math.fround((Math.sqrt(acc[i]! + eps) / Math.sqrt(sqn + eps)) * g);
        sqOut[i] = sqn;
        accOut[i] = rho * acc[i]! + (1 - rho) * delta * delta;
        thetaOut[i] = theta[i]! - lr * delta;
      }
      return;
    }
    case "rmsprop": {
      const alpha = o.alpha!;
      const eps = o.eps!;
      const mom = o.momentum ?? 0;
      const slots = stateSlots(o);
      const at = (name: string) => slots.indexOf(name);
      const [sq, sqOut] = [state[0]!, stateOut[0]!];
      const [buf, bufOut] = mom ? [state[at("momentum_buffer")]!, stateOut[at("momentum_buffer")]!] : [null, null];
      const [ga, gaOut] = o.centered ? [state[at("grad_avg")]!, stateOut[at("grad_avg")]!] : [null, null];
      for (let i = 0; i < n; i++) {
        const g = grad[i]! + wd * theta[i]!;
        const sqn = Math.fround(alpha * sq[i]! + (1 - alpha) * g * g);
        sqOut[i] = sqn;
        let avg: number;
        if (ga && gaOut) {
          const gan = Math.fround(alpha * ga[i]! + (1 - alpha) * g);
          gaOut[i] = gan;
          avg = Math.sqrt(Math.fround(sqn - gan * gan)) + eps;
        } else {
          avg = Math.sqrt(sqn) + eps;
        }
        if (buf && bufOut) {
          const bn = Math.fround(mom * buf[i]! + g / avg);
          bufOut[i] = bn;
          thetaOut[i] = theta[i]! - lr * bn;
        } else {
          thetaOut[i] = theta[i]! - (lr * g) / avg;
        }
      }
      return;
    }
  }
}
