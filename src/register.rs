//! Creates a `numpy.ufunc` from compiled loops and ties the loops' lifetime to it.
//!
//! NumPy stores (does not copy) the `functions`, `data`, `types`, `name` and `doc` pointers, so
//! an [`UfuncOwner`] (see `owner`) keeps them, with the JIT code, alive; it sits in
//! `ufunc->obj`, which NumPy decrefs when the ufunc dies.
//!
//! NumPy runs our loops through ArrayMethods (see `array_method`), so a loop can raise; the
//! legacy tables are installed after those, only for `f.types` and NumPy's legacy type
//! resolution.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::Arc;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use ufuncgen::runtime::parallel::ParallelLoop;
use ufuncgen::{CompiledUfunc, Scalar};

use crate::array_method::{self, SpecLoop};
use crate::contiguity::ContiguityCheck;
use crate::numpy_api::{self, GenericFunction, IdentityCode};
use crate::owner::{Tables, UfuncOwner};

/// One inner loop to register: its entry point and dtypes.
pub struct LoopEntry {
    pub func: GenericFunction,
    pub inputs: Vec<Scalar>,
    pub outputs: Vec<Scalar>,
    /// Contiguity the signature promises, checked before each run.
    pub checks: Vec<ContiguityCheck>,
    /// What NumPy passes to `func` as `data` (the parallel target's loop), kept alive by the
    /// ufunc's owner; `None` passes NULL.
    pub data: Option<Arc<ParallelLoop>>,
}

impl From<&ufuncgen::CompiledLoop> for LoopEntry {
    fn from(l: &ufuncgen::CompiledLoop) -> Self {
        LoopEntry {
            func: l.func,
            inputs: l.inputs.clone(),
            outputs: l.outputs.clone(),
            checks: Vec::new(),
            data: None,
        }
    }
}

impl LoopEntry {
    fn operands(&self) -> impl Iterator<Item = &Scalar> {
        self.inputs.iter().chain(&self.outputs)
    }

    /// What NumPy passes to `func` as `data`: the parallel loop, or NULL.
    pub fn data_ptr(&self) -> *mut c_void {
        self.data
            .as_ref()
            .map_or(std::ptr::null_mut(), |d| Arc::as_ptr(d).cast_mut().cast())
    }
}

/// The legacy tables' columns for some loops, in order: functions, data, and type numbers
/// (inputs then outputs of each loop).
pub struct LegacyColumns {
    pub functions: Box<[GenericFunction]>,
    pub data: Box<[*mut c_void]>,
    pub types: Box<[c_char]>,
}

// SAFETY: written once, then only read (by NumPy, with the GIL held); `data` holds null or
// pointers to `ParallelLoop`s, which are `Sync` and kept alive by the loops' owner.
unsafe impl Send for LegacyColumns {}
// SAFETY: as above.
unsafe impl Sync for LegacyColumns {}

impl LegacyColumns {
    /// The columns for `loops`.
    pub fn new<'a>(loops: impl Iterator<Item = &'a LoopEntry> + Clone) -> LegacyColumns {
        LegacyColumns {
            functions: loops.clone().map(|l| l.func).collect(),
            data: loops.clone().map(LoopEntry::data_ptr).collect(),
            types: loops
                .flat_map(LoopEntry::operands)
                .map(|s| s.npy_type_num() as c_char)
                .collect(),
        }
    }
}

/// What the ufunc is called and how it is shaped, besides its loops.
pub struct UfuncSpec<'a> {
    pub name: &'a str,
    pub doc: Option<&'a str>,
    pub nin: usize,
    pub nout: usize,
    /// A gufunc's layout in NumPy's syntax (`"(n),(n)->()"`), None for an element-wise ufunc.
    pub signature: Option<&'a str>,
    pub identity: &'a Identity,
}

/// What `ufunc.reduce` starts from (NumPy's identity code, plus the value for `Value`).
pub struct Identity {
    pub code: IdentityCode,
    pub value: Option<Py<PyAny>>,
}

