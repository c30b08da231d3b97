//! Compiles svml-shim (the C side of the math ABI the generated loops call).

fn main() {
    println!("cargo:rerun-if-changed=../svml-shim");
    cc::Build::new()
        .file("../svml-shim/shim.c")
        .file("../svml-shim/vecmath.c")
        .flag_if_supported("-std=c11")
        .opt_level(2)
        .compile("ufg_svml_shim");
    println!("cargo:rustc-link-lib=m");
}
