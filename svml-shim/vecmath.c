/* svml-shim vector math: one entry point per function x type x width,
 *   ufg_<func>_<f32|f64>x<lanes>   e.g. ufg_exp_f64x8(__m512d) -> __m512d
 * bound at run time to Intel SVML (if loaded), else glibc libmvec, else a per-lane loop over
 * scalar libm.  Generated loops (JIT) are linked straight to the bound implementation through
 * ufg_vm_resolve(); ahead-of-time modules call the ufg_* wrappers, which go through the same
 * table, so the dispatch lives here, in one place, for both.
 *
 * The vector functions of all three tiers use the x86-64 vector-function ABI: arguments and
 * result in xmm/ymm/zmm registers, as for a C function taking __m256d / __m512d. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "vecmath.h"

/* The entry tables of the ISA translation units, in one list. */
extern struct ufg_vm_entry ufg_vm_entries_avx512[], ufg_vm_entries_avx2[];
extern const size_t ufg_vm_entries_avx512_count, ufg_vm_entries_avx2_count;

/* Entry `i` over both tables, or NULL past the end. */
static struct ufg_vm_entry *ufg_vm_entry_at(size_t i) {
    if (i < ufg_vm_entries_avx512_count) return &ufg_vm_entries_avx512[i];
    i -= ufg_vm_entries_avx512_count;
    return i < ufg_vm_entries_avx2_count ? &ufg_vm_entries_avx2[i] : NULL;
}

/* ---- scalar entry points: ufg_exp_f64 / ufg_exp_f32 ----
 * Generated code calls these instead of `exp` so LLVM never rewrites them as known library
 * calls; the vectorizer maps them to the vector entry points. They run the scalar tails of
 * vector loops, so their flags get the same check as the vector entries: arguments outside
 * the ordinary range (or of magnitude 1) go through ufg_justify_*. */
/* Quiet comparisons: a NaN argument must not raise invalid here, before the check starts. */
#define UFG_SCALAR_ORD(x, LO, HI) \
    (isgreaterequal(fabs(x), (LO)) && islessequal(fabs(x), (HI)) && fabs(x) != 1)
#define UFG_DEF_SCALAR_UNARY_T(F, SFX, T, CF, RANGE, J)                                \
    T ufg_##F##_##SFX(T x) {                                                           \
        if (UFG_SCALAR_ORD(x, RANGE)) return F##CF(x);                                  \
        /* Called through a volatile pointer: GCC knows these builtins and, for some (tan,   \
         * atan, tanh, asinh), drops the check around them as if they raised nothing. */    \
        T (*volatile fn)(T) = F##CF;                                                     \
        unsigned before = _mm_getcsr();                                        \
        T r = fn(x);                                                                     \
        {                                       \
            unsigned ok = J(UFG_INF_##F, UFG_UNDER_##F, 1, &x, NULL, &r);         \
            ufg_fix_flags(before, ok);                                             \
        }                                                                                \
        return r;                                                                        \
    }
#define UFG_DEF_SCALAR_BINARY_T(F, SFX, T, CF, RANGE, J)                                \
    T ufg_##F##_##SFX(T x, T y) {                                                      \
        if (UFG_SCALAR_ORD(x, RANGE) && UFG_SCALAR_ORD(y, RANGE)) return F##CF(x, y);  \
        T (*volatile fn)(T, T) = F##CF;                                                  \
        unsigned before = _mm_getcsr();                                        \
        T r = fn(x, y);                                                                  \
        {                                       \
            unsigned ok = J(UFG_INF_##F, UFG_UNDER_##F, 1, &x, &y, &r);           \
            ufg_fix_flags(before, ok);                                             \
        }                                                                                \
        return r;                                                                        \
    }
