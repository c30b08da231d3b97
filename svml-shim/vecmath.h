/* svml-shim vector math, shared by its translation units: the function lists, the shapes, the
 * FP-flag rules and the macros that define one entry point per function x shape.
 *
 * The shapes are compiled in one translation unit per ISA (vecmath_avx512.c with -mavx512f,
 * vecmath_avx2.c with -mavx2; build.rs). A target attribute alone is not enough: clang passes
 * __m256d/__m512d arguments by the ISA of the translation unit, not of the function, so with
 * only `target("avx512f")` its entry points read their argument from the stack while every
 * caller (generated code, SVML, libmvec) passes it in zmm0. */
#ifndef UFG_VECMATH_H
#define UFG_VECMATH_H
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* name, has-libmvec (glibc >= 2.35 has them all; 2.22 only exp/log/sin/cos/pow) */
#define UFG_UNARY(X)                                                                       \
    X(exp) X(exp2) X(expm1) X(log) X(log2) X(log10) X(log1p) X(cbrt) X(sin) X(cos) X(tan) \
    X(asin) X(acos) X(atan) X(sinh) X(cosh) X(tanh) X(asinh) X(acosh) X(atanh) X(erf) X(erfc)
#define UFG_BINARY(X) X(pow) X(atan2) X(hypot)

/* Shapes per ISA translation unit.
 * (suffix, C element type, lanes, vector type, ISA target, load, store, libmvec ISA letter) */
#define UFG_SHAPES_AVX512(S, F)                                                                       \
    S(F, f64x8, double, 8, __m512d, "avx512f", _mm512_loadu_pd, _mm512_storeu_pd, e, , , ufg_justify_d)   \
    S(F, f32x16, float, 16, __m512, "avx512f", _mm512_loadu_ps, _mm512_storeu_ps, e, f, f, ufg_justify_f)
#define UFG_SHAPES_AVX2(S, F)                                                                         \
    S(F, f64x4, double, 4, __m256d, "avx2", _mm256_loadu_pd, _mm256_storeu_pd, d, , , ufg_justify_d)      \
    S(F, f32x8, float, 8, __m256, "avx2", _mm256_loadu_ps, _mm256_storeu_ps, d, f, f, ufg_justify_f)

#define UFG_SHAPES(S, F) UFG_SHAPES_AVX512(S, F) UFG_SHAPES_AVX2(S, F)

/* ---- FP flags as NumPy raises them ----
 * Libraries raise flags NumPy's own loops do not (libmvec's exp raises invalid for +-inf,
 * glibc underflow for tan of a subnormal) and miss some it does (SVML no overflow for
 * exp(800)), and NumPy turns flags into warnings or errors.  So a call with a lane outside the
 * ordinary range (below) is checked: the flags it raised are replaced by those its lanes
 * justify, computed from inputs and results as NumPy raises them.  Every tier (per-lane libm
 * included) and the scalar entries of the vector tails go through the same check. */
#define UFG_MXCSR_FLAGS 0x1Du /* invalid (0), divide-by-zero (2), overflow (3), underflow (4) */
#define UFG_IE 0x01u
#define UFG_ZE 0x04u
#define UFG_OE 0x08u
#define UFG_UE 0x10u

