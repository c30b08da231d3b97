/* Calls every vector entry of svml-shim the way generated code does (argument and result in
 * registers) and compares each lane with the C library's scalar function. Compiled once per
 * ISA: -DUFG_PART=512 with -mavx512f, -DUFG_PART=256 with -mavx2, -DUFG_PART=0 for main(). */
#define _GNU_SOURCE
#include <complex.h>
#include <dlfcn.h>
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int ufg_vm_bind(void *svml, void *mvec);
void *ufg_vm_resolve(const char *name, int *tier);
const char *ufg_vm_name(int i);

/* Checks entry `name` (through the table and through its exported wrapper); returns failures. */
int ufg_check_512(const char *name);
int ufg_check_256(const char *name);

#define CHECK_SHAPE(SFX, T, N, V, LD, ST)                                                    \
    static int check_##SFX(const char *name, V (*f)(V), V (*g)(V, V), V (*wrap1)(V),        \
                           V (*wrap2)(V, V)) {                                               \
        char base[32];                                                                       \
        const char *p = name + 4, *u = strchr(p, '_');                                       \
        snprintf(base, sizeof base, "ufg_%.*s_%s", (int)(u - p), p,                          \
                 sizeof(T) == 8 ? "f64" : "f32");                                             \
        void *scalar = ufg_vm_resolve(base, NULL);                                           \
        T x[N], y[N], r[N], w[N];                                                            \
        for (int i = 0; i < N; i++) {                                                        \
            x[i] = (T)(0.3 + 0.6 * i / N);                                                   \
            if (strstr(name, "acosh")) x[i] += 1;                                            \
            y[i] = (T)(0.4 + 0.5 * i / N);                                                   \
        }                                                                                    \
        ST(r, f ? f(LD(x)) : g(LD(x), LD(y)));                                               \
        ST(w, wrap1 ? wrap1(LD(x)) : wrap2(LD(x), LD(y)));                                   \
        int bad = 0;                                                                         \
        for (int i = 0; i < N; i++) {                                                        \
            T want = f ? ((T(*)(T))scalar)(x[i]) : ((T(*)(T, T))scalar)(x[i], y[i]);         \
            T tol = (T)(sizeof(T) == 8 ? 1e-13 : 1e-5) * fabs((double)want);                 \
            if (!(fabs((double)(r[i] - want)) <= tol) || !(fabs((double)(w[i] - want)) <= tol)) { \
                if (bad++ < 2)                                                               \
                    printf("%s lane %d: x=%g table %g wrapper %g libm %g\n", name, i,       \
                           (double)x[i], (double)r[i], (double)w[i], (double)want);         \
            }                                                                                \
        }                                                                                    \
        return bad;                                                                          \
    }

#define CHECK_PART(PART, SA, TA, NA, VA, LA, SSA, SB, TB, NB, VB, LB, SSB)                   \
    CHECK_SHAPE(SA, TA, NA, VA, LA, SSA)                                                     \
    CHECK_SHAPE(SB, TB, NB, VB, LB, SSB)                                                     \
    int ufg_check_##PART(const char *name) {                                                 \
        void *f = ufg_vm_resolve(name, NULL), *w = dlsym(RTLD_DEFAULT, name);                \
        int binary = strstr(name, "pow_") || strstr(name, "atan2_") || strstr(name, "hypot_"); \
        if (!f || !w) return printf("%s: not found\n", name), 1;                             \
        if (strstr(name, "_" #SA))                                                           \
            return binary ? check_##SA(name, NULL, f, NULL, w) : check_##SA(name, f, NULL, w, NULL); \
        return binary ? check_##SB(name, NULL, f, NULL, w) : check_##SB(name, f, NULL, w, NULL); \
    }

#if UFG_PART == 512
CHECK_PART(512, f64x8, double, 8, __m512d, _mm512_loadu_pd, _mm512_storeu_pd, f32x16, float, 16,
           __m512, _mm512_loadu_ps, _mm512_storeu_ps)
#elif UFG_PART == 256
CHECK_PART(256, f64x4, double, 4, __m256d, _mm256_loadu_pd, _mm256_storeu_pd, f32x8, float, 8,
           __m256, _mm256_loadu_ps, _mm256_storeu_ps)
#else
double complex ufg_cpow(double complex, double complex);

int main(void) {
    int failures = 0, checked = 0;
    void *mvec = dlopen("libmvec.so.1", RTLD_NOW);
    for (int tier = 0; tier < 2; tier++) {
        ufg_vm_bind(NULL, tier ? mvec : NULL);
        const char *name;
        for (int i = 0; (name = ufg_vm_name(i)) != NULL; i++) {
            int wide = strstr(name, "f64x8") || strstr(name, "f32x16");
            if (wide && __builtin_cpu_supports("avx512f")) failures += ufg_check_512(name), checked++;
            if (!wide && __builtin_cpu_supports("avx2")) failures += ufg_check_256(name), checked++;
        }
    }
    /* NumPy's complex power: 0 ** (1 - 2j) is 0, (1 + 1j) ** 2 is 2j by the product formula. */
    double complex z = ufg_cpow(0.0, __builtin_complex(1.0, -2.0));
    double complex s = ufg_cpow(__builtin_complex(1.0, 1.0), 2.0);
    if (creal(z) != 0 || cimag(z) != 0 || creal(s) != 0 || cimag(s) != 2) failures++, puts("cpow");
    printf("checked %d entries, %d failures\n", checked, failures);
    return failures != 0 || checked == 0;
}
#endif