#define UFG_DEF_SCALAR_UNARY(F)                                                          \
    UFG_DEF_SCALAR_UNARY_T(F, f64, double, , UFG_RANGE_##F##_double, ufg_justify_d)      \
    UFG_DEF_SCALAR_UNARY_T(F, f32, float, f, UFG_RANGE_##F##_float, ufg_justify_f)
#define UFG_DEF_SCALAR_BINARY(F)                                                         \
    UFG_DEF_SCALAR_BINARY_T(F, f64, double, , UFG_RANGE_##F##_double, ufg_justify_d)     \
    UFG_DEF_SCALAR_BINARY_T(F, f32, float, f, UFG_RANGE_##F##_float, ufg_justify_f)
UFG_UNARY(UFG_DEF_SCALAR_UNARY)
UFG_BINARY(UFG_DEF_SCALAR_BINARY)

/* Which SVML variant an entry binds.  Double entries take the high-accuracy variant
 * (`__svml_exp8_ha`, at most 1 ULP): the default one is up to 4 ULP and gets IEEE special cases
 * wrong (pow(-0, 3) returns +0).  Float entries take the default variant: measured within
 * 2 ULP of glibc with every special value right, and up to 1.6x faster than `_ha`
 * (docs/vector-math.md).  Either falls back to the other name when the library lacks it. */
static void *ufg_svml_lookup(void *svml, const struct ufg_vm_entry *e) {
    char ha[64];
    int n = snprintf(ha, sizeof ha, "%s_ha", e->svml);
    void *f = NULL;
    int want_ha = strstr(e->name, "_f64x") != NULL;
    if (want_ha && n > 0 && (size_t)n < sizeof ha) f = dlsym(svml, ha);
    if (!f) f = dlsym(svml, e->svml);
    if (!f && !want_ha && n > 0 && (size_t)n < sizeof ha) f = dlsym(svml, ha);
    return f;
}

/* Binds every entry: SVML where `svml` has it, else libmvec where `mvec` has it, else the
 * per-lane fallback.  Either handle may be NULL.  Not thread-safe: call once, before any
 * generated loop runs (the Rust side guards it with a Once). Returns the number of entries. */
int ufg_vm_bind(void *svml, void *mvec) {
    struct ufg_vm_entry *e;
    size_t count = 0;
    for (; (e = ufg_vm_entry_at(count)) != NULL; count++) {
        void *f = NULL;
        unsigned char tier = 0;
        if (svml && (f = ufg_svml_lookup(svml, e))) {
            tier = 2;
        } else if (mvec && (f = dlsym(mvec, e->mvec))) {
            tier = 1;
        } else {
            f = e->fallback;
        }
        /* Every tier runs behind the flag check: libraries raise flags NumPy does not, and
         * glibc's scalar functions (the per-lane tier) underflow where NumPy does not. */
        *e->lib = f;
        f = e->checked;
        *e->slot = f;
        e->tier = tier;
    }
    return (int)count;
}

/* The scalar entries, by name: JIT code links to them like to the vector ones (a Python
 * extension is loaded RTLD_LOCAL, so the JIT cannot find them through dlsym). */
struct ufg_vm_scalar {
    const char *name; /* ufg_exp_f64 */
    void *addr;
};
#define UFG_SCALAR_ROWS(F) {"ufg_" #F "_f64", (void *)ufg_##F##_f64}, {"ufg_" #F "_f32", (void *)ufg_##F##_f32},
static const struct ufg_vm_scalar ufg_vm_scalars[] = {UFG_UNARY(UFG_SCALAR_ROWS) UFG_BINARY(UFG_SCALAR_ROWS)};
#define UFG_VM_SCALAR_COUNT (sizeof(ufg_vm_scalars) / sizeof(ufg_vm_scalars[0]))

/* The implementation an entry point is bound to (what JIT code calls directly), its tier
 * through `tier` (may be NULL), or NULL for an unknown name.  Scalar entries (ufg_exp_f64)
 * resolve to themselves at tier 0. */
void *ufg_vm_resolve(const char *name, int *tier) {
    const struct ufg_vm_entry *e;
    for (size_t i = 0; (e = ufg_vm_entry_at(i)) != NULL; i++) {
        if (strcmp(e->name, name) == 0) {
            if (tier) *tier = e->tier;
            return *e->slot;
        }
    }
    for (size_t i = 0; i < UFG_VM_SCALAR_COUNT; i++) {
        if (strcmp(ufg_vm_scalars[i].name, name) == 0) {
            if (tier) *tier = 0;
            return ufg_vm_scalars[i].addr;
        }
    }
    return NULL;
}

/* Name of scalar entry `i` (for enumerating), or NULL past the end. */
const char *ufg_vm_scalar_name(int i) {
    return (i >= 0 && (size_t)i < UFG_VM_SCALAR_COUNT) ? ufg_vm_scalars[i].name : NULL;
}

/* Name of entry `i` (for enumerating), or NULL past the end. */
const char *ufg_vm_name(int i) {
    const struct ufg_vm_entry *e = i >= 0 ? ufg_vm_entry_at((size_t)i) : NULL;
    return e ? e->name : NULL;
}