/* What an infinite result from finite inputs means for a function. */
enum { UFG_INF_NEVER, UFG_INF_DIVIDE, UFG_INF_OVERFLOW, UFG_INF_POW };
#define UFG_INF_exp UFG_INF_OVERFLOW
#define UFG_INF_exp2 UFG_INF_OVERFLOW
#define UFG_INF_expm1 UFG_INF_OVERFLOW
#define UFG_INF_sinh UFG_INF_OVERFLOW
#define UFG_INF_cosh UFG_INF_OVERFLOW
#define UFG_INF_hypot UFG_INF_OVERFLOW
#define UFG_INF_log UFG_INF_DIVIDE
#define UFG_INF_log2 UFG_INF_DIVIDE
#define UFG_INF_log10 UFG_INF_DIVIDE
#define UFG_INF_log1p UFG_INF_DIVIDE
#define UFG_INF_atanh UFG_INF_DIVIDE
#define UFG_INF_pow UFG_INF_POW
#define UFG_INF_cbrt UFG_INF_NEVER
#define UFG_INF_sin UFG_INF_NEVER
#define UFG_INF_cos UFG_INF_NEVER
#define UFG_INF_tan UFG_INF_NEVER
#define UFG_INF_asin UFG_INF_NEVER
#define UFG_INF_acos UFG_INF_NEVER
#define UFG_INF_atan UFG_INF_NEVER
#define UFG_INF_tanh UFG_INF_NEVER
#define UFG_INF_asinh UFG_INF_NEVER
#define UFG_INF_acosh UFG_INF_NEVER
#define UFG_INF_erf UFG_INF_NEVER
#define UFG_INF_erfc UFG_INF_NEVER
#define UFG_INF_atan2 UFG_INF_NEVER

/* Reading MXCSR waits for every FP operation in flight, which costs more than the vector call
 * itself, so it is done only for calls where a library can raise a flag NumPy would not:
 * those with a lane outside the "ordinary" range (NaN, inf, zero, tiny or large magnitudes).
 * Ordinary lanes raise only inexact, which NumPy ignores. The check is four vector ops. */
#define UFG_ORD_LO_D 0x1p-60
#define UFG_ORD_HI_D 512.0
#define UFG_ORD_LO_F 0x1p-30f
#define UFG_ORD_HI_F 64.0f
/* The ordinary range per function and element type, `lo, hi` on |x|: inputs where every tier's
 * library raises only inexact (NaN results from non-NaN inputs aside: the NaN check raises
 * invalid), so calls whose lanes all lie there skip the MXCSR read. Wider than the generic range
 * above where that holds, so ordinary data (log of 1e30, tanh of 100) is not checked: log of
 * float32 values above 64 ran 2.5x slower than below. Measured (tests/python/
 * test_math_flags_ordinary.py probes the whole range and each bound): SVML raises underflow for
 * tiny arguments of exp, exp2, expm1, log1p, tanh, asinh (x*x underflowing), overflow for atan
 * of |x| > 4e36f / 5e292, asinh and acosh of > 2e13f / 1e45, tanh of FLT_MAX,
 * and invalid for sinh(710) and acosh(> 2e161); so those keep the generic lower bound and get
 * upper bounds well inside. Overflow thresholds (exp 88.7f / 709.8, exp2 128 / 1024, sinh/cosh
 * 89.4f / 710.5) and subnormal results (exp -87.3f / -708.4, exp2 -126 / -1022) are rounded
 * inwards. sin, cos, tan go up to 2^20 / 2^16f (arguments reduced exactly, only inexact).
 * Binary functions, erf/erfc (no NumPy counterpart to compare flags with) and those with no wide
 * NaN-free range (asin, acos, atanh) keep the generic range. */
