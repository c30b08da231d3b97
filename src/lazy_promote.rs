//! Keeps a lazy ufunc's outputs the kernel's own after a loop with outputs fixed by
//! `dtype=`/`signature=` is registered.
//!
//! NumPy dispatches on the input DTypes alone when no signature fixes the outputs
//! (`promote_and_get_ufuncimpl` clears them), and a registered ArrayMethod whose inputs match
//! is taken whatever its outputs are. So after `g(x, signature=(None, "int64"))` registered an
//! `l->l` loop, a plain `g(x)` would silently get int64 out of it although the kernel types its
//! output float64: the first call's signature would decide every later call's output.
//!
//! The cure is a promoter with the loop's input DTypes and `None` outputs, registered next to
//! it. For a call whose outputs are not fixed, NumPy then finds the ArrayMethod and the promoter
//! matching equally well (inputs identical, outputs unspecified), calls that ambiguous and asks
//! the promoters alone: ours resolves the call as the ufunc's type resolver would (compiling the
//! kernel-typed loop if needed) and names its DTypes, which NumPy then finds and caches. A call
//! whose signature fixes the outputs still goes straight to the loop with exactly those DTypes.

use std::ffi::c_void;

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use ufuncgen::Scalar;

use crate::numpy_api::{self, PromoterFunction, PROMOTER_CAPSULE};

/// The DType class of a scalar type (`numpy.dtypes.Float64DType`, ...).
pub(crate) fn dtype_class<'py>(py: Python<'py>, s: Scalar) -> PyResult<Bound<'py, PyAny>> {
    let dtype = py.import("numpy")?.getattr("dtype")?;
    Ok(dtype
        .call1((s.type_char().to_string(),))?
        .get_type()
        .into_any())
}

/// Registers `function` as the promoter for `inputs` (the DTypes of a loop whose outputs a
/// signature fixed) and unfixed outputs; `lazy.rs` supplies the function, which resolves the
/// call as its type resolver does.
pub(crate) fn add_promoter(
    ufunc: &Bound<'_, PyAny>,
    inputs: &[Scalar],
    nout: usize,
    function: PromoterFunction,
) -> PyResult<()> {
    let py = ufunc.py();
    let mut items = Vec::with_capacity(inputs.len() + nout);
    for &s in inputs {
        items.push(dtype_class(py, s)?);
    }
    items.extend(std::iter::repeat_n(py.None().into_bound(py), nout));
    let dtypes = PyTuple::new(py, items)?;
    // SAFETY: a static function pointer and a static name; no destructor is needed.
    let capsule =
        unsafe { ffi::PyCapsule_New(function as *mut c_void, PROMOTER_CAPSULE.as_ptr(), None) };
    if capsule.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: a new reference, now owned by the Bound.
    let capsule = unsafe { Bound::from_owned_ptr(py, capsule) };
    let api = numpy_api::ufunc_api(py)?;
    // SAFETY: a live ufunc, a tuple of DType classes and Nones as long as its operands, and a
    // promoter capsule; NumPy keeps its own references.
    let rc = unsafe { (api.add_promoter)(ufunc.as_ptr(), dtypes.as_ptr(), capsule.as_ptr()) };
    if rc < 0 {
        return Err(PyErr::take(py)
            .unwrap_or_else(|| PyRuntimeError::new_err("NumPy could not add a promoter")));
    }
    Ok(())
}
