import type { FloatArray } from "./types.js";

// out (N)  inp (N)   — N = B·features
export function reluForward<F extends FloatArray>(out: F, inp: F, N: number): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i]!;
    out[i] = x > 0 ? x : 0;
  }
}

// dinp (N)  dout (N)  out (N): the forward output; relu'(x) = 1 where out > 0
export function reluBackward<F extends FloatArray>(dinp: F, dout: F, out: F, N: number): void {
  for (let i = 0; i < N; i++) dinp[i] = out[i]! > 0 ? dout[i]! : 0;
}
