/** The reference kernels run in float32 (training) and float64 (finite-difference checks). */
export type FloatArray = Float32Array | Float64Array;

export interface LossStats {
  /** Σ over rows of −log softmax(logits)[label], accumulated in float64 */
  lossSum: number;
  /** rows whose argmax (first max) equals the label */
  correct: number;
}
