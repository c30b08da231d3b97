//! Compiles svml-shim (the C side of the math ABI the generated loops call), and lists the
//! golden front-end cases so that each becomes a test of its own.

use std::fmt::Write as _;
use std::path::Path;

include!("shim_sources.rs");

fn main() {
    golden_tests();
    println!("cargo:rerun-if-changed=../svml-shim");
    println!("cargo:rerun-if-changed=shim_sources.rs");
    let base = || {
        let mut b = cc::Build::new();
        b.flag_if_supported("-std=c11").opt_level(2);
        b
    };
    // Units with their own ISA flags become objects of the one library.
    let mut lib = base();
    for (file, flags) in SHIM_SOURCES {
        let path = format!("../svml-shim/{file}");
        if flags.is_empty() {
            lib.file(path);
        } else {
            let mut unit = base();
            unit.file(path);
            for f in *flags {
                unit.flag(f);
            }
            lib.objects(unit.compile_intermediates());
        }
    }
    lib.compile("ufg_svml_shim");
    println!("cargo:rustc-link-lib=m");
    aot_runtime(base);
}

/// `$OUT_DIR/libufuncgen_aot.a`: the ahead-of-time runtime plus its own copy of svml-shim, which
/// every AOT module links; embedded in the crate (`aot::RUNTIME_ARCHIVE`), never linked here.
fn aot_runtime(base: impl Fn() -> cc::Build) {
    println!("cargo:rerun-if-changed=../aot-runtime");
    let mut lib = base();
    lib.cargo_metadata(false)
        .file("../aot-runtime/ufuncgen_aot.c");
    for (file, flags) in SHIM_SOURCES {
        let mut unit = base();
        unit.cargo_metadata(false)
            .file(format!("../svml-shim/{file}"));
        for f in *flags {
            unit.flag(f);
        }
        lib.objects(unit.compile_intermediates());
    }
    lib.compile("ufuncgen_aot");
}

/// Writes `$OUT_DIR/golden_cases.rs`: one `#[test]` per `tests/golden/{ok,err}/*.py`, so a
/// case runs by name (`cargo test --test frontend_golden err_array_errors`) and adding a case
/// is adding a file.
fn golden_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut out = String::new();
    for outcome in ["ok", "err"] {
        let dir = root.join(outcome);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut stems: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "py"))
                    .filter_map(|p| p.file_stem()?.to_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        stems.sort();
        for stem in stems {
            let ident: String = stem
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let _ = writeln!(
                out,
                "#[test]\nfn {outcome}_{ident}() {{\n    check_case(Outcome::{}, {stem:?});\n}}",
                if outcome == "ok" { "Ok" } else { "Err" }
            );
        }
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("golden_cases.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}
