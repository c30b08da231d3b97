// svml-shim's translation units and the extra compiler flags each needs, shared by build.rs and
// the test that compiles the shim with clang (tests/shim_clang.rs). The vector entry points are
// compiled with their ISA for the whole unit: see svml-shim/vecmath.h.

/// `(file in svml-shim/, extra flags)`.
pub const SHIM_SOURCES: &[(&str, &[&str])] = &[
    ("shim.c", &[]),
    ("vecmath.c", &[]),
    ("vecmath_avx512.c", &["-mavx512f"]),
    ("vecmath_avx2.c", &["-mavx2"]),
];
