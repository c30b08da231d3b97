//! A gufunc whose layout has output-only core dimensions (`(n)->(m)`) can only run with `out=`
//! giving their sizes; NumPy's own error ("core dimension 1 unspecified") does not say so. Its
//! `process_core_dims_func` hook (NumPy >= 2.1) lets us say it.

use std::ffi::{c_int, CStr};

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use ufuncgen::spec::gufunc::dimension_order;
use ufuncgen::spec::layout::{CoreDim, Layout};

use crate::array_method;
use crate::numpy_api;

/// Installs the check on `ufunc` (a gufunc made from `layout`) when the layout has output-only
/// dimensions and NumPy has the hook; otherwise leaves NumPy's own message.
pub fn require_out_for_output_only_dims(ufunc: &Bound<'_, PyAny>, layout: &str) -> PyResult<()> {
    let Ok(parsed) = Layout::parse(layout) else {
        return Ok(());
    };
    let output_only = parsed.outputs.iter().flatten().any(|d| {
        matches!(d, CoreDim::Named { .. }) && !parsed.inputs.iter().flatten().any(|i| i == d)
    });
    if !output_only || !hook_supported(ufunc.py())? {
        return Ok(());
    }
    let head = numpy_api::ufunc_head(ufunc)?.as_ptr();
    // SAFETY: the ufunc's layout was verified when it was created (`register::new_empty_ufunc`)
    // and the field exists from NumPy 2.1, checked above; the ufunc is not shared yet.
    unsafe { (*head).process_core_dims_func = Some(check_core_dims) };
    Ok(())
}

/// `process_core_dims_func` exists from NumPy 2.1; writing it on 2.0 would overrun the struct.
fn hook_supported(py: Python<'_>) -> PyResult<bool> {
    static SUPPORTED: PyOnceLock<bool> = PyOnceLock::new();
    SUPPORTED
        .get_or_try_init(py, || {
            let version: String = py.import("numpy")?.getattr("__version__")?.extract()?;
            let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
            let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
            Ok::<_, PyErr>((major, minor) >= (2, 1))
        })
        .copied()
}

/// The hook: NumPy passes -1 exactly for the output-only sizes no `out=` gave.
///
/// # Safety
/// Called by NumPy only, for a live ufunc of ours, with `sizes` holding one entry per core
/// dimension of its layout.
unsafe extern "C" fn check_core_dims(ufunc: *mut ffi::PyObject, sizes: *mut isize) -> c_int {
    array_method::guarded(|| {
        // SAFETY: NumPy calls this while processing a call, with the GIL held.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: NumPy passes the live ufunc.
        let ufunc = unsafe { Bound::from_borrowed_ptr(py, ufunc) };
        match missing_output_dim(&ufunc, sizes) {
            Ok(None) => 0,
            Ok(Some(message)) => {
                PyValueError::new_err(message).restore(py);
                -1
            }
            Err(e) => {
                e.restore(py);
                -1
            }
        }
    })
}

/// The message for the first output-only core dimension without a size, if any.
fn missing_output_dim(ufunc: &Bound<'_, PyAny>, sizes: *mut isize) -> PyResult<Option<String>> {
    let head_ptr = numpy_api::ufunc_head(ufunc)?;
    // SAFETY: the ufunc is alive and its head was type-checked.
    let head = unsafe { head_ptr.as_ref() };
    let count = usize::try_from(head.core_num_dim_ix).unwrap_or(0);
    // SAFETY: NumPy passes `core_num_dim_ix` sizes.
    let sizes = unsafe { std::slice::from_raw_parts(sizes, count) };
    let Some(missing) = sizes.iter().position(|&s| s == -1) else {
        return Ok(None);
    };
    let text = if head.core_signature.is_null() {
        String::new()
    } else {
        // SAFETY: NumPy keeps the normalized layout as a NUL-terminated string.
        unsafe { CStr::from_ptr(head.core_signature) }
            .to_string_lossy()
            .into_owned()
    };
    let name = Layout::parse(&text)
        .ok()
        .and_then(|l| dimension_order(&l).get(missing).map(|d| d.to_string()))
        .unwrap_or_else(|| missing.to_string());
    let function = ufunc.getattr("__name__")?;
    Ok(Some(format!(
        "{function}: the output core dimension '{name}' of the layout \"{text}\" is not set by \
         any input: pass out= with an array of the shape you want"
    )))
}
