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

use std::ffi::{c_int, c_void};

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use ufuncgen::Scalar;

use crate::lazy::{owner_of, scalar_of_descr, Request};
use crate::numpy_api::{self, PromoterFunction, PROMOTER_CAPSULE};

/// The DType class of a scalar type (`numpy.dtypes.Float64DType`, ...).
pub(crate) fn dtype_class<'py>(py: Python<'py>, s: Scalar) -> PyResult<Bound<'py, PyAny>> {
    let dtype = py.import("numpy")?.getattr("dtype")?;
    Ok(dtype
        .call1((s.type_char().to_string(),))?
        .get_type()
        .into_any())
}

/// Registers the promoter for `inputs` (the DTypes of a loop whose outputs a signature fixed).
pub(crate) fn add_promoter(
    ufunc: &Bound<'_, PyAny>,
    inputs: &[Scalar],
    nout: usize,
) -> PyResult<()> {
    let py = ufunc.py();
    let mut items = Vec::with_capacity(inputs.len() + nout);
    for &s in inputs {
        items.push(dtype_class(py, s)?);
    }
    items.extend(std::iter::repeat_n(py.None().into_bound(py), nout));
    let dtypes = PyTuple::new(py, items)?;
    let function: PromoterFunction = promote;
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

/// The promoter: the DTypes of the loop the type resolver would pick for these input DTypes
/// and this signature.
///
/// # Safety
/// Called by NumPy's dispatcher with the GIL held, a live ufunc and `nargs` entries in each
/// array (`op_dtypes`' outputs and unfixed `signature` entries may be null).
unsafe extern "C" fn promote(
    ufunc: *mut ffi::PyObject,
    op_dtypes: *const *mut ffi::PyObject,
    signature: *const *mut ffi::PyObject,
    new_op_dtypes: *mut *mut ffi::PyObject,
) -> c_int {
    crate::loop_errors::guarded(|| {
        // SAFETY: NumPy promotes with the GIL held.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: per this function's contract.
        match unsafe { promoted_dtypes(py, ufunc, op_dtypes, signature) } {
            Ok(classes) => {
                for (k, class) in classes.into_iter().enumerate() {
                    // SAFETY: NumPy passes `nargs` slots and takes over the new references.
                    unsafe { *new_op_dtypes.add(k) = class.into_ptr() };
                }
                0
            }
            Err(e) => {
                e.restore(py);
                -1
            }
        }
    })
}

/// # Safety
/// As for `promote`.
unsafe fn promoted_dtypes<'py>(
    py: Python<'py>,
    ufunc: *mut ffi::PyObject,
    op_dtypes: *const *mut ffi::PyObject,
    signature: *const *mut ffi::PyObject,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    // SAFETY: NumPy holds a reference to the ufunc for the call.
    let ufunc = unsafe { Bound::from_borrowed_ptr(py, ufunc) };
    let owner = owner_of(&ufunc)?
        .ok_or_else(|| PyRuntimeError::new_err("ufuncgen's promoter ran for a foreign ufunc"))?;
    let o = owner.get();
    let (nin, nargs) = (o.nin(), o.nin() + o.nout());
    // The scalar type of a DType class, read off its default descriptor.
    let scalar_of = |class: *mut ffi::PyObject| -> PyResult<Option<Scalar>> {
        if class.is_null() {
            return Ok(None);
        }
        // SAFETY: NumPy holds references to the DTypes it passes for the call.
        let class = unsafe { Bound::from_borrowed_ptr(py, class) };
        scalar_of_descr(&class.call0()?).map(Some)
    };
    let mut inputs = Vec::with_capacity(nin);
    let mut outputs = Vec::with_capacity(nargs - nin);
    for k in 0..nargs {
        // SAFETY: NumPy passes `nargs` entries in both arrays.
        let (fixed, given) = unsafe { (*signature.add(k), *op_dtypes.add(k)) };
        if k < nin {
            let chosen = if fixed.is_null() { given } else { fixed };
            inputs.push(scalar_of(chosen)?.ok_or_else(|| {
                PyTypeError::new_err(format!("ufunc '{}': input {k} has no dtype", o.name()))
            })?);
        } else {
            outputs.push(scalar_of(fixed)?);
        }
    }
    let dtypes = o.loop_for(py, &ufunc, &Request { inputs, outputs })?;
    dtypes.into_iter().map(|s| dtype_class(py, s)).collect()
}
