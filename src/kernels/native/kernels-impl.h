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
// ops.h, with T (the traits) and ISA_OPS_FN (the table's accessor) defined: no #include here.

using dptrain::DenseParams;
using dptrain::SgdHyper;

namespace {

using V = T::V;
using M = T::M;
constexpr int N = T::N;

// ---- ROWS: dense forward, dot products along C -------------------------------------------

// out[b..b+RB, o..o+OB): Σ_c inp[b,c]·W[o,c] (lanes over c, FMA), hsum, + bias, optional ReLU
template <int RB, int OB>
inline void forwardBlock(float* out, const float* inp, const float* weight, const float* bias, int b, int o, int C, int OC, bool relu) {
  V acc[RB][OB];
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < OB; j++) acc[r][j] = T::zero();
  int c = 0;
  for (; c + N <= C; c += N) {
    V x[RB];
    for (int r = 0; r < RB; r++) x[r] = T::load(inp + (int64_t)(b + r) * C + c);
    for (int j = 0; j < OB; j++) {
      const V w = T::load(weight + (int64_t)(o + j) * C + c);
      for (int r = 0; r < RB; r++) acc[r][j] = T::fma(x[r], w, acc[r][j]);
    }
  }
  if (c < C) {
    const M m = T::mask(C - c);
    V x[RB];
    for (int r = 0; r < RB; r++) x[r] = T::loadm(inp + (int64_t)(b + r) * C + c, m);
    for (int j = 0; j < OB; j++) {
      const V w = T::loadm(weight + (int64_t)(o + j) * C + c, m);
      for (int r = 0; r < RB; r++) acc[r][j] = T::fma(x[r], w, acc[r][j]);
    }
  }
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < OB; j++) {
      const float y = T::hsum(acc[r][j]) + bias[o + j];
      out[(int64_t)(b + r) * OC + o + j] = relu && !(y > 0) ? 0.0f : y;
    }
}

// The last B − b < RB rows as one block of exactly that many rows (the same per-row operations).
template <int RB, int OB>
inline void forwardTail(float* out, const float* inp, const float* weight, const float* bias, int b, int rows, int o, int C, int OC, bool relu) {
  if constexpr (RB > 0) {
    if (rows == RB) forwardBlock<RB, OB>(out, inp, weight, bias, b, o, C, OC, relu);
    else forwardTail<RB - 1, OB>(out, inp, weight, bias, b, rows, o, C, OC, relu);
  }
}

// Outputs outer, rows inner: a block of weight rows stays in L1 while every batch row passes.
template <int OB>
inline void forwardOutputs(float* out, const float* inp, const float* weight, const float* bias, int o, int B, int C, int OC, bool relu) {
  int b = 0;
  for (; b + T::FWD_RB <= B; b += T::FWD_RB) forwardBlock<T::FWD_RB, OB>(out, inp, weight, bias, b, o, C, OC, relu);
  forwardTail<T::FWD_RB - 1, OB>(out, inp, weight, bias, b, B - b, o, C, OC, relu);
}

// Rows in tiles of FWD_ROW_TILE, outputs inside: a tile of input rows stays in L2 while every
// weight row passes, so a tall input (a conv's im2col matrix: B·OH·OW rows) is read once, not
// once per output block. Each row's outputs are the same operations whatever its tile.
constexpr int FWD_ROW_TILE = 64;

void denseForward(float* out, const float* inp, const float* weight, const float* bias, int B, int C, int OC, bool relu) {
  for (int b0 = 0; b0 < B; b0 += FWD_ROW_TILE) {
    const int rows = B - b0 < FWD_ROW_TILE ? B - b0 : FWD_ROW_TILE;
    const float* in = inp + (int64_t)b0 * C;
    float* o_ = out + (int64_t)b0 * OC;
    int o = 0;
    for (; o + T::FWD_OB <= OC; o += T::FWD_OB) forwardOutputs<T::FWD_OB>(o_, in, weight, bias, o, rows, C, OC, relu);
    for (; o < OC; o++) forwardOutputs<1>(o_, in, weight, bias, o, rows, C, OC, relu);
  }
}

// ---- ROWS: input gradient, axpy along C --------------------------------------------------

// dinp[b..b+RB, c..c+CB·N): Σ_o dout[b,o]·W[o,c] (sequential over o), masked by the ReLU output
template <int RB, int CB>
inline void inputGradBlock(float* dinp, const float* dout, const float* weight, const float* mask, int b, int c, int C, int OC, int tail) {
  V acc[RB][CB];
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < CB; j++) acc[r][j] = T::zero();
  const M m = T::mask(tail);  // lanes of the last vector (N when the block is whole)
  for (int o = 0; o < OC; o++) {
    V w[CB];
    for (int j = 0; j < CB; j++) w[j] = j + 1 < CB || tail == N ? T::load(weight + (int64_t)o * C + c + j * N) : T::loadm(weight + (int64_t)o * C + c + j * N, m);
    for (int r = 0; r < RB; r++) {
      const V g = T::set1(dout[(int64_t)(b + r) * OC + o]);
      for (int j = 0; j < CB; j++) acc[r][j] = T::fma(g, w[j], acc[r][j]);
    }
  }
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < CB; j++) {
      const int64_t i = (int64_t)(b + r) * C + c + j * N;
      const bool whole = j + 1 < CB || tail == N;
      V v = acc[r][j];
      if (mask) v = T::keepPositive(v, whole ? T::load(mask + i) : T::loadm(mask + i, m));
      if (whole) T::store(dinp + i, v);
      else T::storem(dinp + i, m, v);
    }
}

template <int RB, int CB>
inline void inputGradTail(float* dinp, const float* dout, const float* weight, const float* mask, int b, int rows, int c, int C, int OC, int tail) {
  if constexpr (RB > 0) {
    if (rows == RB) inputGradBlock<RB, CB>(dinp, dout, weight, mask, b, c, C, OC, tail);
    else inputGradTail<RB - 1, CB>(dinp, dout, weight, mask, b, rows, c, C, OC, tail);
  }
}

template <int CB>
inline void inputGradColumns(float* dinp, const float* dout, const float* weight, const float* mask, int c, int B, int C, int OC, int tail) {
  int b = 0;
  for (; b + T::DX_RB <= B; b += T::DX_RB) inputGradBlock<T::DX_RB, CB>(dinp, dout, weight, mask, b, c, C, OC, tail);
  inputGradTail<T::DX_RB - 1, CB>(dinp, dout, weight, mask, b, B - b, c, C, OC, tail);
}

// Columns outer, rows inner: a strip of weight columns stays in cache while every row passes.
void denseInputGrad(float* dinp, const float* dout, const float* weight, const float* mask, int B, int C, int OC) {
  constexpr int CB = T::DX_CB;
  int c = 0;
  for (; c + CB * N <= C; c += CB * N) inputGradColumns<CB>(dinp, dout, weight, mask, c, B, C, OC, N);
  for (; c < C; c += N) inputGradColumns<1>(dinp, dout, weight, mask, c, B, C, OC, C - c < N ? C - c : N);
}

// ---- PARAMS: weight gradient over all rows, fused with SGD (or stored as it is: gradOnly) ----

