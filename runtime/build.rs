//! Links svml-shim's `shim.c` (the error slot `errors` reads) unless the `shim` feature is off.

fn main() {
    println!("cargo:rerun-if-changed=../svml-shim/shim.c");
    if std::env::var_os("CARGO_FEATURE_SHIM").is_none() {
        return;
    }
    cc::Build::new()
        .flag_if_supported("-std=c11")
        .opt_level(2)
        .file("../svml-shim/shim.c")
        .compile("ufg_runtime_shim");
    println!("cargo:rustc-link-lib=m");
}
