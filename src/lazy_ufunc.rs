//! Lazy ufuncs: `vectorize`/`guvectorize` without signatures. The ufunc is a plain
//! `numpy.ufunc` created with no loops; NumPy's dispatcher calls our `type_resolver` the first
//! time it meets operand DTypes it has no loop for. The resolver picks the loop's dtypes
//! (NEP 50), compiles that one signature with the GIL released, registers the loop as an
//! ArrayMethod and returns its dtypes; NumPy then finds the new loop and caches the choice, so
//! later calls never come back here.
//!
//! Threads: one compilation per loop. A thread that finds a loop being compiled waits for it
//! with the GIL released; only the compiling thread registers, after checking under the GIL
//! that no equal loop exists (NumPy refuses a second registration of the same dtypes).

use std::collections::HashMap;
use std::ffi::{c_int, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, RwLock};
use std::thread::ThreadId;

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::{PyTraverseError, PyVisit};

use ufuncgen::spec::layout::Layout;
use ufuncgen::{CompileError, CompiledUfunc, KernelSpec, Scalar};

use crate::array_method::{self, LoopOwner, SpecLoop};
use crate::numpy_api::{self, ArrayHead, DescrHead, IdentityCode};
use crate::register::{self, LegacyColumns, LoopEntry, UfuncNames};
use crate::spec_args::{self, KernelPartsArg};
use crate::{disk_cache, identity_of, py_errors, OptionsArg};

static LIVE_LAZY: AtomicUsize = AtomicUsize::new(0);

/// How many lazy ufuncs are alive (the lifetime and memory tests read it).
pub fn live_owners() -> usize {
    LIVE_LAZY.load(Ordering::Relaxed)
}

/// What kind of kernel a lazy ufunc compiles.
enum Kind {
    Elementwise,
    Generalized {
        layout: String,
        writable_args: Vec<usize>,
        boundscheck: bool,
        /// Per operand, its core axes' indices into the loop's `dimensions` (parallel target).
        core_axes: Vec<Vec<usize>>,
    },
}

/// The dtypes a call asks for: every input's, and each output's where `dtype=`/`signature=`
/// fixes it (else the kernel decides).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Request {
    inputs: Vec<Scalar>,
    outputs: Vec<Option<Scalar>>,
}

/// Where the loop for one request stands.
enum Slot {
    /// This thread is compiling it (the GIL released); others wait on `LazyOwner::changed`.
    Compiling(ThreadId),
    /// Registered: the loop's dtypes, inputs then outputs.
    Ready(Vec<Scalar>),
    /// The kernel does not compile for these dtypes: raised again on every such call, without
    /// compiling again (NumPy caches nothing for a failed resolution).
    Failed(CompileError),
}

/// One compiled and registered loop; boxed so the `SpecLoop` NumPy points at never moves.
struct LazyLoop {
    spec_loop: SpecLoop,
    dtypes: Vec<Scalar>,
    /// The loop as registered (its `data` keeps the parallel target's state alive).
    entry: LoopEntry,
    compiled: CompiledUfunc,
}

/// A lazy ufunc's state; lives in `ufunc->obj`.
#[pyclass(frozen, module = "ufuncgen._native", name = "_LazyUfuncOwner")]
pub struct LazyOwner {
    name: CString,
    doc: Option<CString>,
    signature: Option<CString>,
    kernel_name: String,
    nin: usize,
    nout: usize,
    identity: IdentityCode,
    parallel: bool,
    fastmath: bool,
    kind: Kind,
    /// `() -> (source, globals)` of the kernel, called once at the first compilation (module
    /// constants are frozen then) and dropped.
    parts: Mutex<Option<Py<PyAny>>>,
    spec: OnceLock<KernelSpec>,
    requests: Mutex<HashMap<Request, Slot>>,
    /// Signalled whenever a `Compiling` slot changes.
    changed: Condvar,
    /// Boxed: NumPy holds pointers to the `SpecLoop`s, which must not move when the vector grows.
    #[allow(clippy::vec_box)]
    loops: RwLock<Vec<Box<LazyLoop>>>,
    /// Every generation of `f.types`' tables (a new loop installs a new one; older ones stay
    /// alive with the ufunc, since NumPy never copies them).
    tables: Mutex<Vec<LegacyColumns>>,
    /// Compilations started, failed ones included (tests check that threads share one).
    compilations: AtomicUsize,
    /// Input dtypes that have a promoter (see `lazy_promote`): those of loops whose outputs a
    /// signature fixed.
    promoted: Mutex<Vec<Vec<Scalar>>>,
    /// `cache=True`: where loops are looked up and stored.
    cache: Option<ufuncgen::cache::Cache>,
}

