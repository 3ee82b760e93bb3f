// Dense layers: forward and input gradient (ROWS), weight gradient fused with SGD or stored as
// it is (PARAMS), and the chunked weight gradient for tall inputs. Mirrors src/kernels/ts/dense.ts
// and src/kernels/wasm/assembly/dense.ts. Part of kernels-impl.h (see there).

// ---- Operands whose rows straddle cache lines ---------------------------------------------
// Rows of C floats that are not a whole number of vectors apart (fc2's 520 on AVX-512: 32.5 × 64
// bytes) start every other row mid-line, so every vector load of those rows straddles two cache
// lines: fc2's forward ran at 66–70% of the FMA peak against 80–83% at C = 528 (dptrain bench
// kernels' shapes, one process). Such an operand is copied once into a per-thread scratch whose
// rows are C rounded up to N floats apart, 64-byte aligned, and the kernel reads the copy. Only
// the loads' addresses change: each lane still holds the same element, masked tails still read
// only the C real columns, so the bits are the same.
inline bool straddles(const float* p, int64_t ld) { return ld % N != 0 || reinterpret_cast<uintptr_t>(p) % (N * 4) != 0; }
inline int paddedWidth(int C) { return (C + N - 1) / N * N; }

// A per-thread buffer of at least `floats` floats, 64-byte aligned (one per call site: tag).
template <int Tag>
inline float* scratchFloats(size_t floats) {
  static thread_local std::vector<float> buf;
  if (buf.size() < floats + 16) buf.resize(floats + 16);
  const uintptr_t at = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<float*>((at + 63) & ~static_cast<uintptr_t>(63));
}

// dst[r, 0..C) = src[r, 0..C) for `rows` rows, ldDst and ldSrc floats apart (lanes past C untouched)
inline void copyRows(float* dst, int64_t ldDst, const float* src, int64_t ldSrc, int rows, int C) {
  const M m = T::mask(C % N);
  for (int r = 0; r < rows; r++) {
    const float* s = src + r * ldSrc;
    float* d = dst + r * ldDst;
    int c = 0;
    for (; c + N <= C; c += N) T::store(d + c, T::load(s + c));
    if (c < C) T::storem(d + c, m, T::loadm(s + c, m));
  }
}

// `rows` rows of C floats, ldSrc apart at src; or, where `copy` is given, copied there ldCopy
// apart: where the kernel reads them from, and their stride.
struct Rows {
  const float* p;
  int64_t ld;
};
inline Rows readable(const float* src, int64_t ldSrc, int rows, int C, float* copy, int64_t ldCopy) {
  if (!copy) return {src, ldSrc};
  copyRows(copy, ldCopy, src, ldSrc, rows, C);
  return {copy, ldCopy};
}

// ---- ROWS: dense forward, dot products along C -------------------------------------------

// out[b..b+RB, 0..OB): Σ_c inp[b,c]·w[j,c] (lanes over c, FMA), hsum, + bias, optional ReLU.
// inp rows are ldIn floats apart, w's (OB rows from the block's first output) ldW, out's ldOut.
// X is T; as a parameter it makes X::sumBiasStore4x4 dependent, so traits without it (AVX2) compile.
template <int RB, int OB, class X = T>
inline void forwardBlock(float* out, const float* inp, int64_t ldIn, const float* w, int64_t ldW, const float* bias, int b, int C, int ldOut, bool relu) {
  V acc[RB][OB];
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < OB; j++) acc[r][j] = T::zero();
  int c = 0;
  for (; c + N <= C; c += N) {
    V x[RB];
    for (int r = 0; r < RB; r++) x[r] = T::load(inp + (b + r) * ldIn + c);
    for (int j = 0; j < OB; j++) {
      const V wv = T::load(w + j * ldW + c);
      for (int r = 0; r < RB; r++) acc[r][j] = T::fma(x[r], wv, acc[r][j]);
    }
  }
  if (c < C) {
    const M m = T::mask(C - c);
    V x[RB];
    for (int r = 0; r < RB; r++) x[r] = T::loadm(inp + (b + r) * ldIn + c, m);
    for (int j = 0; j < OB; j++) {
      const V wv = T::loadm(w + j * ldW + c, m);
      for (int r = 0; r < RB; r++) acc[r][j] = T::fma(x[r], wv, acc[r][j]);
    }
  }
  // X::sumBiasStore4x4 (isa-avx512.cc): the loop below for a 4 × 4 block, its sums side by side
  if constexpr (RB == 4 && OB == 4 && X::SUMS_4X4) {
    X::sumBiasStore4x4(&acc[0][0], bias, out + (int64_t)b * ldOut, ldOut, relu);
    return;
  }
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < OB; j++) {
      const float y = T::hsum(acc[r][j]) + bias[j];
      out[(int64_t)(b + r) * ldOut + j] = relu && !(y > 0) ? 0.0f : y;
    }
}

