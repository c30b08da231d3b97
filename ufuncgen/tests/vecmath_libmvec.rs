//! Vector math bound to glibc's libmvec (SVML disabled): every function at both dtypes.

mod codegen_util;
mod vecmath_util;

use ufuncgen::vecmath::{init, Settings, VecLib};

#[test]
fn libmvec_tier_matches_glibc_within_4_ulp() {
    // The library's own routines: the generated ones are judged in vecmath_polymath.rs.
    std::env::set_var("UFUNCGEN_DISABLE_POLYMATH", "1");
    let vm = init(&Settings {
        disable_svml: true,
        disable_libmvec: false,
        svml_candidates: vec![],
    });
    assert_eq!(
        vm.tier,
        VecLib::Libmvec,
        "glibc >= 2.35 on x86-64 ships libmvec"
    );
    let largest = vecmath_util::check_tier(VecLib::Libmvec, 4);
    assert!(
        largest > 0,
        "results identical to scalar libm: libmvec is not in use"
    );
}
