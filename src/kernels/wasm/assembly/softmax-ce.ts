// Fused softmax + cross-entropy (see src/kernels/ts/softmax-ce.ts for the math). The loss is
// accumulated in f64 with max-shifted exponents, as in the reference kernel.
import { at } from "./simd";

let correctCount: i32 = 0;

// dlogits (B, K)  losses (B)  logits (B, K)  labels (B) u8; returns Σ loss, #correct via lastCorrect()
export function softmaxCrossEntropy(dlogits: usize, losses: usize, logits: usize, labels: usize, B: i32, K: i32, gradScale: f64): f64 {
  let lossSum: f64 = 0;
  let correct: i32 = 0;
  for (let b = 0; b < B; b++) {
    const row = at(logits, b * K);
    let max: f64 = <f64>load<f32>(row);
    let argmax = 0;
    for (let k = 1; k < K; k++) {
      const x = <f64>load<f32>(at(row, k));
      if (x > max) {
        max = x;
        argmax = k;
      }
    }
    let sumExp: f64 = 0;
    for (let k = 0; k < K; k++) sumExp += Math.exp(<f64>load<f32>(at(row, k)) - max);
    const label = <i32>load<u8>(labels + <usize>b);
    const loss = max + Math.log(sumExp) - <f64>load<f32>(at(row, label));
    store<f32>(at(losses, b), <f32>loss);
    lossSum += loss;
    if (argmax == label) correct++;
    const invSum = 1 / sumExp;
    const drow = at(dlogits, b * K);
    for (let k = 0; k < K; k++) {
      const p = Math.exp(<f64>load<f32>(at(row, k)) - max) * invSum;
      store<f32>(at(drow, k), <f32>((k == label ? p - 1 : p) * gradScale));
    }
  }
  correctCount = correct;
  return lossSum;
}

/** Rows whose argmax matched the label in the last softmaxCrossEntropy call (this instance). */
export function lastCorrect(): i32 {
  return correctCount;
}
