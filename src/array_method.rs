//! Loops that can raise. A legacy (`void`) inner loop cannot report an error, so every compiled
//! loop is also registered as an ArrayMethod (`PyUFunc_AddLoopFromSpec`) whose strided loop
//! returns an int: it runs the generated loop, then turns a run-time error the loop recorded
//! with `ufg_set_error` into the Python exception of its kind.
//!
//! The ufunc keeps its legacy tables (`types`, `ntypes`, `functions`), so `f.types` and NumPy's
//! legacy type resolution ("first loop reachable by safe casting") stay as they were; only the
//! `_loops` entries NumPy dispatches to are ours instead of NumPy's wrappers of the legacy loops.

use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use pyo3::exceptions::{
    PyArithmeticError, PyAssertionError, PyIndexError, PyOverflowError, PyRuntimeError,
    PyUnboundLocalError, PyValueError, PyZeroDivisionError,
};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::True;
use pyo3::types::{PyInt, PyTuple};
use pyo3::PyClass;

use ufuncgen::runtime::errors::kind;
use ufuncgen::{take_runtime_error, Scalar};

use crate::contiguity::ContiguityCheck;
use crate::numpy_api::IdentityCode;
use crate::numpy_api::{
    self, meth, owner_object, ArrayMethodContext, ArrayMethodSpec, GenericFunction, GetLoop,
    GetReductionInitial, NpyAuxData, StridedLoop,
};

/// The object one kind of our ufuncs keeps in `ufunc->obj`, holding the loops registered for it
/// (`owner::UfuncOwner`, `lazy::LazyOwner`). The callbacks are registered per owner type, so
/// they find a ufunc's loops without this module knowing the owners.
pub trait LoopOwner: PyClass<Frozen = True> + Sync {
    /// The registered loop that `fits`; the pointer is valid while the ufunc lives.
    fn find_spec_loop(&self, fits: &dyn Fn(&SpecLoop) -> bool) -> Option<*const SpecLoop>;
}

/// One loop as NumPy's ArrayMethod machinery sees it. `get_loop` hands NumPy a pointer to it as
/// the loop's auxdata, so `aux` must stay the first field.
#[repr(C)]
pub struct SpecLoop {
    aux: NpyAuxData,
    func: GenericFunction,
    /// Passed to `func` as its `data` argument, as NumPy does for legacy loops.
    data: *mut c_void,
    /// Operand dtypes, inputs then outputs.
    scalars: Box<[Scalar]>,
    /// The DType class of each operand (`numpy.dtypes.Float64DType`, ...).
    dtypes: Box<[Py<PyAny>]>,
    /// The reduction's initial value in the first operand's dtype, once computed.
    initial: OnceLock<Box<[u8]>>,
    /// Contiguity promised by the signature, checked before each run.
    checks: Box<[ContiguityCheck]>,
}

// SAFETY: `data` is an opaque pointer we only pass back to the loop (null for compiled loops);
// everything else is immutable after construction or synchronized (`OnceLock`, `Py`).
unsafe impl Send for SpecLoop {}
// SAFETY: as above.
unsafe impl Sync for SpecLoop {}

// The auxdata lives as long as the ufunc's owner, which outlives every call of the ufunc, so
// NumPy's free and clone need not allocate.
/// NumPy's auxdata `free`: nothing to free (the owner frees the `SpecLoop`).
///
/// # Safety
/// Called by NumPy only, with an auxdata this module handed out.
unsafe extern "C" fn aux_free(_aux: *mut NpyAuxData) {}

/// NumPy's auxdata `clone`: the same pointer (the `SpecLoop` is shared and immutable).
///
/// # Safety
/// Called by NumPy only, with an auxdata this module handed out.
unsafe extern "C" fn aux_clone(aux: *mut NpyAuxData) -> *mut NpyAuxData {
    aux
}

impl SpecLoop {
    /// A loop with these operand dtypes (inputs then outputs) calling `func(.., data)`.
    pub fn new(
        py: Python<'_>,
        func: GenericFunction,
        data: *mut c_void,
        scalars: &[Scalar],
        checks: Vec<ContiguityCheck>,
    ) -> PyResult<SpecLoop> {
        let dtype = py.import("numpy")?.getattr("dtype")?;
        let dtypes = scalars
            .iter()
            .map(|s| {
                Ok(dtype
                    .call1((s.type_char().to_string(),))?
                    .get_type()
                    .into_any()
                    .unbind())
            })
            .collect::<PyResult<_>>()?;
        Ok(SpecLoop {
            aux: NpyAuxData {
                free: aux_free,
                clone: aux_clone,
                reserved: [std::ptr::null_mut(); 2],
            },
            func,
            data,
            scalars: scalars.into(),
            dtypes,
            initial: OnceLock::new(),
            checks: checks.into(),
        })
    }