#define UFG_NMIN_double 0x1p-1022
#define UFG_NMIN_float 0x1p-126f
#define UFG_MAX_double 0x1.fffffffffffffp1023
#define UFG_MAX_float 0x1.fffffep127f
#define UFG_GENERIC_double UFG_ORD_LO_D, UFG_ORD_HI_D
#define UFG_GENERIC_float UFG_ORD_LO_F, UFG_ORD_HI_F
#define UFG_WHOLE_double UFG_NMIN_double, UFG_MAX_double
#define UFG_WHOLE_float UFG_NMIN_float, UFG_MAX_float
#define UFG_RANGE_exp_double UFG_ORD_LO_D, 708.0
#define UFG_RANGE_exp_float UFG_ORD_LO_F, 87.0f
#define UFG_RANGE_exp2_double UFG_ORD_LO_D, 1022.0
#define UFG_RANGE_exp2_float UFG_ORD_LO_F, 126.0f
#define UFG_RANGE_expm1_double UFG_ORD_LO_D, 709.0
#define UFG_RANGE_expm1_float UFG_ORD_LO_F, 88.0f
#define UFG_RANGE_log_double UFG_WHOLE_double
#define UFG_RANGE_log_float UFG_WHOLE_float
#define UFG_RANGE_log2_double UFG_WHOLE_double
#define UFG_RANGE_log2_float UFG_WHOLE_float
#define UFG_RANGE_log10_double UFG_WHOLE_double
#define UFG_RANGE_log10_float UFG_WHOLE_float
#define UFG_RANGE_log1p_double UFG_ORD_LO_D, UFG_MAX_double
#define UFG_RANGE_log1p_float UFG_ORD_LO_F, UFG_MAX_float
#define UFG_RANGE_cbrt_double UFG_WHOLE_double
#define UFG_RANGE_cbrt_float UFG_WHOLE_float
#define UFG_RANGE_sin_double UFG_ORD_LO_D, 0x1p20
#define UFG_RANGE_sin_float UFG_ORD_LO_F, 0x1p16f
#define UFG_RANGE_cos_double UFG_ORD_LO_D, 0x1p20
#define UFG_RANGE_cos_float UFG_ORD_LO_F, 0x1p16f
#define UFG_RANGE_tan_double UFG_ORD_LO_D, 0x1p20
#define UFG_RANGE_tan_float UFG_ORD_LO_F, 0x1p16f
#define UFG_RANGE_asin_double UFG_GENERIC_double
#define UFG_RANGE_asin_float UFG_GENERIC_float
#define UFG_RANGE_acos_double UFG_GENERIC_double
#define UFG_RANGE_acos_float UFG_GENERIC_float
#define UFG_RANGE_atan_double UFG_ORD_LO_D, 0x1p400
#define UFG_RANGE_atan_float UFG_ORD_LO_F, 0x1p40f
#define UFG_RANGE_sinh_double UFG_ORD_LO_D, 700.0
#define UFG_RANGE_sinh_float UFG_ORD_LO_F, 88.0f
#define UFG_RANGE_cosh_double UFG_ORD_LO_D, 700.0
#define UFG_RANGE_cosh_float UFG_ORD_LO_F, 88.0f
#define UFG_RANGE_tanh_double UFG_ORD_LO_D, 0x1p512
#define UFG_RANGE_tanh_float UFG_ORD_LO_F, 0x1p64f
#define UFG_RANGE_asinh_double UFG_ORD_LO_D, 0x1p100
#define UFG_RANGE_asinh_float UFG_ORD_LO_F, 0x1p32f
#define UFG_RANGE_acosh_double UFG_ORD_LO_D, 0x1p100
#define UFG_RANGE_acosh_float UFG_ORD_LO_F, 0x1p32f
#define UFG_RANGE_atanh_double UFG_GENERIC_double
#define UFG_RANGE_atanh_float UFG_GENERIC_float
#define UFG_RANGE_erf_double UFG_GENERIC_double
#define UFG_RANGE_erf_float UFG_GENERIC_float
#define UFG_RANGE_erfc_double UFG_GENERIC_double
#define UFG_RANGE_erfc_float UFG_GENERIC_float
#define UFG_RANGE_pow_double UFG_GENERIC_double
#define UFG_RANGE_pow_float UFG_GENERIC_float
#define UFG_RANGE_atan2_double UFG_GENERIC_double
#define UFG_RANGE_atan2_float UFG_GENERIC_float
#define UFG_RANGE_hypot_double UFG_GENERIC_double
#define UFG_RANGE_hypot_float UFG_GENERIC_float
/* Lanes of magnitude exactly 1 (ufg_one_<shape>, defined with ufg_ord_<shape> per ISA): the domain edge where libmvec's acosh and atanh raise invalid
 * besides the right result (acosh(1) = 0, atanh(+-1) = +-inf with divide-by-zero only). */