// The last B − b < RB rows as one block of exactly that many rows (the same per-row operations).
template <int RB, int OB>
inline void forwardTail(float* out, const float* inp, int64_t ldIn, const float* w, int64_t ldW, const float* bias, int b, int rows, int C, int ldOut, bool relu) {
  if constexpr (RB > 0) {
    if (rows == RB) forwardBlock<RB, OB>(out, inp, ldIn, w, ldW, bias, b, C, ldOut, relu);
    else forwardTail<RB - 1, OB>(out, inp, ldIn, w, ldW, bias, b, rows, C, ldOut, relu);
  }
}

// Outputs outer, rows inner: a block of weight rows stays in L1 while every batch row passes.
// out, w and bias point at the block's first output.
template <int OB>
inline void forwardOutputs(float* out, const float* inp, int64_t ldIn, const float* w, int64_t ldW, const float* bias, int B, int C, int ldOut, bool relu) {
  int b = 0;
  for (; b + T::FWD_RB <= B; b += T::FWD_RB) forwardBlock<T::FWD_RB, OB>(out, inp, ldIn, w, ldW, bias, b, C, ldOut, relu);
  forwardTail<T::FWD_RB - 1, OB>(out, inp, ldIn, w, ldW, bias, b, B - b, C, ldOut, relu);
}

// Rows in tiles of FWD_ROW_TILE, outputs inside: a tile of input rows stays in L2 while every
// weight row passes, so a tall input (a conv's im2col matrix: B·OH·OW rows) is read once, not
// once per output block. Each row's outputs are the same operations whatever its tile.
constexpr int FWD_ROW_TILE = 64;

// out rows are ldOut floats apart (ldOut ≥ OC): the engine's feature cut computes outputs
// [o0, o1) of a wider layer with out, weight and bias pointing at output o0. An output's sum is
// the same operations whatever block (or cut) it falls in. An input tile or a block of weight
// rows that straddles cache lines (straddles above) is read from an aligned copy.
void denseForward(float* out, const float* inp, const float* weight, const float* bias, int B, int C, int OC, bool relu, int ldOut) {
  constexpr int OB = T::FWD_OB;
  const int Cp = paddedWidth(C);
  const bool copyIn = C > N && straddles(inp, C), copyW = C > N && straddles(weight, C);
  float* inCopy = copyIn ? scratchFloats<0>((size_t)FWD_ROW_TILE * Cp) : nullptr;
  float* wCopy = copyW ? scratchFloats<1>((size_t)OB * Cp) : nullptr;
  for (int b0 = 0; b0 < B; b0 += FWD_ROW_TILE) {
    const int rows = B - b0 < FWD_ROW_TILE ? B - b0 : FWD_ROW_TILE;
    const Rows in = readable(inp + (int64_t)b0 * C, C, rows, C, inCopy, Cp);
    float* o_ = out + (int64_t)b0 * ldOut;
    int o = 0;
    for (; o + OB <= OC; o += OB) {
      const Rows w = readable(weight + (int64_t)o * C, C, OB, C, wCopy, Cp);
      forwardOutputs<OB>(o_ + o, in.p, in.ld, w.p, w.ld, bias + o, rows, C, ldOut, relu);
    }
    for (; o < OC; o++) forwardOutputs<1>(o_ + o, in.p, in.ld, weight + (int64_t)o * C, C, bias + o, rows, C, ldOut, relu);
  }
}

