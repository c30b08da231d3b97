/* ufuncgen's ahead-of-time runtime: what a module built by `ufuncgen build` needs besides its
 * loops. Linked statically into every module (together with svml-shim), so importing the module
 * needs only Python and NumPy.
 *
 * The module's generated part is a descriptor (`struct ufg_aot_module`: names, docstrings,
 * identities, type tables, one loop per signature and CPU level) and `PyInit_<name>`, which
 * calls `ufg_aot_init`. This file picks the CPU level once, binds the vector-math tier, creates
 * each ufunc through NumPy's C API (slot 42, no legacy loops) and registers every loop as an
 * ArrayMethod (slot 43) whose strided loop returns an int, so run-time errors the loop recorded
 * with `ufg_set_error` become Python exceptions.
 *
 * Only CPython's stable ABI (3.11+) is used, declared here by hand so that building the runtime
 * needs no Python headers; the declarations are the limited API's, which never change. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the part of CPython's stable ABI we use ---- */
typedef intptr_t Py_ssize_t;
typedef struct _object {
    Py_ssize_t ob_refcnt;
    void *ob_type;
} PyObject;
typedef struct {
    int slot;
    void *pfunc;
} PyType_Slot;
typedef struct {
    PyObject ob_base;
    PyObject *(*m_init)(void);
    Py_ssize_t m_index;
    PyObject *m_copy;
} PyModuleDef_Base;
typedef struct {
    PyModuleDef_Base m_base;
    const char *m_name;
    const char *m_doc;
    Py_ssize_t m_size;
    void *m_methods, *m_slots, *m_traverse, *m_clear, *m_free;
} PyModuleDef;
typedef int PyGILState_STATE;
typedef PyObject *(*PyCFunction)(PyObject *, PyObject *);
typedef struct {
    const char *ml_name;
    PyCFunction ml_meth;
    int ml_flags;
    const char *ml_doc;
} PyMethodDef;
#define METH_NOARGS 0x0004
#define METH_O 0x0008
extern PyObject *PyModule_Create2(PyModuleDef *, int);
extern int PyModule_AddObjectRef(PyObject *, const char *, PyObject *);
extern PyObject *PyImport_ImportModule(const char *);
extern PyObject *PyObject_GetAttrString(PyObject *, const char *);
extern int PyObject_SetAttrString(PyObject *, const char *, PyObject *);
extern PyObject *PyObject_CallFunction(PyObject *, const char *, ...);
extern PyObject *PyObject_CallMethod(PyObject *, const char *, const char *, ...);
extern int PyObject_SetItem(PyObject *, PyObject *, PyObject *);
extern void *PyCapsule_GetPointer(PyObject *, const char *);
extern PyObject *PyCapsule_New(void *, const char *, void *);
extern PyObject *PyUnicode_FromString(const char *);
extern PyObject *PyLong_FromString(const char *, char **, int);
extern PyObject *PyFloat_FromString(PyObject *);
extern PyObject *PyBool_FromLong(long);
extern PyObject *PyTuple_New(Py_ssize_t);
extern int PyTuple_SetItem(PyObject *, Py_ssize_t, PyObject *);
extern PyObject *PyList_New(Py_ssize_t);
extern int PyList_SetItem(PyObject *, Py_ssize_t, PyObject *);
extern PyObject *PyFloat_FromDouble(double);
extern PyObject *PyLong_FromSsize_t(Py_ssize_t);
extern Py_ssize_t PyLong_AsSsize_t(PyObject *);
extern int PyObject_IsTrue(PyObject *);
extern PyObject *PyErr_Occurred(void);
extern char *PyBytes_AsString(PyObject *);
extern Py_ssize_t PyBytes_Size(PyObject *);
extern void Py_IncRef(PyObject *);
extern void Py_DecRef(PyObject *);
extern void PyErr_SetString(PyObject *, const char *);
extern PyObject *PyErr_Format(PyObject *, const char *, ...);
extern void PyErr_Clear(void);
extern PyGILState_STATE PyGILState_Ensure(void);
extern void PyGILState_Release(PyGILState_STATE);
extern PyObject *PyExc_IndexError, *PyExc_ValueError, *PyExc_AssertionError,
    *PyExc_ZeroDivisionError, *PyExc_OverflowError, *PyExc_ArithmeticError, *PyExc_RuntimeError,
    *PyExc_ImportError, *PyExc_UnboundLocalError;