/* Ordinary calls read no MXCSR, but a NaN result from ordinary (non-NaN) lanes still raises
 * invalid (ufg_nan_<shape>): SVML raises none for acosh(0.5) or atanh(2). pow with a negative
 * base is always checked (ufg_neg_<shape>): SVML raises invalid for pow(-1, 1). */
#define UFG_EDGE2_pow(SFX, x) ufg_neg_##SFX(x)
#define UFG_EDGE2_atan2(SFX, x) 0
#define UFG_EDGE2_hypot(SFX, x) 0
#define UFG_EDGE_acosh(SFX, x) ufg_one_##SFX(x)
#define UFG_EDGE_atanh(SFX, x) ufg_one_##SFX(x)
#define UFG_EDGE_NONE(SFX, x) 0
#define UFG_EDGE_exp UFG_EDGE_NONE
#define UFG_EDGE_exp2 UFG_EDGE_NONE
#define UFG_EDGE_expm1 UFG_EDGE_NONE
#define UFG_EDGE_log UFG_EDGE_NONE
#define UFG_EDGE_log2 UFG_EDGE_NONE
#define UFG_EDGE_log10 UFG_EDGE_NONE
#define UFG_EDGE_log1p(SFX, x) ufg_one_##SFX(x) /* log1p(-1): SVML raises invalid */
#define UFG_EDGE_cbrt UFG_EDGE_NONE
#define UFG_EDGE_sin UFG_EDGE_NONE
#define UFG_EDGE_cos UFG_EDGE_NONE
#define UFG_EDGE_tan UFG_EDGE_NONE
#define UFG_EDGE_asin UFG_EDGE_NONE
#define UFG_EDGE_acos UFG_EDGE_NONE
#define UFG_EDGE_atan UFG_EDGE_NONE
#define UFG_EDGE_sinh UFG_EDGE_NONE
#define UFG_EDGE_cosh UFG_EDGE_NONE
#define UFG_EDGE_tanh UFG_EDGE_NONE
#define UFG_EDGE_asinh UFG_EDGE_NONE
#define UFG_EDGE_erf UFG_EDGE_NONE
#define UFG_EDGE_erfc UFG_EDGE_NONE

/* Underflow as NumPy's loops raise it (measured, NumPy 2.4 on x86-64): the functions below
 * never raise it, not even for a subnormal result (glibc does, for expm1/tan/asin/... of the
 * smallest subnormal and atan2(1e-30f, 1e10f)); atan2 only for a tiny result from a first
 * argument below 4 * FLT_MIN/DBL_MIN or a second above 2^120 / 2^960 (NumPy's SVML scales
 * there; measured between 2^110 and 2^125, 2^900 and 2^1000); the others for a tiny result that is not simply the
 * input passed through (C99). */
enum { UFG_UNDER_C99, UFG_UNDER_NEVER, UFG_UNDER_ATAN2 };
#define UFG_UNDER_exp UFG_UNDER_C99
#define UFG_UNDER_exp2 UFG_UNDER_C99
#define UFG_UNDER_sin UFG_UNDER_C99
#define UFG_UNDER_cos UFG_UNDER_C99
#define UFG_UNDER_erf UFG_UNDER_C99
#define UFG_UNDER_erfc UFG_UNDER_C99
#define UFG_UNDER_pow UFG_UNDER_C99
#define UFG_UNDER_atan2 UFG_UNDER_ATAN2
#define UFG_UNDER_hypot UFG_UNDER_C99
#define UFG_UNDER_expm1 UFG_UNDER_NEVER
#define UFG_UNDER_log UFG_UNDER_NEVER
#define UFG_UNDER_log2 UFG_UNDER_NEVER
#define UFG_UNDER_log10 UFG_UNDER_NEVER
#define UFG_UNDER_log1p UFG_UNDER_NEVER
#define UFG_UNDER_cbrt UFG_UNDER_NEVER
#define UFG_UNDER_tan UFG_UNDER_NEVER
#define UFG_UNDER_asin UFG_UNDER_NEVER
#define UFG_UNDER_acos UFG_UNDER_NEVER
#define UFG_UNDER_atan UFG_UNDER_NEVER
#define UFG_UNDER_sinh UFG_UNDER_NEVER
#define UFG_UNDER_cosh UFG_UNDER_NEVER
#define UFG_UNDER_tanh UFG_UNDER_NEVER
#define UFG_UNDER_asinh UFG_UNDER_NEVER
#define UFG_UNDER_acosh UFG_UNDER_NEVER
#define UFG_UNDER_atanh UFG_UNDER_NEVER