fn c_string(what: &str, text: &str) -> PyResult<CString> {
    CString::new(text)
        .map_err(|_| PyValueError::new_err(format!("{what} contains a NUL character")))
}

/// Registers `loops` (in order) as one ufunc (a gufunc when `spec.signature` is given).
pub fn create_ufunc<'py>(
    py: Python<'py>,
    spec: &UfuncSpec<'_>,
    loops: &[LoopEntry],
    compiled: Option<CompiledUfunc>,
) -> PyResult<Bound<'py, PyAny>> {
    let (nin, nout) = (spec.nin, spec.nout);
    if loops.is_empty() {
        return Err(PyValueError::new_err("a ufunc needs at least one loop"));
    }
    if let Some(bad) = loops
        .iter()
        .find(|l| l.inputs.len() != nin || l.outputs.len() != nout)
    {
        return Err(PyValueError::new_err(format!(
            "a loop has {} inputs and {} outputs, the ufunc {nin} and {nout}",
            bad.inputs.len(),
            bad.outputs.len()
        )));
    }
    let nin_c = c_int::try_from(nin).map_err(|_| PyValueError::new_err("too many inputs"))?;
    let nout_c = c_int::try_from(nout).map_err(|_| PyValueError::new_err("too many outputs"))?;
    let ntypes =
        c_int::try_from(loops.len()).map_err(|_| PyValueError::new_err("too many loops"))?;
    let LegacyColumns {
        functions,
        data,
        types,
    } = LegacyColumns::new(loops.iter());
    let tables = Tables {
        functions,
        data,
        types,
        name: c_string("the function name", spec.name)?,
        doc: spec.doc.map(|d| c_string("the docstring", d)).transpose()?,
        signature: spec
            .signature
            .map(|s| c_string("the layout", s))
            .transpose()?,
        loop_data: loops.iter().filter_map(|l| l.data.clone()).collect(),
    };
    let identity = spec.identity;
    let spec_loops = loops
        .iter()
        .zip(tables.data.iter())
        .map(|(l, &data)| {
            let operands: Vec<Scalar> = l.operands().copied().collect();
            SpecLoop::new(py, l.func, data, &operands, l.checks.clone())
        })
        .collect::<PyResult<_>>()?;
    let owner = UfuncOwner::new(py, tables, spec_loops, compiled)?;
    let t = owner.get().tables();
    let names = UfuncNames {
        name: &t.name,
        doc: t.doc.as_deref(),
        signature: t.signature.as_deref(),
    };
    let ufunc = new_empty_ufunc(
        py,
        &names,
        nin_c,
        nout_c,
        identity,
        owner.clone().into_any(),
    )?;
    array_method::add_spec_loops::<UfuncOwner>(
        &ufunc,
        owner.get().spec_loops(),
        nin,
        nout,
        identity.code,
    )?;
    let t = owner.get().tables();
    install_legacy_tables(&ufunc, &t.functions, &t.data, &t.types, ntypes)?;
    Ok(ufunc)
}

/// The strings NumPy points into (not copies): they must live as long as the ufunc's owner.
pub struct UfuncNames<'a> {
    pub name: &'a CStr,
    pub doc: Option<&'a CStr>,
    /// A gufunc's layout (NumPy parses it and keeps what it needs).
    pub signature: Option<&'a CStr>,
}

