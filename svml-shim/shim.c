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
#include <stdint.h>
#include <stdio.h>

static _Thread_local int ufg_error_kind;
static _Thread_local const char *ufg_error_message;
static _Thread_local char ufg_error_buffer[512];

/* Records an error. The message is copied: generated code passes constants of its own module,
 * which may be freed (with the ufunc) before anyone takes the error. */
void ufg_set_error(int kind, const char *message) {
    if (ufg_error_kind != 0) return;
    snprintf(ufg_error_buffer, sizeof ufg_error_buffer, "%s", message ? message : "");
    ufg_error_kind = kind;
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
    ufg_error_message = ufg_error_buffer;
}

/* Returns the pending error's kind (0 = none) and message, and clears the slot. The message
 * stays valid until the next error is recorded on this thread. */
int ufg_take_error(const char **message) {
    int kind = ufg_error_kind;
    if (message) *message = kind ? ufg_error_message : NULL;
    ufg_error_kind = 0;
    ufg_error_message = NULL;
    return kind;
}