/* The flags of a call's lanes as NumPy raises them: invalid for a NaN made from non-NaN
 * inputs, divide-by-zero or overflow for an infinity made from finite inputs (by function),
 * divide-by-zero for pow(+-0, y < 0) with y = -inf too, underflow by the rule above. `y` is
 * NULL for unary functions. */
#define UFG_DEF_JUSTIFY(NAME, T, TMIN, BIG)                                              \
    static inline unsigned NAME(int inf_kind, int under_kind, int n, const T *x, const T *y, \
                                const T *r) {                               \
        unsigned ok = 0;                                                                    \
        for (int i = 0; i < n; i++) {                                                       \
            int in_nan = isnan(x[i]) || (y && isnan(y[i]));                                 \
            int in_finite = isfinite(x[i]) && (!y || isfinite(y[i]));                       \
            int tiny = fabs((double)r[i]) < (TMIN);                                         \
            if (isnan(r[i]) && !in_nan) ok |= UFG_IE;                                       \
            if (isinf(r[i]) && inf_kind == UFG_INF_POW && x[i] == 0 && !in_nan)              \
                ok |= UFG_ZE;                                                               \
            else if (isinf(r[i]) && in_finite) {                                          \
                if (inf_kind == UFG_INF_DIVIDE)                                             \
                    ok |= UFG_ZE;                                                           \
                else if (inf_kind != UFG_INF_NEVER)                                         \
                    ok |= UFG_OE;                                                           \
            }                                                                               \
            if (under_kind == UFG_UNDER_C99 && in_finite && x[i] != 0 && tiny && r[i] != x[i]) \
                ok |= UFG_UE;                                                               \
            if (under_kind == UFG_UNDER_ATAN2 && in_finite && x[i] != 0 && tiny &&          \
                (fabs((double)x[i]) < 4 * (TMIN) || fabs((double)y[i]) > (BIG)))            \
                ok |= UFG_UE;                                                               \
        }                                                                                   \
        return ok;                                                                          \
    }
UFG_DEF_JUSTIFY(ufg_justify_d, double, 2.2250738585072014e-308, 0x1p960)
UFG_DEF_JUSTIFY(ufg_justify_f, float, 1.17549435e-38, 0x1p120)

static inline void ufg_raise_invalid_flag(void) { _mm_setcsr(_mm_getcsr() | UFG_IE); }

/* After a library call on lanes outside the ordinary range that started with MXCSR `before`:
 * the flags it raised become exactly `flags`, what its lanes justify. Libraries differ both
 * ways: libmvec raises invalid for exp(inf), glibc underflow for tan of a subnormal; SVML raises
 * no overflow for exp(800), glibc no divide-by-zero for pow(0, -inf). */
static inline void ufg_fix_flags(unsigned before, unsigned flags) {
    unsigned after = _mm_getcsr(), fresh = after & ~before & UFG_MXCSR_FLAGS;
    unsigned want = (after & ~fresh) | flags;
    if (want != after) _mm_setcsr(want);
}

/* ---- per-lane libm fallbacks, library calls behind the flag check ---- */