impl Drop for LazyOwner {
    fn drop(&mut self) {
        LIVE_LAZY.fetch_sub(1, Ordering::Relaxed);
    }
}

#[pymethods]
impl LazyOwner {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // Never block in the collector: a held lock means the parts are in use, not garbage.
        if let Ok(parts) = self.parts.try_lock() {
            if let Some(p) = parts.as_ref() {
                visit.call(p)?;
            }
        }
        Ok(())
    }

    fn __clear__(slf: &Bound<'_, Self>) {
        let taken = slf.get().parts.lock().ok().and_then(|mut p| p.take());
        drop(taken);
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked (every critical
/// section here is a single insert or read).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Creates a lazy ufunc (a gufunc when `layout` is given). `parts` is called once, at the first
/// compilation, and returns a `_records.KernelParts` (`spec_args::KernelPartsArg`).
#[pyfunction]
#[pyo3(signature = (name, doc, parts, options, nin, layout=None, writable_args=Vec::new(), boundscheck=true))]
#[allow(clippy::too_many_arguments)] // the decorator's arguments, passed through one by one
pub fn create_lazy_ufunc<'py>(
    py: Python<'py>,
    name: String,
    doc: Option<String>,
    parts: Py<PyAny>,
    options: OptionsArg,
    nin: usize,
    layout: Option<String>,
    writable_args: Vec<usize>,
    boundscheck: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let identity = identity_of(&options, py)?;
    let mut warnings = Vec::new();
    let cache = disk_cache::open(
        options.cache_dir.as_deref(),
        options.cache_max_bytes,
        &mut warnings,
    );
    disk_cache::warn(py, &warnings)?;
    let (kind, nin, nout, signature) = match layout {
        None => (Kind::Elementwise, nin, 1, None),
        Some(layout) => {
            let parsed = Layout::parse(&layout)
                .map_err(|m| signature_error(py, &name, format!("invalid layout: {m}")))?;
            let (lin, lout) = (parsed.inputs.len(), parsed.outputs.len());
            if lin + lout != nin {
                return Err(signature_error(
                    py,
                    &name,
                    format!(
                        "function '{name}' takes {nin} arguments but the layout \"{parsed}\" has \
                         {lin} inputs and {lout} outputs"
                    ),
                ));
            }
            if let Some(&bad) = writable_args.iter().find(|&&i| i >= nin) {
                return Err(signature_error(
                    py,
                    &name,
                    format!("writable_args names argument {bad}, but '{name}' has {nin}"),
                ));
            }
            let core_axes = ufuncgen::layout_core_axes(&layout).map_err(PyValueError::new_err)?;
            let kind = Kind::Generalized {
                layout: layout.clone(),
                writable_args,
                boundscheck,
                core_axes,
            };
            (kind, lin, lout, Some(parsed.to_string()))
        }
    };
    if nin == 0 {
        return Err(signature_error(
            py,
            &name,
            format!("function '{name}' takes no arguments; a ufunc needs at least one input"),
        ));
    }
    let c = |what: &str, text: &str| {
        CString::new(text).map_err(|_| PyValueError::new_err(format!("{what} contains a NUL")))
    };
    LIVE_LAZY.fetch_add(1, Ordering::Relaxed);
    let owner = Bound::new(
        py,
        LazyOwner {
            name: c("the function name", &name)?,
            doc: doc.as_deref().map(|d| c("the docstring", d)).transpose()?,
            signature: signature
                .as_deref()
                .map(|s| c("the layout", s))
                .transpose()?,
            kernel_name: name,
            nin,
            nout,
            identity: identity.code,
            parallel: options.parallel,
            fastmath: options.fastmath,
            kind,
            parts: Mutex::new(Some(parts)),
            spec: OnceLock::new(),
            requests: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
            loops: RwLock::new(Vec::new()),
            tables: Mutex::new(Vec::new()),
            compilations: AtomicUsize::new(0),
            promoted: Mutex::new(Vec::new()),
            cache,
        },
    )?;
    let o = owner.get();
    let names = UfuncNames {
        name: &o.name,
        doc: o.doc.as_deref(),
        signature: o.signature.as_deref(),
    };
    let as_c =
        |n: usize| c_int::try_from(n).map_err(|_| PyValueError::new_err("too many operands"));
    let ufunc = register::new_empty_ufunc(
        py,
        &names,
        as_c(nin)?,
        as_c(nout)?,
        &identity,
        owner.clone().into_any(),
    )?;
    make_lazy(&ufunc)?;
    if let Some(layout) = &o.signature {
        crate::core_dims::require_out_for_output_only_dims(&ufunc, &layout.to_string_lossy())?;
    }
    Ok(ufunc)
}

fn signature_error(py: Python<'_>, name: &str, message: String) -> PyErr {
    let err = CompileError {
        kind: ufuncgen::ErrorKind::Signature,
        message,
        function: name.to_string(),
        filename: String::new(),
        lineno: 0,
        col: 0,
        line: String::new(),
        caret: (0, 0),
    };
    py_errors::to_pyerr(py, &err)
}

/// Points NumPy's dispatcher at our resolver: it falls back to `type_resolver` only for a ufunc
/// with legacy loops or a `userloops` dict, so an empty dict it is.
fn make_lazy(ufunc: &Bound<'_, PyAny>) -> PyResult<()> {
    let head = numpy_api::ufunc_head(ufunc)?.as_ptr();
    // SAFETY: returns a new reference or NULL with an exception set.
    let dict = unsafe { ffi::PyDict_New() };
    if dict.is_null() {
        return Err(PyErr::fetch(ufunc.py()));
    }
    // SAFETY: `new_empty_ufunc` verified the struct layout; the ufunc is not shared yet. NumPy
    // decrefs `userloops` when the ufunc dies, taking over our reference.
    unsafe {
        (*head).userloops = dict;
        (*head).type_resolver = Some(type_resolver);
    }
    Ok(())
}

/// The lazy owner of a ufunc, or None for any other ufunc.
fn owner_of<'py>(ufunc: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, LazyOwner>>> {
    Ok(numpy_api::owner_object(ufunc)?.and_then(|obj| obj.cast_into::<LazyOwner>().ok()))
}

