//! Vector math bound to Intel SVML, found through `UFUNCGEN_SVML_PATH` (a `libsvml.so` or its
//! directory, with `libintlc.so.5` beside it). Skipped when SVML is not there.

mod codegen_util;
mod vecmath_util;

use std::path::PathBuf;

use ufuncgen::vecmath::{init, Settings, VecLib};

#[test]
fn svml_tier_matches_glibc_within_2_ulp() {
    // The library's own routines: the generated ones are judged in vecmath_polymath.rs.
    std::env::set_var("UFUNCGEN_DISABLE_POLYMATH", "1");
    let Some(path) = std::env::var_os("UFUNCGEN_SVML_PATH").map(PathBuf::from) else {
        eprintln!("skipped: UFUNCGEN_SVML_PATH is not set");
        return;
    };
    let vm = init(&Settings {
        disable_svml: false,
        disable_libmvec: false,
        svml_candidates: vec![path.clone()],
    });
    if vm.tier != VecLib::Svml {
        eprintln!("skipped: no loadable SVML at {path:?}");
        return;
    }
    assert!(vm
        .svml_path
        .as_deref()
        .is_some_and(|p| p.starts_with(&path)));
    let largest = vecmath_util::check_tier(VecLib::Svml, 2);
    assert!(
        largest > 0,
        "results identical to scalar libm: SVML is not in use"
    );
}