inline V sgdVec(const float* th, const float* vel, float* thOut, float* velOut, V g, const SgdHyper& h, bool whole, M m) {
  if (h.gradOnly) {
    if (whole) T::store(velOut, g);
    else T::storem(velOut, m, g);
    return g;
  }
  const V theta = whole ? T::load(th) : T::loadm(th, m);
  const V v = whole ? T::load(vel) : T::loadm(vel, m);
  const V mom = T::set1(h.momentum);
  const V gd = T::fma(T::set1(h.weightDecay), theta, g);
  const V vNew = T::fma(mom, v, gd);
  const V d = h.nesterov ? T::fma(mom, vNew, gd) : vNew;
  const V thNew = T::fnma(T::set1(h.lr), d, theta);
  if (whole) {
    T::store(velOut, vNew);
    T::store(thOut, thNew);
  } else {
    T::storem(velOut, m, vNew);
    T::storem(thOut, m, thNew);
  }
  return g;
}

inline void sgdScalar(const float* th, const float* vel, float* thOut, float* velOut, float g, const SgdHyper& h) {
  if (h.gradOnly) {
    *velOut = g;
    return;
  }
  const float gd = std::fma(h.weightDecay, *th, g);
  const float vNew = std::fma(h.momentum, *vel, gd);
  const float d = h.nesterov ? std::fma(h.momentum, vNew, gd) : vNew;
  *velOut = vNew;
  *thOut = std::fma(-h.lr, d, *th);
}

// Rows o..o+OB, columns c..c+CB·N (the last vector has `tail` lanes): g = scale · Σ_b dout[b,o]·inp[b,c]
template <int OB, int CB>
inline void weightGradTile(const DenseParams& p, V* sq, const float* dout, const float* inp, int B, int C, int OC, int o, int c, int tail, const SgdHyper& h) {
  V acc[OB][CB];
  for (int r = 0; r < OB; r++)
    for (int j = 0; j < CB; j++) acc[r][j] = T::zero();
  const M m = T::mask(tail);
  for (int b = 0; b < B; b++) {
    V x[CB];
    const float* row = inp + (int64_t)b * C + c;
    for (int j = 0; j < CB; j++) x[j] = j + 1 < CB || tail == N ? T::load(row + j * N) : T::loadm(row + j * N, m);
    for (int r = 0; r < OB; r++) {
      const V g = T::set1(dout[(int64_t)b * OC + o + r]);
      for (int j = 0; j < CB; j++) acc[r][j] = T::fma(g, x[j], acc[r][j]);
    }
  }
  const V scale = T::set1(h.gradScale);
  for (int r = 0; r < OB; r++)
    for (int j = 0; j < CB; j++) {
      const V g = T::mul(acc[r][j], scale);
      sq[r] = T::fma(g, g, sq[r]);
      const int64_t i = (int64_t)(o + r) * C + c + j * N;
      sgdVec(p.weight + i, p.weightVelocity + i, p.weightOut + i, p.weightVelocityOut + i, g, h, j + 1 < CB || tail == N, m);
    }
}

// Row o's bias from its gradient sum a (Σ_b dout[b,o], sequential), and rowSq[o] = Σ lanes of sq (f64, lane order) + gbias².
inline void finishRowSum(const DenseParams& p, double* rowSq, V sq, float a, int o, const SgdHyper& h) {
  float lanes[N];
  T::store(lanes, sq);
  double s = 0;
  for (int j = 0; j < N; j++) s += (double)lanes[j];
  const float g = a * h.gradScale;
  s += (double)g * (double)g;
  sgdScalar(p.bias + o, p.biasVelocity + o, p.biasOut + o, p.biasVelocityOut + o, g, h);
  rowSq[o] = s;
}

inline void finishRow(const DenseParams& p, double* rowSq, V sq, const float* dout, int B, int OC, int o, const SgdHyper& h) {
  float a = 0;
  for (int b = 0; b < B; b++) a += dout[(int64_t)b * OC + o];
  finishRowSum(p, rowSq, sq, a, o, h);
}

template <int OB>
inline void weightGradRows(const DenseParams& p, double* rowSq, const float* dout, const float* inp, int B, int C, int OC, int o, const SgdHyper& h) {
  constexpr int CB = T::DW_CB;
  V sq[OB];
  for (int r = 0; r < OB; r++) sq[r] = T::zero();
  int c = 0;
  for (; c + CB * N <= C; c += CB * N) weightGradTile<OB, CB>(p, sq, dout, inp, B, C, OC, o, c, N, h);
  for (; c < C; c += N) weightGradTile<OB, 1>(p, sq, dout, inp, B, C, OC, o, c, C - c < N ? C - c : N, h);
  for (int r = 0; r < OB; r++) finishRow(p, rowSq, sq[r], dout, B, OC, o + r, h);
}

template <int OB>
inline void weightGradTail(const DenseParams& p, double* rowSq, const float* dout, const float* inp, int B, int C, int OC, int o, int rows, const SgdHyper& h) {
  if constexpr (OB > 0) {
    if (rows == OB) weightGradRows<OB>(p, rowSq, dout, inp, B, C, OC, o, h);
    else weightGradTail<OB - 1>(p, rowSq, dout, inp, B, C, OC, o, rows, h);
  }
}

// ---- The same for a tall input (a conv's im2col matrix, B·OH·OW rows): chunks of rows ------
// The direct path above streams all B rows of the input once per block of output rows. For a
// tall input that is hundreds of MB per step, so here the rows go in chunks of DW_B_TILE that stay
// in L2 while every output row of the range passes, and the partial sums wait in a scratch
// buffer between chunks. Each partial sum is the same f32 FMA chain in the same ascending order
// of b as the direct path's register accumulator, so the bits are the same.
constexpr int DW_B_TILE = 128;

template <int OB, int CB>
inline void accumulateTile(float* acc, const float* dout, const float* inp, int nb, int C, int OC, int o, int c, int tail) {
  const M m = T::mask(tail);
  V a[OB][CB];
  for (int r = 0; r < OB; r++)
    for (int j = 0; j < CB; j++) a[r][j] = j + 1 < CB || tail == N ? T::load(acc + (int64_t)r * C + c + j * N) : T::loadm(acc + (int64_t)r * C + c + j * N, m);
  for (int b = 0; b < nb; b++) {
    V x[CB];
    const float* row = inp + (int64_t)b * C + c;
    for (int j = 0; j < CB; j++) x[j] = j + 1 < CB || tail == N ? T::load(row + j * N) : T::loadm(row + j * N, m);
    for (int r = 0; r < OB; r++) {
      const V g = T::set1(dout[(int64_t)b * OC + o + r]);
      for (int j = 0; j < CB; j++) a[r][j] = T::fma(g, x[j], a[r][j]);
    }
  }
  for (int r = 0; r < OB; r++)
    for (int j = 0; j < CB; j++) {
      float* dst = acc + (int64_t)r * C + c + j * N;
      if (j + 1 < CB || tail == N) T::store(dst, a[r][j]);
      else T::storem(dst, m, a[r][j]);
    }
}

template <int OB>
inline void accumulateRows(float* acc, const float* dout, const float* inp, int nb, int C, int OC, int o) {
  constexpr int CB = T::DW_CB;
  int c = 0;
  for (; c + CB * N <= C; c += CB * N) accumulateTile<OB, CB>(acc, dout, inp, nb, C, OC, o, c, N);
  for (; c < C; c += N) accumulateTile<OB, 1>(acc, dout, inp, nb, C, OC, o, c, C - c < N ? C - c : N);
}

template <int OB>
inline void accumulateTail(float* acc, const float* dout, const float* inp, int nb, int C, int OC, int o, int rows) {
  if constexpr (OB > 0) {
    if (rows == OB) accumulateRows<OB>(acc, dout, inp, nb, C, OC, o);
    else accumulateTail<OB - 1>(acc, dout, inp, nb, C, OC, o, rows);
  }
}