impl LoopOwner for LazyOwner {
    /// Loops are boxed and never removed, so the pointer stays valid while the ufunc lives.
    fn find_spec_loop(&self, fits: &dyn Fn(&SpecLoop) -> bool) -> Option<*const SpecLoop> {
        let loops = self
            .loops
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loops
            .iter()
            .map(|l| &l.spec_loop)
            .find(|lp| fits(lp))
            .map(|lp| lp as *const SpecLoop)
    }
}

/// `(signature, optimized IR)` of every loop compiled so far, in compilation order, or None when
/// `ufunc` is not lazy.
pub fn loop_ir(ufunc: &Bound<'_, PyAny>) -> PyResult<Option<Vec<(String, String)>>> {
    let Some(owner) = owner_of(ufunc)? else {
        return Ok(None);
    };
    let loops = owner
        .get()
        .loops
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Ok(Some(
        loops
            .iter()
            .flat_map(|l| &l.compiled.loops)
            .map(|c| (c.signature.clone(), c.llvm_ir.clone()))
            .collect(),
    ))
}

/// How many loops a lazy ufunc has compiled (or tried to), or None for any other ufunc.
#[pyfunction]
pub fn _lazy_compilations(ufunc: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    Ok(owner_of(ufunc)?.map(|o| o.get().compilations.load(Ordering::Relaxed)))
}

/// NumPy's `PyUFunc_TypeResolutionFunc`, called with the GIL held when dispatch finds no loop.
///
/// # Safety
/// Called by NumPy only, for a lazy ufunc of ours, with valid `operands` (nargs entries) and
/// `out_dtypes` (room for nargs descriptors).
unsafe extern "C" fn type_resolver(
    ufunc: *mut ffi::PyObject,
    _casting: c_int,
    operands: *mut *mut ffi::PyObject,
    type_tup: *mut ffi::PyObject,
    out_dtypes: *mut *mut ffi::PyObject,
) -> c_int {
    array_method::guarded(|| {
        // SAFETY: NumPy calls type resolvers with the GIL held.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: NumPy passes the live ufunc, `nargs` operand slots and `nargs` out slots.
        match unsafe { resolve(py, ufunc, operands, type_tup, out_dtypes) } {
            Ok(()) => 0,
            Err(e) => {
                e.restore(py);
                -1
            }
        }
    })
}

