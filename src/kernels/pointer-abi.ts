// The kernels as the WASM module and the native addon both export them: every buffer a byte
// offset into the arena, flags as 0/1, the fused PARAMS kernel's buffers and hyper-parameters
// as plain arguments. adaptPointerKernels turns such exports into the Kernels interface.
import type { ConvGeometry, DenseGradBuffers, DenseParamBuffers, DropoutKey, Kernels, PoolGeometry, LossStats, OptimStateBuffers, OptimStepHyper, SgdHyper } from "./kernels.js";
import { dropoutConstants } from "./ts/dropout.js";

export interface PointerKernelExports {
  gatherRows(out: number, outLabels: number, images: number, labels: number, rowIndex: number, start: number, B: number, C: number, mean: number, std: number): void;
  denseForward(out: number, inp: number, weight: number, bias: number, B: number, C: number, OC: number, relu: number): void;
  /** mask 0 = none */
  denseInputGrad(dinp: number, dout: number, weight: number, mask: number, B: number, C: number, OC: number): void;
  reluForward(out: number, inp: number, N: number): void;
  reluBackward(dinp: number, dout: number, out: number, N: number): void;
  /** returns Σ loss; lastCorrect() then gives the rows right */
  softmaxCrossEntropy(dlogits: number, losses: number, logits: number, labels: number, B: number, K: number, gradScale: number): number;
  lastCorrect(): number;
  denseWeightGradSgd(
    weight: number, bias: number, weightVelocity: number, biasVelocity: number,
    weightOut: number, biasOut: number, weightVelocityOut: number, biasVelocityOut: number,
    rowSq: number, dout: number, inp: number, B: number, C: number, OC: number, o0: number, o1: number,
    gradScale: number, lr: number, momentum: number, nesterov: number, weightDecay: number,
  ): void;
  denseWeightGrad(weightGrad: number, biasGrad: number, rowSq: number, dout: number, inp: number, B: number, C: number, OC: number, o0: number, o1: number, gradScale: number): void;
  /** dropout with the mask threshold ⌊p·2³²⌋ and scale f32(1/(1−p)) already computed (u32 arguments as numbers) */
  dropoutApply(out: number, inp: number, B: number, C: number, threshold: number, scale: number, seed: number, step: number, row0: number, stream: number): void;
  im2col(col: number, inp: number, B: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, OH: number, OW: number): void;
  col2im(dinp: number, dcol: number, B: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, OH: number, OW: number): void;
  maxpoolForward(out: number, inp: number, B: number, C: number, H: number, W: number, K: number, stride: number, OH: number, OW: number): void;
  maxpoolBackward(dinp: number, dout: number, inp: number, B: number, C: number, H: number, W: number, K: number, stride: number, OH: number, OW: number): void;
  transposeRows(out: number, inp: number, B: number, P: number, Q: number): void;
  /** the native addon only (kernels.ts: optional) */
  convForward?(out: number, inp: number, weight: number, bias: number, B: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, OH: number, OW: number, OC: number, relu: number): void;
  convInputGrad?(dinp: number, dout: number, weight: number, B: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, OH: number, OW: number, OC: number): void;
  convWeightGradSgd?(
    weight: number, bias: number, weightVelocity: number, biasVelocity: number,
    weightOut: number, biasOut: number, weightVelocityOut: number, biasVelocityOut: number,
    rowSq: number, dout: number, inp: number, B: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, OH: number, OW: number,
    OC: number, o0: number, o1: number, gradScale: number, lr: number, momentum: number, nesterov: number, weightDecay: number,
  ): void;
  convWeightGrad?(
    weightGrad: number, biasGrad: number, rowSq: number, dout: number, inp: number,
    B: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, OH: number, OW: number, OC: number, o0: number, o1: number, gradScale: number,
  ): void;
  /** slot pointers 0 = none */
  optimizerStep(
    kind: number, thetaOut: number, theta: number, grad: number, s0: number, s1: number, s2: number, s0Out: number, s1Out: number, s2Out: number, n: number,
    p0: number, p1: number, p2: number, p3: number, p4: number, p5: number, p6: number, p7: number,
  ): void;
}

export type PointerKernels = Kernels<number, number, number, number>;

