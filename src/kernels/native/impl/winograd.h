// Winograd F(2×2, 3×3) for 3×3, stride-1 convs whose channel counts are multiples of N (the
// examples/mnist CNN's conv2, 32 → 64): 16 products per 2×2 outputs ("tile") and channel pair
// instead of 36. The same algorithm, matrices and tile order as the wasm set's
// (src/kernels/wasm/assembly/winograd.ts, which has the derivation); here the 16 GEMMs per chunk
// of tiles run FMA register blocks. Part of kernels-impl.h; conv.h calls it.
//
// Contracts (the direct kernels'): forward and input gradient are row independent (a tile's
// outputs depend only on its own image); the weight gradient of row o sums its tiles' products
// in ascending tile order t = (b·TH + th)·TW + tw, FMA by FMA, whatever rows [o0, o1) the call
// covers. The transforms are plain adds, subtracts and multiplies by ½ in a fixed order.

// Tiles transformed and multiplied at a time. At 16, the 16 planes of a chunk's transformed
// inputs (16 · 16 tiles · C floats: 32 KB for conv2's 32 channels) stay in L1 between the
// transform that writes them and the 16 GEMMs that read them; at 64 (128 KB) they went to L2.
// One AVX-512 core, conv2 of the MNIST CNN (test shapes, 10 calls, two runs): weight gradient
// 6.4 → 5.2–5.9 ms for its 64 rows, and 5.0 + 2.3 → 3.5–4.0 + 1.7–1.8 ms cut 48 | 16 as two
// workers cut it; forward (32 images) 2.55 → 2.2 ms; input gradient unchanged (3.5). The sums are
// the same FMA chains, over ascending tiles, whatever the chunk.
constexpr int WINO_CHUNK = 16;

inline bool winogradTakes(const dptrain::ConvGeometry& g, int OC) {
  return g.KH == 3 && g.KW == 3 && g.stride == 1 && g.pad >= 0 && g.pad <= 2 && g.C % N == 0 && OC % N == 0;
}

// U (16, Cin, Cout) = G g Gᵀ per channel pair; forward: Cin = C, Cout = OC; flipped (the input
// gradient): Cin = OC, Cout = C and g rotated by 180°.
inline void winogradWeights(std::vector<float>& U, const float* weight, int C, int OC, bool flipped) {
  const int Cin = flipped ? OC : C, Cout = flipped ? C : OC;
  const size_t plane = (size_t)Cin * Cout;
  U.resize(16 * plane);
  for (int o = 0; o < OC; o++)
    for (int c = 0; c < C; c++) {
      const float* w = weight + ((int64_t)o * C + c) * 9;
      float g[9];
      for (int i = 0; i < 9; i++) g[i] = flipped ? w[8 - i] : w[i];
      float tmp[4][3];
      for (int j = 0; j < 3; j++) {
        tmp[0][j] = g[j];
        tmp[1][j] = (g[j] + g[3 + j] + g[6 + j]) * 0.5f;
        tmp[2][j] = (g[j] - g[3 + j] + g[6 + j]) * 0.5f;
        tmp[3][j] = g[6 + j];
      }
      float* dst = U.data() + (flipped ? (size_t)o * Cout + c : (size_t)c * Cout + o);
      for (int r = 0; r < 4; r++) {
        const float a = tmp[r][0], b = tmp[r][1], d = tmp[r][2];
        dst[(4 * r) * plane] = a;
        dst[(4 * r + 1) * plane] = (a + b + d) * 0.5f;
        dst[(4 * r + 2) * plane] = (a - b + d) * 0.5f;
        dst[(4 * r + 3) * plane] = d;
      }
    }
}

