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
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* name, has-libmvec (glibc >= 2.35 has them all; 2.22 only exp/log/sin/cos/pow) */
#define UFG_UNARY(X)                                                                       \
    X(exp) X(exp2) X(expm1) X(log) X(log2) X(log10) X(log1p) X(cbrt) X(sin) X(cos) X(tan) \
    X(asin) X(acos) X(atan) X(sinh) X(cosh) X(tanh) X(asinh) X(acosh) X(atanh) X(erf) X(erfc)
#define UFG_BINARY(X) X(pow) X(atan2) X(hypot)

/* (suffix, C element type, lanes, vector type, ISA target, load, store, libmvec ISA letter) */
#define UFG_SHAPES(S, F)                                                                         \
    S(F, f64x8, double, 8, __m512d, "avx512f", _mm512_loadu_pd, _mm512_storeu_pd, e, , )          \
    S(F, f64x4, double, 4, __m256d, "avx2", _mm256_loadu_pd, _mm256_storeu_pd, d, , )             \
    S(F, f32x16, float, 16, __m512, "avx512f", _mm512_loadu_ps, _mm512_storeu_ps, e, f, f)        \
    S(F, f32x8, float, 8, __m256, "avx2", _mm256_loadu_ps, _mm256_storeu_ps, d, f, f)

/* ---- per-lane libm fallbacks and the dispatch table ---- */

#define UFG_DEF_UNARY_SHAPE(F, SFX, T, N, V, ISA, LD, ST, L, CF, SF)                   \
    __attribute__((target(ISA))) static V ufg_lane_##F##_##SFX(V x) {                  \
        T a[N];                                                                          \
        ST(a, x);                                                                        \
        for (int i = 0; i < N; i++) a[i] = F##CF(a[i]);                                  \
        return LD(a);                                                                    \
    }                                                                                    \
    static V (*ufg_tbl_##F##_##SFX)(V) = ufg_lane_##F##_##SFX;                           \
    __attribute__((target(ISA))) V ufg_##F##_##SFX(V x) { return ufg_tbl_##F##_##SFX(x); }

#define UFG_DEF_BINARY_SHAPE(F, SFX, T, N, V, ISA, LD, ST, L, CF, SF)                  \
    __attribute__((target(ISA))) static V ufg_lane_##F##_##SFX(V x, V y) {             \
        T a[N], b[N];                                                                    \
        ST(a, x);                                                                        \
        ST(b, y);                                                                        \
        for (int i = 0; i < N; i++) a[i] = F##CF(a[i], b[i]);                            \
        return LD(a);                                                                    \
    }                                                                                    \
    static V (*ufg_tbl_##F##_##SFX)(V, V) = ufg_lane_##F##_##SFX;                        \
    __attribute__((target(ISA))) V ufg_##F##_##SFX(V x, V y) { return ufg_tbl_##F##_##SFX(x, y); }

#define UFG_DEF_UNARY(F) UFG_SHAPES(UFG_DEF_UNARY_SHAPE, F)
#define UFG_DEF_BINARY(F) UFG_SHAPES(UFG_DEF_BINARY_SHAPE, F)
UFG_UNARY(UFG_DEF_UNARY)
UFG_BINARY(UFG_DEF_BINARY)

/* ---- scalar entry points: ufg_exp_f64 / ufg_exp_f32 ----
 * Generated code calls these instead of `exp` so LLVM never rewrites them as known library
 * calls; the vectorizer maps them to the vector entry points above. */
#define UFG_DEF_SCALAR_UNARY(F)                       \
    double ufg_##F##_f64(double x) { return F(x); } \
    float ufg_##F##_f32(float x) { return F##f(x); }
#define UFG_DEF_SCALAR_BINARY(F)                                        \
    double ufg_##F##_f64(double x, double y) { return F(x, y); }      \
    float ufg_##F##_f32(float x, float y) { return F##f(x, y); }
UFG_UNARY(UFG_DEF_SCALAR_UNARY)
UFG_BINARY(UFG_DEF_SCALAR_BINARY)

/* ---- one row per entry point: its name, its table slot, the fallback, library names ---- */

struct ufg_vm_entry {
    const char *name;   /* ufg_exp_f64x8 */
    void **slot;        /* the table pointer the ufg_* wrapper calls through */
    void *fallback;     /* per-lane libm loop */
    const char *svml;   /* __svml_exp8 (double entries prefer __svml_exp8_ha) */
    const char *mvec;   /* _ZGVeN8v_exp */
};

#define UFG_STR2(x) #x
#define UFG_STR(x) UFG_STR2(x)
#define UFG_ROW_UNARY(F, SFX, T, N, V, ISA, LD, ST, L, CF, SF)                               \
    {"ufg_" #F "_" #SFX, (void **)&ufg_tbl_##F##_##SFX, (void *)ufg_lane_##F##_##SFX,      \
     "__svml_" #F #SF UFG_STR(N), "_ZGV" #L "N" UFG_STR(N) "v_" #F #CF},
#define UFG_ROW_BINARY(F, SFX, T, N, V, ISA, LD, ST, L, CF, SF)                              \
    {"ufg_" #F "_" #SFX, (void **)&ufg_tbl_##F##_##SFX, (void *)ufg_lane_##F##_##SFX,      \
     "__svml_" #F #SF UFG_STR(N), "_ZGV" #L "N" UFG_STR(N) "vv_" #F #CF},
#define UFG_ROWS_UNARY(F) UFG_SHAPES(UFG_ROW_UNARY, F)
#define UFG_ROWS_BINARY(F) UFG_SHAPES(UFG_ROW_BINARY, F)

static struct ufg_vm_entry ufg_vm_entries[] = {UFG_UNARY(UFG_ROWS_UNARY) UFG_BINARY(UFG_ROWS_BINARY)};
#define UFG_VM_COUNT (sizeof(ufg_vm_entries) / sizeof(ufg_vm_entries[0]))

/* Which tier each entry is bound to: 0 per-lane libm, 1 libmvec, 2 SVML. */
static unsigned char ufg_vm_bound[UFG_VM_COUNT];

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
    for (size_t i = 0; i < UFG_VM_COUNT; i++) {
        struct ufg_vm_entry *e = &ufg_vm_entries[i];
        void *f = NULL;
        unsigned char tier = 0;
        if (svml && (f = ufg_svml_lookup(svml, e))) {
            tier = 2;
        } else if (mvec && (f = dlsym(mvec, e->mvec))) {
            tier = 1;
        } else {
            f = e->fallback;
        }
        *e->slot = f;
        ufg_vm_bound[i] = tier;
    }
    return (int)UFG_VM_COUNT;
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
    for (size_t i = 0; i < UFG_VM_COUNT; i++) {
        if (strcmp(ufg_vm_entries[i].name, name) == 0) {
            if (tier) *tier = ufg_vm_bound[i];
            return *ufg_vm_entries[i].slot;
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
    return (i >= 0 && (size_t)i < UFG_VM_COUNT) ? ufg_vm_entries[i].name : NULL;
}