void weightGradChunked(const DenseParams& p, double* rowSq, const float* dout, const float* inp, int B, int C, int OC, int o0, int o1, const SgdHyper& h) {
  static thread_local std::vector<float> scratch;
  scratch.assign((size_t)(o1 - o0) * C, 0.0f);
  float* acc = scratch.data();
  for (int b0 = 0; b0 < B; b0 += DW_B_TILE) {
    const int nb = B - b0 < DW_B_TILE ? B - b0 : DW_B_TILE;
    const float* d = dout + (int64_t)b0 * OC;
    const float* x = inp + (int64_t)b0 * C;
    int o = o0;
    for (; o + T::DW_OB <= o1; o += T::DW_OB) accumulateRows<T::DW_OB>(acc + (int64_t)(o - o0) * C, d, x, nb, C, OC, o);
    accumulateTail<T::DW_OB - 1>(acc + (int64_t)(o - o0) * C, d, x, nb, C, OC, o, o1 - o);
  }
  // Scale, Σ g² and SGD per row, vectors in ascending c as the direct path's tiles visit them.
  const V scale = T::set1(h.gradScale);
  for (int o = o0; o < o1; o++) {
    V sq = T::zero();
    for (int c = 0; c < C; c += N) {
      const int lanes = C - c < N ? C - c : N;
      const M m = T::mask(lanes);
      const bool whole = lanes == N;
      const float* a = acc + (int64_t)(o - o0) * C + c;
      const V g = T::mul(whole ? T::load(a) : T::loadm(a, m), scale);
      sq = T::fma(g, g, sq);
      const int64_t i = (int64_t)o * C + c;
      sgdVec(p.weight + i, p.weightVelocity + i, p.weightOut + i, p.weightVelocityOut + i, g, h, whole, m);
    }
    finishRow(p, rowSq, sq, dout, B, OC, o, h);
  }
}

void denseWeightGradSgd(const DenseParams& p, double* rowSq, const float* dout, const float* inp, int B, int C, int OC, int o0, int o1, const SgdHyper& h) {
  if (B > DW_B_TILE) return weightGradChunked(p, rowSq, dout, inp, B, C, OC, o0, o1, h);
  int o = o0;
  for (; o + T::DW_OB <= o1; o += T::DW_OB) weightGradRows<T::DW_OB>(p, rowSq, dout, inp, B, C, OC, o, h);
  weightGradTail<T::DW_OB - 1>(p, rowSq, dout, inp, B, C, OC, o, o1 - o, h);
}

// ---- PARAMS: the optimizer step (Adam/AdamW, Adadelta, RMSprop) ---------------------------
// Same math as src/kernels/ts/optimizer.ts in f32 vector ops without FMA (-ffp-contract=off).
// Every element, the tail's included (masked), goes through the same vector operations, so its
// result does not depend on where a worker's range starts or ends.

struct Lanes {
  bool whole;
  M m;
  V load(const float* p) const { return whole ? T::load(p) : T::loadm(p, m); }
  void store(float* p, V v) const {
    if (whole) T::store(p, v);
    else T::storem(p, m, v);
  }
};

void optimizerStep(float* thOut, const float* th, const float* grad, const float* s0, const float* s1, const float* s2, float* s0Out, float* s1Out, float* s2Out, int64_t n, const dptrain::OptimStep& h) {
  const V p0 = T::set1(h.p[0]), p1 = T::set1(h.p[1]), p2 = T::set1(h.p[2]), p3 = T::set1(h.p[3]);
  const V p4 = T::set1(h.p[4]), p5 = T::set1(h.p[5]), l2 = T::set1(h.p[6]), decay = T::set1(h.p[7]);
  const bool momentum = h.p[4] != 0.0f, centered = h.p[5] != 0.0f;
  for (int64_t i = 0; i < n; i += N) {
    const Lanes L{i + N <= n, T::mask(static_cast<int>(n - i < N ? n - i : N))};
    const V theta = L.load(th + i);
    const V g = T::add(L.load(grad + i), T::mul(l2, theta));
    if (h.kind == 0) {
      const V m0 = L.load(s0 + i);
      const V m = T::add(m0, T::mul(p0, T::sub(g, m0)));
      const V v = T::add(T::mul(p1, L.load(s1 + i)), T::mul(T::mul(p2, g), g));
      L.store(s0Out + i, m);
      L.store(s1Out + i, v);
      const V denom = T::add(T::div(T::sqrt(v), p4), p5);
      L.store(thOut + i, T::sub(T::mul(theta, decay), T::div(T::mul(p3, m), denom)));
    } else if (h.kind == 1) {
      const V acc = L.load(s1 + i);
      const V sq = T::add(T::mul(p0, L.load(s0 + i)), T::mul(T::mul(p1, g), g));
      const V delta = T::mul(T::div(T::sqrt(T::add(acc, p2)), T::sqrt(T::add(sq, p2))), g);
      L.store(s0Out + i, sq);
      L.store(s1Out + i, T::add(T::mul(p0, acc), T::mul(T::mul(p1, delta), delta)));
      L.store(thOut + i, T::sub(theta, T::mul(p3, delta)));
    } else {
      const V sq = T::add(T::mul(p0, L.load(s0 + i)), T::mul(T::mul(p1, g), g));
      L.store(s0Out + i, sq);
      V avg;
      if (centered) {
        const V ga = T::add(T::mul(p0, L.load(s2 + i)), T::mul(p1, g));
        L.store(s2Out + i, ga);
        avg = T::add(T::sqrt(T::sub(sq, T::mul(ga, ga))), p2);
      } else {
        avg = T::add(T::sqrt(sq), p2);
      }
      if (momentum) {
        const V buf = T::add(T::mul(p4, L.load(s1 + i)), T::div(g, avg));
        L.store(s1Out + i, buf);
        L.store(thOut + i, T::sub(theta, T::mul(p3, buf)));
      } else {
        L.store(thOut + i, T::sub(theta, T::div(T::mul(p3, g), avg)));
      }
    }
  }
}

// ---- Conv forward and weight gradient straight from the NHWC input (no im2col matrix) ----
// The weight's columns k = c·KH·KW + kh·KW + kw (PyTorch's [OC, C, KH, KW]) are visited in tap
// order k' = (kh·KW + kw)·C + c, so a window reads its input pixels along their contiguous
// channels: input element of column k' for the window at (h0, w0) = h0·stride − pad, … is
// inp[(h0 + kh)·W + w0 + kw)·C + c], offset tapOffset[k'] = (kh·W + kw)·C + c from the window's
// corner. A window that hangs over the zero padding skips its outside columns ("checked");
// every other window runs the unchecked loop: the same FMAs in the same order for its columns.

struct ConvTaps {
  std::vector<int> offset, kh, kw;
  explicit ConvTaps(const dptrain::ConvGeometry& g) {
    for (int kh_ = 0; kh_ < g.KH; kh_++)
      for (int kw_ = 0; kw_ < g.KW; kw_++)
        for (int c = 0; c < g.C; c++) {
          offset.push_back((kh_ * g.W + kw_) * g.C + c);
          kh.push_back(kh_);
          kw.push_back(kw_);
        }
  }
};

inline bool windowInside(const dptrain::ConvGeometry& g, int h0, int w0) { return h0 >= 0 && w0 >= 0 && h0 + g.KH <= g.H && w0 + g.KW <= g.W; }
inline bool tapInside(const dptrain::ConvGeometry& g, int h0, int w0, int kh, int kw) {
  const int h = h0 + kh, w = w0 + kw;
  return h >= 0 && w >= 0 && h < g.H && w < g.W;
}