/// A ufunc with no loops yet whose `obj` is `owner`, which must keep `names` alive.
pub fn new_empty_ufunc<'py>(
    py: Python<'py>,
    names: &UfuncNames<'_>,
    nin: c_int,
    nout: c_int,
    identity: &Identity,
    owner: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    if identity.code == IdentityCode::Value && identity.value.is_none() {
        return Err(PyValueError::new_err("an identity value is required"));
    }
    let api = numpy_api::ufunc_api(py)?;
    let identity_value = identity
        .value
        .as_ref()
        .map_or(std::ptr::null_mut(), |v| v.as_ptr());
    let doc_ptr = names.doc.map_or(std::ptr::null(), CStr::as_ptr);
    let signature_ptr = names.signature.map_or(std::ptr::null(), CStr::as_ptr);
    // No legacy loops yet: NumPy would wrap them into `_loops` entries of its own, which would
    // clash with ours (see `install_legacy_tables`).
    // SAFETY: every pointer refers into `owner`, which outlives the ufunc (it is stored in
    // `ufunc->obj` below); NumPy parses the signature and copies what it keeps of it.
    let raw = unsafe {
        (api.from_func_and_data_and_signature_and_identity)(
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
            0,
            nin,
            nout,
            identity.code as c_int,
            names.name.as_ptr(),
            doc_ptr,
            0,
            signature_ptr,
            identity_value,
        )
    };
    if raw.is_null() {
        return Err(PyErr::take(py)
            .unwrap_or_else(|| PyRuntimeError::new_err("NumPy could not create the ufunc")));
    }
    // SAFETY: a non-null return is a new reference.
    let ufunc = unsafe { Bound::from_owned_ptr(py, raw) };
    attach_owner(&ufunc, owner, names.name, nin, nout)?;
    Ok(ufunc)
}

/// Stores `owner` in `ufunc->obj` after checking that the struct layout is the one we expect.
fn attach_owner(
    ufunc: &Bound<'_, PyAny>,
    owner: Bound<'_, PyAny>,
    name: &CStr,
    nin: c_int,
    nout: c_int,
) -> PyResult<()> {
    let head_ptr = numpy_api::ufunc_head(ufunc)?;
    // SAFETY: the ufunc is alive and its head was type-checked.
    let head = unsafe { head_ptr.as_ref() };
    // A NumPy whose PyUFuncObject layout differs would make the writes here and in
    // `install_legacy_tables` corrupt memory; reading back what we just passed in proves the
    // offsets.
    let layout_ok = head.nin == nin
        && head.nout == nout
        && head.nargs == nin + nout
        && head.ntypes == 0
        && head.functions.is_null()
        && head.types.is_null()
        && std::ptr::eq(head.name, name.as_ptr())
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

/// Gives the ufunc its legacy loop tables once our ArrayMethods are registered: `f.types` and
/// `f.ntypes` read them, and NumPy's legacy type resolution picks a loop from them, then finds
/// our ArrayMethod for the chosen dtypes. NumPy only wraps legacy loops itself when no
/// ArrayMethod exists for those dtypes, which never happens here. The slices must live as long
/// as the ufunc (in its owner) or until replaced by a later call.
pub fn install_legacy_tables(
    ufunc: &Bound<'_, PyAny>,
    functions: &[GenericFunction],
    data: &[*mut c_void],
    types: &[c_char],
    ntypes: c_int,
) -> PyResult<()> {
    let head_ptr = numpy_api::ufunc_head(ufunc)?;
    // SAFETY: the ufunc is alive and its head was type-checked.
    let nargs = unsafe { head_ptr.as_ref() }.nargs;
    let n = usize::try_from(ntypes).unwrap_or(0);
    if functions.len() != n
        || data.len() != n
        || types.len() != n * usize::try_from(nargs).unwrap_or(0)
    {
        return Err(PyRuntimeError::new_err(
            "legacy loop tables of mismatched sizes",
        ));
    }
    // SAFETY: the layout was verified by `attach_owner`; the tables live in the ufunc's owner
    // (the caller's promise); NumPy reads them only with the GIL held, which we hold.
    unsafe {
        let head = head_ptr.as_ptr();
        (*head).functions = functions.as_ptr().cast_mut();
        (*head).data = data.as_ptr();
        (*head).types = types.as_ptr();
        (*head).ntypes = ntypes;
    }
    Ok(())
}