extern PyObject _Py_NoneStruct;
extern void *PyLong_Type;
extern PyObject PyComplex_Type;
#define UFG_NONE (&_Py_NoneStruct)
#define UFG_TYPE(o) (((PyObject *)(o))->ob_type)

/* ---- svml-shim, linked alongside ---- */
extern int ufg_take_error(const char **message);
extern int ufg_any_error(void);
extern int ufg_vm_bind(void *svml, void *mvec);

/* ---- the descriptor the build generates (keep in step with python/ufuncgen/_build.py) ---- */
typedef void (*ufg_loop_fn)(char **, const intptr_t *, const intptr_t *, void *);
#define UFG_LEVELS 3 /* x86-64-v2, -v3, -v4 */
#define UFG_DESCRIPTOR_VERSION 2

/* The parallel pool: ufuncgen's runtime crate (the JIT's own pool and cost model, see
 * runtime/src/capi.rs), linked into the module only when its descriptor references the table. */
struct ufg_par_loop;
struct ufg_par_api {
    uint32_t version;
    struct ufg_par_loop *(*elementwise)(ufg_loop_fn, size_t nin, size_t nargs,
                                        const size_t *itemsizes);
    struct ufg_par_loop *(*generalized)(ufg_loop_fn, size_t nin, size_t nargs,
                                        const size_t *itemsizes, const size_t *naxes,
                                        const size_t *axes, int split_anywhere);
    ufg_loop_fn run;
    int (*set_num_threads)(size_t);
    size_t (*num_threads)(void);
    void (*force_chunking)(int);
    void (*stats)(const struct ufg_par_loop *, double *out4);
};
#define UFG_PAR_API_VERSION 1
#define UFG_PAR_NONE 0
#define UFG_PAR_ELEMENTWISE 1
#define UFG_PAR_GENERALIZED 2
/* A `[::1]` promise of one array argument (src/contiguity.rs): the strides NumPy passes for
 * its core dimensions must be those of a C (or Fortran) contiguous block. */
struct ufg_check {
    int32_t ndims, fortran;
    int64_t itemsize;
    const int64_t *stride_index; /* `steps` index of each core dimension's stride */
    const int64_t *size_index;   /* `dimensions` index of its size */
    const char *message;
};
struct ufg_aot_ufunc {
    const char *name;
    const char *doc;       /* NULL: none */
    const char *signature; /* gufunc layout, NULL for an element-wise ufunc */
    int32_t nin, nout, nloops;
    int32_t identity;            /* NumPy's identity code */
    const char *identity_value;  /* for code -3: a kind letter (i, f, b) then the literal */
    const char *type_chars;      /* nloops * (nin + nout) dtype characters */
    const int8_t *type_nums;     /* the same as NumPy type numbers */
    const ufg_loop_fn *loops;    /* nloops * UFG_LEVELS, loop-major */
    int32_t parallel;            /* UFG_PAR_*: how the loops run */
    int32_t nrw;                 /* inputs NumPy must pass read-write */
    const int32_t *rw;           /* their indices */
    const size_t *naxes;         /* UFG_PAR_GENERALIZED: core axes per operand (nin + nout) */
    const size_t *axes;          /* their indices into `dimensions`, operand after operand */
    const int8_t *split_anywhere; /* nloops * UFG_LEVELS, loop-major: any split of the outer
                                   * range gives the same bits (the pool may split anywhere) */
    const struct ufg_check *checks; /* the loops' contiguity promises, loop after loop */
    const int32_t *check_start;     /* nloops + 1 offsets into `checks` */
};
struct ufg_aot_module {
    int32_t version;
    int32_t nufuncs;
    const char *name;
    const struct ufg_aot_ufunc *ufuncs;
    const struct ufg_par_api *par; /* NULL when no kernel is parallel */
};