export function adaptPointerKernels(x: PointerKernelExports): PointerKernels {
  const geometry = (g: ConvGeometry) => [g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH, g.OW] as const;
  const { convForward, convInputGrad, convWeightGradSgd, convWeightGrad } = x;
  return {
    ...(convInputGrad && {
      convInputGrad: (dinp: number, dout: number, weight: number, B: number, g: ConvGeometry, OC: number) => convInputGrad.call(x, dinp, dout, weight, B, ...geometry(g), OC),
    }),
    ...(convForward && {
      convForward: (out: number, inp: number, weight: number, bias: number, B: number, g: ConvGeometry, OC: number, relu: boolean) =>
        convForward.call(x, out, inp, weight, bias, B, ...geometry(g), OC, relu ? 1 : 0),
    }),
    ...(convWeightGradSgd && {
      convWeightGradSgd(p: DenseParamBuffers<number>, rowSq: number, dout: number, inp: number, B: number, g: ConvGeometry, OC: number, o0: number, o1: number, h: SgdHyper) {
        convWeightGradSgd.call(
          x, p.weight, p.bias, p.weightVelocity, p.biasVelocity, p.weightOut, p.biasOut, p.weightVelocityOut, p.biasVelocityOut,
          rowSq, dout, inp, B, ...geometry(g), OC, o0, o1, h.gradScale, h.lr, h.momentum, h.nesterov ? 1 : 0, h.weightDecay,
        );
      },
    }),
    ...(convWeightGrad && {
      convWeightGrad: (grad: DenseGradBuffers<number>, rowSq: number, dout: number, inp: number, B: number, g: ConvGeometry, OC: number, o0: number, o1: number, gradScale: number) =>
        convWeightGrad.call(x, grad.weightGrad, grad.biasGrad, rowSq, dout, inp, B, ...geometry(g), OC, o0, o1, gradScale),
    }),
    gatherRows: (out, outLabels, images, labels, rowIndex, start, B, C, mean, std) => x.gatherRows(out, outLabels, images, labels, rowIndex, start, B, C, mean, std),
    denseForward: (out, inp, weight, bias, B, C, OC, relu) => x.denseForward(out, inp, weight, bias, B, C, OC, relu ? 1 : 0),
    denseInputGrad: (dinp, dout, weight, mask, B, C, OC) => x.denseInputGrad(dinp, dout, weight, mask ?? 0, B, C, OC),
    reluForward: (out, inp, N) => x.reluForward(out, inp, N),
    reluBackward: (dinp, dout, out, N) => x.reluBackward(dinp, dout, out, N),
    softmaxCrossEntropy(dlogits, losses, logits, labels, B, K, gradScale): LossStats {
      const lossSum = x.softmaxCrossEntropy(dlogits, losses, logits, labels, B, K, gradScale);
      return { lossSum, correct: x.lastCorrect() };
    },
    denseWeightGradSgd(p: DenseParamBuffers<number>, rowSq, dout, inp, B, C, OC, o0, o1, h: SgdHyper) {
      x.denseWeightGradSgd(
        p.weight, p.bias, p.weightVelocity, p.biasVelocity, p.weightOut, p.biasOut, p.weightVelocityOut, p.biasVelocityOut,
        rowSq, dout, inp, B, C, OC, o0, o1, h.gradScale, h.lr, h.momentum, h.nesterov ? 1 : 0, h.weightDecay,
      );
    },
    denseWeightGrad: (grad: DenseGradBuffers<number>, rowSq, dout, inp, B, C, OC, o0, o1, gradScale) =>
      x.denseWeightGrad(grad.weightGrad, grad.biasGrad, rowSq, dout, inp, B, C, OC, o0, o1, gradScale),
    im2col: (col, inp, B, g: ConvGeometry) => x.im2col(col, inp, B, ...geometry(g)),
    col2im: (dinp, dcol, B, g: ConvGeometry) => x.col2im(dinp, dcol, B, ...geometry(g)),
    maxpoolForward: (out, inp, B, g: PoolGeometry) => x.maxpoolForward(out, inp, B, g.C, g.H, g.W, g.K, g.stride, g.OH, g.OW),
    maxpoolBackward: (dinp, dout, inp, B, g: PoolGeometry) => x.maxpoolBackward(dinp, dout, inp, B, g.C, g.H, g.W, g.K, g.stride, g.OH, g.OW),
    transposeRows: (out, inp, B, P, Q) => x.transposeRows(out, inp, B, P, Q),
    dropoutForward: (out, inp, B, C, p, key: DropoutKey) => dropout(x, out, inp, B, C, p, key),
    dropoutBackward: (dinp, dout, B, C, p, key: DropoutKey) => dropout(x, dinp, dout, B, C, p, key),
    optimizerStep(thetaOut, theta, grad, s: OptimStateBuffers<number>, n, h: OptimStepHyper) {
      const [a, b, c] = s.state;
      const [ao, bo, co] = s.stateOut;
      const [kind, p] = optimStepAbi(h);
      x.optimizerStep(kind, thetaOut, theta, grad, a, b ?? 0, c ?? 0, ao, bo ?? 0, co ?? 0, n, ...p);
    },
  };
}

function dropout(x: PointerKernelExports, out: number, inp: number, B: number, C: number, p: number, key: DropoutKey): void {
  const { threshold, scale } = dropoutConstants(p);
  x.dropoutApply(out, inp, B, C, threshold, scale, key.seed >>> 0, key.step >>> 0, key.row0 >>> 0, key.stream >>> 0);
}

/**
 * An optimizer step's record as the WASM and native kernels take it: (kind, p0 … p7).
 *   kind 0 adam      p0 1−β1  p1 β2  p2 1−β2  p3 stepSize  p4 sqrtBias2  p5 eps  p6 l2  p7 thetaDecay
 *   kind 1 adadelta  p0 ρ  p1 1−ρ  p2 eps  p3 lr  p6 l2  (p7 1)
 *   kind 2 rmsprop   p0 α  p1 1−α  p2 eps  p3 lr  p4 momentum  p5 centered (0/1)  p6 l2  (p7 1)
 */
export function optimStepAbi(h: OptimStepHyper): [number, [number, number, number, number, number, number, number, number]] {
  switch (h.rule) {
    case "adam":
      return [0, [1 - h.beta1, h.beta2, 1 - h.beta2, h.stepSize, h.sqrtBias2, h.eps, h.l2, h.thetaDecay]];
    case "adadelta":
      return [1, [h.rho, 1 - h.rho, h.eps, h.lr, 0, 0, h.l2, 1]];
    case "rmsprop":
      return [2, [h.alpha, 1 - h.alpha, h.eps, h.lr, h.momentum, h.centered ? 1 : 0, h.l2, 1]];
  }
}