/// # Safety
/// As NumPy calls a type resolver: a live ufunc, `nargs` operands (arrays or NULL), a type tuple
/// or NULL, `nargs` writable descriptor slots.
unsafe fn resolve(
    py: Python<'_>,
    ufunc: *mut ffi::PyObject,
    operands: *mut *mut ffi::PyObject,
    type_tup: *mut ffi::PyObject,
    out_dtypes: *mut *mut ffi::PyObject,
) -> PyResult<()> {
    // SAFETY: NumPy holds a reference to the ufunc for the call.
    let ufunc = unsafe { Bound::from_borrowed_ptr(py, ufunc) };
    let owner = owner_of(&ufunc)?
        .ok_or_else(|| PyRuntimeError::new_err("ufuncgen's resolver ran for a foreign ufunc"))?;
    let o = owner.get();
    let nargs = o.nin + o.nout;
    // SAFETY: NumPy passes `nargs` operand slots.
    let ops = unsafe { std::slice::from_raw_parts(operands, nargs) };
    let request = fixed_dtypes(py, type_tup, nargs)
        .and_then(|fixed| o.request(py, ops, &fixed))
        .map_err(|e| {
            if e.is_instance_of::<PyTypeError>(py) {
                PyTypeError::new_err(format!("ufunc '{}': {}", o.kernel_name, e.value(py)))
            } else {
                e
            }
        })?;
    let dtypes = o.loop_for(py, &ufunc, &request)?;
    let api = numpy_api::array_api(py)?;
    for (k, s) in dtypes.iter().enumerate() {
        // SAFETY: builtin type numbers always have a descriptor (a new reference).
        let descr = unsafe { (api.descr_from_type)(c_int::from(s.npy_type_num())) };
        if descr.is_null() {
            return Err(PyErr::fetch(py));
        }
        // SAFETY: NumPy passes `nargs` slots and takes over the references (it clears them
        // when we fail later).
        unsafe { *out_dtypes.add(k) = descr };
    }
    Ok(())
}

/// NumPy's promoter for a lazy ufunc's input DTypes (registered by `ensure_promoter`, see
/// `lazy_promote`): the DTypes of the loop the type resolver would pick for these input DTypes
/// and this signature, compiled and registered if need be.
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
    array_method::guarded(|| {
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
    let (nin, nargs) = (o.nin, o.nin + o.nout);
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
                PyTypeError::new_err(format!("ufunc '{}': input {k} has no dtype", o.kernel_name))
            })?);
        } else {
            outputs.push(scalar_of(fixed)?);
        }
    }
    let dtypes = o.loop_for(py, &ufunc, &Request { inputs, outputs })?;
    dtypes
        .into_iter()
        .map(|s| crate::lazy_promote::dtype_class(py, s))
        .collect()
}

/// The dtypes `dtype=`/`signature=` fix, per operand (NumPy passes a tuple of descriptors and
/// Nones, or NULL when nothing is fixed).
fn fixed_dtypes(
    py: Python<'_>,
    type_tup: *mut ffi::PyObject,
    nargs: usize,
) -> PyResult<Vec<Option<Scalar>>> {
    if type_tup.is_null() {
        return Ok(vec![None; nargs]);
    }
    // SAFETY: NumPy holds the tuple for the call.
    let tup = unsafe { Bound::from_borrowed_ptr(py, type_tup) };
    let tup = tup
        .cast::<PyTuple>()
        .map_err(|_| PyTypeError::new_err("the ufunc's type signature must be a tuple"))?;
    if tup.len() != nargs {
        return Err(PyTypeError::new_err(format!(
            "the type signature has {} entries, the ufunc {nargs} operands",
            tup.len()
        )));
    }
    tup.iter()
        .map(|item| {
            if item.is_none() {
                Ok(None)
            } else {
                scalar_of_descr(&item).map(Some)
            }
        })
        .collect()
}