/* ---- NumPy's C API pieces (numpy/ufuncobject.h, dtype_api.h; stable since 2.0) ---- */
typedef struct NpyAuxData {
    void (*free)(struct NpyAuxData *);
    struct NpyAuxData *(*clone)(struct NpyAuxData *);
    void *reserved[2];
} NpyAuxData;
typedef struct {
    PyObject *caller;
    void *method;
    PyObject *const *descriptors;
} ArrayMethodContext;
typedef struct {
    const char *name;
    int nin, nout, casting, flags;
    PyObject **dtypes;
    PyType_Slot *slots;
} ArrayMethodSpec;
typedef struct {
    PyObject ob_base;
    int nin, nout, nargs, identity;
    ufg_loop_fn *functions;
    void *const *data;
    int ntypes, reserved1;
    const char *name;
    const char *types;
    const char *doc;
    void *ptr;
    PyObject *obj;
    /* The rest as far as `op_flags` (src/numpy_api.rs has the same head). */
    PyObject *userloops;
    int core_enabled, core_num_dim_ix;
    int *core_num_dims, *core_dim_ixs, *core_offsets;
    char *core_signature;
    void *type_resolver;
    PyObject *dict;
    void *vectorcall, *reserved3;
    uint32_t *op_flags;
    uint32_t iter_flags;
} UfuncHead;
#define NPY_ITER_READWRITE 0x00010000
#define NPY_ITER_UPDATEIFCOPY 0x00800000
typedef PyObject *(*from_func_fn)(ufg_loop_fn *, void *const *, const char *, int, int, int, int,
                                  const char *, const char *, int, const char *, PyObject *);
typedef int (*add_loop_fn)(PyObject *, ArrayMethodSpec *);
typedef int (*strided_fn)(ArrayMethodContext *, char *const *, const intptr_t *,
                          const intptr_t *, NpyAuxData *);
#define METH_GET_LOOP 3
#define METH_GET_REDUCTION_INITIAL 4
#define METH_STRIDED_LOOP 5
#define METH_IS_REORDERABLE (1 << 3)
#define IDENTITY_ZERO 0
#define IDENTITY_ONE 1
#define IDENTITY_NONE (-1)
#define IDENTITY_VALUE (-3)

static const char CAPSULE_NAME[] = "ufuncgen.aot.ufunc";

/* The pool's Rust standard library registers thread-local destructors against the object's
 * `__dso_handle`, which crtbeginS.o defines; `ld -shared` links no crt files, so this weak one
 * stands in (a `cc -shared` link's crtbeginS.o definition wins over it). */
__attribute__((weak, visibility("hidden"))) void *__dso_handle = &__dso_handle;

/* One registered loop; `aux` first, as NumPy hands it back as the loop's auxdata. */
struct ufg_rt_loop {
    NpyAuxData aux;
    ufg_loop_fn fn;
    void *data; /* what `fn` gets as its data: the parallel loop, or NULL */
    const struct ufg_check *checks;
    int nchecks;
    int nargs;
    PyObject *dtypes[32]; /* DType classes, inputs then outputs (NumPy allows 32 operands) */
    char first_char;
    int initial_ready;
    unsigned char initial[32];
};
struct ufg_rt_ufunc {
    const struct ufg_aot_module *m;
    const struct ufg_aot_ufunc *d;
    struct ufg_rt_loop *loops;
};

static PyObject *numpy_mod;
/* This module's descriptor: each module links its own copy of this file. */
static const struct ufg_aot_module *this_module;

static void aux_free(NpyAuxData *aux) { (void)aux; }
static NpyAuxData *aux_clone(NpyAuxData *aux) { return aux; }

/* ---- CPU level: 0 = x86-64-v2, 1 = v3, 2 = v4, -1 = below v2 ---- */
static unsigned long long xgetbv0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static int cpu_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return -1;
    unsigned c1 = c;
    /* v2: cx16, lahf (checked below), popcnt, sse3, sse4.1, sse4.2, ssse3 */
    int v2 = (c1 & bit_SSE3) && (c1 & bit_SSSE3) && (c1 & bit_SSE4_1) && (c1 & bit_SSE4_2) &&
             (c1 & bit_POPCNT) && (c1 & bit_CMPXCHG16B);
    unsigned ea, eb, ec, ed;
    if (!__get_cpuid(0x80000001, &ea, &eb, &ec, &ed)) return -1;
    v2 = v2 && (ec & bit_LAHF_LM);
    if (!v2) return -1;
    int osxsave = (c1 & bit_OSXSAVE) != 0;
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    unsigned b7 = 0, c7 = 0, d7 = 0, a7 = 0;
    __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7);
    int ymm = (xcr0 & 0x6) == 0x6;
    int v3 = ymm && (c1 & bit_AVX) && (c1 & bit_FMA) && (c1 & bit_F16C) && (c1 & bit_MOVBE) &&
             (b7 & bit_AVX2) && (b7 & bit_BMI) && (b7 & bit_BMI2) && (ec & bit_LZCNT);
    if (!v3) return 0;
    int zmm = (xcr0 & 0xe6) == 0xe6;
    int v4 = zmm && (b7 & bit_AVX512F) && (b7 & bit_AVX512BW) && (b7 & bit_AVX512CD) &&
             (b7 & bit_AVX512DQ) && (b7 & bit_AVX512VL);
    return v4 ? 2 : 1;
}

