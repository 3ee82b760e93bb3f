// The kernel set interface and its contracts. F is how a float32 buffer is named: a
// Float32Array/Float64Array view (TS reference kernels) or a byte offset into the shared arena
// (WASM and native kernels). U8, U32 and F64 name byte, uint32 and float64 buffers the same way.
// The model (model/graph.ts) and the step handlers are written once against this.
//
// ROW INDEPENDENCE (every kernel of the ROWS phase: gatherRows, denseForward, denseInputGrad,
// reluForward, reluBackward, softmaxCrossEntropy): the outputs of row b depend only on row b of
// the inputs and on the weights: never on b's position in the call, on B, or on which
// block/tail path of the kernel computed it. So a batch cut into any row ranges gives the same
// bits, which is what makes the weights identical for every worker count.
// PARAMETER-ROW INDEPENDENCE (denseWeightGradSgd, denseWeightGrad and their conv forms): the outputs of parameter row o (weight row o,
// bias o, rowSq[o]) are the same whichever range [o0, o1) the row was computed in.
import type { LossStats } from "./ts/types.js";

export type { LossStats };

/** The three kernel sets (engine.kernels): ts the reference, wasm portable, native the fastest. */
export type KernelSet = "native" | "wasm" | "ts";

/** Bytes at the bottom of the shared memory left to the WASM module (its static data and stack; checked against its __heap_base). No arena region starts below, so pointer 0 can mean "none". */
export const RESERVED_LOW_BYTES = 65536;

export interface SgdHyper {
  /** multiplies the summed gradient: 1 / rows in the batch */
  gradScale: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  /** L2 (coupled, PyTorch SGD semantics): g ← g + weightDecay·θ before momentum */
  weightDecay: number;
}

/** θ_t, v_t (read) and θ_{t+1}, v_{t+1} (written) of one dense layer's weight (OC, C) and bias (OC). */
export interface DenseParamBuffers<F> {
  weight: F;
  bias: F;
  weightVelocity: F;
  biasVelocity: F;
  weightOut: F;
  biasOut: F;
  weightVelocityOut: F;
  biasVelocityOut: F;
}

/** The mean gradient of one layer's weight (OC, C) and bias (OC), written by denseWeightGrad / convWeightGrad. */
export interface DenseGradBuffers<F> {
  weightGrad: F;
  biasGrad: F;
}

/**
 * One optimizer step, as a named record per update rule (torch.optim's semantics; optim/optimizers.ts
 * builds it from the config and the step count t). Every rule first adds l2·θ to g (coupled
 * weight decay, torch's weight_decay; 0 for none). Records become numbers only at the ABI edge
 * (descriptors.ts optimStepAbi).
 *   adam      Adam, and AdamW (decoupled decay: thetaDecay = 1 − lr·wd, l2 = 0):
 *             m ← m + (1 − β1)(g − m);  v ← β2·v + (1 − β2)·g²;  θ ← θ·thetaDecay − stepSize · m / (√v / sqrtBias2 + eps)
 *             stepSize = lr / (1 − β1^t), sqrtBias2 = √(1 − β2^t)
 *   adadelta  sq ← ρ·sq + (1 − ρ)·g²;  δ = √(acc + eps) / √(sq + eps) · g;  acc ← ρ·acc + (1 − ρ)·δ²;  θ ← θ − lr·δ
 *   rmsprop   sq ← α·sq + (1 − α)·g²;  centered: ga ← α·ga + (1 − α)·g, avg = √(sq − ga²) + eps, else √sq + eps;
 *             momentum > 0: buf ← momentum·buf + g / avg, θ ← θ − lr·buf;  else θ ← θ − lr·g / avg
 */
export type OptimStepHyper =
  | { rule: "adam"; beta1: number; beta2: number; eps: number; stepSize: number; sqrtBias2: number; l2: number; thetaDecay: number }
  | { rule: "adadelta"; rho: number; eps: number; lr: number; l2: number }
  | { rule: "rmsprop"; alpha: number; eps: number; lr: number; momentum: number; centered: boolean; l2: number };

/**
 * The optimizer state of n parameters: up to three slots, read from state and written to
 * stateOut (null where the optimizer has no such slot):
 *   adam s0 exp_avg, s1 exp_avg_sq · adadelta s0 square_avg, s1 acc_delta ·
 *   rmsprop s0 square_avg, s1 momentum_buffer (momentum > 0), s2 grad_avg (centered)
 */
export interface OptimStateBuffers<F> {
  state: [F, F | null, F | null];
  stateOut: [F, F | null, F | null];
}