// out[n, oh, ow..ow+RB, o..o+OV·N) = Σ_k' x·W (ascending k', FMA from 0) + bias, optional ReLU.
// wt (K', OC) is the weight in tap order, transposed: lanes along output channels.
template <int RB, int OV>
inline void convForwardBlock(float* out, const float* x, const float* wt, const float* bias, const dptrain::ConvGeometry& g, const ConvTaps& taps, int OC, int oh, int ow, int o, int tail, bool relu) {
  const int K = g.C * g.KH * g.KW;
  const int h0 = oh * g.stride - g.pad;
  int corner[RB];
  bool inside = true;
  for (int r = 0; r < RB; r++) {
    const int w0 = (ow + r) * g.stride - g.pad;
    corner[r] = (h0 * g.W + w0) * g.C;
    inside = inside && windowInside(g, h0, w0);
  }
  const M m = T::mask(tail);
  V acc[RB][OV];
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < OV; j++) acc[r][j] = T::zero();
  if (inside) {
    // every column of every window: pointers walk the taps, no table, no checks
    const int sC = g.stride * g.C;
    const float* wk = wt + o;
    for (int kh = 0; kh < g.KH; kh++)
      for (int kw = 0; kw < g.KW; kw++) {
        const float* xp = x + corner[0] + (kh * g.W + kw) * g.C;
        for (int c = 0; c < g.C; c++, wk += OC) {
          V w[OV];
          for (int j = 0; j < OV; j++) w[j] = j + 1 < OV || tail == N ? T::load(wk + j * N) : T::loadm(wk + j * N, m);
          for (int r = 0; r < RB; r++) {
            const V xv = T::set1(xp[c + r * sC]);
            for (int j = 0; j < OV; j++) acc[r][j] = T::fma(xv, w[j], acc[r][j]);
          }
        }
      }
  } else {
    for (int k = 0; k < K; k++) {
      V w[OV];
      const float* wrow = wt + (int64_t)k * OC + o;
      for (int j = 0; j < OV; j++) w[j] = j + 1 < OV || tail == N ? T::load(wrow + j * N) : T::loadm(wrow + j * N, m);
      const int off = taps.offset[k];
      for (int r = 0; r < RB; r++) {
        if (!tapInside(g, h0, (ow + r) * g.stride - g.pad, taps.kh[k], taps.kw[k])) continue;
        const V xv = T::set1(x[corner[r] + off]);
        for (int j = 0; j < OV; j++) acc[r][j] = T::fma(xv, w[j], acc[r][j]);
      }
    }
  }
  for (int r = 0; r < RB; r++) {
    float* dst = out + ((int64_t)oh * g.OW + ow + r) * OC + o;
    for (int j = 0; j < OV; j++) {
      const bool whole = j + 1 < OV || tail == N;
      V y = T::add(acc[r][j], whole ? T::load(bias + o + j * N) : T::loadm(bias + o + j * N, m));
      if (relu) y = T::relu(y);
      if (whole) T::store(dst + j * N, y);
      else T::storem(dst + j * N, m, y);
    }
  }
}

template <int RB, int OV>
inline void convForwardTail(float* out, const float* x, const float* wt, const float* bias, const dptrain::ConvGeometry& g, const ConvTaps& taps, int OC, int oh, int ow, int rows, int o, int tail, bool relu) {
  if constexpr (RB > 0) {
    if (rows == RB) convForwardBlock<RB, OV>(out, x, wt, bias, g, taps, OC, oh, ow, o, tail, relu);
    else convForwardTail<RB - 1, OV>(out, x, wt, bias, g, taps, OC, oh, ow, rows, o, tail, relu);
  }
}

template <int OV>
inline void convForwardStrip(float* out, const float* x, const float* wt, const float* bias, const dptrain::ConvGeometry& g, const ConvTaps& taps, int OC, int o, int tail, bool relu) {
  constexpr int RB = T::CONV_RB;
  for (int oh = 0; oh < g.OH; oh++) {
    int ow = 0;
    for (; ow + RB <= g.OW; ow += RB) convForwardBlock<RB, OV>(out, x, wt, bias, g, taps, OC, oh, ow, o, tail, relu);
    convForwardTail<RB - 1, OV>(out, x, wt, bias, g, taps, OC, oh, ow, g.OW - ow, o, tail, relu);
  }
}

// Per batch row, per strip of CONV_OV·N output channels (its weight columns stay in L1), per
// block of CONV_RB neighbouring windows of one output row.
void convForward(float* out, const float* inp, const float* weight, const float* bias, int B, const dptrain::ConvGeometry& g, int OC, bool relu) {
  const int KK = g.KH * g.KW, K = g.C * KK;
  static thread_local std::vector<float> wt;
  wt.resize((size_t)K * OC);
  for (int o = 0; o < OC; o++)
    for (int c = 0; c < g.C; c++)
      for (int t = 0; t < KK; t++) wt[(size_t)(t * g.C + c) * OC + o] = weight[(int64_t)o * K + c * KK + t];
  const ConvTaps taps(g);
  constexpr int OV = T::CONV_OV;
  for (int b = 0; b < B; b++) {
    const float* x = inp + (int64_t)b * g.H * g.W * g.C;
    float* y = out + (int64_t)b * g.OH * g.OW * OC;
    int o = 0;
    for (; o + OV * N <= OC; o += OV * N) convForwardStrip<OV>(y, x, wt.data(), bias, g, taps, OC, o, N, relu);
    for (; o < OC; o += N) convForwardStrip<1>(y, x, wt.data(), bias, g, taps, OC, o, OC - o < N ? OC - o : N, relu);
  }
}

// acc[k', o − o0 .. + OV·N) += Σ over the windows of output row oh (ascending ow) of x[k'] · dout[o]
// for columns k'..k'+KB: lanes along output channels, the window's input element broadcast.
template <int KB, int OV>
inline void convGradTile(float* acc, int ldAcc, const float* x, const float* dy, const dptrain::ConvGeometry& g, const ConvTaps& taps, int OC, int oh, int o, int oa, int k, int tail) {
  const M m = T::mask(tail);
  V a[KB][OV];
  for (int r = 0; r < KB; r++)
    for (int j = 0; j < OV; j++) {
      const float* s = acc + (int64_t)(k + r) * ldAcc + oa + j * N;
      a[r][j] = j + 1 < OV || tail == N ? T::load(s) : T::loadm(s, m);
    }
  int off[KB];
  for (int r = 0; r < KB; r++) off[r] = taps.offset[k + r];
  const int h0 = oh * g.stride - g.pad;
  for (int ow = 0; ow < g.OW; ow++) {
    const int w0 = ow * g.stride - g.pad;
    const float* d = dy + ((int64_t)oh * g.OW + ow) * OC + o;
    V dv[OV];
    for (int j = 0; j < OV; j++) dv[j] = j + 1 < OV || tail == N ? T::load(d + j * N) : T::loadm(d + j * N, m);
    const float* xw = x + (h0 * g.W + w0) * g.C;
    if (windowInside(g, h0, w0)) {
      for (int r = 0; r < KB; r++) {
        const V xv = T::set1(xw[off[r]]);
        for (int j = 0; j < OV; j++) a[r][j] = T::fma(xv, dv[j], a[r][j]);
      }
    } else {
      for (int r = 0; r < KB; r++) {
        if (!tapInside(g, h0, w0, taps.kh[k + r], taps.kw[k + r])) continue;
        const V xv = T::set1(xw[off[r]]);
        for (int j = 0; j < OV; j++) a[r][j] = T::fma(xv, dv[j], a[r][j]);
      }
    }
  }
  for (int r = 0; r < KB; r++)
    for (int j = 0; j < OV; j++) {
      float* s = acc + (int64_t)(k + r) * ldAcc + oa + j * N;
      if (j + 1 < OV || tail == N) T::store(s, a[r][j]);
      else T::storem(s, m, a[r][j]);
    }
}