/* The level loops run at: the CPU's best, lowered by UFUNCGEN_AOT_LEVEL=v2|v3|v4. */
static int choose_level(void) {
    int level = cpu_level();
    if (level < 0) {
        PyErr_SetString(PyExc_ImportError,
                        "this module needs an x86-64-v2 CPU (SSE4.2, POPCNT) at least");
        return -1;
    }
    const char *forced = getenv("UFUNCGEN_AOT_LEVEL");
    if (forced && *forced) {
        int want = -1;
        if (!strcmp(forced, "v2")) want = 0;
        else if (!strcmp(forced, "v3")) want = 1;
        else if (!strcmp(forced, "v4")) want = 2;
        if (want < 0) {
            PyErr_Format(PyExc_ImportError, "UFUNCGEN_AOT_LEVEL=%s: expected v2, v3 or v4", forced);
            return -1;
        }
        if (want < level) level = want;
    }
    return level;
}

/* Binds the vector-math entry points: SVML (UFUNCGEN_SVML_PATH or the loader's libsvml.so)
 * unless UFUNCGEN_DISABLE_SVML, else libmvec unless UFUNCGEN_DISABLE_LIBMVEC, else scalar. */
static int env_flag(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

static void bind_vector_math(void) {
    void *svml = NULL, *mvec = NULL;
    if (!env_flag("UFUNCGEN_DISABLE_SVML")) {
        const char *path = getenv("UFUNCGEN_SVML_PATH");
        svml = dlopen(path && *path ? path : "libsvml.so", RTLD_NOW | RTLD_LOCAL);
    }
    if (!env_flag("UFUNCGEN_DISABLE_LIBMVEC")) mvec = dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL);
    ufg_vm_bind(svml, mvec);
}

/* ---- the ArrayMethod callbacks ---- */
static int set_error(PyObject *type, const char *message) {
    PyGILState_STATE st = PyGILState_Ensure();
    PyErr_SetString(type, message);
    PyGILState_Release(st);
    return -1;
}

/* The message of the first broken contiguity promise, or NULL (as ContiguityCheck::violated:
 * walked from the fastest-varying dimension; size-1 dimensions constrain nothing). */
static const char *violated(const struct ufg_rt_loop *lp, const intptr_t *dims,
                            const intptr_t *strides) {
    for (int c = 0; c < lp->nchecks; c++) {
        const struct ufg_check *ck = &lp->checks[c];
        intptr_t expected = (intptr_t)ck->itemsize;
        for (int k = 0; k < ck->ndims; k++) {
            int d = ck->fortran ? k : ck->ndims - 1 - k;
            intptr_t size = dims[ck->size_index[d]], stride = strides[ck->stride_index[d]];
            if (size > 1 && stride != expected) return ck->message;
            if (size > 1 && __builtin_mul_overflow(expected, size, &expected))
                expected = INTPTR_MAX;
        }
    }
    return NULL;
}

static int strided_loop(ArrayMethodContext *ctx, char *const *data, const intptr_t *dims,
                        const intptr_t *strides, NpyAuxData *aux) {
    (void)ctx;
    struct ufg_rt_loop *lp = (struct ufg_rt_loop *)aux;
    if (lp->nchecks && dims[0] > 0) {
        const char *broken = violated(lp, dims, strides);
        if (broken) return set_error(PyExc_ValueError, broken);
    }
    lp->fn((char **)data, dims, strides, lp->data);
    if (!ufg_any_error()) return 0;
    const char *message = NULL;
    int kind = ufg_take_error(&message);
    if (!kind) return 0;
    if (!message) message = "error in compiled kernel";
    switch (kind) {
    case 1: return set_error(PyExc_IndexError, message);
    case 2: return set_error(PyExc_ValueError, message);
    case 3: return set_error(PyExc_AssertionError, message);
    case 4: return set_error(PyExc_ZeroDivisionError, message);
    case 5: return set_error(PyExc_OverflowError, message);
    case 6: return set_error(PyExc_ArithmeticError, message);
    case 7: return set_error(PyExc_UnboundLocalError, message);
    default: {
        /* As the JIT binding (src/array_method.rs runtime_error) words it. */
        PyGILState_STATE st = PyGILState_Ensure();
        PyErr_Format(PyExc_RuntimeError, "%s (unknown error kind %d)", message, kind);
        PyGILState_Release(st);
        return -1;
    }
    }
}

