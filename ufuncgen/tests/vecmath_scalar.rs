//! Vector math with no vector library (SVML and libmvec disabled): the per-lane libm fallback
//! must give glibc's results bit for bit, special values included.

mod codegen_util;
mod vecmath_util;

use ufuncgen::vecmath::{init, Settings, Tier};

#[test]
fn per_lane_tier_is_bitwise_glibc() {
    // The library's own routines: the generated ones are judged in vecmath_polymath.rs.
    std::env::set_var("UFUNCGEN_DISABLE_POLYMATH", "1");
    let vm = init(&Settings {
        disable_svml: true,
        disable_libmvec: true,
        svml_candidates: vec![],
    });
    assert_eq!(vm.tier, Tier::Scalar);
    assert!(vm.svml_path.is_none());
    assert_eq!(vecmath_util::check_tier(Tier::Scalar, 0), 0);
}
