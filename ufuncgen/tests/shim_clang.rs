//! svml-shim compiled by clang (Debian's `clang-22`) gives the same results as compiled by GCC:
//! a harness calls every vector entry point the way generated code does, at the per-lane and
//! libmvec tiers, and compares with the C library. Under clang the entry points once read their
//! vector argument from the stack (clang picks the vector ABI by the translation unit's ISA, not
//! by a function's target attribute): exp gave 1.0 in every lane, log -inf.

use std::path::{Path, PathBuf};
use std::process::Command;

include!("../shim_sources.rs");

const CLANG: &str = "clang-22";

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn compile(src: &Path, obj: &Path, flags: &[&str]) {
    run(Command::new(CLANG)
        .args(["-std=c11", "-O2", "-c"])
        .args(flags)
        .arg(src)
        .arg("-o")
        .arg(obj));
}

#[test]
fn shim_compiled_by_clang_computes_right() {
    if Command::new(CLANG).arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: {CLANG} is not installed (setup.sh installs it: apt-get install {CLANG})"
        );
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("shim_clang");
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let mut objects = Vec::new();
    for (file, flags) in SHIM_SOURCES {
        let obj = dir.join(format!("{file}.o"));
        compile(&root.join("../svml-shim").join(file), &obj, flags);
        objects.push(obj);
    }
    let harness = root.join("tests/shim_clang/harness.c");
    for (part, flags) in [
        ("0", &[][..]),
        ("512", &["-mavx512f"][..]),
        ("256", &["-mavx2"][..]),
    ] {
        let obj = dir.join(format!("harness{part}.o"));
        let mut f = vec![format!("-DUFG_PART={part}")];
        f.extend(flags.iter().map(|s| s.to_string()));
        let f: Vec<&str> = f.iter().map(String::as_str).collect();
        compile(&harness, &obj, &f);
        objects.push(obj);
    }
    let exe = dir.join("harness");
    run(Command::new(CLANG)
        .args(&objects)
        .args(["-rdynamic", "-lm", "-ldl", "-o"])
        .arg(&exe));
    let out = Command::new(&exe).output().expect("harness runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "clang-built svml-shim is wrong:\n{text}"
    );
    assert!(text.contains(" 0 failures"), "{text}");
}
