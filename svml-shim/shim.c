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