template <int KB, int OV>
inline void convGradTail(float* acc, int ldAcc, const float* x, const float* dy, const dptrain::ConvGeometry& g, const ConvTaps& taps, int OC, int oh, int o, int oa, int k, int cols, int tail) {
  if constexpr (KB > 0) {
    if (cols == KB) convGradTile<KB, OV>(acc, ldAcc, x, dy, g, taps, OC, oh, o, oa, k, tail);
    else convGradTail<KB - 1, OV>(acc, ldAcc, x, dy, g, taps, OC, oh, o, oa, k, cols, tail);
  }
}

template <int OV>
inline void convGradStrip(float* acc, int ldAcc, const float* x, const float* dy, const dptrain::ConvGeometry& g, const ConvTaps& taps, int OC, int oh, int o, int oa, int tail) {
  constexpr int KB = T::CONV_KB;
  const int K = g.C * g.KH * g.KW;
  int k = 0;
  for (; k + KB <= K; k += KB) convGradTile<KB, OV>(acc, ldAcc, x, dy, g, taps, OC, oh, o, oa, k, tail);
  convGradTail<KB - 1, OV>(acc, ldAcc, x, dy, g, taps, OC, oh, o, oa, k, K - k, tail);
}

// The same sums with lanes along the input channels, for C ≥ N: acc (R, K') rows o − o0, tile
// rows o..o+OB × columns of tap t, channels c..c+CB·N (the last vector has `tail` lanes). Each
// window adds the same FMA to each element as the tile above would; windows whose tap falls in
// the padding add nothing, so only the inside range of ow is walked.
template <int OB, int CB>
inline void convGradTileC(float* acc, int K, const float* x, const float* dy, const dptrain::ConvGeometry& g, int OC, int oh0, int oh1, int o, int oa, int t, int c, int tail) {
  const int kh = t / g.KW, kw = t % g.KW;
  // ow with 0 ≤ ow·stride − pad + kw < W
  int lo = 0;
  while (lo < g.OW && lo * g.stride - g.pad + kw < 0) lo++;
  int hi = g.OW;
  while (hi > lo && (hi - 1) * g.stride - g.pad + kw >= g.W) hi--;
  if (lo >= hi) return;
  const M m = T::mask(tail);
  V a[OB][CB];
  for (int r = 0; r < OB; r++)
    for (int j = 0; j < CB; j++) {
      const float* s = acc + (int64_t)(oa + r) * K + t * g.C + c + j * N;
      a[r][j] = j + 1 < CB || tail == N ? T::load(s) : T::loadm(s, m);
    }
  const int sC = g.stride * g.C;
  for (int oh = oh0; oh < oh1; oh++) {
    const int h = oh * g.stride - g.pad + kh;
    if (h < 0 || h >= g.H) continue;
    const float* xp = x + ((int64_t)h * g.W + lo * g.stride - g.pad + kw) * g.C + c;
    const float* dp = dy + ((int64_t)oh * g.OW + lo) * OC + o;
    for (int ow = lo; ow < hi; ow++, xp += sC, dp += OC) {
      V xv[CB];
      for (int j = 0; j < CB; j++) xv[j] = j + 1 < CB || tail == N ? T::load(xp + j * N) : T::loadm(xp + j * N, m);
      for (int r = 0; r < OB; r++) {
        const V gv = T::set1(dp[r]);
        for (int j = 0; j < CB; j++) a[r][j] = T::fma(gv, xv[j], a[r][j]);
      }
    }
  }
  for (int r = 0; r < OB; r++)
    for (int j = 0; j < CB; j++) {
      float* s = acc + (int64_t)(oa + r) * K + t * g.C + c + j * N;
      if (j + 1 < CB || tail == N) T::store(s, a[r][j]);
      else T::storem(s, m, a[r][j]);
    }
}

template <int OB>
inline void convGradRowsC(float* acc, int K, const float* x, const float* dy, const dptrain::ConvGeometry& g, int OC, int oh0, int oh1, int o, int oa) {
  constexpr int CB = T::DW_CB;
  for (int t = 0; t < g.KH * g.KW; t++) {
    int c = 0;
    for (; c + CB * N <= g.C; c += CB * N) convGradTileC<OB, CB>(acc, K, x, dy, g, OC, oh0, oh1, o, oa, t, c, N);
    for (; c < g.C; c += N) convGradTileC<OB, 1>(acc, K, x, dy, g, OC, oh0, oh1, o, oa, t, c, g.C - c < N ? g.C - c : N);
  }
}

template <int OB>
inline void convGradRowsCTail(float* acc, int K, const float* x, const float* dy, const dptrain::ConvGeometry& g, int OC, int oh0, int oh1, int o, int oa, int rows) {
  if constexpr (OB > 0) {
    if (rows == OB) convGradRowsC<OB>(acc, K, x, dy, g, OC, oh0, oh1, o, oa);
    else convGradRowsCTail<OB - 1>(acc, K, x, dy, g, OC, oh0, oh1, o, oa, rows);
  }
}

// ---- ROWS: conv input gradient straight into the NHWC input's gradient (no dcol, no col2im) ----
// dinp[h, w, c] = Σ_{kh, kw} Σ_o dout[oh, ow, o] · W[o, c, kh, kw] over the windows (oh, ow) that
// read (h, w) at tap (kh, kw). At stride 1 that window is (h + pad − kh, w + pad − kw): each
// image's dout is copied into a zero-bordered scratch so every tap of every pixel reads a real
// or a zero gradient, and one unchecked loop runs all pixels. Sum order per element: taps
// ascending, then o ascending, FMA from 0. Wider strides gather per pixel with the checks.

// dinp[h, w..w+RB, c..c+CB·N) from the bordered gradient dp (PH, PW, OC) and wx (KH·KW, OC, C)
template <int RB, int CB>
inline void convDxBlock(float* dinp, const float* dp, const float* wx, const dptrain::ConvGeometry& g, int OC, int PW, int h, int w, int c, int tail) {
  const M m = T::mask(tail);
  V acc[RB][CB];
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < CB; j++) acc[r][j] = T::zero();
  for (int kh = 0; kh < g.KH; kh++)
    for (int kw = 0; kw < g.KW; kw++) {
      const float* d = dp + ((int64_t)(h + g.KH - 1 - kh) * PW + (w + g.KW - 1 - kw)) * OC;
      const float* wk = wx + (int64_t)(kh * g.KW + kw) * OC * g.C + c;
      for (int o = 0; o < OC; o++, wk += g.C) {
        V wv[CB];
        for (int j = 0; j < CB; j++) wv[j] = j + 1 < CB || tail == N ? T::load(wk + j * N) : T::loadm(wk + j * N, m);
        for (int r = 0; r < RB; r++) {
          const V dv = T::set1(d[r * OC + o]);
          for (int j = 0; j < CB; j++) acc[r][j] = T::fma(dv, wv[j], acc[r][j]);
        }
      }
    }
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < CB; j++) {
      float* dst = dinp + ((int64_t)h * g.W + w + r) * g.C + c + j * N;
      if (j + 1 < CB || tail == N) T::store(dst, acc[r][j]);
      else T::storem(dst, m, acc[r][j]);
    }
}

