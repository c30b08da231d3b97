//! Compiles svml-shim (the C side of the math ABI the generated loops call).

include!("shim_sources.rs");

fn main() {
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
}