/**
 * What a dropout mask is a hash of: unit u of row r (r counted from row0, the call's first row's
 * global position) is kept iff hash(seed, step, row0 + r, stream, u) ≥ p · 2³² (kernels/ts/dropout.ts).
 */
export interface DropoutKey {
  seed: number;
  step: number;
  row0: number;
  /** the layer's index among the model's dropouts */
  stream: number;
}

/** data.augment's settings as the kernels take them (kernels/ts/augment.ts has the definition). */
export interface AugmentSettings {
  /** random shift of up to ±shift pixels in each direction (0: none) */
  shift: number;
  /** flip left-right with probability ½ */
  flip: boolean;
  /** rotate by up to ±rotate degrees (0: none), bilinear */
  rotate: number;
  /** the value of a position outside the image: the input a 0 pixel becomes */
  fill: number;
}

/** One row's image: C channels of H×W, stored channel by channel or (channelsLast) interleaved. */
export interface AugmentGeometry {
  C: number;
  H: number;
  W: number;
  channelsLast: boolean;
}

/** What a row's augmentation is drawn from: row r of a call is global row row0 + r of the epoch's order. */
export interface AugmentKey {
  seed: number;
  step: number;
  row0: number;
}

/** A conv2d's input and window: C channels of H×W, KH×KW kernel, stride, zero padding, OH×OW output. */
export interface ConvGeometry {
  C: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  stride: number;
  pad: number;
  OH: number;
  OW: number;
}

/** A max-pool's input and window: C channels of H×W, K×K window, stride, OH×OW output. */
export interface PoolGeometry {
  C: number;
  H: number;
  W: number;
  K: number;
  stride: number;
  OH: number;
  OW: number;
}

