// Convs straight on the NHWC activations: forward, input gradient, weight gradient (fused SGD or
// stored). Uses dense.h's update and row sums. Mirrors src/kernels/ts/conv.ts. Part of kernels-impl.h.

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
  static thread_local std::vector<float> wt;
  if (winogradTakes(g, OC)) {
    winogradWeights(wt, weight, g.C, OC, false);
    winogradConv(out, inp, wt.data(), bias, B, g.C, g.H, g.W, g.pad, g.OH, g.OW, OC, relu);
    return;
  }
  const int KK = g.KH * g.KW, K = g.C * KK;
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
  static thread_local std::vector<float> wx, bordered;
  if (winogradTakes(g, OC)) {
    // the forward of dout (OH, OW, OC) with the weight rotated by 180°, padded by 2 − pad
    winogradWeights(wx, weight, g.C, OC, true);
    winogradConv(dinp, dout, wx.data(), nullptr, B, OC, g.OH, g.OW, 2 - g.pad, g.H, g.W, g.C, false);
    return;
  }
  const int KK = g.KH * g.KW, K = g.C * KK;
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
  // Winograd (C a multiple of N, so along channels) writes the (R, K') sums itself.
  const bool wino = winogradTakes(g, OC);
  const bool alongC = g.C >= N;
  const int ldO = alongC ? K : 1, ldK = alongC ? 1 : R;
  scratch.assign((size_t)K * R, 0.0f);
  sums.assign((size_t)R, 0.0f);
  row.resize((size_t)K);
  const ConvTaps taps(g);
  constexpr int OV = T::CONV_OV, OB = T::DW_OB;
  if (wino) winogradGradSums(scratch.data(), dout, inp, B, g, OC, o0, o1);
  for (int b = 0; b < B; b++) {
    const float* x = inp + (int64_t)b * g.H * g.W * g.C;
    const float* dy = dout + (int64_t)b * g.OH * g.OW * OC;
    if (alongC && !wino) {
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
      if (!alongC) {
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