/// The kernel-language dtype of a NumPy descriptor, or a TypeError naming it.
fn scalar_of_descr(descr: &Bound<'_, PyAny>) -> PyResult<Scalar> {
    let py = descr.py();
    let dtype_type = py.import("numpy")?.getattr("dtype")?;
    if !descr.is_instance(&dtype_type)? {
        return Err(PyTypeError::new_err(format!(
            "expected a NumPy dtype, got {}",
            descr.repr()?
        )));
    }
    // SAFETY: an instance of `numpy.dtype` starts with `PyArray_Descr`'s fields.
    let type_num = unsafe { (*descr.as_ptr().cast::<DescrHead>()).type_num };
    scalar_of_type_num(type_num).ok_or_else(|| {
        let shown = descr.str().map(|s| s.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!(
            "ufuncgen kernels take bool, integer, float32/64 and complex64/128 values, not \
             {shown}"
        ))
    })
}

/// NumPy's type numbers on LP64: long long is 64-bit, like long.
fn scalar_of_type_num(type_num: c_int) -> Option<Scalar> {
    const NPY_LONGLONG: c_int = 9;
    const NPY_ULONGLONG: c_int = 10;
    match type_num {
        NPY_LONGLONG => Some(Scalar::I64),
        NPY_ULONGLONG => Some(Scalar::U64),
        n => Scalar::ALL
            .into_iter()
            .find(|s| c_int::from(s.npy_type_num()) == n),
    }
}

impl LazyOwner {
    /// The loop a call needs. Inputs keep their own dtypes (as Numba types arguments); a Python
    /// `int`/`float`/`complex` (NEP 50 "weak") takes NumPy's result type of all inputs, so
    /// `f(int8_array, 1)` compiles an int8/int8 loop and `f(int8_array, 1.5)` int8/float64.
    fn request(
        &self,
        py: Python<'_>,
        ops: &[*mut ffi::PyObject],
        fixed: &[Option<Scalar>],
    ) -> PyResult<Request> {
        let nin = self.nin;
        let mut fixed = fixed.to_vec();
        let (ins, outs) = fixed.split_at_mut(nin);
        // `dtype=X` fixes only the outputs; as with NumPy's own ufuncs (which pick their `X..->X`
        // loop), the loop computes in X. A reduction with `dtype=X` fixes the first operand and
        // the output; NumPy casts the reduced array to X too (accumulate requires it).
        let homogeneous = outs
            .first()
            .copied()
            .flatten()
            .filter(|x| outs.iter().all(|o| *o == Some(*x)));
        let reduction = nin == 2
            && outs.len() == 1
            && ins[0].is_some()
            && ins[1].is_none()
            && outs[0] == ins[0];
        if let Some(x) = homogeneous {
            if ins.iter().all(Option::is_none) || reduction {
                ins.iter_mut().for_each(|i| *i = Some(x));
            }
        }
        let is_weak = |op: *mut ffi::PyObject| {
            // SAFETY: non-null operands are live arrays for the call.
            !op.is_null()
                && unsafe { (*op.cast::<ArrayHead>()).flags } & numpy_api::WAS_PYTHON_LITERAL != 0
        };
        let weak_type = if ops[..nin].iter().any(|&op| is_weak(op))
            && fixed[..nin].iter().any(Option::is_none)
        {
            Some(self.result_type(py, &ops[..nin], &fixed[..nin])?)
        } else {
            None
        };
        let mut inputs = Vec::with_capacity(nin);
        for (k, &op) in ops[..nin].iter().enumerate() {
            let dtype = match (fixed[k], weak_type) {
                (Some(t), _) => t,
                (None, Some(t)) if is_weak(op) => t,
                _ => {
                    if op.is_null() {
                        return Err(PyTypeError::new_err(format!(
                            "cannot choose a loop for '{}': input {k} has no dtype",
                            self.kernel_name
                        )));
                    }
                    // SAFETY: a live array's descriptor is a live dtype.
                    let descr =
                        unsafe { Bound::from_borrowed_ptr(py, (*op.cast::<ArrayHead>()).descr) };
                    scalar_of_descr(&descr)?
                }
            };
            inputs.push(dtype);
        }
        Ok(Request {
            inputs,
            outputs: fixed[nin..].to_vec(),
        })
    }

