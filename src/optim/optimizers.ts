// Adam, AdamW, Adadelta and RMSprop with torch.optim's semantics (the single-tensor, non-fused
// path of torch 2.x), applied in PARAMS to the rows a worker owns, after the weight-gradient
// kernel has written their mean gradient. SGD is fused into that kernel instead (optim/sgd.ts).
//
// The state slots carry PyTorch's state names; each slot is a flat P-vector in the arena,
// double-buffered like θ: read from state_t, written to state_{t+1}.
//   adam, adamw  exp_avg, exp_avg_sq      t = global step + 1 (bias correction)
//   adadelta     square_avg, acc_delta
//   rmsprop      square_avg (+ momentum_buffer when momentum > 0, + grad_avg when centered)
//   sgd          momentum_buffer
// optimStepHyper turns the config and the step into the kernels' scalars (kernels.ts
// OptimStepHyper); kernels/ts/optimizer.ts is the reference every kernel set is checked against.
import type { OptimConfig } from "../config/optim-schema.js";
import type { OptimStepHyper } from "../kernels/kernels.js";
import { tsOptimizerStep } from "../kernels/ts/optimizer.js";

/** The optimizer's settings as a step needs them. */
export type OptimSpec = Omit<OptimConfig, "schedule">;

/** Every state name an optimizer here may have (a model load skips a checkpoint's state tensors). */
export const STATE_NAMES = ["momentum_buffer", "exp_avg", "exp_avg_sq", "square_avg", "acc_delta", "grad_avg"] as const;

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

/** Where each of the kernel's three slot positions is in stateSlots order (−1: none). */
export function slotPositions(o: OptimSpec): [number, number, number] {
  const slots = stateSlots(o);
  if (o.type === "rmsprop") return [0, slots.indexOf("momentum_buffer"), slots.indexOf("grad_avg")];
  return [0, slots.length > 1 ? 1 : -1, -1];
}

/** The kernels' record for one step at scheduled rate `lr` and 1-based step count `t` (kernels.ts OptimStepHyper). */
export function optimStepHyper(o: OptimSpec, lr: number, t: number): OptimStepHyper {
  const wd = o.weightDecay;
  switch (o.type) {
    case "adam":
    case "adamw": {
      // Adam is AdamW with its decay coupled into the gradient instead of decoupled from it.
      const [beta1, beta2] = o.betas!;
      const decoupled = o.type === "adamw";
      return { rule: "adam", beta1, beta2, eps: o.eps!, stepSize: lr / (1 - beta1 ** t), sqrtBias2: Math.sqrt(1 - beta2 ** t), l2: decoupled ? 0 : wd, thetaDecay: decoupled ? 1 - lr * wd : 1 };
    }
    case "adadelta":
      return { rule: "adadelta", rho: o.rho!, eps: o.eps!, lr, l2: wd };
    case "rmsprop":
      return { rule: "rmsprop", alpha: o.alpha!, eps: o.eps!, lr, momentum: o.momentum ?? 0, centered: o.centered ?? false, l2: wd };
    case "sgd":
      throw new Error("optimStepHyper: SGD is fused into the weight-gradient kernel");
  }
}

/**
 * One step over n parameters with the reference kernel: θ_{t+1}, state_{t+1} from θ_t, state_t
 * (slots in stateSlots order) and the mean gradient g, at scheduled rate `lr`, step count `t`.
 */
export function optimizerUpdate(o: OptimSpec, lr: number, t: number, thetaOut: Float32Array, stateOut: Float32Array[], theta: Float32Array, state: Float32Array[], grad: Float32Array, n: number): void {
  const pos = slotPositions(o);
  const pick = (list: Float32Array[], i: number) => (pos[i]! < 0 ? null : list[pos[i]!]!);
  tsOptimizerStep(thetaOut, theta, grad, { state: [state[0]!, pick(state, 1), pick(state, 2)], stateOut: [stateOut[0]!, pick(stateOut, 1), pick(stateOut, 2)] }, n, optimStepHyper(o, lr, t));
}
