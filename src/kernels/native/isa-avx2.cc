// The kernels for AVX2 + FMA: 8 float lanes (__m256), masked tails with vmaskmov.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <immintrin.h>
#include <vector>

#include "ops.h"

// Everything below is compiled for AVX2 + FMA; the standard headers above are not, so no inline
// function they define can carry these instructions into code the other ISA's unit shares.
#pragma GCC push_options
#pragma GCC target("avx2,fma,prfchw")

namespace dptrain_avx2 {

struct T {
  using V = __m256;
  using M = __m256i;
  static constexpr int N = 8;
  static constexpr const char* NAME = "avx2";
  // Register blocks (16 registers): forward 4 rows × 3 outputs, input gradient 4 rows × 2
  // vectors, weight gradient 6 rows × 2 vectors (12 accumulators each).
  static constexpr int FWD_RB = 4, FWD_OB = 3, DX_RB = 4, DX_CB = 2, DW_OB = 6, DW_CB = 2;
  // Conv blocks: forward 6 windows × 2 vectors of output channels, weight gradient 6 columns ×
  // 2 vectors (12 accumulators each).
  static constexpr int CONV_RB = 6, CONV_OV = 2, CONV_KB = 6;
  static inline V zero() { return _mm256_setzero_ps(); }
  static inline V set1(float x) { return _mm256_set1_ps(x); }
  static inline V load(const float* p) { return _mm256_loadu_ps(p); }
  static inline void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  /** lanes [0, n) on */
  static inline M mask(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static inline V loadm(const float* p, M m) { return _mm256_maskload_ps(p, m); }
  static inline void storem(float* p, M m, V v) { _mm256_maskstore_ps(p, m, v); }
  static inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  /** c − a·b */
  static inline V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  static inline V add(V a, V b) { return _mm256_add_ps(a, b); }
  static inline V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static inline V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static inline V div(V a, V b) { return _mm256_div_ps(a, b); }
  static inline V sqrt(V a) { return _mm256_sqrt_ps(a); }
  /** x > 0 ? x : 0 (NaN → 0, as the TS kernel) */
  static inline V relu(V x) { return _mm256_and_ps(x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ)); }
  /** v where m > 0, else 0 */
  static inline V keepPositive(V v, V m) { return _mm256_and_ps(v, _mm256_cmp_ps(m, _mm256_setzero_ps(), _CMP_GT_OQ)); }
  /** ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)): one fixed order */
  static inline float hsum(V v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
  }
  /** no side-by-side sums of a forward block (impl/dense.h's scalar loop does them) */
  static constexpr bool SUMS_4X4 = false;


  /** a > b ? a : b (NaN in a gives b) */
  static inline V max(V a, V b) { return _mm256_max_ps(a, b); }
  /** x > y ? a : b, and x == y ? a : b (ordered: NaN compares false) */
  static inline V selectGt(V x, V y, V a, V b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, y, _CMP_GT_OQ)); }
  static inline V selectEq(V x, V y, V a, V b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, y, _CMP_EQ_OQ)); }
  /** dropout's hash (kernels-impl.h mix32) of h ^ (c, c + 1, …, c + N − 1), lane by lane */
  static inline __m256i mixLanes(uint32_t h, uint32_t c) {
    __m256i x = _mm256_xor_si256(_mm256_set1_epi32((int)h), _mm256_add_epi32(_mm256_set1_epi32((int)c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(0x7feb352d));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32((int)0x846ca68bu));
    return _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
  }
  /** v where the lane's hash ≥ threshold (unsigned), else +0 */
  static inline V keepHashed(V v, uint32_t h, uint32_t c, uint32_t threshold) {
    const __m256i x = mixLanes(h, c);
    const __m256i keep = _mm256_cmpeq_epi32(_mm256_max_epu32(x, _mm256_set1_epi32((int)threshold)), x);
    return _mm256_and_ps(v, _mm256_castsi256_ps(keep));
  }
  static inline V u8ToFloat(const uint8_t* p) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))); }
};

#define ISA_OPS_FN ops
#include "kernels-impl.h"
#undef ISA_OPS_FN

}  // namespace dptrain_avx2

#pragma GCC pop_options

const dptrain::Ops* dptrain::avx2Ops() { return dptrain_avx2::ops(); }
