// WASM SIMD kernel module: imports the arena's shared memory (env.memory) and exports the
// kernels with the TS reference signatures, buffers named by byte offset.
export { denseForward, denseInputGrad, denseWeightGrad, denseWeightGradSgd } from "./dense";
export { reluForward, reluBackward, gatherRows } from "./elementwise";
export { softmaxCrossEntropy, lastCorrect } from "./softmax-ce";
export { optimizerStep } from "./optimizer";
export { dropoutApply } from "./dropout";
export { augmentRows } from "./augment";
export { im2col, col2im, maxpoolForward, maxpoolBackward, transposeRows } from "./conv";
export { convForward, convInputGrad, convWeightGradSgd, convWeightGrad, useScratch } from "./direct-conv";

/** End of this module's static data: must stay below the arena's reserved low bytes. */
export function heapBase(): usize {
  return __heap_base;
}
