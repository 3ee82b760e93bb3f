// The reference kernel set over typed-array views (float32 for training, float64 for checks).
import type { Kernels } from "../kernels.js";
import { denseForward, denseInputGrad, denseWeightGrad, denseWeightGradSgd } from "./dense.js";
import { dropoutBackward, dropoutForward } from "./dropout.js";
import { augmentRows } from "./augment.js";
import { col2im, im2col, maxpoolBackward, maxpoolForward, transposeRows } from "./conv.js";
import { gatherRows } from "./gather.js";
import { tsOptimizerStep } from "./optimizer.js";
import { reluBackward, reluForward } from "./relu.js";
import { softmaxCrossEntropy } from "./softmax-ce.js";
import type { FloatArray } from "./types.js";

export function tsKernels<F extends FloatArray>(): Kernels<F, Uint8Array, Uint32Array, Float64Array> {
  return { gatherRows, denseForward, denseInputGrad, reluForward, reluBackward, softmaxCrossEntropy, denseWeightGradSgd, denseWeightGrad, optimizerStep: tsOptimizerStep, dropoutForward, dropoutBackward, augmentRows, im2col, col2im, maxpoolForward, maxpoolBackward, transposeRows };
}