export interface Kernels<F, U8, U32, F64> {
  // out (B, C)  outLabels (B)  images (N, C)  labels (N)  rowIndex (≥ start+B); out = (u8 / 255 − mean) / std in f32
  gatherRows(out: F, outLabels: U8, images: U8, labels: U8, rowIndex: U32, start: number, B: number, C: number, mean: number, std: number): void;
  // out (B, OC) = inp (B, C) · weight (OC, C)ᵀ + bias (OC), then max(·, 0) when relu (a fused ReLU layer).
  // ldOut (default OC): out's rows are ldOut floats apart, so outputs [o0, o1) of a wider layer
  // are this call with OC = o1 − o0 and out, weight, bias starting at output o0 (the feature cut,
  // engine/common/feature-plan.ts). FEATURE INDEPENDENCE: out[b, o] is the same bits whatever
  // outputs the call covers.
  denseForward(out: F, inp: F, weight: F, bias: F, B: number, C: number, OC: number, relu: boolean, ldOut?: number): void;
  // dinp (B, C) = dout (B, OC) · weight (OC, C); where mask (B, C) is given (the ReLU output
  // that inp was), dinp is 0 where mask ≤ 0: the fused ReLU backward. ld (default C): the rows
  // of dinp, weight and mask are ld floats apart, so columns [c0, c1) of a wider input gradient
  // are this call with C = c1 − c0 and the three starting at column c0. FEATURE INDEPENDENCE:
  // dinp[b, c] is the same bits whatever columns the call covers.
  denseInputGrad(dinp: F, dout: F, weight: F, mask: F | null, B: number, C: number, OC: number, ld?: number): void;
  // out (N)  inp (N)
  reluForward(out: F, inp: F, N: number): void;
  // dinp (N)  dout (N)  out (N)
  reluBackward(dinp: F, dout: F, out: F, N: number): void;
  // dlogits (B, K)  losses (B)  logits (B, K)  labels (B): losses[b] = −log softmax(logits[b])[label]
  softmaxCrossEntropy(dlogits: F, losses: F, logits: F, labels: U8, B: number, K: number, gradScale: number): LossStats;
  // PARAMS: for each output row o in [o0, o1) of one dense layer,
  //   g[o, c] = gradScale · Σ_{b = 0 … B−1, ascending} dout[b, o] · inp[b, c]     gbias[o] = gradScale · Σ_b dout[b, o]
  //   rowSq[o] = Σ g² over the row and its bias (before weight decay)
  //   then one SGD step from θ_t, v_t into θ_{t+1}, v_{t+1} (optim/sgd.ts for the math)
  // p: the layer's buffers (weight (OC, C), bias (OC))  rowSq (OC) f64  dout (B, OC)  inp (B, C)
  denseWeightGradSgd(p: DenseParamBuffers<F>, rowSq: F64, dout: F, inp: F, B: number, C: number, OC: number, o0: number, o1: number, hyper: SgdHyper): void;
  // PARAMS, for the optimizers other than SGD: the same sums and rowSq for rows [o0, o1), the
  // gradient stored as it is (grad.weightGrad (OC, C), grad.biasGrad (OC)); θ is not touched.
  // The same bits as the gradient denseWeightGradSgd applies.
  denseWeightGrad(grad: DenseGradBuffers<F>, rowSq: F64, dout: F, inp: F, B: number, C: number, OC: number, o0: number, o1: number, gradScale: number): void;
  // out, inp (B, C): out = inp · keep / (1 − p), keep from the hash of key (p = 0: a copy)
  dropoutForward(out: F, inp: F, B: number, C: number, p: number, key: DropoutKey): void;
  // dinp, dout (B, C): dinp = dout · keep / (1 − p), the same mask as forward
  dropoutBackward(dinp: F, dout: F, B: number, C: number, p: number, key: DropoutKey): void;
  // out, inp (B, C·H·W): each row's image shifted, flipped and rotated by its own draws from
  // the hash of key (kernels/ts/augment.ts); row independent. Exact (integer positions) without
  // rotation; with it, the bilinear arithmetic in f32 in the reference's order.
  augmentRows(out: F, inp: F, B: number, g: AugmentGeometry, a: AugmentSettings, key: AugmentKey): void;
  // Activations of conv layers are stored per row in NHWC order (kernels/ts/conv.ts).
  // col (B, OH·OW, C·KH·KW)  inp (B, H, W, C)
  im2col(col: F, inp: F, B: number, g: ConvGeometry): void;
  // dinp (B, H, W, C) = the sum of dcol (B, OH·OW, C·KH·KW) over the windows that read each element
  col2im(dinp: F, dcol: F, B: number, g: ConvGeometry): void;
  // out (B, OH, OW, C)  inp (B, H, W, C)
  maxpoolForward(out: F, inp: F, B: number, g: PoolGeometry): void;
  // dinp (B, H, W, C): dout (B, OH, OW, C) routed to each window's first maximum in inp
  maxpoolBackward(dinp: F, dout: F, inp: F, B: number, g: PoolGeometry): void;
  // out (B, Q, P) = inp (B, P, Q) transposed per row (flatten: NHWC → NCHW, and back)
  transposeRows(out: F, inp: F, B: number, P: number, Q: number): void;
  // Optional: a conv straight from its NHWC input, no im2col matrix (the native set has them;
  // a set without them runs a conv as im2col + the dense kernels, model/graph.ts). Same
  // contracts as the dense pair they replace: convForward is row independent, and
  // convWeightGradSgd is parameter-row independent and sums over the windows of the batch in
  // ascending (b, oh, ow) order.
  // out (B, OH, OW, OC) = inp (B, H, W, C) ⊛ weight (OC, C, KH, KW) + bias (OC), then max(·, 0) when relu
  convForward?(out: F, inp: F, weight: F, bias: F, B: number, g: ConvGeometry, OC: number, relu: boolean): void;
  // dinp (B, H, W, C) = the gradient w.r.t. the input from dout (B, OH, OW, OC): what
  // denseInputGrad into dcol + col2im give, summed in its own (row-independent) order
  convInputGrad?(dinp: F, dout: F, weight: F, B: number, g: ConvGeometry, OC: number): void;
  // PARAMS: denseWeightGradSgd's sums and step for rows [o0, o1) of a conv layer's weight
  // (OC, C·KH·KW): dout (B, OH, OW, OC), inp (B, H, W, C)
  convWeightGradSgd?(p: DenseParamBuffers<F>, rowSq: F64, dout: F, inp: F, B: number, g: ConvGeometry, OC: number, o0: number, o1: number, hyper: SgdHyper): void;
  // PARAMS: convWeightGradSgd's sums for rows [o0, o1), stored as denseWeightGrad stores them
  convWeightGrad?(grad: DenseGradBuffers<F>, rowSq: F64, dout: F, inp: F, B: number, g: ConvGeometry, OC: number, o0: number, o1: number, gradScale: number): void;
  // A set whose direct convs need working memory (wasm: its threads share one memory, so no
  // kernel has a buffer of its own) is given the calling worker's slot (n floats) before each
  // task's kernels run (arena/layout.ts kernelScratch).
  useScratch?(scratch: F, n: number): void;
  // thetaOut, theta, grad (n); state slots (n each): θ_{t+1}, state_{t+1} from θ_t, state_t and the
  // mean gradient (elementwise: an element's result depends on nothing but its own inputs)
  optimizerStep(thetaOut: F, theta: F, grad: F, s: OptimStateBuffers<F>, n: number, hyper: OptimStepHyper): void;
}
