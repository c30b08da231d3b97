//! Binds svml-shim's vector-math entry points (`ufg_exp_f64x8`, ...) at run time to the best
//! library present: Intel SVML, else glibc libmvec, else a per-lane loop over scalar libm.
//!
//! Generated code names only the `ufg_*` entry points, never a library, so the same object
//! code serves every tier; the JIT links those names straight to the bound implementation.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Which library the vector entry points were bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VecLib {
    /// Per-lane calls to scalar libm.
    Scalar,
    /// glibc's libmvec.
    Libmvec,
    /// Intel SVML (loaded from the user's environment, never bundled).
    Svml,
}

impl VecLib {
    /// The name `ufuncgen.config()["vector_library"]` reports.
    pub fn name(self) -> &'static str {
        match self {
            VecLib::Scalar => "scalar",
            VecLib::Libmvec => "libmvec",
            VecLib::Svml => "svml",
        }
    }
}

/// Where to look for SVML, decided by the caller (the Python side knows `sys.prefix`).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `UFUNCGEN_DISABLE_SVML=1`: skip SVML even when present.
    pub disable_svml: bool,
    /// `UFUNCGEN_DISABLE_LIBMVEC=1`: skip libmvec too (tests of the per-lane libm tier).
    pub disable_libmvec: bool,
    /// `libsvml.so` files or the directories holding them, tried in order.
    pub svml_candidates: Vec<PathBuf>,
}

impl Settings {
    /// Settings from the environment (`UFUNCGEN_DISABLE_SVML`, `UFUNCGEN_DISABLE_LIBMVEC`,
    /// `UFUNCGEN_SVML_PATH`) followed by `extra` candidate locations.
    pub fn from_env(extra: impl IntoIterator<Item = PathBuf>) -> Settings {
        let flag = |name: &str| {
            std::env::var(name)
                .map(|v| !v.is_empty() && v != "0")
                .unwrap_or(false)
        };
        let mut svml_candidates: Vec<PathBuf> = std::env::var_os("UFUNCGEN_SVML_PATH")
            .map(PathBuf::from)
            .into_iter()
            .collect();
        svml_candidates.extend(extra);
        Settings {
            disable_svml: flag("UFUNCGEN_DISABLE_SVML"),
            disable_libmvec: flag("UFUNCGEN_DISABLE_LIBMVEC"),
            svml_candidates,
        }
    }
}

/// The outcome of binding, fixed for the life of the process.
#[derive(Debug, Clone)]
pub struct VecMath {
    /// The best tier any entry point got (what `config()` reports).
    pub tier: VecLib,
    /// The SVML library that was loaded, if any.
    pub svml_path: Option<PathBuf>,
}

extern "C" {
    fn ufg_vm_bind(svml: *mut c_void, mvec: *mut c_void) -> c_int;
    fn ufg_vm_resolve(name: *const c_char, tier: *mut c_int) -> *mut c_void;
    fn ufg_vm_name(i: c_int) -> *const c_char;
    fn ufg_vm_scalar_name(i: c_int) -> *const c_char;
    fn dlopen(filename: *const c_char, flags: c_int) -> *mut c_void;
}

const RTLD_NOW: c_int = 2;
const RTLD_GLOBAL: c_int = 0x100;

static STATE: OnceLock<VecMath> = OnceLock::new();

fn open_global(path: &Path) -> Option<*mut c_void> {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: a NUL-terminated path; dlopen has no other preconditions.
    let h = unsafe { dlopen(c.as_ptr(), RTLD_NOW | RTLD_GLOBAL) };
    (!h.is_null()).then_some(h)
}

/// SVML needs Intel's runtime `libintlc.so.5` loaded first, from the same directory.
fn open_svml(candidate: &Path) -> Option<(*mut c_void, PathBuf)> {
    let file = if candidate.is_dir() {
        candidate.join("libsvml.so")
    } else {
        candidate.to_path_buf()
    };
    if !file.is_file() {
        return None;
    }
    if let Some(dir) = file.parent() {
        let intlc = dir.join("libintlc.so.5");
        if intlc.is_file() {
            open_global(&intlc);
        }
    }
    open_global(&file).map(|h| (h, file))
}

/// Binds the entry points once; later calls return the first result whatever their settings.
pub fn init(settings: &Settings) -> &'static VecMath {
    STATE.get_or_init(|| {
        let svml = if settings.disable_svml {
            None
        } else {
            settings.svml_candidates.iter().find_map(|c| open_svml(c))
        };
        let mvec = if settings.disable_libmvec {
            None
        } else {
            open_global(Path::new("libmvec.so.1"))
        };
        let (svml_handle, svml_path) = match svml {
            Some((h, p)) => (h, Some(p)),
            None => (std::ptr::null_mut(), None),
        };
        // SAFETY: handles are null or live dlopen handles, never closed; binding happens once,
        // before any generated code can call through the table.
        unsafe { ufg_vm_bind(svml_handle, mvec.unwrap_or(std::ptr::null_mut())) };
        let tier = entry_names()
            .iter()
            .filter_map(|n| resolve(n).map(|(_, t)| t))
            .max()
            .unwrap_or(VecLib::Scalar);
        VecMath {
            tier,
            svml_path: if tier == VecLib::Svml {
                svml_path
            } else {
                None
            },
        }
    })
}

