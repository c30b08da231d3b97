//! `cache=True` at the boundary: opens the compiler's on-disk cache from the decorator's
//! options, turns cache trouble into `ufuncgen.errors.CacheWarning`s, and serves the
//! `python -m ufuncgen cache` commands.

use std::time::{Duration, UNIX_EPOCH};

use pyo3::prelude::*;

use ufuncgen::cache::Cache;
use ufuncgen::CompileError;

use crate::py_errors;

/// Default size cap when the decorator gives none (`UFUNCGEN_CACHE_MAX_MB` sets it in Python).
const DEFAULT_MAX_BYTES: u64 = 512 << 20;

/// The cache the options ask for; an unusable directory is a warning and no cache.
pub fn open(
    dir: Option<&str>,
    max_bytes: Option<u64>,
    warnings: &mut Vec<String>,
) -> Option<Cache> {
    let dir = dir?;
    match Cache::open(dir, max_bytes.unwrap_or(DEFAULT_MAX_BYTES)) {
        Ok(c) => Some(c),
        Err(e) => {
            warnings.push(format!("{e}; compiling without the cache"));
            None
        }
    }
}

/// Runs `compile` with the GIL released and the cache in `dir` (none without one), then emits
/// the cache's warnings; a compile error becomes its Python exception.
pub fn compile_cached<T: Send>(
    py: Python<'_>,
    dir: Option<&str>,
    max_bytes: Option<u64>,
    compile: impl FnOnce(Option<&Cache>) -> Result<(T, Vec<String>), CompileError> + Send,
) -> PyResult<T> {
    let mut warnings = Vec::new();
    let cache = open(dir, max_bytes, &mut warnings);
    let (compiled, cache_warnings) = py
        .detach(|| compile(cache.as_ref()))
        .map_err(|e| py_errors::to_pyerr(py, &e))?;
    warnings.extend(cache_warnings);
    warn(py, &warnings)?;
    Ok(compiled)
}

/// Emits each message as a `CacheWarning`.
pub fn warn(py: Python<'_>, warnings: &[String]) -> PyResult<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    let category = py.import("ufuncgen.errors")?.getattr("CacheWarning")?;
    for w in warnings {
        let message = std::ffi::CString::new(w.replace('\0', " "))?;
        PyErr::warn(py, &category, &message, 2)?;
    }
    Ok(())
}

/// `(path, kernel, file, signature, bytes, last use as seconds since the epoch)` of every
/// entry in `dir`, most recently used first.
#[pyfunction]
pub fn cache_list(dir: &str) -> Vec<(String, String, String, String, u64, f64)> {
    let Ok(cache) = Cache::open(dir, u64::MAX) else {
        return Vec::new();
    };
    cache
        .list()
        .into_iter()
        .map(|e| {
            let used = e
                .last_used
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            (
                e.path.display().to_string(),
                e.kernel,
                e.filename,
                e.signature,
                e.bytes,
                used,
            )
        })
        .collect()
}

/// Removes the entries of `dir` unused for `older_than_days` (all when None); returns how many.
#[pyfunction]
#[pyo3(signature = (dir, older_than_days=None))]
pub fn cache_clear(dir: &str, older_than_days: Option<f64>) -> PyResult<usize> {
    let cache = Cache::open(dir, u64::MAX).map_err(pyo3::exceptions::PyOSError::new_err)?;
    let age = older_than_days.map(|d| Duration::from_secs_f64((d * 86400.0).max(0.0)));
    Ok(cache.clear(age))
}

/// How many loops this process compiled with LLVM (cache hits do not count); for tests.
#[pyfunction]
pub fn _loops_compiled() -> u64 {
    ufuncgen::codegen::loops_compiled()
}