// ---- ROWS: input gradient, axpy along C --------------------------------------------------

// dinp[b..b+RB, c..c+CB·N): Σ_o dout[b,o]·W[o,c] (sequential over o), masked by the ReLU output
template <int RB, int CB>
inline void inputGradBlock(float* dinp, const float* dout, const float* w, int64_t ldW, const float* mask, int b, int c, int ld, int OC, int tail) {
  V acc[RB][CB];
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < CB; j++) acc[r][j] = T::zero();
  const M m = T::mask(tail);  // lanes of the last vector (N when the block is whole)
  for (int o = 0; o < OC; o++) {
    V wv[CB];
    for (int j = 0; j < CB; j++) wv[j] = j + 1 < CB || tail == N ? T::load(w + o * ldW + j * N) : T::loadm(w + o * ldW + j * N, m);
    for (int r = 0; r < RB; r++) {
      const V g = T::set1(dout[(int64_t)(b + r) * OC + o]);
      for (int j = 0; j < CB; j++) acc[r][j] = T::fma(g, wv[j], acc[r][j]);
    }
  }
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < CB; j++) {
      const int64_t i = (int64_t)(b + r) * ld + c + j * N;
      const bool whole = j + 1 < CB || tail == N;
      V v = acc[r][j];
      if (mask) v = T::keepPositive(v, whole ? T::load(mask + i) : T::loadm(mask + i, m));
      if (whole) T::store(dinp + i, v);
      else T::storem(dinp + i, m, v);
    }
}

template <int RB, int CB>
inline void inputGradTail(float* dinp, const float* dout, const float* w, int64_t ldW, const float* mask, int b, int rows, int c, int ld, int OC, int tail) {
  if constexpr (RB > 0) {
    if (rows == RB) inputGradBlock<RB, CB>(dinp, dout, w, ldW, mask, b, c, ld, OC, tail);
    else inputGradTail<RB - 1, CB>(dinp, dout, w, ldW, mask, b, rows, c, ld, OC, tail);
  }
}

template <int CB>
inline void inputGradColumns(float* dinp, const float* dout, const float* w, int64_t ldW, const float* mask, int c, int B, int ld, int OC, int tail) {
  int b = 0;
  for (; b + T::DX_RB <= B; b += T::DX_RB) inputGradBlock<T::DX_RB, CB>(dinp, dout, w, ldW, mask, b, c, ld, OC, tail);
  inputGradTail<T::DX_RB - 1, CB>(dinp, dout, w, ldW, mask, b, B - b, c, ld, OC, tail);
}