/// The binding in force, made from the environment if nobody called `init` first.
pub fn state() -> &'static VecMath {
    match STATE.get() {
        Some(s) => s,
        None => init(&Settings::from_env([])),
    }
}

/// Address and tier of the implementation an entry point (`ufg_exp_f64x8`) or scalar entry
/// (`ufg_exp_f64`, always libm) is bound to.
pub fn resolve(name: &str) -> Option<(usize, VecLib)> {
    let c = CString::new(name).ok()?;
    let mut tier: c_int = 0;
    // SAFETY: a NUL-terminated name; the table is static and only written by `init`.
    let p = unsafe { ufg_vm_resolve(c.as_ptr(), &mut tier) };
    if p.is_null() {
        return None;
    }
    let tier = match tier {
        2 => VecLib::Svml,
        1 => VecLib::Libmvec,
        _ => VecLib::Scalar,
    };
    Some((p as usize, tier))
}

/// Every vector entry point svml-shim exports.
pub fn entry_names() -> Vec<&'static str> {
    // SAFETY: `ufg_vm_name` returns static strings or NULL past the end.
    static_names(|i| unsafe { ufg_vm_name(i) })
}

/// Every scalar entry point (`ufg_exp_f64`), the functions generated code calls per element.
pub fn scalar_entry_names() -> Vec<&'static str> {
    // SAFETY: `ufg_vm_scalar_name` returns static strings or NULL past the end.
    static_names(|i| unsafe { ufg_vm_scalar_name(i) })
}

/// Enumerates a static, NULL-terminated name table of svml-shim.
fn static_names(name: impl Fn(c_int) -> *const c_char) -> Vec<&'static str> {
    (0..)
        .map(name)
        .take_while(|p| !p.is_null())
        // SAFETY: non-null pointers from the static table are NUL-terminated.
        .filter_map(|p| unsafe { CStr::from_ptr(p) }.to_str().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::arch::x86_64::{__m256d, _mm256_loadu_pd, _mm256_storeu_pd};

    /// Calls a 4-lane f64 entry point the way generated AVX2 code does (ymm in, ymm out).
    ///
    /// # Safety
    /// `addr` is a 4-lane f64 entry point, and the CPU has AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn call_x4(addr: usize, x: [f64; 4]) -> [f64; 4] {
        let f: extern "C" fn(__m256d) -> __m256d = std::mem::transmute(addr);
        let mut out = [0.0; 4];
        _mm256_storeu_pd(out.as_mut_ptr(), f(_mm256_loadu_pd(x.as_ptr())));
        out
    }

    #[test]
    fn libmvec_binds_and_agrees_with_libm() {
        let vm = init(&Settings {
            disable_svml: true,
            disable_libmvec: false,
            svml_candidates: vec![],
        });
        assert_eq!(
            vm.tier,
            VecLib::Libmvec,
            "glibc >= 2.35 on x86-64 has libmvec"
        );
        assert!(entry_names().len() >= 100);
        assert!(resolve("ufg_nope_f64x8").is_none());
        let scalars = scalar_entry_names();
        assert_eq!(
            scalars.len() * 2,
            entry_names().len(),
            "f64 and f32 of each function"
        );
        let (sin_addr, sin_tier) = resolve("ufg_sin_f32").expect("scalar entries resolve");
        assert_eq!(sin_tier, VecLib::Scalar);
        // SAFETY: the scalar entry is `float ufg_sin_f32(float)`.
        let sinf: extern "C" fn(f32) -> f32 = unsafe { std::mem::transmute(sin_addr) };
        assert_eq!(sinf(0.5).to_bits(), 0.5f32.sin().to_bits());
        let (addr, tier) = resolve("ufg_exp_f64x4").expect("exp x4 is an entry point");
        assert_eq!(tier, VecLib::Libmvec);
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let x = [0.0, 1.0, -2.5, 700.0];
        // SAFETY: AVX2 is present; the address is a 4-lane f64 vector function.
        let r = unsafe { call_x4(addr, x) };
        for (a, b) in x.iter().zip(r) {
            let want = a.exp();
            assert!(
                (b - want).abs() <= want * 4.0 * f64::EPSILON,
                "exp({a}) = {b}, libm {want}"
            );
        }
    }
}
