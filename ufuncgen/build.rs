//! Compiles svml-shim (the C side of the math ABI the generated loops call), and lists the
//! golden front-end cases so that each becomes a test of its own.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    // Units with their own ISA flags become objects of the one library. `shim.c` (the error
    // slot, FP helpers) is linked by the runtime crate, which reads that slot.
    let mut lib = base();
    for (file, flags) in SHIM_SOURCES.iter().filter(|(f, _)| *f != "shim.c") {
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
        .file("../aot-runtime/ufuncgen_aot.c")
        .object(aot_pool());
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

/// The symbol of the parallel runtime's C ABI table (`ufuncgen_runtime::capi::UFG_PAR_API`):
/// the only global the pool object keeps, and what a module with parallel kernels references.
const POOL_API: &str = "UFG_PAR_API";

/// `$OUT_DIR/ufuncgen_pool.o`: the runtime crate (the JIT's parallel pool and cost model)
/// with its `capi` C ABI, built as a static library by a nested cargo, then partially linked
/// into one object that keeps only what `UFG_PAR_API` reaches (the Rust standard library's
/// pieces included), with every symbol but that one made local. Modules link it from the
/// runtime archive only when they reference `UFG_PAR_API` (a parallel kernel).
fn aot_pool() -> PathBuf {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/Cargo.toml");
    println!("cargo:rerun-if-changed=../runtime");
    let target_dir = out.join("pool-target");
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args([
            "rustc",
            "--release",
            "--frozen",
            "--lib",
            "-p",
            "ufuncgen-runtime",
        ])
        .args([
            "--crate-type",
            "staticlib",
            "--no-default-features",
            "--features",
            "capi",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        // The pool runs on any x86-64 a module is imported on: none of the outer build's
        // flags (a `target-cpu`, say) carry over.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR");
    let mut release = target_dir.clone();
    if let Ok(target) = std::env::var("TARGET") {
        cargo.args(["--target", &target]);
        release.push(target);
    }
    release.push("release");
    run(&mut cargo);
    let full = out.join("ufuncgen_pool_full.o");
    run(Command::new("ld")
        .args(["-r", "--gc-sections", "-u", POOL_API, "-o"])
        .arg(&full)
        .arg(release.join("libufuncgen_runtime.a")));
    // Embedded bitcode and debug info are most of the bytes, and no link needs them.
    let pool = out.join("ufuncgen_pool.o");
    run(Command::new("objcopy")
        .args([
            "--remove-section=.llvmbc",
            "--remove-section=.llvmcmd",
            "--strip-debug",
        ])
        .arg(format!("--keep-global-symbol={POOL_API}"))
        .arg(&full)
        .arg(&pool));
    let _ = std::fs::remove_file(&full);
    pool
}

/// Runs a build step; a failure stops the build with the step's output.
fn run(cmd: &mut Command) {
    match cmd.output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "{cmd:?} failed:\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("cannot run {cmd:?}: {e}"),
    }
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