template <int RB, int CB>
inline void convDxTail(float* dinp, const float* dp, const float* wx, const dptrain::ConvGeometry& g, int OC, int PW, int h, int w, int rows, int c, int tail) {
  if constexpr (RB > 0) {
    if (rows == RB) convDxBlock<RB, CB>(dinp, dp, wx, g, OC, PW, h, w, c, tail);
    else convDxTail<RB - 1, CB>(dinp, dp, wx, g, OC, PW, h, w, rows, c, tail);
  }
}

template <int CB>
inline void convDxColumns(float* dinp, const float* dp, const float* wx, const dptrain::ConvGeometry& g, int OC, int PW, int c, int tail) {
  constexpr int RB = T::CONV_RB;
  for (int h = 0; h < g.H; h++) {
    int w = 0;
    for (; w + RB <= g.W; w += RB) convDxBlock<RB, CB>(dinp, dp, wx, g, OC, PW, h, w, c, tail);
    convDxTail<RB - 1, CB>(dinp, dp, wx, g, OC, PW, h, w, g.W - w, c, tail);
  }
}

// Any stride: pixel by pixel, each tap's window found and checked (same order: taps, then o).
inline void convDxStrided(float* dinp, const float* dy, const float* wx, const dptrain::ConvGeometry& g, int OC) {
  for (int h = 0; h < g.H; h++)
    for (int w = 0; w < g.W; w++)
      for (int c = 0; c < g.C; c += N) {
        const int lanes = g.C - c < N ? g.C - c : N;
        const M m = T::mask(lanes);
        V acc = T::zero();
        for (int kh = 0; kh < g.KH; kh++) {
          const int sh = h + g.pad - kh;
          if (sh < 0 || sh % g.stride != 0 || sh / g.stride >= g.OH) continue;
          for (int kw = 0; kw < g.KW; kw++) {
            const int sw = w + g.pad - kw;
            if (sw < 0 || sw % g.stride != 0 || sw / g.stride >= g.OW) continue;
            const float* d = dy + ((int64_t)(sh / g.stride) * g.OW + sw / g.stride) * OC;
            const float* wk = wx + (int64_t)(kh * g.KW + kw) * OC * g.C + c;
            for (int o = 0; o < OC; o++) acc = T::fma(T::set1(d[o]), lanes == N ? T::load(wk + (int64_t)o * g.C) : T::loadm(wk + (int64_t)o * g.C, m), acc);
          }
        }
        float* dst = dinp + ((int64_t)h * g.W + w) * g.C + c;
        if (lanes == N) T::store(dst, acc);
        else T::storem(dst, m, acc);
      }
}

void convInputGrad(float* dinp, const float* dout, const float* weight, int B, const dptrain::ConvGeometry& g, int OC) {
  const int KK = g.KH * g.KW, K = g.C * KK;
  static thread_local std::vector<float> wx, bordered;
  wx.resize((size_t)K * OC);  // (KH·KW, OC, C): a tap's weights for one output channel along c
  for (int o = 0; o < OC; o++)
    for (int c = 0; c < g.C; c++)
      for (int t = 0; t < KK; t++) wx[((size_t)t * OC + o) * g.C + c] = weight[(int64_t)o * K + c * KK + t];
  const int64_t inFloats = (int64_t)g.H * g.W * g.C, outFloats = (int64_t)g.OH * g.OW * OC;
  if (g.stride != 1) {
    for (int b = 0; b < B; b++) convDxStrided(dinp + b * inFloats, dout + b * outFloats, wx.data(), g, OC);
    return;
  }
  // bordered (PH, PW, OC): dout[oh, ow] at (oh + KH − 1 − pad, ow + KW − 1 − pad), zeros around
  const int PH = g.H + g.KH - 1, PW = g.W + g.KW - 1;
  bordered.assign((size_t)PH * PW * OC, 0.0f);
  constexpr int CB = T::DW_CB;
  for (int b = 0; b < B; b++) {
    const float* dy = dout + b * outFloats;
    for (int oh = 0; oh < g.OH; oh++) {
      const int ph = oh + g.KH - 1 - g.pad;
      if (ph < 0 || ph >= PH) continue;
      for (int ow = 0; ow < g.OW; ow++) {
        const int pw = ow + g.KW - 1 - g.pad;
        if (pw < 0 || pw >= PW) continue;
        const float* src = dy + ((int64_t)oh * g.OW + ow) * OC;
        std::copy(src, src + OC, bordered.data() + ((size_t)ph * PW + pw) * OC);
      }
    }
    float* dx = dinp + b * inFloats;
    int c = 0;
    for (; c + CB * N <= g.C; c += CB * N) convDxColumns<CB>(dx, bordered.data(), wx.data(), g, OC, PW, c, N);
    for (; c < g.C; c += N) convDxColumns<1>(dx, bordered.data(), wx.data(), g, OC, PW, c, g.C - c < N ? g.C - c : N);
  }
}

// Output rows per pass of a tile: 3 rows' windows (their gradients and input rows, ~25 KB for
// the MNIST CNN's conv2) stay in L1 while the tile's partial sums stay in registers.
constexpr int DW_OH_TILE = 3;