// Vt[ξ, i, c] (plane: the chunk's tiles · C floats) = (Bᵀ d B)[ξ] of the 4×4 patch of img (H, W, C) with corner (h0, w0), zero outside.
inline void winogradInputTile(float* Vt, int64_t plane, int i, const float* img, int C, int H, int W, int h0, int w0) {
  const bool inside = h0 >= 0 && w0 >= 0 && h0 + 4 <= H && w0 + 4 <= W;
  for (int c = 0; c < C; c += N) {
    V d[4][4];
    for (int r = 0; r < 4; r++)
      for (int s = 0; s < 4; s++) {
        const int h = h0 + r, w = w0 + s;
        d[r][s] = inside || (h >= 0 && w >= 0 && h < H && w < W) ? T::load(img + ((int64_t)h * W + w) * C + c) : T::zero();
      }
    V e[4][4];
    for (int s = 0; s < 4; s++) {
      e[0][s] = T::sub(d[0][s], d[2][s]);
      e[1][s] = T::add(d[1][s], d[2][s]);
      e[2][s] = T::sub(d[2][s], d[1][s]);
      e[3][s] = T::sub(d[1][s], d[3][s]);
    }
    float* dst = Vt + (int64_t)i * C + c;
    for (int r = 0; r < 4; r++) {
      T::store(dst + (4 * r) * plane, T::sub(e[r][0], e[r][2]));
      T::store(dst + (4 * r + 1) * plane, T::add(e[r][1], e[r][2]));
      T::store(dst + (4 * r + 2) * plane, T::sub(e[r][2], e[r][1]));
      T::store(dst + (4 * r + 3) * plane, T::sub(e[r][1], e[r][3]));
    }
  }
}

// Cm[r, j·N..] (+)= Σ_k A[r·aRow + k·aK] · Bm[k·ldb + j·N..] for RB rows × CV vectors, FMA by
// FMA in ascending k, from 0 or from Cm's values (accumulate).
template <int RB, int CV>
inline void winogradGemmBlock(float* Cm, int64_t ldc, const float* A, int64_t aRow, int64_t aK, const float* Bm, int64_t ldb, int K, bool accumulate) {
  V acc[RB][CV];
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < CV; j++) acc[r][j] = accumulate ? T::load(Cm + r * ldc + j * N) : T::zero();
  for (int k = 0; k < K; k++) {
    V b[CV];
    for (int j = 0; j < CV; j++) b[j] = T::load(Bm + k * ldb + j * N);
    for (int r = 0; r < RB; r++) {
      const V a = T::set1(A[r * aRow + k * aK]);
      for (int j = 0; j < CV; j++) acc[r][j] = T::fma(a, b[j], acc[r][j]);
    }
  }
  for (int r = 0; r < RB; r++)
    for (int j = 0; j < CV; j++) T::store(Cm + r * ldc + j * N, acc[r][j]);
}

// Register blocks: RB rows × up to CV vectors of accumulators (AVX-512: 6 × 4 = 24 of its 32
// registers; AVX2: 4 × 3 = 12 of 16), with the B vectors and one broadcast beside them.
constexpr int WINO_RB = N == 16 ? 6 : 4, WINO_CV = N == 16 ? 4 : 3;

template <int RB>
inline void winogradGemmRows(float* Cm, int64_t ldc, const float* A, int64_t aRow, int64_t aK, const float* Bm, int64_t ldb, int K, int cols, bool accumulate) {
  int j = 0;
  for (; j + WINO_CV * N <= cols; j += WINO_CV * N) winogradGemmBlock<RB, WINO_CV>(Cm + j, ldc, A, aRow, aK, Bm + j, ldb, K, accumulate);
  const int rest = (cols - j) / N;
  if (rest == 3) winogradGemmBlock<RB, 3>(Cm + j, ldc, A, aRow, aK, Bm + j, ldb, K, accumulate);
  else if (rest == 2) winogradGemmBlock<RB, 2>(Cm + j, ldc, A, aRow, aK, Bm + j, ldb, K, accumulate);
  else if (rest == 1) winogradGemmBlock<RB, 1>(Cm + j, ldc, A, aRow, aK, Bm + j, ldb, K, accumulate);
}

// All `rows` rows and `cols` columns (a multiple of N) of the product above: blocks of RB rows,
// then one smaller block for the rest (the same FMAs per element either way).
template <int RB>
inline void winogradGemm(float* Cm, int64_t ldc, const float* A, int64_t aRow, int64_t aK, const float* Bm, int64_t ldb, int K, int rows, int cols, bool accumulate) {
  int r = 0;
  for (; r + RB <= rows; r += RB) winogradGemmRows<RB>(Cm + r * ldc, ldc, A + r * aRow, aRow, aK, Bm, ldb, K, cols, accumulate);
  if constexpr (RB > 1) {
    if (r < rows) winogradGemm<RB - 1>(Cm + r * ldc, ldc, A + r * aRow, aRow, aK, Bm, ldb, K, rows - r, cols, accumulate);
  }
}

