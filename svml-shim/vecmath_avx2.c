/* svml-shim vector math, the 256-bit entry points (ufg_<func>_f64x4 / f32x8).
 * Compiled with -mavx2 (see vecmath.h for why the whole translation unit). */
#define _GNU_SOURCE
#include "vecmath.h"

__attribute__((target("avx2"))) static inline int ufg_ord_f64x4(__m256d x, double lo, double hi) {
    __m256d a = _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
    __m256d m = _mm256_and_pd(_mm256_cmp_pd(a, _mm256_set1_pd(lo), _CMP_GE_OQ),
                              _mm256_cmp_pd(a, _mm256_set1_pd(hi), _CMP_LE_OQ));
    return _mm256_movemask_pd(m) == 0xF;
}
__attribute__((target("avx2"))) static inline int ufg_ord_f32x8(__m256 x, float lo, float hi) {
    __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256 m = _mm256_and_ps(_mm256_cmp_ps(a, _mm256_set1_ps(lo), _CMP_GE_OQ),
                             _mm256_cmp_ps(a, _mm256_set1_ps(hi), _CMP_LE_OQ));
    return _mm256_movemask_ps(m) == 0xFF;
}

__attribute__((target("avx2"))) static inline int ufg_one_f64x4(__m256d x) {
    __m256d a = _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
    return _mm256_movemask_pd(_mm256_cmp_pd(a, _mm256_set1_pd(1.0), _CMP_EQ_OQ)) != 0;
}
__attribute__((target("avx2"))) static inline int ufg_one_f32x8(__m256 x) {
    __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    return _mm256_movemask_ps(_mm256_cmp_ps(a, _mm256_set1_ps(1.0f), _CMP_EQ_OQ)) != 0;
}

/* Whether a lane is NaN (quiet compare), and whether a lane is negative. */
__attribute__((target("avx2"))) static inline int ufg_nan_f64x4(__m256d x) {
    return _mm256_movemask_pd(_mm256_cmp_pd(x, x, _CMP_UNORD_Q)) != 0;
}
__attribute__((target("avx2"))) static inline int ufg_neg_f64x4(__m256d x) {
    return _mm256_movemask_pd(_mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_LT_OQ)) != 0;
}
__attribute__((target("avx2"))) static inline int ufg_nan_f32x8(__m256 x) {
    return _mm256_movemask_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q)) != 0;
}
__attribute__((target("avx2"))) static inline int ufg_neg_f32x8(__m256 x) {
    return _mm256_movemask_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ)) != 0;
}

UFG_DEF_ENTRIES(ufg_vm_entries_avx2, AVX2)
