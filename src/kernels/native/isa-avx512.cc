// The kernels for AVX-512F: 16 float lanes (__m512), masked tails with k-registers.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <immintrin.h>
#include <vector>

#include "ops.h"

// Everything below is compiled for AVX-512F; the standard headers above are not (see isa-avx2.cc).
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma,prfchw")

namespace dptrain_avx512 {

struct T {
  using V = __m512;
  using M = __mmask16;
  static constexpr int N = 16;
  static constexpr const char* NAME = "avx512";
  // 32 registers: forward 4 rows × 4 outputs; input gradient 4 rows × 4 vectors (× 2 was 5–10% slower at 32 and
  // 64 rows); weight gradient 8 rows × 2 vectors (each input vector, read from L2, feeds 8 FMAs: the CNN's fc1
  // without its update went from 41–44% to 67–72% of peak; × 4 vectors changed nothing). A/B'd in one process.
  static constexpr int FWD_RB = 4, FWD_OB = 4, DX_RB = 4, DX_CB = 4, DW_OB = 8, DW_CB = 2;
  // Conv blocks as AVX2's (kernels-impl.h): 6 windows or columns × 2 vectors.
  static constexpr int CONV_RB = 6, CONV_OV = 2, CONV_KB = 6;
  static inline V zero() { return _mm512_setzero_ps(); }
  static inline V set1(float x) { return _mm512_set1_ps(x); }
  static inline V load(const float* p) { return _mm512_loadu_ps(p); }
  static inline void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static inline M mask(int n) { return n >= 16 ? (M)0xffff : (M)((1u << n) - 1); }
  static inline V loadm(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static inline void storem(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static inline V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  static inline V add(V a, V b) { return _mm512_add_ps(a, b); }
  static inline V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static inline V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static inline V div(V a, V b) { return _mm512_div_ps(a, b); }
  static inline V sqrt(V a) { return _mm512_sqrt_ps(a); }
  static inline V relu(V x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), x); }
  static inline V keepPositive(V v, V m) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(m, _mm512_setzero_ps(), _CMP_GT_OQ), v); }
  /** the two 256-bit halves added, then the AVX2 order */
  static inline float hsum(V v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
  }
  /**
   * The forward's 4 rows × 4 outputs at once: out[r·stride + j] = hsum(a[4r + j]) + bias[j], then
   * ReLU. The 16 sums are computed side by side by the very additions hsum makes (each level adds
   * the same two partial sums, 16 vectors at a time), so the bits are hsum's; then one add of the
   * bias and four 4-float stores. A third of the instructions of 16 hsums and scalar stores: it
   * matters where each output has only C / 16 FMAs to amortize its sum (fc4: 15).
   */
  static constexpr bool SUMS_4X4 = true;
  static inline void sumBiasStore4x4(const V* a, const float* bias, float* out, int64_t stride, bool relu) {
    V h[8], s[4], t[2];
    // h = lo256 + hi256: pair (2k, 2k+1) → [h(a[2k]) | h(a[2k+1])]
    for (int k = 0; k < 8; k++)
      h[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], 0x44), _mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], 0xEE));
    // s = lo128 + hi128 of each 8-lane h: 128-bit lane q of s[k] is a[4k + q]'s
    for (int k = 0; k < 4; k++)
      s[k] = _mm512_add_ps(_mm512_shuffle_f32x4(h[2 * k], h[2 * k + 1], 0x88), _mm512_shuffle_f32x4(h[2 * k], h[2 * k + 1], 0xDD));
    // t = s + movehl(s): per 128-bit lane q, [t0, t1] of a[8k + q], then of a[8k + 4 + q]
    for (int k = 0; k < 2; k++)
      t[k] = _mm512_add_ps(_mm512_shuffle_ps(s[2 * k], s[2 * k + 1], 0x44), _mm512_shuffle_ps(s[2 * k], s[2 * k + 1], 0xEE));
    // r = t0 + t1: element e of 128-bit lane q is the sum of a[4e + q], i.e. row e, output q
    const V r = _mm512_add_ps(_mm512_shuffle_ps(t[0], t[1], 0x88), _mm512_shuffle_ps(t[0], t[1], 0xDD));
    // transpose to 128-bit lane e = row e's four outputs, then + bias (the same f32 add as scalar)
    const V rows = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), r);
    V y = _mm512_add_ps(rows, _mm512_broadcast_f32x4(_mm_loadu_ps(bias)));
    if (relu) y = T::relu(y);
    _mm_storeu_ps(out, _mm512_castps512_ps128(y));
    _mm_storeu_ps(out + stride, _mm512_extractf32x4_ps(y, 1));
    _mm_storeu_ps(out + 2 * stride, _mm512_extractf32x4_ps(y, 2));
    _mm_storeu_ps(out + 3 * stride, _mm512_extractf32x4_ps(y, 3));
  }
  static inline V max(V a, V b) { return _mm512_max_ps(a, b); }
  static inline V selectGt(V x, V y, V a, V b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, y, _CMP_GT_OQ), b, a); }
  static inline V selectEq(V x, V y, V a, V b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, y, _CMP_EQ_OQ), b, a); }
  static inline __m512i mixLanes(uint32_t h, uint32_t c) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512i x = _mm512_xor_si512(_mm512_set1_epi32((int)h), _mm512_add_epi32(_mm512_set1_epi32((int)c), lanes));
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32(0x7feb352d));
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32((int)0x846ca68bu));
    return _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
  }
  static inline V keepHashed(V v, uint32_t h, uint32_t c, uint32_t threshold) {
    return _mm512_maskz_mov_ps(_mm512_cmpge_epu32_mask(mixLanes(h, c), _mm512_set1_epi32((int)threshold)), v);
  }
  static inline V u8ToFloat(const uint8_t* p) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))); }
};

#define ISA_OPS_FN ops
#include "kernels-impl.h"
#undef ISA_OPS_FN

}  // namespace dptrain_avx512

#pragma GCC pop_options

const dptrain::Ops* dptrain::avx512Ops() { return dptrain_avx512::ops(); }
