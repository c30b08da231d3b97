//! Ahead-of-time builds: the pieces the compiler crate contributes (the runtime archive every
//! module links; loops are emitted by `vectorize_objects`/`gufunc_objects` with `Naming::Level`).

/// The CPU levels an AOT module carries loops for, in the order of its descriptor's loop table:
/// (tag used in symbol names, LLVM CPU name).
pub const LEVELS: [(&str, &str); 3] = [
    ("v2", "x86-64-v2"),
    ("v3", "x86-64-v3"),
    ("v4", "x86-64-v4"),
];

/// `libufuncgen_aot.a`: `aot-runtime/ufuncgen_aot.c` and svml-shim, compiled when the crate
/// was built (see `build.rs`), so a build needs a linker but no C compiler.
pub const RUNTIME_ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libufuncgen_aot.a"));

#[cfg(test)]
mod tests {
    #[test]
    fn runtime_archive_is_an_ar_archive_with_the_init() {
        assert!(super::RUNTIME_ARCHIVE.starts_with(b"!<arch>\n"));
        let text = String::from_utf8_lossy(super::RUNTIME_ARCHIVE);
        assert!(text.contains("ufg_aot_init"));
        assert!(text.contains("ufg_set_error"));
    }
}
