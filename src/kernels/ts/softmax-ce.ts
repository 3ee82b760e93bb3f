// Fused softmax + cross-entropy, forward and backward in one pass over the logits.
// Loss per row: logsumexp(x) − x[label], with logsumexp(x) = m + log Σ exp(x − m), m = max(x):
// every exponent is ≤ 0, so logits of ±1e4 neither overflow nor produce NaN.
// Gradient: dlogits = (softmax(x) − onehot(label)) · gradScale
// (gradScale = 1 gives the Σ-gradient; the PARAMS phase divides by B).
// Each row's loss is also written to losses[b]: the engine sums them in row order, so the
// reported loss is the same for any worker count.
import type { FloatArray, LossStats } from "./types.js";

// dlogits (B, K)  losses (B)  logits (B, K)  labels (B) u8 class ids
export function softmaxCrossEntropy<F extends FloatArray>(
  dlogits: F, losses: F, logits: F, labels: Uint8Array,
  B: number, K: number, gradScale: number,
): LossStats {
  let lossSum = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    const row = b * K;
    let max = logits[row]!;
    let argmax = 0;
    for (let k = 1; k < K; k++) {
      const x = logits[row + k]!;
      if (x > max) {
        max = x;
        argmax = k;
      }
    }
    let sumExp = 0;
    for (let k = 0; k < K; k++) sumExp += Math.exp(logits[row + k]! - max);
    const label = labels[b]!;
    const loss = max + Math.log(sumExp) - logits[row + label]!;
    losses[b] = loss;
    lossSum += loss;
    if (argmax === label) correct++;
    const invSum = 1 / sumExp;
    for (let k = 0; k < K; k++) {
      const p = Math.exp(logits[row + k]! - max) * invSum;
      dlogits[row + k] = (k === label ? p - 1 : p) * gradScale;
    }
  }
  return { lossSum, correct };
}

/** Index of the first maximum of each row: preds (B)  logits (B, K). */
export function argmaxRows(preds: Uint8Array, logits: FloatArray, B: number, K: number): void {
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (logits[b * K + k]! > logits[b * K + best]!) best = k;
    preds[b] = best;
  }
}
