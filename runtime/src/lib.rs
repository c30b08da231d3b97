//! Run-time support for compiled loops that is not generated code: the parallel target and
//! the errors loops report. No LLVM: the JIT extension links this crate, and so does every
//! ahead-of-time module (a copy built with the `capi` feature, see `ufuncgen/build.rs`).

// Compiled for tests too, so that `cargo test --workspace` runs its tests.
#[cfg(any(feature = "capi", test))]
pub mod capi;
pub mod chunks;
pub mod errors;
pub mod fpflags;
pub mod handoff;
pub mod parallel;
pub mod plan;
pub mod pool;

/// The NumPy inner-loop ABI: `void loop(char **args, npy_intp const *dimensions,
/// npy_intp const *steps, void *data)`.
pub type LoopFn =
    unsafe extern "C" fn(*mut *mut u8, *const isize, *const isize, *mut std::ffi::c_void);