// PARAMS for a conv layer: rows [o0, o1) of g = gradScale · Σ over every window of the batch
// (ascending b, oh, ow) of dout[window, o] · its input column, and the bias sums, then the same
// scale, Σ g² and SGD as the dense path. Output row by output row, so the row's input pixels
// and gradients stay in L1 while every tile of the partial sums passes.
void convWeightGradSgd(const DenseParams& p, double* rowSq, const float* dout, const float* inp, int B, const dptrain::ConvGeometry& g, int OC, int o0, int o1, const SgdHyper& h) {
  if (o0 >= o1) return;
  const int KK = g.KH * g.KW, K = g.C * KK, R = o1 - o0;
  static thread_local std::vector<float> scratch, sums, row;
  // lanes along channels when there are enough of them: scratch (R, K'); else along output
  // channels: scratch (K', R). Element (o − o0, k') is at scratch[(o − o0)·ldO + k'·ldK].
  const bool alongC = g.C >= N;
  const int ldO = alongC ? K : 1, ldK = alongC ? 1 : R;
  scratch.assign((size_t)K * R, 0.0f);
  sums.assign((size_t)R, 0.0f);
  row.resize((size_t)K);
  const ConvTaps taps(g);
  constexpr int OV = T::CONV_OV, OB = T::DW_OB;
  for (int b = 0; b < B; b++) {
    const float* x = inp + (int64_t)b * g.H * g.W * g.C;
    const float* dy = dout + (int64_t)b * g.OH * g.OW * OC;
    if (alongC) {
      for (int oh0 = 0; oh0 < g.OH; oh0 += DW_OH_TILE) {
        const int oh1 = oh0 + DW_OH_TILE < g.OH ? oh0 + DW_OH_TILE : g.OH;
        // R rows in ⌈R / OB⌉ tiles of near-equal height (32 → 6 6 5 5 5 5, not 6 × 5 + 2)
        const int tiles = (R + OB - 1) / OB;
        for (int i = 0, o = o0; i < tiles; i++) {
          const int rows = R / tiles + (i < R % tiles ? 1 : 0);
          convGradRowsCTail<OB>(scratch.data(), K, x, dy, g, OC, oh0, oh1, o, o - o0, rows);
          o += rows;
        }
      }
    }
    for (int oh = 0; oh < g.OH; oh++) {
      int o = o0;
      if (alongC) {
      } else {
        for (; o + OV * N <= o1; o += OV * N) convGradStrip<OV>(scratch.data(), R, x, dy, g, taps, OC, oh, o, o - o0, N);
        for (; o < o1; o += N) convGradStrip<1>(scratch.data(), R, x, dy, g, taps, OC, oh, o, o - o0, o1 - o < N ? o1 - o : N);
      }
      // bias sums: each lane one output channel's sequential sum over the windows
      for (int ow = 0; ow < g.OW; ow++) {
        const float* d = dy + ((int64_t)oh * g.OW + ow) * OC;
        for (int oa = 0; oa < R; oa += N) {
          const int lanes = R - oa < N ? R - oa : N;
          const M m = T::mask(lanes);
          const V s = lanes == N ? T::load(sums.data() + oa) : T::loadm(sums.data() + oa, m);
          const V v = T::add(s, lanes == N ? T::load(d + o0 + oa) : T::loadm(d + o0 + oa, m));
          if (lanes == N) T::store(sums.data() + oa, v);
          else T::storem(sums.data() + oa, m, v);
        }
      }
    }
  }
  const V scale = T::set1(h.gradScale);
  for (int o = o0; o < o1; o++) {
    for (int c = 0; c < g.C; c++)
      for (int t = 0; t < KK; t++) row[(size_t)c * KK + t] = scratch[(size_t)(o - o0) * ldO + (size_t)(t * g.C + c) * ldK];
    V sq = T::zero();
    for (int c = 0; c < K; c += N) {
      const int lanes = K - c < N ? K - c : N;
      const M m = T::mask(lanes);
      const bool whole = lanes == N;
      const V gv = T::mul(whole ? T::load(row.data() + c) : T::loadm(row.data() + c, m), scale);
      sq = T::fma(gv, gv, sq);
      const int64_t i = (int64_t)o * K + c;
      sgdVec(p.weight + i, p.weightVelocity + i, p.weightOut + i, p.weightVelocityOut + i, gv, h, whole, m);
    }
    finishRowSum(p, rowSq, sq, sums[(size_t)(o - o0)], o, h);
  }
}

// ---- ROWS: im2col / col2im, max-pool, transpose (data movement; src/kernels/ts/conv.ts) ----

// Loops (kh, kw) outside c: reads run along the contiguous channels of NHWC. col2im adds into each
// input element in the same order as the reference, (oh, ow) then (kh, kw): c only changes which
// element is added to, so the bits are the reference's.
void im2col(float* col, const float* inp, int B, const dptrain::ConvGeometry& g) {
  const int KK = g.KH * g.KW;
  const int K = g.C * KK;
  for (int b = 0; b < B; b++)
    for (int oh = 0; oh < g.OH; oh++)
      for (int ow = 0; ow < g.OW; ow++) {
        float* dst = col + (((int64_t)b * g.OH + oh) * g.OW + ow) * K;
        for (int kh = 0; kh < g.KH; kh++) {
          const int h = oh * g.stride + kh - g.pad;
          for (int kw = 0; kw < g.KW; kw++) {
            const int w = ow * g.stride + kw - g.pad;
            float* d = dst + kh * g.KW + kw;
            if (h < 0 || h >= g.H || w < 0 || w >= g.W) {
              for (int c = 0; c < g.C; c++) d[c * KK] = 0.0f;
              continue;
            }
            const float* src = inp + (((int64_t)b * g.H + h) * g.W + w) * g.C;
            for (int c = 0; c < g.C; c++) d[c * KK] = src[c];
          }
        }
      }
}

void col2im(float* dinp, const float* dcol, int B, const dptrain::ConvGeometry& g) {
  const int KK = g.KH * g.KW;
  const int K = g.C * KK;
  for (int64_t i = 0; i < (int64_t)B * g.H * g.W * g.C; i++) dinp[i] = 0.0f;
  for (int b = 0; b < B; b++)
    for (int oh = 0; oh < g.OH; oh++)
      for (int ow = 0; ow < g.OW; ow++) {
        const float* src = dcol + (((int64_t)b * g.OH + oh) * g.OW + ow) * K;
        for (int kh = 0; kh < g.KH; kh++) {
          const int h = oh * g.stride + kh - g.pad;
          if (h < 0 || h >= g.H) continue;
          for (int kw = 0; kw < g.KW; kw++) {
            const int w = ow * g.stride + kw - g.pad;
            if (w < 0 || w >= g.W) continue;
            float* d = dinp + (((int64_t)b * g.H + h) * g.W + w) * g.C;
            const float* s = src + kh * g.KW + kw;
            for (int c = 0; c < g.C; c++) d[c] += s[c * KK];
          }
        }
      }
}

// Vectors along channels: max(v, m) is the reference's `v > m ? v : m`, which drops a NaN, so
// a probe Σ v·0 (NaN for a NaN or an infinity) sends such a vector to the reference loop below.
void maxpoolForwardScalar(float* out, const float* inp, int b, int oh, int ow, int c0, int c1, const dptrain::PoolGeometry& g);
void maxpoolForward(float* out, const float* inp, int B, const dptrain::PoolGeometry& g) {
  const V zero = T::zero(), lowest = T::set1(-INFINITY);
  for (int b = 0; b < B; b++)
    for (int oh = 0; oh < g.OH; oh++)
      for (int ow = 0; ow < g.OW; ow++)
        for (int c = 0; c < g.C; c += N) {
          const int lanes = g.C - c < N ? g.C - c : N;
          const M mk = T::mask(lanes);
          V m = lowest, probe = zero;
          for (int kh = 0; kh < g.K; kh++)
            for (int kw = 0; kw < g.K; kw++) {
              const float* p = inp + (((int64_t)b * g.H + oh * g.stride + kh) * g.W + ow * g.stride + kw) * g.C + c;
              const V v = lanes == N ? T::load(p) : T::loadm(p, mk);
              m = T::max(v, m);
              probe = T::add(probe, T::mul(v, zero));
            }
          const float check = T::hsum(probe);
          if (check != check) {
            maxpoolForwardScalar(out, inp, b, oh, ow, c, c + lanes, g);
            continue;
          }
          float* dst = out + (((int64_t)b * g.OH + oh) * g.OW + ow) * g.C + c;
          if (lanes == N) T::store(dst, m);
          else T::storem(dst, mk, m);
        }
}

void maxpoolForwardScalar(float* out, const float* inp, int b, int oh, int ow, int c0, int c1, const dptrain::PoolGeometry& g) {
  for (int c = c0; c < c1; c++) {
    float m = -INFINITY;
    bool nan = false;
    for (int kh = 0; kh < g.K; kh++)
      for (int kw = 0; kw < g.K; kw++) {
        const float v = inp[(((int64_t)b * g.H + oh * g.stride + kh) * g.W + ow * g.stride + kw) * g.C + c];
        nan = nan || v != v;
        m = v > m ? v : m;
      }
    out[(((int64_t)b * g.OH + oh) * g.OW + ow) * g.C + c] = nan ? NAN : m;  // NaN propagates, as Math.max
  }
}

