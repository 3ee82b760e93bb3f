// The native kernel table: one per instruction set, chosen at run time (addon.cc). Every
// pointer is into the shared arena; the TypeScript loader has checked each extent against it.
// Shapes as in src/kernels/kernels.ts: B batch rows, C input features, OC output features, K classes.
#pragma once
#include <cstdint>

namespace dptrain {

struct SgdHyper {
  float gradScale, lr, momentum, weightDecay;
  bool nesterov;
  // denseWeightGrad / convWeightGrad: the same sums, then g itself is stored into the velocity
  // outputs (the gradient region) and θ is neither read nor written
  bool gradOnly = false;
};

// θ_t, v_t (read) and θ_{t+1}, v_{t+1} (written) of one dense layer: weight (OC, C), bias (OC).
struct DenseParams {
  const float *weight, *bias, *weightVelocity, *biasVelocity;
  float *weightOut, *biasOut, *weightVelocityOut, *biasVelocityOut;
};

// One optimizer step's scalars (src/kernels/kernels.ts OptimStepHyper): kind 0 adam/adamw,
// 1 adadelta, 2 rmsprop; p[6] is the L2 coefficient, p[7] adamw's θ factor.
struct OptimStep {
  int kind;
  float p[8];
};

// A conv2d's input and window (src/kernels/kernels.ts ConvGeometry), and a max-pool's.
struct ConvGeometry {
  int C, H, W, KH, KW, stride, pad, OH, OW;
};
struct PoolGeometry {
  int C, H, W, K, stride, OH, OW;
};

struct Ops {
  const char* isa;
  // out (B, C)  outLabels (B)  images (N, C) u8  labels (N)  rowIndex (≥ start+B)
  void (*gatherRows)(float* out, uint8_t* outLabels, const uint8_t* images, const uint8_t* labels, const uint32_t* rowIndex, int start, int B, int C, float mean, float std);
  // out (B, OC) = inp (B, C) · weight (OC, C)ᵀ + bias (OC), then max(·, 0) when relu; out's rows ldOut apart
  void (*denseForward)(float* out, const float* inp, const float* weight, const float* bias, int B, int C, int OC, bool relu, int ldOut);
  // dinp (B, C) = dout (B, OC) · weight (OC, C), zero where mask (B, C) ≤ 0 (mask may be null); dinp, weight, mask rows ld apart
  void (*denseInputGrad)(float* dinp, const float* dout, const float* weight, const float* mask, int B, int C, int OC, int ld);
  void (*reluForward)(float* out, const float* inp, int64_t N);
  void (*reluBackward)(float* dinp, const float* dout, const float* out, int64_t N);
  // dlogits (B, K)  losses (B)  logits (B, K)  labels (B); returns Σ loss, *correct = rows right
  double (*softmaxCrossEntropy)(float* dlogits, float* losses, const float* logits, const uint8_t* labels, int B, int K, double gradScale, int* correct);
  // PARAMS: rows [o0, o1) of g = gradScale · doutᵀ·inp, fused SGD; rowSq (OC) f64 = Σ g² per row
  void (*denseWeightGradSgd)(const DenseParams& p, double* rowSq, const float* dout, const float* inp, int B, int C, int OC, int o0, int o1, const SgdHyper& h);
  // Conv activations are NHWC per row (src/kernels/ts/conv.ts has the reference loops).
  // col (B, OH·OW, C·KH·KW)  inp (B, H, W, C)
  void (*im2col)(float* col, const float* inp, int B, const ConvGeometry& g);
  // dinp (B, H, W, C) = Σ of dcol over the windows reading each element, order (oh, ow, c, kh, kw)
  void (*col2im)(float* dinp, const float* dcol, int B, const ConvGeometry& g);
  // out (B, OH, OW, C)  inp (B, H, W, C)
  void (*maxpoolForward)(float* out, const float* inp, int B, const PoolGeometry& g);
  // dinp (B, H, W, C): dout routed to each window's first maximum
  void (*maxpoolBackward)(float* dinp, const float* dout, const float* inp, int B, const PoolGeometry& g);
  // out (B, Q, P) = inp (B, P, Q) transposed per row
  void (*transposeRows)(float* out, const float* inp, int B, int P, int Q);
  // out, inp (B, C): out = inp · scale where hash(seed, step, row0 + r, stream, c) ≥ threshold, else 0
  // (src/kernels/ts/dropout.ts); forward and backward both
  void (*dropoutApply)(float* out, const float* inp, int B, int C, uint32_t threshold, float scale, uint32_t seed, uint32_t step, uint32_t row0, uint32_t stream);
  // out, inp (B, C·H·W): data.augment's shift, flip and rotation of each row (src/kernels/ts/augment.ts)
  void (*augmentRows)(float* out, const float* inp, int B, int C, int H, int W, bool channelsLast, int shift, bool flip, double rotate, float fill, uint32_t seed, uint32_t step, uint32_t row0);
  // PARAMS: θ_{t+1}, state_{t+1} of n parameters from θ_t, state_t (slots s0..s2, null where
  // the kind has none) and the mean gradient; elementwise
  void (*optimizerStep)(float* thetaOut, const float* theta, const float* grad, const float* s0, const float* s1, const float* s2, float* s0Out, float* s1Out, float* s2Out, int64_t n, const OptimStep& h);
  // Conv straight from the NHWC input, no im2col matrix (kernels-impl.h):
  // out (B, OH, OW, OC) = conv(inp (B, H, W, C), weight (OC, C, KH, KW)) + bias, optional ReLU
  void (*convForward)(float* out, const float* inp, const float* weight, const float* bias, int B, const ConvGeometry& g, int OC, bool relu);
  // PARAMS: rows [o0, o1) of g = gradScale · Σ_windows dout ⊗ input window, fused SGD, as denseWeightGradSgd
  void (*convWeightGradSgd)(const DenseParams& p, double* rowSq, const float* dout, const float* inp, int B, const ConvGeometry& g, int OC, int o0, int o1, const SgdHyper& h);
  // dinp (B, H, W, C) = the gradient of conv's input from dout (B, OH, OW, OC) and weight (OC, C, KH, KW)
  void (*convInputGrad)(float* dinp, const float* dout, const float* weight, int B, const ConvGeometry& g, int OC);
  // GFLOP/s of a tight loop of independent FMAs on one thread: this core's measured peak
  double (*fmaPeakGflops)(int64_t iterations);
};

const Ops* avx2Ops();
const Ops* avx512Ops();

}  // namespace dptrain