// out (B, OH, OW, Cout) = inp (B, H, W, Cin) ⊛ the weight U holds, padded by pad, + bias (or
// none), optional ReLU.
inline void winogradConv(float* out, const float* inp, const float* U, const float* bias, int B, int Cin, int H, int W, int pad, int OH, int OW, int Cout, bool relu) {
  const int TH = (OH + 1) / 2, TW = (OW + 1) / 2, perImage = TH * TW, total = B * perImage;
  static thread_local std::vector<float> Vbuf, Mbuf;
  Vbuf.resize((size_t)16 * WINO_CHUNK * Cin);
  Mbuf.resize((size_t)16 * WINO_CHUNK * Cout);
  const int64_t vPlane = (int64_t)WINO_CHUNK * Cin, mPlane = (int64_t)WINO_CHUNK * Cout, uPlane = (int64_t)Cin * Cout;
  for (int t0 = 0; t0 < total; t0 += WINO_CHUNK) {
    const int n = total - t0 < WINO_CHUNK ? total - t0 : WINO_CHUNK;
    for (int i = 0; i < n; i++) {
      const int t = t0 + i, b = t / perImage, r = t - b * perImage, th = r / TW, tw = r - th * TW;
      winogradInputTile(Vbuf.data(), vPlane, i, inp + (int64_t)b * H * W * Cin, Cin, H, W, 2 * th - pad, 2 * tw - pad);
    }
    for (int xi = 0; xi < 16; xi++)
      winogradGemm<WINO_RB>(Mbuf.data() + xi * mPlane, Cout, Vbuf.data() + xi * vPlane, Cin, 1, U + xi * uPlane, Cout, Cin, n, Cout, false);
    for (int i = 0; i < n; i++) {
      const int t = t0 + i, b = t / perImage, r = t - b * perImage, th = r / TW, tw = r - th * TW;
      const int oh = 2 * th, ow = 2 * tw;
      const bool right = ow + 1 < OW, below = oh + 1 < OH;
      float* img = out + (int64_t)b * OH * OW * Cout;
      for (int o = 0; o < Cout; o += N) {
        const float* m = Mbuf.data() + (int64_t)i * Cout + o;
        V s[2][4];
        for (int j = 0; j < 4; j++) {
          const V m0 = T::load(m + j * mPlane), m1 = T::load(m + (4 + j) * mPlane);
          const V m2 = T::load(m + (8 + j) * mPlane), m3 = T::load(m + (12 + j) * mPlane);
          s[0][j] = T::add(T::add(m0, m1), m2);
          s[1][j] = T::sub(T::sub(m1, m2), m3);
        }
        const V bv = bias ? T::load(bias + o) : T::zero();
        for (int r = 0; r < 2; r++) {
          if (r == 1 && !below) break;
          float* p = img + ((int64_t)(oh + r) * OW + ow) * Cout + o;
          V y0 = T::add(T::add(T::add(s[r][0], s[r][1]), s[r][2]), bv);
          T::store(p, relu ? T::relu(y0) : y0);
          if (right) {
            V y1 = T::add(T::sub(T::sub(s[r][1], s[r][2]), s[r][3]), bv);
            T::store(p + Cout, relu ? T::relu(y1) : y1);
          }
        }
      }
    }
  }
}

