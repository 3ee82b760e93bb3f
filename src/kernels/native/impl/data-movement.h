// im2col / col2im, max-pool, the flatten transpose and dropout. Mirrors src/kernels/ts/conv.ts
// and src/kernels/ts/dropout.ts. Part of kernels-impl.h.

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

// ---- ROWS: data.augment (src/kernels/ts/augment.ts has the definition) ------------------
// Scalar: a row's draws come from the dropout hash; the bilinear arithmetic is f32 in the
// reference's order (the build turns FP contraction off, so no FMA merges a multiply and add).

constexpr uint32_t AUGMENT_STREAM = 0xa06;

void augmentRows(float* out, const float* inp, int B, int C, int H, int W, bool channelsLast, int shift, bool flip, double rotate, float fill, uint32_t seed, uint32_t step, uint32_t row0) {
  const int64_t width = (int64_t)C * H * W;
  const int cs = channelsLast ? 1 : H * W;
  const int ys = channelsLast ? W * C : W;
  const int xs = channelsLast ? C : 1;
  const float cx = static_cast<float>((W - 1) / 2.0);
  const float cy = static_cast<float>((H - 1) / 2.0);
  const uint32_t base = mix32(mix32(seed ^ ((AUGMENT_STREAM + 1u) * 0x9e3779b1u)) ^ step);
  const uint32_t span = static_cast<uint32_t>(2 * shift + 1);
  for (int r = 0; r < B; r++) {
    const uint32_t h = mix32(base ^ (row0 + static_cast<uint32_t>(r)));
    const int dx = shift > 0 ? static_cast<int>(mix32(h ^ 0u) % span) - shift : 0;
    const int dy = shift > 0 ? static_cast<int>(mix32(h ^ 1u) % span) - shift : 0;
    const bool flipped = flip && mix32(h ^ 2u) >= 0x80000000u;
    float c = 1, s = 0;
    if (rotate > 0) {
      const double theta = (static_cast<double>(mix32(h ^ 3u)) / 4294967296.0 * 2 - 1) * rotate * (3.141592653589793 / 180);  // JS: Math.PI / 180
      c = static_cast<float>(std::cos(theta));
      s = static_cast<float>(std::sin(theta));
    }
    const float* src = inp + r * width;
    float* dst = out + r * width;
    auto sample = [&](int ch, int y, int x) { return y >= 0 && y < H && x >= 0 && x < W ? src[(int64_t)ch * cs + (int64_t)y * ys + (int64_t)x * xs] : fill; };
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        const int xf = flipped ? W - 1 - x : x;
        float* o = dst + (int64_t)y * ys + (int64_t)x * xs;
        if (!(rotate > 0)) {
          for (int ch = 0; ch < C; ch++) o[(int64_t)ch * cs] = sample(ch, y - dy, xf - dx);
          continue;
        }
        const float u = static_cast<float>(xf - dx) - cx;
        const float v = static_cast<float>(y - dy) - cy;
        const float px = c * u + s * v + cx;
        const float py = c * v - s * u + cy;
        const float fx0 = std::floor(px), fy0 = std::floor(py);
        const int x0 = static_cast<int>(fx0), y0 = static_cast<int>(fy0);
        const float fx = px - fx0, fy = py - fy0;
        const float gx = 1 - fx, gy = 1 - fy;
        for (int ch = 0; ch < C; ch++) {
          const float top = gx * sample(ch, y0, x0) + fx * sample(ch, y0, x0 + 1);
          const float bottom = gx * sample(ch, y0 + 1, x0) + fx * sample(ch, y0 + 1, x0 + 1);
          o[(int64_t)ch * cs] = gy * top + fy * bottom;
        }
      }
  }
}