    /// `PyArray_ResultType` of the inputs not fixed by the signature and the fixed dtypes.
    fn result_type(
        &self,
        py: Python<'_>,
        ops: &[*mut ffi::PyObject],
        fixed: &[Option<Scalar>],
    ) -> PyResult<Scalar> {
        let api = numpy_api::array_api(py)?;
        let mut arrays: Vec<*mut ffi::PyObject> = Vec::new();
        let mut descrs: Vec<Bound<'_, PyAny>> = Vec::new();
        for (&op, f) in ops.iter().zip(fixed) {
            match f {
                Some(t) => {
                    // SAFETY: builtin type numbers always have a descriptor (a new reference).
                    let d = unsafe { (api.descr_from_type)(c_int::from(t.npy_type_num())) };
                    if d.is_null() {
                        return Err(PyErr::fetch(py));
                    }
                    // SAFETY: a new reference, now owned by the Bound.
                    descrs.push(unsafe { Bound::from_owned_ptr(py, d) });
                }
                None if !op.is_null() => arrays.push(op),
                None => {}
            }
        }
        let mut descr_ptrs: Vec<*mut ffi::PyObject> = descrs.iter().map(|d| d.as_ptr()).collect();
        // SAFETY: live arrays and descriptors, counted right; returns a new reference or NULL.
        let result = unsafe {
            (api.result_type)(
                arrays.len() as isize,
                arrays.as_mut_ptr(),
                descr_ptrs.len() as isize,
                descr_ptrs.as_mut_ptr(),
            )
        };
        if result.is_null() {
            return Err(PyErr::fetch(py));
        }
        // SAFETY: a new reference, now owned by the Bound.
        let result = unsafe { Bound::from_owned_ptr(py, result) };
        scalar_of_descr(&result)
    }

    /// The dtypes of the loop for `request`: an existing loop, or one this thread compiles and
    /// registers, or one another thread is compiling (waited for with the GIL released).
    fn loop_for(
        &self,
        py: Python<'_>,
        ufunc: &Bound<'_, PyAny>,
        request: &Request,
    ) -> PyResult<Vec<Scalar>> {
        loop {
            let mut requests = lock(&self.requests);
            match requests.get(request) {
                Some(Slot::Ready(dtypes)) => return Ok(dtypes.clone()),
                Some(Slot::Failed(e)) => {
                    let e = e.clone();
                    drop(requests);
                    return Err(py_errors::to_pyerr(py, &e));
                }
                Some(Slot::Compiling(thread)) if *thread == std::thread::current().id() => {
                    // Only Python code run while freezing the kernel's names could get here;
                    // waiting for ourselves would never end.
                    return Err(PyRuntimeError::new_err(format!(
                        "'{}' was called while compiling its own loop for these dtypes",
                        self.kernel_name
                    )));
                }
                Some(Slot::Compiling(_)) => {
                    drop(requests);
                    py.detach(|| {
                        let guard = lock(&self.requests);
                        let _unused = self
                            .changed
                            .wait_while(guard, |r| {
                                matches!(r.get(request), Some(Slot::Compiling(_)))
                            })
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                    });
                }
                None => {
                    if let Some(dtypes) = self.existing(request) {
                        requests.insert(request.clone(), Slot::Ready(dtypes.clone()));
                        return Ok(dtypes);
                    }
                    requests.insert(
                        request.clone(),
                        Slot::Compiling(std::thread::current().id()),
                    );
                    drop(requests);
                    let mut pending = Pending {
                        owner: self,
                        request,
                        done: false,
                    };
                    let result = self.compile_and_register(py, ufunc, request);
                    let slot = match &result {
                        Ok(dtypes) => Some(Slot::Ready(dtypes.clone())),
                        Err(Failure::Compile(e)) => Some(Slot::Failed(e.clone())),
                        // Not the kernel's fault (no source, NumPy refused): try again next call.
                        Err(Failure::Python(_)) => None,
                    };
                    pending.finish(slot);
                    return result.map_err(|f| match f {
                        Failure::Compile(e) => py_errors::to_pyerr(py, &e),
                        Failure::Python(e) => e,
                    });
                }
            }
        }
    }