    fn matches(&self, other: &SpecLoop) -> bool {
        self.scalars == other.scalars
    }
}

/// Registers `loops` with `ufunc` (created without loops), the first of several equal dtype
/// lists winning, as with NumPy's legacy tables.
pub fn add_spec_loops<O: LoopOwner>(
    ufunc: &Bound<'_, PyAny>,
    loops: &[SpecLoop],
    nin: usize,
    nout: usize,
    identity: IdentityCode,
) -> PyResult<()> {
    for (i, lp) in loops.iter().enumerate() {
        if loops[..i].iter().any(|earlier| earlier.matches(lp)) {
            continue;
        }
        add_spec_loop::<O>(ufunc, lp, nin, nout, identity)?;
    }
    Ok(())
}

/// Registers one loop with `ufunc`, whose owner is an `O`. `identity` decides, as for NumPy's own wrappers of legacy
/// loops, whether a binary ufunc's reduction may reorder and where it starts.
pub fn add_spec_loop<O: LoopOwner>(
    ufunc: &Bound<'_, PyAny>,
    lp: &SpecLoop,
    nin: usize,
    nout: usize,
    identity: IdentityCode,
) -> PyResult<()> {
    let py = ufunc.py();
    let api = numpy_api::ufunc_api(py)?;
    let binary = nin == 2 && nout == 1;
    let reorderable = binary && identity != IdentityCode::None;
    let has_initial = binary
        && matches!(
            identity,
            IdentityCode::Zero | IdentityCode::One | IdentityCode::Value
        );
    let nin_c = c_int::try_from(nin).map_err(|_| PyValueError::new_err("too many inputs"))?;
    let nout_c = c_int::try_from(nout).map_err(|_| PyValueError::new_err("too many outputs"))?;
    if lp.dtypes.len() != nin + nout {
        return Err(PyValueError::new_err(
            "a loop's operand count differs from the ufunc's",
        ));
    }
    let mut dtypes: Vec<*mut ffi::PyObject> = lp.dtypes.iter().map(|d| d.as_ptr()).collect();
    // Typed first, so the compiler checks each callback against NumPy's ABI.
    let (strided, get, initial): (StridedLoop, GetLoop, GetReductionInitial) =
        (strided_loop, get_loop::<O>, reduction_initial::<O>);
    let mut slots = vec![
        slot(meth::GET_LOOP, get as *mut c_void),
        slot(meth::STRIDED_LOOP, strided as *mut c_void),
    ];
    if has_initial {
        slots.push(slot(meth::GET_REDUCTION_INITIAL, initial as *mut c_void));
    }
    slots.push(slot(0, std::ptr::null_mut()));
    let mut spec = ArrayMethodSpec {
        name: c"ufuncgen_loop".as_ptr(),
        nin: nin_c,
        nout: nout_c,
        casting: meth::NO_CASTING,
        flags: if reorderable { meth::IS_REORDERABLE } else { 0 },
        dtypes: dtypes.as_mut_ptr(),
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: `ufunc` is a live ufunc with `nin`/`nout` operands; the spec, its dtype and
    // slot arrays are valid for the call (NumPy copies what it keeps); the callbacks have
    // the ArrayMethod ABI.
    let rc = unsafe { (api.add_loop_from_spec)(ufunc.as_ptr(), &mut spec) };
    if rc < 0 {
        return Err(PyErr::take(py)
            .unwrap_or_else(|| PyRuntimeError::new_err("NumPy could not add a loop")));
    }
    Ok(())
}

fn slot(id: c_int, pfunc: *mut c_void) -> ffi::PyType_Slot {
    ffi::PyType_Slot { slot: id, pfunc }
}

/// The Python exception for a run-time error the generated code recorded.
pub fn runtime_error(kind_code: i32, message: String) -> PyErr {
    match kind_code {
        kind::INDEX => PyIndexError::new_err(message),
        kind::VALUE => PyValueError::new_err(message),
        kind::ASSERTION => PyAssertionError::new_err(message),
        kind::ZERO_DIVISION => PyZeroDivisionError::new_err(message),
        kind::OVERFLOW => PyOverflowError::new_err(message),
        kind::ARITHMETIC => PyArithmeticError::new_err(message),
        kind::UNBOUND_LOCAL => PyUnboundLocalError::new_err(message),
        other => PyRuntimeError::new_err(format!("{message} (unknown error kind {other})")),
    }
}

/// Runs a callback NumPy called, so that no panic crosses into C: a panic becomes -1 (NumPy then
/// reports a SystemError, which beats aborting the process).
pub(crate) fn guarded(f: impl FnOnce() -> c_int) -> c_int {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(-1)
}

/// The strided loop of every spec loop: the generated loop, then its error, if any.
///
/// # Safety
/// NumPy's strided-loop contract: `data`, `dimensions` and `strides` describe a valid call for
/// the loop's operands, and `auxdata` is the `SpecLoop` that `get_loop` handed out (alive while
/// its ufunc is).
unsafe extern "C" fn strided_loop(
    _context: *mut ArrayMethodContext,
    data: *const *mut u8,
    dimensions: *const isize,
    strides: *const isize,
    auxdata: *mut NpyAuxData,
) -> c_int {
    guarded(|| {
        if auxdata.is_null() {
            return raise(PyRuntimeError::new_err(
                "a ufuncgen loop ran without the state its get_loop provides",
            ));
        }
        // SAFETY: our `get_loop` hands out only pointers to `SpecLoop`s (whose first field is
        // the auxdata header), owned by the ufunc that is running.
        let lp = unsafe { &*auxdata.cast::<SpecLoop>() };
        // No error is pending here: every run of generated code on this thread went through
        // this function, which takes what the run recorded (NumPy never calls the legacy
        // `functions` table; see `register::install_legacy_tables`).
        // SAFETY: NumPy passes at least the outer length.
        if unsafe { *dimensions } > 0 {
            for check in lp.checks.iter() {
                // SAFETY: NumPy's arrays follow the layout the check was built for.
                if let Some(message) = unsafe { check.violated(dimensions, strides) } {
                    return raise(PyValueError::new_err(message.to_owned()));
                }
            }
        }
        // SAFETY: NumPy passes operands, dimensions and strides in the layout the loop was
        // compiled for (the dtypes matched in `get_loop`).
        unsafe { (lp.func)(data.cast_mut(), dimensions, strides, lp.data) };
        match take_runtime_error() {
            None => 0,
            Some((kind_code, message)) => raise(runtime_error(kind_code, message)),
        }
    })
}

/// Sets `err` as the current exception, taking the GIL (NumPy may have released it), and
/// returns -1 for NumPy.
fn raise(err: PyErr) -> c_int {
    Python::attach(|py| err.restore(py));
    -1
}

/// Runs `f` for a callback NumPy makes while the thread is attached to the interpreter (it
/// holds the GIL): `get_loop` and `get_reduction_initial` run before NumPy releases it, and
/// NumPy's own wrappers of legacy loops raise exceptions there directly. Asking pyo3 to attach
/// instead would go through `PyGILState_Ensure` on every ufunc call.
fn with_numpys_thread_state<R>(f: impl FnOnce(Python<'_>) -> R) -> R {
    // SAFETY: see above; NumPy never calls these two slots with the GIL released.
    f(unsafe { Python::assume_attached() })
}

/// The `SpecLoop` of the running ufunc whose dtypes are the context's descriptors' DTypes.
///
/// # Safety
/// `context` must be the live context NumPy passed to an ArrayMethod callback of one of our
/// loops; the pointer returned is valid while the context's ufunc lives.
unsafe fn find_loop<O: LoopOwner>(
    py: Python<'_>,
    context: *mut ArrayMethodContext,
) -> PyResult<*const SpecLoop> {
    // SAFETY: per this function's contract.
    let ctx = unsafe { &*context };
    if ctx.caller.is_null() {
        return Err(PyRuntimeError::new_err(
            "a ufuncgen loop can only run with its ufunc as the caller",
        ));
    }
    // SAFETY: NumPy holds a reference to the caller for the duration of the call.
    let caller = unsafe { Bound::from_borrowed_ptr(py, ctx.caller) };
    let fits = |lp: &SpecLoop| {
        lp.dtypes.iter().enumerate().all(|(k, dtype)| {
            // SAFETY: NumPy passes one resolved descriptor per operand of this method.
            let descr = unsafe { *ctx.descriptors.add(k) };
            // SAFETY: descriptors are live Python objects; their type is their DType class.
            !descr.is_null() && unsafe { ffi::Py_TYPE(descr) }.cast() == dtype.as_ptr()
        })
    };
    let foreign = || PyRuntimeError::new_err("a ufuncgen loop ran for a foreign ufunc");
    let owner = owner_object(&caller)?.ok_or_else(foreign)?;
    let owner = owner.cast::<O>().map_err(|_| foreign())?;
    owner
        .get()
        .find_spec_loop(&fits)
        .ok_or_else(|| PyRuntimeError::new_err("no ufuncgen loop for these dtypes"))
}

/// `get_loop`: our strided loop, with the matching `SpecLoop` as its auxdata.
///
/// # Safety
/// Called by NumPy with a live `context` of one of our loops and valid out-pointers.
unsafe extern "C" fn get_loop<O: LoopOwner>(
    context: *mut ArrayMethodContext,
    _aligned: c_int,
    _move_references: c_int,
    _strides: *const isize,
    out_loop: *mut Option<StridedLoop>,
    out_auxdata: *mut *mut NpyAuxData,
    flags: *mut c_int,
) -> c_int {
    guarded(|| {
        with_numpys_thread_state(|py| {
            // SAFETY: NumPy calls this with a live context of one of our loops.
            match unsafe { find_loop::<O>(py, context) } {
                Ok(lp) => {
                    // SAFETY: NumPy passes valid out-pointers.
                    unsafe {
                        *out_loop = Some(strided_loop);
                        *out_auxdata = lp.cast_mut().cast::<NpyAuxData>();
                        // Needs no Python API and may raise floating-point flags.
                        *flags = 0;
                    }
                    0
                }
                Err(e) => {
                    e.restore(py);
                    -1
                }
            }
        })
    })
}

/// `get_reduction_initial`: the ufunc's identity in the loop's first dtype, as NumPy's own
/// wrapper of legacy loops computes it (converted once, then cached).
///
/// # Safety
/// Called by NumPy with a live `context` of one of our loops and `initial` pointing at room
/// for one element of the loop's first dtype.
unsafe extern "C" fn reduction_initial<O: LoopOwner>(
    context: *mut ArrayMethodContext,
    _reduction_is_empty: u8,
    initial: *mut u8,
) -> c_int {
    guarded(|| {
        with_numpys_thread_state(|py| {
            // SAFETY: NumPy calls this with a live context of one of our loops.
            let result = unsafe { find_loop::<O>(py, context) }.and_then(|lp| {
                // SAFETY: valid while the running ufunc lives, which spans this call.
                let lp = unsafe { &*lp };
                // SAFETY: as in `find_loop`.
                let caller = unsafe { Bound::from_borrowed_ptr(py, (*context).caller) };
                initial_value(lp, &caller)
            });
            match result {
                Ok(None) => 0,
                Ok(Some(bytes)) => {
                    // SAFETY: NumPy's buffer holds one element of the first operand's dtype,
                    // which is what `bytes` is.
                    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), initial, bytes.len()) };
                    1
                }
                Err(e) => {
                    e.restore(py);
                    -1
                }
            }
        })
    })
}

