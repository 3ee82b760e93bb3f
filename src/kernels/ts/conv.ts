// Convolution by im2col, max-pooling and the NHWC ↔ NCHW transpose of flatten, on activations
// stored per row in NHWC order: a row is (H, W, C), so a conv's output (OH·OW, OC) is the plain
// GEMM result of its im2col matrix (OH·OW, C·KH·KW) and the weight (OC, C·KH·KW), with the
// weight in PyTorch's [OC, C, KH, KW] layout (columns ordered c, kh, kw).
// Shapes: B rows; C channels of an H×W input; OC output channels; KH×KW kernel; OH×OW output.
import type { ConvGeometry, PoolGeometry } from "../kernels.js";
import type { FloatArray } from "./types.js";

/**
 * Visits every entry of the im2col matrix (B, OH·OW, C·KH·KW) in the order (b, oh, ow, c, kh, kw):
 * its index, and the index in the (B, H, W, C) input it copies (−1 where the window reads padding).
 */
function forEachWindowEntry(B: number, g: ConvGeometry, visit: (colIndex: number, inpIndex: number) => void): void {
  const { C, H, W, KH, KW, stride, pad, OH, OW } = g;
  const K = C * KH * KW;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const base = ((b * OH + oh) * OW + ow) * K;
        for (let c = 0; c < C; c++) {
          for (let kh = 0; kh < KH; kh++) {
            const h = oh * stride + kh - pad;
            for (let kw = 0; kw < KW; kw++) {
              const w = ow * stride + kw - pad;
              visit(base + (c * KH + kh) * KW + kw, h >= 0 && h < H && w >= 0 && w < W ? ((b * H + h) * W + w) * C + c : -1);
            }
          }
        }
      }
    }
  }
}

// col (B, OH·OW, C·KH·KW)  inp (B, H, W, C); zero where the window leaves the padded input
export function im2col<F extends FloatArray>(col: F, inp: F, B: number, g: ConvGeometry): void {
  forEachWindowEntry(B, g, (ci, ii) => void (col[ci] = ii < 0 ? 0 : inp[ii]!));
}

// dinp (B, H, W, C) = Σ over the windows that read each input element of dcol (B, OH·OW, C·KH·KW),
// in the fixed order (oh, ow, c, kh, kw)
export function col2im<F extends FloatArray>(dinp: F, dcol: F, B: number, g: ConvGeometry): void {
  dinp.fill(0, 0, B * g.H * g.W * g.C);
  forEachWindowEntry(B, g, (ci, ii) => {
    if (ii >= 0) dinp[ii] += dcol[ci]!;
  });
}

// out (B, OH, OW, C) = max over each K×K window of inp (B, H, W, C)
export function maxpoolForward<F extends FloatArray>(out: F, inp: F, B: number, g: PoolGeometry): void {
  const { C, H, W, K, stride, OH, OW } = g;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          // The first of equal maxima wins and any NaN makes the result NaN: the same bits in every set.
          let m = -Infinity;
          let nan = false;
          for (let kh = 0; kh < K; kh++) {
            for (let kw = 0; kw < K; kw++) {
              const v = inp[((b * H + oh * stride + kh) * W + ow * stride + kw) * C + c]!;
              nan ||= v !== v;
              m = v > m ? v : m;
            }
          }
          out[((b * OH + oh) * OW + ow) * C + c] = nan ? NaN : m;
        }
      }
    }
  }
}

// dinp (B, H, W, C): each output's gradient goes to the first maximum of its window (kh, kw order)
export function maxpoolBackward<F extends FloatArray>(dinp: F, dout: F, inp: F, B: number, g: PoolGeometry): void {
  const { C, H, W, K, stride, OH, OW } = g;
  dinp.fill(0, 0, B * H * W * C);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          let best = -1;
          let m = -Infinity;
          for (let kh = 0; kh < K; kh++) {
            for (let kw = 0; kw < K; kw++) {
              const i = ((b * H + oh * stride + kh) * W + ow * stride + kw) * C + c;
              if (inp[i]! > m || best < 0) {
                m = inp[i]!;
                best = i;
              }
            }
          }
          dinp[best] += dout[((b * OH + oh) * OW + ow) * C + c]!;
        }
      }
    }
  }
}

// out (B, Q, P) = each row's inp (B, P, Q) transposed: flatten's NHWC (P = H·W, Q = C) → NCHW, and back
export function transposeRows<F extends FloatArray>(out: F, inp: F, B: number, P: number, Q: number): void {
  for (let b = 0; b < B; b++) {
    const o = b * P * Q;
    for (let p = 0; p < P; p++) for (let q = 0; q < Q; q++) out[o + q * P + p] = inp[o + p * Q + q]!;
  }
}