#define UFG_DEF_UNARY_SHAPE(F, SFX, T, N, V, ISA, LD, ST, L, CF, SF, J)                 \
    __attribute__((target(ISA))) static V ufg_lane_##F##_##SFX(V x) {                  \
        T a[N], r[N];                                                                    \
        ST(a, x);                                                                        \
        /* A lane equal to the one before reuses its result: generated code calls the     \
         * vector entry on a splat for single values (one routine for every element). */  \
        for (int i = 0; i < N; i++)                                                      \
            r[i] = i > 0 && memcmp(&a[i], &a[i - 1], sizeof(T)) == 0 ? r[i - 1] : F##CF(a[i]); \
        return LD(r);                                                                    \
    }                                                                                    \
    static V (*ufg_tbl_##F##_##SFX)(V) = ufg_lane_##F##_##SFX;                           \
    __attribute__((target(ISA))) V ufg_##F##_##SFX(V x) { return ufg_tbl_##F##_##SFX(x); }   \
    static V (*ufg_lib_##F##_##SFX)(V);                                                  \
    __attribute__((target(ISA))) static V ufg_chk_##F##_##SFX(V x) {                   \
        if (ufg_ord_##SFX(x, UFG_RANGE_##F##_##T) && !UFG_EDGE_##F(SFX, x)) {                                 \
            V r = ufg_lib_##F##_##SFX(x);                                                \
            if (ufg_nan_##SFX(r)) ufg_raise_invalid_flag();                              \
            return r;                                                                    \
        }                                                                                \
        unsigned before = _mm_getcsr();                                                  \
        V r = ufg_lib_##F##_##SFX(x);                                                    \
        {                                       \
            T a[N], c[N];                                                                \
            ST(a, x);                                                                    \
            ST(c, r);                                                                    \
            unsigned ok = J(UFG_INF_##F, UFG_UNDER_##F, N, a, NULL, c);           \
            ufg_fix_flags(before, ok);                                             \
        }                                                                                \
        return r;                                                                        \
    }

#define UFG_DEF_BINARY_SHAPE(F, SFX, T, N, V, ISA, LD, ST, L, CF, SF, J)                 \
    __attribute__((target(ISA))) static V ufg_lane_##F##_##SFX(V x, V y) {             \
        T a[N], b[N], r[N];                                                              \
        ST(a, x);                                                                        \
        ST(b, y);                                                                        \
        for (int i = 0; i < N; i++)                                                      \
            r[i] = i > 0 && memcmp(&a[i], &a[i - 1], sizeof(T)) == 0 &&                  \
                           memcmp(&b[i], &b[i - 1], sizeof(T)) == 0                      \
                       ? r[i - 1]                                                        \
                       : F##CF(a[i], b[i]);                                              \
        return LD(r);                                                                    \
    }                                                                                    \
    static V (*ufg_tbl_##F##_##SFX)(V, V) = ufg_lane_##F##_##SFX;                        \
    __attribute__((target(ISA))) V ufg_##F##_##SFX(V x, V y) { return ufg_tbl_##F##_##SFX(x, y); } \
    static V (*ufg_lib_##F##_##SFX)(V, V);                                               \
    __attribute__((target(ISA))) static V ufg_chk_##F##_##SFX(V x, V y) {              \
        if (ufg_ord_##SFX(x, UFG_RANGE_##F##_##T) && ufg_ord_##SFX(y, UFG_RANGE_##F##_##T) &&  \
            !UFG_EDGE2_##F(SFX, x)) {            \
            V r = ufg_lib_##F##_##SFX(x, y);                                             \
            if (ufg_nan_##SFX(r)) ufg_raise_invalid_flag();                              \
            return r;                                                                    \
        }                                                                                \
        unsigned before = _mm_getcsr();                                        \
        V r = ufg_lib_##F##_##SFX(x, y);                                                 \
        {                                       \
            T a[N], b[N], c[N];                                                          \
            ST(a, x);                                                                    \
            ST(b, y);                                                                    \
            ST(c, r);                                                                    \
            unsigned ok = J(UFG_INF_##F, UFG_UNDER_##F, N, a, b, c);              \
            ufg_fix_flags(before, ok);                                             \
        }                                                                                \
        return r;                                                                        \
    }


/* ---- one row per entry point: its name, its table slot, the fallback, library names ---- */

struct ufg_vm_entry {
    const char *name;   /* ufg_exp_f64x8 */
    void **slot;        /* the table pointer the ufg_* wrapper calls through */
    void *fallback;     /* per-lane libm loop */
    void **lib;         /* where the checked wrapper finds the library function */
    void *checked;      /* the library function behind a flag check */
    const char *svml;   /* __svml_exp8 (double entries prefer __svml_exp8_ha) */
    const char *mvec;   /* _ZGVeN8v_exp */
    unsigned char tier; /* what ufg_vm_bind bound: 0 per-lane libm, 1 libmvec, 2 SVML */
};

#define UFG_STR2(x) #x
#define UFG_STR(x) UFG_STR2(x)
#define UFG_ROW_UNARY(F, SFX, T, N, V, ISA, LD, ST, L, CF, SF, J)                            \
    {"ufg_" #F "_" #SFX, (void **)&ufg_tbl_##F##_##SFX, (void *)ufg_lane_##F##_##SFX,      \
     (void **)&ufg_lib_##F##_##SFX, (void *)ufg_chk_##F##_##SFX,                           \
     "__svml_" #F #SF UFG_STR(N), "_ZGV" #L "N" UFG_STR(N) "v_" #F #CF, 0},
#define UFG_ROW_BINARY(F, SFX, T, N, V, ISA, LD, ST, L, CF, SF, J)                           \
    {"ufg_" #F "_" #SFX, (void **)&ufg_tbl_##F##_##SFX, (void *)ufg_lane_##F##_##SFX,      \
     (void **)&ufg_lib_##F##_##SFX, (void *)ufg_chk_##F##_##SFX,                           \
     "__svml_" #F #SF UFG_STR(N), "_ZGV" #L "N" UFG_STR(N) "vv_" #F #CF, 0},

/* Defines an ISA's entry table `NAME` (and its length `NAME_count`) for shapes `SHAPES`. */
#define UFG_DEF_ENTRIES(NAME, SHAPES)                                              \
    UFG_UNARY(UFG_DEF_UNARY_##SHAPES)                                              \
    UFG_BINARY(UFG_DEF_BINARY_##SHAPES)                                            \
    __attribute__((visibility("hidden"))) struct ufg_vm_entry NAME[] = {          \
        UFG_UNARY(UFG_ROWS_UNARY_##SHAPES) UFG_BINARY(UFG_ROWS_BINARY_##SHAPES)}; \
    __attribute__((visibility("hidden"))) const size_t NAME##_count = sizeof(NAME) / sizeof(NAME[0]);
#define UFG_DEF_UNARY_AVX512(F) UFG_SHAPES_AVX512(UFG_DEF_UNARY_SHAPE, F)
#define UFG_DEF_BINARY_AVX512(F) UFG_SHAPES_AVX512(UFG_DEF_BINARY_SHAPE, F)
#define UFG_ROWS_UNARY_AVX512(F) UFG_SHAPES_AVX512(UFG_ROW_UNARY, F)
#define UFG_ROWS_BINARY_AVX512(F) UFG_SHAPES_AVX512(UFG_ROW_BINARY, F)
#define UFG_DEF_UNARY_AVX2(F) UFG_SHAPES_AVX2(UFG_DEF_UNARY_SHAPE, F)
#define UFG_DEF_BINARY_AVX2(F) UFG_SHAPES_AVX2(UFG_DEF_BINARY_SHAPE, F)
#define UFG_ROWS_UNARY_AVX2(F) UFG_SHAPES_AVX2(UFG_ROW_UNARY, F)
#define UFG_ROWS_BINARY_AVX2(F) UFG_SHAPES_AVX2(UFG_ROW_BINARY, F)

#endif
