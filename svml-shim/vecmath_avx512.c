/* svml-shim vector math, the 512-bit entry points (ufg_<func>_f64x8 / f32x16).
 * Compiled with -mavx512f (see vecmath.h for why the whole translation unit). */
#define _GNU_SOURCE
#include "vecmath.h"

__attribute__((target("avx512f"))) static inline int ufg_ord_f64x8(__m512d x, double lo, double hi) {
    __m512d a = _mm512_abs_pd(x);
    return (_mm512_cmp_pd_mask(a, _mm512_set1_pd(lo), _CMP_GE_OQ) &
            _mm512_cmp_pd_mask(a, _mm512_set1_pd(hi), _CMP_LE_OQ)) == 0xFF;
}
__attribute__((target("avx512f"))) static inline int ufg_ord_f32x16(__m512 x, float lo, float hi) {
    __m512 a = _mm512_abs_ps(x);
    return (_mm512_cmp_ps_mask(a, _mm512_set1_ps(lo), _CMP_GE_OQ) &
            _mm512_cmp_ps_mask(a, _mm512_set1_ps(hi), _CMP_LE_OQ)) == 0xFFFF;
}
__attribute__((target("avx512f"))) static inline int ufg_one_f64x8(__m512d x) {
    return _mm512_cmp_pd_mask(_mm512_abs_pd(x), _mm512_set1_pd(1.0), _CMP_EQ_OQ) != 0;
}
__attribute__((target("avx512f"))) static inline int ufg_one_f32x16(__m512 x) {
    return _mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(1.0f), _CMP_EQ_OQ) != 0;
}

/* Whether a lane is NaN (quiet compare), and whether a lane is negative. */
__attribute__((target("avx512f"))) static inline int ufg_nan_f64x8(__m512d x) {
    return _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q) != 0;
}
__attribute__((target("avx512f"))) static inline int ufg_neg_f64x8(__m512d x) {
    return _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_LT_OQ) != 0;
}
__attribute__((target("avx512f"))) static inline int ufg_nan_f32x16(__m512 x) {
    return _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q) != 0;
}
__attribute__((target("avx512f"))) static inline int ufg_neg_f32x16(__m512 x) {
    return _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ) != 0;
}

UFG_DEF_ENTRIES(ufg_vm_entries_avx512, AVX512)