    /// A registered loop that serves `request` without compiling: same inputs, and the fixed
    /// outputs match (only when every output is fixed; otherwise the kernel decides them).
    fn existing(&self, request: &Request) -> Option<Vec<Scalar>> {
        if request.outputs.iter().any(Option::is_none) {
            return None;
        }
        let wanted: Vec<Scalar> = request
            .inputs
            .iter()
            .copied()
            .chain(request.outputs.iter().flatten().copied())
            .collect();
        let loops = self.loops.read().unwrap_or_else(|p| p.into_inner());
        loops.iter().any(|l| l.dtypes == wanted).then_some(wanted)
    }

    /// The kernel's spec, with its globals frozen at the first call that needs it.
    fn spec(&self, py: Python<'_>) -> PyResult<&KernelSpec> {
        if let Some(spec) = self.spec.get() {
            return Ok(spec);
        }
        // Not a `PyOnceLock`: the Python code below could call this ufunc again on this thread,
        // and a once-cell would deadlock on itself. Two threads may both read the names; the
        // first to finish sets the snapshot every loop uses.
        let parts = lock(&self.parts).as_ref().map(|p| p.clone_ref(py));
        let parts = parts.ok_or_else(|| PyRuntimeError::new_err("the kernel's source is gone"))?;
        let result = parts.call0(py)?;
        let KernelPartsArg { source, globals } = result.bind(py).extract()?;
        let spec = spec_args::kernel_spec(
            self.kernel_name.clone(),
            source,
            Vec::new(),
            globals,
            self.fastmath,
        )?;
        let _first_wins = self.spec.set(spec);
        // The names are frozen now: later loops use the same snapshot.
        drop(lock(&self.parts).take());
        self.spec
            .get()
            .ok_or_else(|| PyRuntimeError::new_err("the kernel's spec was not kept"))
    }

    fn compile_and_register(
        &self,
        py: Python<'_>,
        ufunc: &Bound<'_, PyAny>,
        request: &Request,
    ) -> Result<Vec<Scalar>, Failure> {
        let spec = self.spec(py).map_err(Failure::Python)?;
        self.compilations.fetch_add(1, Ordering::Relaxed);
        let (compiled, warnings) = py
            .detach(|| self.compile(spec, request))
            .map_err(Failure::Compile)?;
        disk_cache::warn(py, &warnings).map_err(Failure::Python)?;
        let fixed_outputs = request.outputs.iter().any(Option::is_some);
        self.register(py, ufunc, compiled, fixed_outputs)
            .map_err(Failure::Python)
    }

    /// Compiles the one loop `request` asks for (no GIL needed).
    fn compile(
        &self,
        spec: &KernelSpec,
        request: &Request,
    ) -> Result<(CompiledUfunc, Vec<String>), CompileError> {
        let cache = self.cache.as_ref();
        match &self.kind {
            Kind::Elementwise => {
                ufuncgen::lazy::compile_lazy_ufunc(spec, &request.inputs, request.outputs[0], cache)
            }
            Kind::Generalized {
                layout,
                writable_args,
                boundscheck,
                ..
            } => ufuncgen::lazy::compile_lazy_gufunc(
                spec,
                layout,
                &request.inputs,
                &request.outputs,
                writable_args,
                *boundscheck,
                cache,
            ),
        }
    }