// Columns outer, rows inner: a strip of weight columns stays in cache while every row passes.
// Rows of dinp, weight and mask are ld floats apart (ld ≥ C): the feature cut computes columns
// [c0, c1) of a wider layer's input gradient with the three pointing at column c0. Each column is
// its own lane of the same sequential sum over o, whatever its block (or cut).
// A strip of weight columns whose rows straddle cache lines is read from an aligned copy, its
// rows CB·N floats apart (straddles above), where enough rows pass to pay for the copy: fc2's dx
// (520 columns, AVX-512) went from 75% to 78–79% of peak at 64 rows but from 74–75% to 70–71%
// at 32 (one process, alternated builds).
constexpr int DX_COPY_MIN_ROWS = 64;
void denseInputGrad(float* dinp, const float* dout, const float* weight, const float* mask, int B, int C, int OC, int ld) {
  constexpr int CB = T::DX_CB;
  const bool copyW = B >= DX_COPY_MIN_ROWS && straddles(weight, ld);
  float* strip = copyW ? scratchFloats<2>((size_t)OC * CB * N) : nullptr;
  int c = 0;
  for (; c + CB * N <= C; c += CB * N) {
    const Rows w = readable(weight + c, ld, OC, CB * N, strip, CB * N);
    inputGradColumns<CB>(dinp, dout, w.p, w.ld, mask, c, B, ld, OC, N);
  }
  for (; c < C; c += N) inputGradColumns<1>(dinp, dout, weight + c, ld, mask, c, B, ld, OC, C - c < N ? C - c : N);
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
  // Ask for θ_{t+1}'s lines of this tile for writing now, so they are owned by the time the sums
  // are done. Under the feature cut the other worker's input gradient read them (as θ_{t−1}, the
  // same buffer) a step ago: each store otherwise waited to take its line back from the other
  // core. 2 workers, seed MLP: PARAMS 0.39–0.43 → 0.36–0.38 ms per step; alone, no change
  // (docs/benchmarks.md). Needs prfchw (isa-*.cc), or it is a plain prefetch.
  if (!h.gradOnly)
    for (int r = 0; r < OB; r++)
      for (int j = 0; j < CB; j++) __builtin_prefetch(p.weightOut + (int64_t)(o + r) * C + c + j * N, 1, 3);
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

// Rows o..o+OB, columns [c0, c1): full tiles of CB vectors, then (only where c1 = C) the last
// vectors one at a time, masked. sqMem (OB·N floats) carries each row's Σ g² lanes from the
// columns before c0 to those after c1 (stored and reloaded exactly).
template <int OB>
inline void weightGradColumns(const DenseParams& p, float* sqMem, const float* dout, const float* inp, int B, int C, int OC, int o, int c0, int c1, const SgdHyper& h) {
  constexpr int CB = T::DW_CB;
  V sq[OB];
  for (int r = 0; r < OB; r++) sq[r] = T::load(sqMem + r * N);
  int c = c0;
  for (; c + CB * N <= c1; c += CB * N) weightGradTile<OB, CB>(p, sq, dout, inp, B, C, OC, o, c, N, h);
  for (; c < c1; c += N) weightGradTile<OB, 1>(p, sq, dout, inp, B, C, OC, o, c, C - c < N ? C - c : N, h);
  for (int r = 0; r < OB; r++) T::store(sqMem + r * N, sq[r]);
}

template <int OB>
inline void weightGradColumnsTail(const DenseParams& p, float* sq, const float* dout, const float* inp, int B, int C, int OC, int o, int rows, int c0, int c1, const SgdHyper& h) {
  if constexpr (OB > 0) {
    if (rows == OB) weightGradColumns<OB>(p, sq, dout, inp, B, C, OC, o, c0, c1, h);
    else weightGradColumnsTail<OB - 1>(p, sq, dout, inp, B, C, OC, o, rows, c0, c1, h);
  }
}

// Columns in tiles of DW_C_TILE (a multiple of every CB·N), every block of output rows inside:
// the tile of the input (B ≤ DW_B_TILE rows × DW_C_TILE, ≤ 256 KB) stays in L2 while the blocks
// pass, where untiled each block read all of the input again (the MNIST CNN's fc1, C = 9216:
// 2.4 MB from L3 for each of its 32 blocks per step). Each element's sum is the same FMA chain
// over b, and each row's Σ g² runs over c in the same ascending order: the same bits.
constexpr int DW_C_TILE = 512;
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
  if (o0 >= o1) return;
  // each row's Σ g² lanes between column tiles: (o1 − o0, N) floats (a vector of V would be
  // built by std:: code compiled outside this ISA's target)
  static thread_local std::vector<float> sq;
  sq.assign((size_t)(o1 - o0) * N, 0.0f);
  constexpr int OB = T::DW_OB;
  for (int c0 = 0; c0 < C; c0 += DW_C_TILE) {
    const int c1 = C - c0 <= DW_C_TILE ? C : c0 + DW_C_TILE;
    int o = o0;
    for (; o + OB <= o1; o += OB) weightGradColumns<OB>(p, sq.data() + (size_t)(o - o0) * N, dout, inp, B, C, OC, o, c0, c1, h);
    weightGradColumnsTail<OB - 1>(p, sq.data() + (size_t)(o - o0) * N, dout, inp, B, C, OC, o, o1 - o, c0, c1, h);
  }
  for (int o = o0; o < o1; o++) finishRow(p, rowSq, T::load(sq.data() + (size_t)(o - o0) * N), dout, B, OC, o, h);
}