// Windows that tile the input exactly (stride = K, H = OH·K, W = OW·K: every input element in
// one window): vectors along channels find each lane's first maximum (strictly greater replaces,
// as the reference) and write every element of the window, 0 + dout at the winner, 0 elsewhere.
inline bool poolTiles(const dptrain::PoolGeometry& g) { return g.stride == g.K && g.H == g.OH * g.K && g.W == g.OW * g.K; }
void maxpoolBackwardTiled(float* dinp, const float* dout, const float* inp, int B, const dptrain::PoolGeometry& g) {
  const V zero = T::zero();
  for (int b = 0; b < B; b++)
    for (int oh = 0; oh < g.OH; oh++)
      for (int ow = 0; ow < g.OW; ow++)
        for (int c = 0; c < g.C; c += N) {
          const int lanes = g.C - c < N ? g.C - c : N;
          const M mk = T::mask(lanes);
          auto at = [&](int e) { return (((int64_t)b * g.H + oh * g.K + e / g.K) * g.W + ow * g.K + e % g.K) * g.C + c; };
          auto load = [&](const float* p) { return lanes == N ? T::load(p) : T::loadm(p, mk); };
          V m = load(inp + at(0)), best = zero;
          for (int e = 1; e < g.K * g.K; e++) {
            const V v = load(inp + at(e));
            best = T::selectGt(v, m, T::set1((float)e), best);
            m = T::selectGt(v, m, v, m);
          }
          const V d = T::add(zero, load(dout + (((int64_t)b * g.OH + oh) * g.OW + ow) * g.C + c));
          for (int e = 0; e < g.K * g.K; e++) {
            const V v = T::selectEq(best, T::set1((float)e), d, zero);
            if (lanes == N) T::store(dinp + at(e), v);
            else T::storem(dinp + at(e), mk, v);
          }
        }
}

void maxpoolBackward(float* dinp, const float* dout, const float* inp, int B, const dptrain::PoolGeometry& g) {
  if (poolTiles(g)) return maxpoolBackwardTiled(dinp, dout, inp, B, g);
  for (int64_t i = 0; i < (int64_t)B * g.H * g.W * g.C; i++) dinp[i] = 0.0f;
  for (int b = 0; b < B; b++)
    for (int oh = 0; oh < g.OH; oh++)
      for (int ow = 0; ow < g.OW; ow++)
        for (int c = 0; c < g.C; c++) {
          int64_t best = -1;
          float m = -INFINITY;
          for (int kh = 0; kh < g.K; kh++)
            for (int kw = 0; kw < g.K; kw++) {
              const int64_t i = (((int64_t)b * g.H + oh * g.stride + kh) * g.W + ow * g.stride + kw) * g.C + c;
              if (inp[i] > m || best < 0) {
                m = inp[i];
                best = i;
              }
            }
          dinp[best] += dout[(((int64_t)b * g.OH + oh) * g.OW + ow) * g.C + c];
        }
}

void transposeRows(float* out, const float* inp, int B, int P, int Q) {
  for (int b = 0; b < B; b++) {
    const int64_t o = (int64_t)b * P * Q;
    for (int p = 0; p < P; p++)
      for (int q = 0; q < Q; q++) out[o + (int64_t)q * P + p] = inp[o + (int64_t)p * Q + q];
  }
}

// ---- ROWS: dropout (counter-based masks, src/kernels/ts/dropout.ts) ----------------------

inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// Vectors of N units: lane c keeps x[c]·scale iff mix32(h ^ c) ≥ threshold (T::keepHashed), the reference's test.
void dropoutApply(float* out, const float* inp, int B, int C, uint32_t threshold, float scale, uint32_t seed, uint32_t step, uint32_t row0, uint32_t stream) {
  const uint32_t base = mix32(mix32(seed ^ ((stream + 1u) * 0x9e3779b1u)) ^ step);
  for (int r = 0; r < B; r++) {
    const uint32_t h = mix32(base ^ (row0 + static_cast<uint32_t>(r)));
    const float* x = inp + (int64_t)r * C;
    float* y = out + (int64_t)r * C;
    const V s = T::set1(scale);
    for (int c = 0; c < C; c += N) {
      const int lanes = C - c < N ? C - c : N;
      const M m = T::mask(lanes);
      const V v = T::keepHashed(T::mul(lanes == N ? T::load(x + c) : T::loadm(x + c, m), s), h, static_cast<uint32_t>(c), threshold);
      if (lanes == N) T::store(y + c, v);
      else T::storem(y + c, m, v);
    }
  }
}

// ---- ROWS: elementwise, gather, softmax-CE ----------------------------------------------

void reluForward(float* out, const float* inp, int64_t n) {
  int64_t i = 0;
  for (; i + N <= n; i += N) T::store(out + i, T::relu(T::load(inp + i)));
  for (; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0.0f;
}

void reluBackward(float* dinp, const float* dout, const float* out, int64_t n) {
  int64_t i = 0;
  for (; i + N <= n; i += N) T::store(dinp + i, T::keepPositive(T::load(dout + i), T::load(out + i)));
  for (; i < n; i++) dinp[i] = out[i] > 0 ? dout[i] : 0.0f;
}

// (v / 255 − mean) / std: three IEEE f32 operations per pixel, the same bits as the TS table.
void gatherRows(float* out, uint8_t* outLabels, const uint8_t* images, const uint8_t* labels, const uint32_t* rowIndex, int start, int B, int C, float mean, float std) {
  const V k255 = T::set1(255.0f), vMean = T::set1(mean), vStd = T::set1(std);
  for (int b = 0; b < B; b++) {
    const uint32_t row = rowIndex[start + b];
    const uint8_t* src = images + (int64_t)row * C;
    float* dst = out + (int64_t)b * C;
    int c = 0;
    for (; c + N <= C; c += N) T::store(dst + c, T::div(T::sub(T::div(T::u8ToFloat(src + c), k255), vMean), vStd));
    for (; c < C; c++) dst[c] = ((float)src[c] / 255.0f - mean) / std;
    outLabels[b] = labels[row];
  }
}

// Per row, in f64: max-shifted log-sum-exp; dlogits = (softmax − onehot) · gradScale.
double softmaxCrossEntropy(float* dlogits, float* losses, const float* logits, const uint8_t* labels, int B, int K, double gradScale, int* correct) {
  double lossSum = 0;
  int right = 0;
  for (int b = 0; b < B; b++) {
    const float* x = logits + (int64_t)b * K;
    double max = x[0];
    int argmax = 0;
    for (int k = 1; k < K; k++)
      if ((double)x[k] > max) {
        max = x[k];
        argmax = k;
      }
    double sumExp = 0;
    for (int k = 0; k < K; k++) sumExp += std::exp((double)x[k] - max);
    const int label = labels[b];
    const double loss = max + std::log(sumExp) - (double)x[label];
    losses[b] = (float)loss;
    lossSum += loss;
    if (argmax == label) right++;
    const double inv = 1 / sumExp;
    float* d = dlogits + (int64_t)b * K;
    for (int k = 0; k < K; k++) {
      const double pk = std::exp((double)x[k] - max) * inv;
      d[k] = (float)((k == label ? pk - 1 : pk) * gradScale);
    }
  }
  *correct = right;
  return lossSum;
}

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
  static const dptrain::Ops ops = {
      T::NAME, gatherRows, denseForward, denseInputGrad, reluForward, reluBackward, softmaxCrossEntropy, denseWeightGradSgd, im2col, col2im, maxpoolForward, maxpoolBackward, transposeRows, dropoutApply, optimizerStep, convForward, convWeightGradSgd, convInputGrad, fmaPeakGflops,
  };
  return &ops;
}