/* The loop of the running ufunc whose DTypes are the context's descriptors' (GIL held). */
static struct ufg_rt_loop *find_loop(ArrayMethodContext *ctx) {
    PyObject *obj = ctx->caller ? ((UfuncHead *)ctx->caller)->obj : NULL;
    struct ufg_rt_ufunc *u = obj ? PyCapsule_GetPointer(obj, CAPSULE_NAME) : NULL;
    if (!u) {
        PyErr_Clear();
        PyErr_SetString(PyExc_RuntimeError, "a ufuncgen AOT loop ran for a foreign ufunc");
        return NULL;
    }
    for (int i = 0; i < u->d->nloops; i++) {
        struct ufg_rt_loop *lp = &u->loops[i];
        int ok = 1;
        for (int k = 0; k < lp->nargs && ok; k++)
            ok = ctx->descriptors[k] && UFG_TYPE(ctx->descriptors[k]) == (void *)lp->dtypes[k];
        if (ok) return lp;
    }
    PyErr_SetString(PyExc_RuntimeError, "no ufuncgen loop for these dtypes");
    return NULL;
}

static int get_loop(ArrayMethodContext *ctx, int aligned, int move_refs, const intptr_t *strides,
                    strided_fn *out_loop, NpyAuxData **out_aux, int *flags) {
    (void)aligned, (void)move_refs, (void)strides;
    struct ufg_rt_loop *lp = find_loop(ctx);
    if (!lp) return -1;
    *out_loop = strided_loop;
    *out_aux = &lp->aux;
    *flags = 0; /* no Python API; may raise floating-point flags */
    return 0;
}

/* The identity in the loop's first dtype, as NumPy's wrapper of legacy loops computes it. */
static int reduction_initial(ArrayMethodContext *ctx, unsigned char is_empty, char *initial) {
    (void)is_empty;
    struct ufg_rt_loop *lp = find_loop(ctx);
    if (!lp) return -1;
    if (lp->initial_ready) goto copy;
    PyObject *identity = PyObject_GetAttrString(ctx->caller, "identity");
    if (!identity) return -1;
    if (identity == UFG_NONE) {
        Py_DecRef(identity);
        return 0;
    }
    /* An int such as -1 does not fit an unsigned dtype, but an int64 does (all bits set). */
    if (strchr("BHILQ", lp->first_char) && UFG_TYPE(identity) == &PyLong_Type) {
        PyObject *wide = PyObject_CallMethod(numpy_mod, "int64", "O", identity);
        Py_DecRef(identity);
        if (!wide) return -1;
        identity = wide;
    }
    char dtype[2] = {lp->first_char, 0};
    PyObject *shape = PyTuple_New(0);
    PyObject *cell = shape ? PyObject_CallMethod(numpy_mod, "empty", "Os", shape, dtype) : NULL;
    int rc = cell ? PyObject_SetItem(cell, shape, identity) : -1;
    Py_DecRef(identity);
    PyObject *bytes = rc == 0 ? PyObject_CallMethod(cell, "tobytes", NULL) : NULL;
    if (cell) Py_DecRef(cell);
    if (shape) Py_DecRef(shape);
    if (!bytes) return -1;
    Py_ssize_t n = PyBytes_Size(bytes);
    if (n <= 0 || n > (Py_ssize_t)sizeof lp->initial) {
        Py_DecRef(bytes);
        PyErr_SetString(PyExc_RuntimeError, "identity has an unexpected size");
        return -1;
    }
    memcpy(lp->initial, PyBytes_AsString(bytes), (size_t)n);
    Py_DecRef(bytes);
    lp->initial_ready = (int)n;
copy:
    memcpy(initial, lp->initial, (size_t)lp->initial_ready);
    return 1;
}

/* ---- creating the ufuncs ---- */
static PyObject *identity_object(const char *value) {
    if (!value || !value[0]) return NULL;
    switch (value[0]) {
    case 'i': return PyLong_FromString(value + 1, NULL, 10);
    case 'b': return PyBool_FromLong(value[1] == '1');
    case 'c': return PyObject_CallFunction(&PyComplex_Type, "s", value + 1);
    case 'f': {
        PyObject *text = PyUnicode_FromString(value + 1);
        PyObject *f = text ? PyFloat_FromString(text) : NULL;
        if (text) Py_DecRef(text);
        return f;
    }
    }
    PyErr_SetString(PyExc_RuntimeError, "bad identity value in the module descriptor");
    return NULL;
}