// acc (R, K') row-major, k' = (kh·3 + kw)·C + c: Σ over the batch's tiles ascending of
// Gᵀ [(A dY Aᵀ) ⊙ (Bᵀ d B)] G for rows [o0, o1), written over acc.
inline void winogradGradSums(float* acc, const float* dout, const float* inp, int B, const dptrain::ConvGeometry& g, int OC, int o0, int o1) {
  const int R = o1 - o0, C = g.C, K = 9 * C;
  const int TH = (g.OH + 1) / 2, TW = (g.OW + 1) / 2, perImage = TH * TW, total = B * perImage;
  static thread_local std::vector<float> Vbuf, Dbuf, Mt;
  Vbuf.resize((size_t)16 * WINO_CHUNK * C);
  Dbuf.resize((size_t)16 * WINO_CHUNK * R);
  Mt.assign((size_t)16 * R * C, 0.0f);
  const int64_t vPlane = (int64_t)WINO_CHUNK * C, dPlane = (int64_t)WINO_CHUNK * R, mPlane = (int64_t)R * C;
  for (int t0 = 0; t0 < total; t0 += WINO_CHUNK) {
    const int n = total - t0 < WINO_CHUNK ? total - t0 : WINO_CHUNK;
    for (int i = 0; i < n; i++) {
      const int t = t0 + i, b = t / perImage, r = t - b * perImage, th = r / TW, tw = r - th * TW;
      const int oh = 2 * th, ow = 2 * tw;
      winogradInputTile(Vbuf.data(), vPlane, i, inp + (int64_t)b * g.H * g.W * C, C, g.H, g.W, oh - g.pad, ow - g.pad);
      // D[ξ, i, r] = (A dY Aᵀ)[ξ] of the tile's 2×2 output gradients (zero outside)
      const bool right = ow + 1 < g.OW, below = oh + 1 < g.OH;
      const float* y = dout + ((int64_t)b * g.OH * g.OW + (int64_t)oh * g.OW + ow) * OC + o0;
      const int64_t next = OC, down = (int64_t)g.OW * OC;
      float* d = Dbuf.data() + (int64_t)i * R;
      for (int r2 = 0; r2 < R; r2 += N) {
        const int lanes = R - r2 < N ? R - r2 : N;
        const M mk = T::mask(lanes);
        const V y00 = T::loadm(y + r2, mk), y01 = right ? T::loadm(y + next + r2, mk) : T::zero();
        const V y10 = below ? T::loadm(y + down + r2, mk) : T::zero(), y11 = below && right ? T::loadm(y + down + next + r2, mk) : T::zero();
        const V p[4][2] = {{y00, y01}, {T::add(y00, y10), T::add(y01, y11)}, {T::sub(y00, y10), T::sub(y01, y11)}, {T::sub(T::zero(), y10), T::sub(T::zero(), y11)}};
        for (int a = 0; a < 4; a++) {
          T::storem(d + (4 * a) * dPlane + r2, mk, p[a][0]);
          T::storem(d + (4 * a + 1) * dPlane + r2, mk, T::add(p[a][0], p[a][1]));
          T::storem(d + (4 * a + 2) * dPlane + r2, mk, T::sub(p[a][0], p[a][1]));
          T::storem(d + (4 * a + 3) * dPlane + r2, mk, T::sub(T::zero(), p[a][1]));
        }
      }
    }
    // Mt_ξ (R, C) += Σ_i D_ξ[i, r] · V_ξ[i, c]
    for (int xi = 0; xi < 16; xi++)
      winogradGemm<WINO_RB>(Mt.data() + xi * mPlane, C, Dbuf.data() + xi * dPlane, 1, R, Vbuf.data() + xi * vPlane, C, n, R, C, true);
  }
  for (int oa = 0; oa < R; oa++)
    for (int c = 0; c < C; c++) {
      const float* m = Mt.data() + (int64_t)oa * C + c;
      float q[3][4];
      for (int j = 0; j < 4; j++) {
        const float a = m[j * mPlane], b = m[(4 + j) * mPlane], c2 = m[(8 + j) * mPlane], d = m[(12 + j) * mPlane];
        q[0][j] = a + b * 0.5f + c2 * 0.5f;
        q[1][j] = b * 0.5f - c2 * 0.5f;
        q[2][j] = b * 0.5f + c2 * 0.5f + d;
      }
      float* row = acc + (int64_t)oa * K;
      for (int kh = 0; kh < 3; kh++) {
        row[(kh * 3) * C + c] = q[kh][0] + q[kh][1] * 0.5f + q[kh][2] * 0.5f;
        row[(kh * 3 + 1) * C + c] = q[kh][1] * 0.5f - q[kh][2] * 0.5f;
        row[(kh * 3 + 2) * C + c] = q[kh][1] * 0.5f + q[kh][2] * 0.5f + q[kh][3];
      }
    }
}