    /// Registers a compiled loop with NumPy (under the GIL) unless an equal one exists, and
    /// installs `f.types`' tables; returns the loop's dtypes. A loop whose outputs a signature
    /// fixed (`fixed_outputs`) gets a promoter for its inputs first, so that calls without a
    /// signature keep the kernel's output types (see `lazy_promote`).
    fn register(
        &self,
        py: Python<'_>,
        ufunc: &Bound<'_, PyAny>,
        compiled: CompiledUfunc,
        fixed_outputs: bool,
    ) -> PyResult<Vec<Scalar>> {
        let Some(first) = compiled.loops.first() else {
            return Err(PyRuntimeError::new_err("the compiler returned no loop"));
        };
        let mut entry = LoopEntry::from(first);
        let dtypes: Vec<Scalar> = entry.inputs.iter().chain(&entry.outputs).copied().collect();
        if dtypes.len() != self.nin + self.nout {
            return Err(PyRuntimeError::new_err(format!(
                "a loop of '{}' has {} operands, the ufunc {}",
                self.kernel_name,
                dtypes.len(),
                self.nin + self.nout
            )));
        }
        {
            let loops = self.loops.read().unwrap_or_else(|p| p.into_inner());
            if loops.iter().any(|l| l.dtypes == dtypes) {
                return Ok(dtypes);
            }
        }
        if self.parallel {
            entry = match &self.kind {
                Kind::Elementwise => crate::parallel_loop::elementwise(entry),
                Kind::Generalized {
                    core_axes,
                    writable_args,
                    ..
                } => crate::parallel_loop::generalized(
                    entry,
                    core_axes,
                    !writable_args.is_empty(),
                    first.split_anywhere,
                )?,
            };
        }
        if fixed_outputs {
            self.ensure_promoter(ufunc, &dtypes[..self.nin])?;
        }
        let spec_loop = SpecLoop::new(
            py,
            entry.func,
            entry.data_ptr(),
            &dtypes,
            entry.checks.clone(),
        )?;
        let boxed = Box::new(LazyLoop {
            spec_loop,
            dtypes: dtypes.clone(),
            entry,
            compiled,
        });
        let index = {
            let mut loops = self.loops.write().unwrap_or_else(|p| p.into_inner());
            loops.push(boxed);
            loops.len() - 1
        };
        let spec_loop: *const SpecLoop = {
            let loops = self.loops.read().unwrap_or_else(|p| p.into_inner());
            &loops[index].spec_loop
        };
        // SAFETY: the box lives as long as the owner (loops are never removed but below, while
        // still unregistered); the GIL is held, so no call can reach it in between.
        let registered = array_method::add_spec_loop::<LazyOwner>(
            ufunc,
            unsafe { &*spec_loop },
            self.nin,
            self.nout,
            self.identity,
        );
        if let Err(e) = registered {
            let mut loops = self.loops.write().unwrap_or_else(|p| p.into_inner());
            loops.truncate(index);
            return Err(e);
        }
        self.install_tables(ufunc)?;
        Ok(dtypes)
    }

    /// Registers the promoter for these input dtypes unless they have one.
    fn ensure_promoter(&self, ufunc: &Bound<'_, PyAny>, inputs: &[Scalar]) -> PyResult<()> {
        let mut promoted = lock(&self.promoted);
        if promoted.iter().any(|p| p.as_slice() == inputs) {
            return Ok(());
        }
        crate::lazy_promote::add_promoter(ufunc, inputs, self.nout, promote)?;
        promoted.push(inputs.to_vec());
        Ok(())
    }

    /// Gives `f.types` and `f.ntypes` a table of every registered loop.
    fn install_tables(&self, ufunc: &Bound<'_, PyAny>) -> PyResult<()> {
        let loops = self.loops.read().unwrap_or_else(|p| p.into_inner());
        let tables = LegacyColumns::new(loops.iter().map(|l| &l.entry));
        let ntypes =
            c_int::try_from(loops.len()).map_err(|_| PyValueError::new_err("too many loops"))?;
        let mut generations = lock(&self.tables);
        generations.push(tables);
        let t = generations.last().expect("just pushed");
        register::install_legacy_tables(ufunc, &t.functions, &t.data, &t.types, ntypes)
    }
}

/// Why a loop could not be made.
enum Failure {
    /// The kernel does not compile for these dtypes.
    Compile(CompileError),
    /// Anything else (a Python error getting the source, NumPy refusing the loop).
    Python(PyErr),
}

/// Settles a `Compiling` slot however the compiling thread leaves (a panic included), so that
/// waiting threads never wait forever.
struct Pending<'a> {
    owner: &'a LazyOwner,
    request: &'a Request,
    done: bool,
}

impl Pending<'_> {
    fn finish(&mut self, slot: Option<Slot>) {
        let mut requests = lock(&self.owner.requests);
        match slot {
            Some(s) => {
                requests.insert(self.request.clone(), s);
            }
            None => {
                requests.remove(self.request);
            }
        }
        self.done = true;
        drop(requests);
        self.owner.changed.notify_all();
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.finish(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_numbers_map_to_scalars() {
        for s in Scalar::ALL {
            assert_eq!(scalar_of_type_num(c_int::from(s.npy_type_num())), Some(s));
        }
        assert_eq!(scalar_of_type_num(9), Some(Scalar::I64));
        assert_eq!(scalar_of_type_num(10), Some(Scalar::U64));
        // float16, long double, object, datetime.
        for n in [23, 13, 17, 21] {
            assert_eq!(scalar_of_type_num(n), None);
        }
    }
}
