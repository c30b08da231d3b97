//! Vector math with no vector library (SVML and libmvec disabled): the per-lane libm fallback
//! must give glibc's results bit for bit, special values included.

mod codegen_util;
mod vecmath_util;

use ufuncgen::vecmath::{init, Settings, VecLib};

#[test]
fn per_lane_tier_is_bitwise_glibc() {
    // The library's own routines: the generated ones are judged in vecmath_polymath.rs.
    std::env::set_var("UFUNCGEN_DISABLE_POLYMATH", "1");
    let vm = init(&Settings {
        disable_svml: true,
        disable_libmvec: true,
        svml_candidates: vec![],
    });
    assert_eq!(vm.tier, VecLib::Scalar);
    assert!(vm.svml_path.is_none());
    assert_eq!(vecmath_util::check_tier(VecLib::Scalar, 0), 0);
}

/// The functions these tests check are the vector functions of the compiler's one table.
#[test]
fn functions_under_test_are_the_tables_vector_functions() {
    let tested: Vec<_> = vecmath_util::functions()
        .iter()
        .map(|f| (f.name, f.func, f.arity))
        .collect();
    let declared: Vec<_> = ufuncgen::math_functions::vector_functions()
        .map(|f| (f.name, f.func, f.arity))
        .collect();
    assert_eq!(
        tested, declared,
        "vecmath_util::functions() vs MATH_FUNCTIONS"
    );
}
