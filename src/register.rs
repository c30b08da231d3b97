//! Creates a `numpy.ufunc` from compiled loops and ties the loops' lifetime to it.
//!
//! NumPy stores (does not copy) the `functions`, `data`, `types`, `name` and `doc` pointers, so
//! an [`UfuncOwner`] keeps them, with the JIT code, alive; it sits in `ufunc->obj`, which NumPy
//! decrefs when the ufunc dies.

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;

use ufuncgen::runtime::parallel::ParallelLoop;
use ufuncgen::{CompiledUfunc, Scalar};

use crate::numpy_api::{self, GenericFunction, IdentityCode};

/// One inner loop to register: its entry point and dtypes.
pub struct LoopEntry {
    pub func: GenericFunction,
    pub inputs: Vec<Scalar>,
    pub output: Scalar,
    /// What NumPy passes to `func` as `data` (the parallel target's loop), kept alive by the
    /// ufunc's owner; `None` passes NULL.
    pub data: Option<Arc<ParallelLoop>>,
}

impl From<&ufuncgen::CompiledLoop> for LoopEntry {
    fn from(l: &ufuncgen::CompiledLoop) -> Self {
        LoopEntry {
            func: l.func,
            inputs: l.inputs.clone(),
            output: l.output,
            data: None,
        }
    }
}

/// What `ufunc.reduce` starts from (NumPy's identity code, plus the value for `Value`).
pub struct Identity {
    pub code: IdentityCode,
    pub value: Option<Py<PyAny>>,
}

/// The C arrays and strings NumPy points into.
struct Tables {
    functions: Box<[GenericFunction]>,
    data: Box<[*mut c_void]>,
    types: Box<[c_char]>,
    name: CString,
    doc: Option<CString>,
    /// What the `data` pointers point at.
    loop_data: Vec<Arc<ParallelLoop>>,
}

// SAFETY: the tables are written once before the ufunc exists and only read afterwards (by
// NumPy, under its own rules); `data` holds null or pointers into `loop_data`, which is
// `Sync` and lives as long as the tables.
unsafe impl Send for Tables {}
// SAFETY: as above: shared access is read-only.
unsafe impl Sync for Tables {}

static LIVE_OWNERS: AtomicUsize = AtomicUsize::new(0);

/// Keeps a ufunc's loop tables and machine code alive; lives in `ufunc->obj`.
#[pyclass(frozen, module = "ufuncgen._native", name = "_UfuncOwner")]
pub struct UfuncOwner {
    tables: Tables,
    /// `None` for the built-in test loops, which need no JIT code.
    compiled: Option<CompiledUfunc>,
}

impl UfuncOwner {
    /// The compiled loops (empty for test ufuncs): signature text and optimized IR.
    pub fn compiled(&self) -> Option<&CompiledUfunc> {
        self.compiled.as_ref()
    }

    /// The loop data NumPy passes to the loops (the parallel target's loops), in loop order.
    pub fn loop_data(&self) -> &[Arc<ParallelLoop>] {
        &self.tables.loop_data
    }
}

