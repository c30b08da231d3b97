//! Ahead-of-time builds: the pieces the compiler crate contributes (the runtime archive every
//! module links; loops are emitted by `vectorize_objects`/`gufunc_objects` with `Naming::Level`).

use crate::codegen::Target;

/// The CPU levels an AOT module carries loops for, in the order of its descriptor's loop table:
/// (tag used in symbol names, LLVM CPU name, extra LLVM features).
///
/// LLVM tunes `x86-64-v4` for 256-bit vectors; the v4 loops are to use the 512-bit registers
/// (and vector-math entries) the JIT uses on AVX-512 hosts, so that tuning is turned off. The
/// level's defining features are spelled out because a feature string replaces the level's
/// implied ones in `Target::has_feature`.
pub const LEVELS: [(&str, &str, &str); 3] = [
    ("v2", "x86-64-v2", ""),
    ("v3", "x86-64-v3", ""),
    (
        "v4",
        "x86-64-v4",
        "+avx2,+fma,+avx512f,+avx512bw,+avx512cd,+avx512dq,+avx512vl,-prefer-256-bit",
    ),
];

/// The code-generation target of level `index` of [`LEVELS`], with its tag.
pub fn level_target(index: usize) -> Option<(&'static str, Target)> {
    LEVELS.get(index).map(|(tag, cpu, features)| {
        (
            *tag,
            Target {
                cpu: (*cpu).to_string(),
                features: (*features).to_string(),
            },
        )
    })
}

/// `libufuncgen_aot.a`: `aot-runtime/ufuncgen_aot.c`, svml-shim and the parallel pool (the
/// `ufuncgen-runtime` crate with its C ABI, one object that modules with parallel kernels pull
/// in), compiled when the crate was built (see `build.rs`), so a build needs a linker but no C
/// compiler.
pub const RUNTIME_ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libufuncgen_aot.a"));

#[cfg(test)]
mod tests {
    #[test]
    fn levels_know_their_vector_widths() {
        let widths = |i| super::level_target(i).map(|(_, t)| t.vector_math_widths().to_vec());
        assert_eq!(widths(0), Some(vec![]));
        assert_eq!(widths(1), Some(vec![256]));
        assert_eq!(widths(2), Some(vec![512, 256]));
        assert_eq!(widths(3), None);
    }

    #[test]
    fn runtime_archive_is_an_ar_archive_with_the_init() {
        assert!(super::RUNTIME_ARCHIVE.starts_with(b"!<arch>\n"));
        let text = String::from_utf8_lossy(super::RUNTIME_ARCHIVE);
        assert!(text.contains("ufg_aot_init"));
        assert!(text.contains("ufg_set_error"));
        assert!(
            text.contains("UFG_PAR_API"),
            "the pool object is in the archive"
        );
    }
}