/* Wraps `lp`'s serial loop in the pool's parallel loop, as src/parallel.rs does for the JIT. */
static int make_parallel(const struct ufg_aot_ufunc *d, int i, int level, struct ufg_rt_loop *lp,
                         const size_t *itemsizes) {
    const struct ufg_par_api *par = this_module->par;
    if (!par || par->version != UFG_PAR_API_VERSION) {
        PyErr_SetString(PyExc_ImportError, "this module's parallel runtime is missing");
        return -1;
    }
    size_t nin = (size_t)d->nin, nargs = (size_t)lp->nargs;
    struct ufg_par_loop *pl;
    if (d->parallel == UFG_PAR_ELEMENTWISE) {
        pl = par->elementwise(lp->fn, nin, nargs, itemsizes);
    } else {
        /* An input the loop may write is an output for the race check: with any of them,
         * every operand counts as one. */
        pl = par->generalized(lp->fn, d->nrw ? 0 : nin, nargs, itemsizes, d->naxes, d->axes,
                              d->split_anywhere[i * UFG_LEVELS + level]);
    }
    if (!pl) {
        PyErr_Format(PyExc_ImportError, "%s: bad parallel loop description", d->name);
        return -1;
    }
    lp->fn = par->run;
    lp->data = pl;
    return 0;
}

/* Makes NumPy pass the inputs the kernel stores into read-write (src/guvectorize.rs
 * mark_read_write): a cast or unaligned copy is written back, a read-only array refused. */
static int mark_read_write(PyObject *ufunc, const struct ufg_aot_ufunc *d) {
    if (!d->nrw) return 0;
    UfuncHead *head = (UfuncHead *)ufunc;
    int ok = head->core_enabled == (d->signature != NULL) && head->op_flags && !head->iter_flags;
    if (ok && d->signature)
        ok = head->core_signature && !strcmp(head->core_signature, d->signature);
    for (int k = 0; ok && k < d->nrw; k++) ok = d->rw[k] >= 0 && d->rw[k] < d->nin;
    if (!ok) {
        PyErr_SetString(PyExc_ImportError,
                        "this NumPy's PyUFuncObject layout is not the one ufuncgen built for");
        return -1;
    }
    for (int k = 0; k < d->nrw; k++)
        head->op_flags[d->rw[k]] |= NPY_ITER_READWRITE | NPY_ITER_UPDATEIFCOPY;
    return 0;
}