impl Drop for UfuncOwner {
    fn drop(&mut self) {
        LIVE_OWNERS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How many owners (hence ufuncs created by us) are alive; used by the lifetime tests.
pub fn live_owners() -> usize {
    LIVE_OWNERS.load(Ordering::Relaxed)
}

fn c_string(what: &str, text: &str) -> PyResult<CString> {
    CString::new(text)
        .map_err(|_| PyValueError::new_err(format!("{what} contains a NUL character")))
}

/// Registers `loops` (in order) as one ufunc with `nin` inputs and one output.
pub fn create_ufunc<'py>(
    py: Python<'py>,
    name: &str,
    doc: Option<&str>,
    nin: usize,
    loops: &[LoopEntry],
    identity: &Identity,
    compiled: Option<CompiledUfunc>,
) -> PyResult<Bound<'py, PyAny>> {
    if loops.is_empty() {
        return Err(PyValueError::new_err("a ufunc needs at least one loop"));
    }
    if let Some(bad) = loops.iter().find(|l| l.inputs.len() != nin) {
        return Err(PyValueError::new_err(format!(
            "a loop has {} inputs, the ufunc {nin}",
            bad.inputs.len()
        )));
    }
    let nin_c = c_int::try_from(nin).map_err(|_| PyValueError::new_err("too many inputs"))?;
    let ntypes =
        c_int::try_from(loops.len()).map_err(|_| PyValueError::new_err("too many loops"))?;
    let types: Box<[c_char]> = loops
        .iter()
        .flat_map(|l| l.inputs.iter().chain(std::iter::once(&l.output)))
        .map(|s| s.npy_type_num() as c_char)
        .collect();
    let tables = Tables {
        functions: loops.iter().map(|l| l.func).collect(),
        data: loops
            .iter()
            .map(|l| {
                l.data
                    .as_ref()
                    .map_or(std::ptr::null_mut(), |d| Arc::as_ptr(d).cast_mut().cast())
            })
            .collect(),
        types,
        name: c_string("the function name", name)?,
        doc: doc.map(|d| c_string("the docstring", d)).transpose()?,
        loop_data: loops.iter().filter_map(|l| l.data.clone()).collect(),
    };
    if identity.code == IdentityCode::Value && identity.value.is_none() {
        return Err(PyValueError::new_err("an identity value is required"));
    }
    let api = numpy_api::ufunc_api(py)?;
    LIVE_OWNERS.fetch_add(1, Ordering::Relaxed);
    let owner = Bound::new(py, UfuncOwner { tables, compiled })?;
    let t = &owner.get().tables;
    let identity_value = identity
        .value
        .as_ref()
        .map_or(std::ptr::null_mut(), |v| v.as_ptr());
    let doc_ptr = t.doc.as_ref().map_or(std::ptr::null(), |d| d.as_ptr());
    // SAFETY: every pointer refers into `owner`, which outlives the ufunc (it is stored in
    // `ufunc->obj` below); the array lengths match `ntypes` and `nin + 1`; NumPy only reads
    // `functions` unless C code replaces a loop, which nothing of ours does.
    let raw = unsafe {
        (api.from_func_and_data_and_signature_and_identity)(
            t.functions.as_ptr().cast_mut(),
            t.data.as_ptr(),
            t.types.as_ptr(),
            ntypes,
            nin_c,
            1,
            identity.code as c_int,
            t.name.as_ptr(),
            doc_ptr,
            0,
            std::ptr::null(),
            identity_value,
        )
    };
    if raw.is_null() {
        return Err(PyErr::take(py)
            .unwrap_or_else(|| PyRuntimeError::new_err("NumPy could not create the ufunc")));
    }
    // SAFETY: a non-null return is a new reference.
    let ufunc = unsafe { Bound::from_owned_ptr(py, raw) };
    attach_owner(&ufunc, owner, nin_c, ntypes)?;
    Ok(ufunc)
}

/// Stores `owner` in `ufunc->obj` after checking that the struct layout is the one we expect.
fn attach_owner(
    ufunc: &Bound<'_, PyAny>,
    owner: Bound<'_, UfuncOwner>,
    nin: c_int,
    ntypes: c_int,
) -> PyResult<()> {
    let head_ptr = numpy_api::ufunc_head(ufunc)?;
    // SAFETY: the ufunc is alive and its head was type-checked.
    let head = unsafe { head_ptr.as_ref() };
    let t = &owner.get().tables;
    // A NumPy whose PyUFuncObject layout differs would make the write below corrupt memory;
    // reading back what we just passed in proves the offsets.
    let layout_ok = head.nin == nin
        && head.nout == 1
        && head.nargs == nin + 1
        && head.ntypes == ntypes
        && std::ptr::eq(head.name, t.name.as_ptr())
        && std::ptr::eq(head.types, t.types.as_ptr())
        && std::ptr::eq(head.functions.cast_const(), t.functions.as_ptr())
        && head.obj.is_null();
    if !layout_ok {
        return Err(PyRuntimeError::new_err(
            "this NumPy's PyUFuncObject layout is not the one ufuncgen was built for",
        ));
    }
    // SAFETY: the layout was verified above; the ufunc is new and not yet shared, and takes
    // over our reference to `owner` (NumPy decrefs `obj` in its dealloc).
    unsafe { (*head_ptr.as_ptr()).obj = owner.into_ptr() };
    Ok(())
}

/// The owner of a ufunc we created, or None for any other ufunc.
pub fn owner_of<'py>(ufunc: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, UfuncOwner>>> {
    let head_ptr = numpy_api::ufunc_head(ufunc)?;
    // SAFETY: the ufunc is alive and its head was type-checked.
    let obj_ptr: *mut ffi::PyObject = unsafe { head_ptr.as_ref() }.obj;
    if obj_ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: `obj` is a live reference held by the ufunc, which `ufunc` keeps alive.
    let obj = unsafe { Bound::<PyAny>::from_borrowed_ptr(ufunc.py(), obj_ptr) };
    Ok(obj.cast_into::<UfuncOwner>().ok())
}