/// The identity packed into the loop's first dtype, or None when the ufunc has none.
fn initial_value<'a>(lp: &'a SpecLoop, ufunc: &Bound<'_, PyAny>) -> PyResult<Option<&'a [u8]>> {
    if let Some(bytes) = lp.initial.get() {
        return Ok(Some(bytes));
    }
    let identity = ufunc.getattr("identity")?;
    if identity.is_none() {
        return Ok(None);
    }
    let Some(&dtype) = lp.scalars.first() else {
        return Ok(None);
    };
    let np = ufunc.py().import("numpy")?;
    // NumPy's trick: a Python int such as -1 cannot be stored in an unsigned type directly,
    // but an int64 can (all bits set).
    let identity = if dtype.is_unsigned() && identity.is_exact_instance_of::<PyInt>() {
        np.getattr("int_")?.call1((identity,))?
    } else {
        identity
    };
    let cell = np
        .getattr("empty")?
        .call1((PyTuple::empty(ufunc.py()), dtype.name()))?;
    cell.set_item(PyTuple::empty(ufunc.py()), identity)?;
    let bytes: Vec<u8> = cell.call_method0("tobytes")?.extract()?;
    if bytes.len() != dtype.size() {
        return Err(PyRuntimeError::new_err("identity has the wrong size"));
    }
    Ok(Some(lp.initial.get_or_init(|| bytes.into_boxed_slice())))
}