static PyObject *make_ufunc(const struct ufg_aot_ufunc *d, int level, PyObject *modname,
                            from_func_fn from_func, add_loop_fn add_loop) {
    int nargs = d->nin + d->nout;
    if (nargs > 32) {
        PyErr_SetString(PyExc_RuntimeError, "too many operands");
        return NULL;
    }
    /* Never freed: a module's ufuncs live as long as the process (extensions are not unloaded). */
    struct ufg_rt_ufunc *u = calloc(1, sizeof *u);
    struct ufg_rt_loop *loops = calloc((size_t)d->nloops, sizeof *loops);
    ufg_loop_fn *functions = calloc((size_t)d->nloops, sizeof *functions);
    void **data = calloc((size_t)d->nloops, sizeof *data);
    if (!u || !loops || !functions || !data) {
        PyErr_SetString(PyExc_RuntimeError, "out of memory");
        return NULL;
    }
    u->m = this_module;
    u->d = d;
    u->loops = loops;
    for (int i = 0; i < d->nloops; i++) {
        struct ufg_rt_loop *lp = &loops[i];
        lp->aux.free = aux_free;
        lp->aux.clone = aux_clone;
        lp->fn = functions[i] = d->loops[i * UFG_LEVELS + level];
        lp->nargs = nargs;
        lp->first_char = d->type_chars[i * nargs];
        lp->checks = d->checks + d->check_start[i];
        lp->nchecks = d->check_start[i + 1] - d->check_start[i];
        size_t itemsizes[32];
        for (int k = 0; k < nargs; k++) {
            char ch[2] = {d->type_chars[i * nargs + k], 0};
            PyObject *dt = PyObject_CallMethod(numpy_mod, "dtype", "s", ch);
            if (!dt) return NULL;
            PyObject *size = PyObject_GetAttrString(dt, "itemsize");
            Py_ssize_t n = size ? PyLong_AsSsize_t(size) : -1;
            if (size) Py_DecRef(size);
            if (n < 0) {
                Py_DecRef(dt);
                return NULL;
            }
            itemsizes[k] = (size_t)n;
            lp->dtypes[k] = (PyObject *)UFG_TYPE(dt);
            Py_IncRef(lp->dtypes[k]);
            Py_DecRef(dt);
        }
        if (d->parallel != UFG_PAR_NONE && make_parallel(d, i, level, lp, itemsizes) < 0) return NULL;
        functions[i] = lp->fn;
        data[i] = lp->data;
    }
    PyObject *identity_value = NULL;
    if (d->identity == IDENTITY_VALUE && !(identity_value = identity_object(d->identity_value)))
        return NULL;
    PyObject *ufunc = from_func(NULL, NULL, NULL, 0, d->nin, d->nout, d->identity, d->name, d->doc,
                                0, d->signature, identity_value);
    if (identity_value) Py_DecRef(identity_value);
    if (!ufunc) return NULL;
    UfuncHead *head = (UfuncHead *)ufunc;
    if (head->nin != d->nin || head->nout != d->nout || head->nargs != nargs || head->ntypes != 0 ||
        head->name != d->name || head->obj != NULL) {
        Py_DecRef(ufunc);
        PyErr_SetString(PyExc_ImportError,
                        "this NumPy's PyUFuncObject layout is not the one ufuncgen built for");
        return NULL;
    }
    head->obj = PyCapsule_New(u, CAPSULE_NAME, NULL);
    if (!head->obj) goto fail;
    if (mark_read_write(ufunc, d) < 0) goto fail;
    int binary = d->nin == 2 && d->nout == 1;
    int reorderable = binary && d->identity != IDENTITY_NONE;
    int has_initial = binary && (d->identity == IDENTITY_ZERO || d->identity == IDENTITY_ONE ||
                                 d->identity == IDENTITY_VALUE);
    for (int i = 0; i < d->nloops; i++) {
        int dup = 0;
        for (int j = 0; j < i && !dup; j++)
            dup = !memcmp(d->type_chars + j * nargs, d->type_chars + i * nargs, (size_t)nargs);
        if (dup) continue; /* the first of equal dtype lists wins, as in NumPy's tables */
        PyType_Slot slots[4] = {{METH_GET_LOOP, (void *)get_loop},
                                {METH_STRIDED_LOOP, (void *)strided_loop},
                                {0, NULL},
                                {0, NULL}};
        if (has_initial) slots[2] = (PyType_Slot){METH_GET_REDUCTION_INITIAL, (void *)reduction_initial};
        ArrayMethodSpec spec = {"ufuncgen_aot_loop", d->nin, d->nout, 0,
                                reorderable ? METH_IS_REORDERABLE : 0, loops[i].dtypes, slots};
        if (add_loop(ufunc, &spec) < 0) goto fail;
    }
    /* Legacy tables last (f.types, legacy type resolution); see src/register.rs. */
    head->functions = functions;
    head->data = data;
    head->types = (const char *)d->type_nums;
    head->ntypes = d->nloops;
    /* NumPy >= 2.2 gives ufuncs an instance dict: pickling then finds them by module and name. */
    if (PyObject_SetAttrString(ufunc, "__module__", modname) < 0) PyErr_Clear();
    return ufunc;
fail:
    Py_DecRef(ufunc);
    return NULL;
}

/* ---- the module's functions for its parallel pool (as `ufuncgen`'s for the JIT's) ---- */
static PyObject *set_num_threads(PyObject *self, PyObject *arg) {
    (void)self;
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 0 || this_module->par->set_num_threads((size_t)n) < 0) {
        PyErr_Format(PyExc_ValueError, "at most 1024 threads, not %zd", n);
        return NULL;
    }
    Py_IncRef(UFG_NONE);
    return UFG_NONE;
}

static PyObject *get_num_threads(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
    return PyLong_FromSsize_t((Py_ssize_t)this_module->par->num_threads());
}

static PyObject *force_chunking(PyObject *self, PyObject *arg) {
    (void)self;
    int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
    this_module->par->force_chunking(on);
    Py_IncRef(UFG_NONE);
    return UFG_NONE;
}

/* `[(ns per iteration, chunked calls, hand-off ns, ns per iteration of chunks)]` per loop of
 * one of this module's parallel ufuncs (empty for a serial one), as ufuncgen._parallel_stats. */
