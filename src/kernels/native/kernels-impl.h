// The native kernels, written once over a vector-traits type T (isa-avx2.cc: 8 lanes, AVX2 +
// FMA; isa-avx512.cc: 16 lanes, AVX-512F). Each ISA's translation unit includes this inside its
// own namespace, so nothing compiled for one instruction set can be linked into the other.
//
// Determinism and the row-independence contract (src/kernels/kernels.ts): every output element
// is computed by the same sequence of operations whatever block it falls in. A block of RB rows ×
// OB outputs (or columns) only decides how many elements are computed side by side; tails of
// rows and outputs run the same template with a smaller block, and tails of columns run the
// same vector code with masked loads and stores (masked-off lanes read 0 and are never stored).
// Sums run in one fixed order: lanes along the contiguous dimension, then a fixed horizontal
// sum. The build passes -ffp-contract=off, so only the explicit FMAs below are fused.
//
// Included by isa-*.cc inside its own namespace, after <cmath>, <ctime>, <immintrin.h> and
// ops.h, with T (the traits) and ISA_OPS_FN (the table's accessor) defined. The impl/ files are
// parts of this one: they include nothing themselves.

using dptrain::DenseParams;
using dptrain::SgdHyper;

namespace {

using V = T::V;
using M = T::M;
constexpr int N = T::N;


// The kernels by op family, in dependency order (conv.h uses dense.h's update and row sums, and winograd.h).
#include "impl/dense.h"
#include "impl/optimizer.h"
#include "impl/winograd.h"
#include "impl/conv.h"
#include "impl/data-movement.h"
#include "impl/elementwise.h"


// 2 FMA units × N lanes × 2 flops, kept busy by 12 independent chains (more than latency × units).
double fmaPeakGflops(int64_t iterations) {
  constexpr int CHAINS = 12;
  V acc[CHAINS];
  for (int i = 0; i < CHAINS; i++) acc[i] = T::set1(1.0f + i * 1e-3f);
  const V a = T::set1(0.999999f), b = T::set1(1e-7f);
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int64_t it = 0; it < iterations; it++)
    for (int i = 0; i < CHAINS; i++) acc[i] = T::fma(acc[i], a, b);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  float sink[N];
  V total = acc[0];
  for (int i = 1; i < CHAINS; i++) total = T::add(total, acc[i]);
  T::store(sink, total);
  volatile float keep = sink[0];
  (void)keep;
  const double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  return (double)iterations * CHAINS * N * 2 / seconds / 1e9;
}

}  // namespace

const dptrain::Ops* ISA_OPS_FN() {
  // Named entries (C++20 designated initializers, in ops.h's order): the compiler checks each name.
  static const dptrain::Ops ops = {
      .isa = T::NAME,
      .gatherRows = gatherRows,
      .denseForward = denseForward,
      .denseInputGrad = denseInputGrad,
      .reluForward = reluForward,
      .reluBackward = reluBackward,
      .softmaxCrossEntropy = softmaxCrossEntropy,
      .denseWeightGradSgd = denseWeightGradSgd,
      .im2col = im2col,
      .col2im = col2im,
      .maxpoolForward = maxpoolForward,
      .maxpoolBackward = maxpoolBackward,
      .transposeRows = transposeRows,
      .dropoutApply = dropoutApply,
      .augmentRows = augmentRows,
      .optimizerStep = optimizerStep,
      .convForward = convForward,
      .convWeightGradSgd = convWeightGradSgd,
      .convInputGrad = convInputGrad,
      .fmaPeakGflops = fmaPeakGflops,
  };
  return &ops;
}
