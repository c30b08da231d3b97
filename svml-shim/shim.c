/* svml-shim: the run-time helpers generated loops call.
 * Exported names are prefixed ufg_. Vector tiers (SVML, libmvec) come with their own issue;
 * this file holds the FP-flag helpers NumPy's semantics need. */
#include <fenv.h>

/* Integer division or modulo by zero: NumPy stores 0 and raises divide-by-zero. */
void ufg_raise_divbyzero(void) { feraiseexcept(FE_DIVBYZERO); }

/* MIN // -1 and friends: NumPy raises overflow. */
void ufg_raise_overflow(void) { feraiseexcept(FE_OVERFLOW); }

/* Out-of-range float -> int casts: NumPy raises invalid. */
void ufg_raise_invalid(void) { feraiseexcept(FE_INVALID); }

/* ---- run-time errors (IndexError, ValueError, ...) ----
 * A loop that hits an error records it here and returns at once; the caller takes it after the
 * loop and raises the Python exception. One slot per thread; the first error wins until taken.
 * Kinds: 1 IndexError, 2 ValueError, 3 AssertionError, 4 ZeroDivisionError, 5 OverflowError. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

/* How many threads hold an untaken error: checked after every loop call, so the common case
 * (none) costs one relaxed load instead of a thread-local access through __tls_get_addr. */
static atomic_int ufg_errors_pending;

int ufg_any_error(void) { return atomic_load_explicit(&ufg_errors_pending, memory_order_relaxed); }

static _Thread_local int ufg_error_kind;
static _Thread_local const char *ufg_error_message;
static _Thread_local char ufg_error_buffer[512];

/* Records an error. The message is copied: generated code passes constants of its own module,
 * which may be freed (with the ufunc) before anyone takes the error. */
void ufg_set_error(int kind, const char *message) {
    if (ufg_error_kind != 0) return;
    snprintf(ufg_error_buffer, sizeof ufg_error_buffer, "%s", message ? message : "");
    ufg_error_kind = kind;
    atomic_fetch_add_explicit(&ufg_errors_pending, 1, memory_order_relaxed);
    ufg_error_message = ufg_error_buffer;
}

/* Records an IndexError naming the index, axis and size; `where` is a static
 * " in 'f' (file, line N)" suffix. */
void ufg_index_error(int64_t index, int64_t axis, int64_t size, const char *where) {
    if (ufg_error_kind != 0) return;
    snprintf(ufg_error_buffer, sizeof ufg_error_buffer,
             "index %lld is out of bounds for axis %lld with size %lld%s", (long long)index,
             (long long)axis, (long long)size, where);
    ufg_error_kind = 1;
    atomic_fetch_add_explicit(&ufg_errors_pending, 1, memory_order_relaxed);
    ufg_error_message = ufg_error_buffer;
}

/* Returns the pending error's kind (0 = none) and message, and clears the slot. The message
 * stays valid until the next error is recorded on this thread. */
int ufg_take_error(const char **message) {
    int kind = ufg_error_kind;
    if (kind) atomic_fetch_sub_explicit(&ufg_errors_pending, 1, memory_order_relaxed);
    if (message) *message = kind ? ufg_error_message : NULL;
    ufg_error_kind = 0;
    ufg_error_message = NULL;
    return kind;
}

/* ---- complex power, as NumPy's power loop computes it ----
 * NumPy's complex `power` (npy_cpow) special-cases a zero exponent (1), a zero base (0 for a
 * positive real part of the exponent, else NaN with invalid), and integer exponents in
 * (-100, 100) (repeated products, a reciprocal for negative ones); everything else is the C
 * library's cpow. Written in C so that the exceptional paths raise exactly the flags NumPy's
 * C code raises: generated code would have them speculated. Products and the reciprocal are
 * NumPy's textbook formulas, unfused (this file is ISO C, so no contraction). */
#include <complex.h>
#include <math.h>

#ifndef CMPLX /* glibc defines them for GCC only */
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#define CMPLXF(x, y) __builtin_complex((float)(x), (float)(y))
#endif
#ifdef __clang__
/* clang otherwise assumes no code reads the flags, and may evaluate both sides of a branch. */
#pragma STDC FENV_ACCESS ON
#endif

#define UFG_DEF_CPOW(NAME, T, CT, PACK, RE, IM, FABS, SYSPOW)                              \
    static void NAME##_mul(T ar, T ai, T br, T bi, T *r, T *i) {                           \
        *r = ar * br - ai * bi;                                                            \
        *i = ar * bi + ai * br;                                                            \
    }                                                                                      \
    /* 1 / (br + bi i) by Smith's method, with NumPy's by-zero case (1/0, 0/0). */         \
    static CT NAME##_recip(T br, T bi) {                                                   \
        const T one = 1, zero = 0;                                                         \
        T abs_r = FABS(br), abs_i = FABS(bi);                                              \
        if (abs_r >= abs_i) {                                                              \
            if (abs_r == 0 && abs_i == 0) return PACK(one / abs_r, zero / abs_i);          \
            T rat = bi / br, scl = one / (br + bi * rat);                                  \
            return PACK((one + zero * rat) * scl, (zero - one * rat) * scl);               \
        }                                                                                  \
        T rat = br / bi, scl = one / (bi + br * rat);                                      \
        return PACK((one * rat + zero) * scl, (zero * rat - one) * scl);                   \
    }                                                                                      \
    CT NAME(CT a, CT b) {                                                                  \
        T ar = RE(a), ai = IM(a), br = RE(b), bi = IM(b);                                  \
        if (br == 0 && bi == 0) return PACK(1, 0);                                         \
        if (ar == 0 && ai == 0) {                                                          \
            if (br > 0) return PACK(0, 0);                                                 \
            feraiseexcept(FE_INVALID);                                                     \
            return PACK(NAN, NAN);                                                         \
        }                                                                                  \
        if (bi == 0 && br > -100 && br < 100 && (T)(long)br == br) {                       \
            long n = (long)br;                                                             \
            T sr, si, cr, ci;                                                              \
            if (n == 1) return a;                                                          \
            if (n == 2 || n == 3) {                                                        \
                NAME##_mul(ar, ai, ar, ai, &sr, &si);                                      \
                if (n == 2) return PACK(sr, si);                                           \
                NAME##_mul(ar, ai, sr, si, &cr, &ci);                                      \
                return PACK(cr, ci);                                                       \
            }                                                                              \
            /* Square-and-multiply from the low bit, the accumulator starting at 1 + 0i. */ \
            long m = n < 0 ? -n : n;                                                       \
            T xr = 1, xi = 0, pr = ar, pi = ai;                                            \
            for (long mask = 1;; mask <<= 1) {                                             \
                if (m & mask) NAME##_mul(xr, xi, pr, pi, &xr, &xi);                        \
                if (m < (mask << 1)) break;                                                \
                NAME##_mul(pr, pi, pr, pi, &pr, &pi);                                      \
            }                                                                              \
            return n < 0 ? NAME##_recip(xr, xi) : PACK(xr, xi);                            \
        }                                                                                  \
        return SYSPOW(a, b);                                                               \
    }

UFG_DEF_CPOW(ufg_cpow, double, double complex, CMPLX, creal, cimag, fabs, cpow)
UFG_DEF_CPOW(ufg_cpowf, float, float complex, CMPLXF, crealf, cimagf, fabsf, cpowf)