static PyObject *parallel_stats(PyObject *self, PyObject *ufunc) {
    (void)self;
    PyObject *obj = ((UfuncHead *)ufunc)->obj;
    PyObject *umath_ufunc = PyObject_GetAttrString(numpy_mod, "ufunc");
    int is_ufunc = umath_ufunc && UFG_TYPE(ufunc) == (void *)umath_ufunc;
    if (umath_ufunc) Py_DecRef(umath_ufunc);
    struct ufg_rt_ufunc *u = is_ufunc && obj ? PyCapsule_GetPointer(obj, CAPSULE_NAME) : NULL;
    if (!u || u->m != this_module) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "not a ufunc of this module");
        return NULL;
    }
    int parallel = u->d->parallel != UFG_PAR_NONE;
    PyObject *list = PyList_New(parallel ? u->d->nloops : 0);
    for (int i = 0; list && parallel && i < u->d->nloops; i++) {
        double v[4];
        this_module->par->stats(u->loops[i].data, v);
        PyObject *t = PyTuple_New(4);
        for (int k = 0; t && k < 4; k++) PyTuple_SetItem(t, k, PyFloat_FromDouble(v[k]));
        if (!t || PyList_SetItem(list, i, t) < 0) {
            Py_DecRef(list);
            return NULL;
        }
    }
    return list;
}

static PyMethodDef parallel_methods[] = {
    {"_set_num_threads", set_num_threads, METH_O,
     "Sets the threads this module's parallel ufuncs use (0: UFUNCGEN_NUM_THREADS or the CPUs)."},
    {"_get_num_threads", get_num_threads, METH_NOARGS,
     "The threads this module's parallel ufuncs use."},
    {"_force_chunking", force_chunking, METH_O,
     "Tests only: chunk every call that can be chunked safely, or use the cost model."},
    {"_parallel_stats", parallel_stats, METH_O,
     "Per loop of a parallel ufunc: (ns per iteration, chunked calls, hand-off ns, chunk ns)."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef module_def;

/* Called by the generated PyInit_<name>. */
PyObject *ufg_aot_init(const struct ufg_aot_module *m) {
    if (m->version != UFG_DESCRIPTOR_VERSION) {
        PyErr_SetString(PyExc_ImportError, "module descriptor version mismatch");
        return NULL;
    }
    this_module = m;
    int level = choose_level();
    if (level < 0) return NULL;
    bind_vector_math();
    numpy_mod = PyImport_ImportModule("numpy");
    if (!numpy_mod) return NULL;
    PyObject *umath = PyImport_ImportModule("numpy._core._multiarray_umath");
    if (!umath) return NULL;
    PyObject *capsule = PyObject_GetAttrString(umath, "_UFUNC_API");
    Py_DecRef(umath);
    if (!capsule) return NULL;
    void **api = PyCapsule_GetPointer(capsule, NULL);
    Py_DecRef(capsule);
    if (!api) return NULL;
    from_func_fn from_func = (from_func_fn)api[42];
    add_loop_fn add_loop = (add_loop_fn)api[43];
    if (!from_func || !add_loop) {
        PyErr_SetString(PyExc_ImportError, "this module needs NumPy >= 2.0");
        return NULL;
    }
    module_def.m_base.ob_base.ob_refcnt = 1;
    module_def.m_name = m->name;
    module_def.m_size = -1;
    if (m->par) module_def.m_methods = parallel_methods;
    PyObject *mod = PyModule_Create2(&module_def, 3 /* PYTHON_ABI_VERSION */);
    if (!mod) return NULL;
    static const char *const level_names[] = {"x86-64-v2", "x86-64-v3", "x86-64-v4"};
    PyObject *lv = PyUnicode_FromString(level_names[level]);
    if (!lv || PyModule_AddObjectRef(mod, "__ufuncgen_cpu_level__", lv) < 0) goto fail;
    Py_DecRef(lv);
    /* The full dotted name (`pkg._kernels`): CPython gives it to PyModule_Create while a
     * single-phase extension inside a package initializes. */
    PyObject *modname = PyObject_GetAttrString(mod, "__name__");
    if (!modname) goto fail;
    for (int i = 0; i < m->nufuncs; i++) {
        PyObject *f = make_ufunc(&m->ufuncs[i], level, modname, from_func, add_loop);
        if (!f) {
            Py_DecRef(modname);
            goto fail;
        }
        int rc = PyModule_AddObjectRef(mod, m->ufuncs[i].name, f);
        Py_DecRef(f);
        if (rc < 0) {
            Py_DecRef(modname);
            goto fail;
        }
    }
    Py_DecRef(modname);
    return mod;
fail:
    Py_DecRef(mod);
    return NULL;
}
