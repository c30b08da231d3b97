//! NumPy's ufunc C API, reached through the `_UFUNC_API` capsule, with our own typed slots.
//!
//! We do not use rust-numpy: its binding of slot 42 has wrong parameter and return types.

use std::ffi::{c_char, c_int, c_void};
use std::ptr::NonNull;

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyType};

/// NumPy's `PyUFuncGenericFunction`, the legacy inner-loop ABI.
pub type GenericFunction = ufuncgen::LoopFn;

/// Slot 42: `PyUFunc_FromFuncAndDataAndSignatureAndIdentity`.
pub type FromFuncAndDataAndSignatureAndIdentity = unsafe extern "C" fn(
    func: *mut GenericFunction,
    data: *const *mut c_void,
    types: *const c_char,
    ntypes: c_int,
    nin: c_int,
    nout: c_int,
    identity: c_int,
    name: *const c_char,
    doc: *const c_char,
    unused: c_int,
    signature: *const c_char,
    identity_value: *mut ffi::PyObject,
) -> *mut ffi::PyObject;

const SLOT_FROM_FUNC_AND_DATA_AND_SIGNATURE_AND_IDENTITY: usize = 42;

/// Slot 43 (NumPy >= 2.0): `PyUFunc_AddLoopFromSpec(ufunc, spec)`, 0 or -1 with an exception.
pub type AddLoopFromSpec =
    unsafe extern "C" fn(ufunc: *mut ffi::PyObject, spec: *mut ArrayMethodSpec) -> c_int;

const SLOT_ADD_LOOP_FROM_SPEC: usize = 43;

/// NumPy's `NpyAuxData` header: what a `get_loop` hands to its strided loop.
#[repr(C)]
pub struct NpyAuxData {
    pub free: unsafe extern "C" fn(*mut NpyAuxData),
    pub clone: unsafe extern "C" fn(*mut NpyAuxData) -> *mut NpyAuxData,
    pub reserved: [*mut c_void; 2],
}

/// The leading fields of `PyArrayMethod_Context` (stable since NumPy 2.0; later fields are
/// additions we never read).
#[repr(C)]
pub struct ArrayMethodContext {
    /// The ufunc that runs the loop (may be null outside ufunc calls).
    pub caller: *mut ffi::PyObject,
    pub method: *mut c_void,
    /// One resolved descriptor (`PyArray_Descr *`) per operand.
    pub descriptors: *const *mut ffi::PyObject,
}

/// `PyArrayMethod_StridedLoop`: returns 0, or -1 with a Python exception set.
pub type StridedLoop = unsafe extern "C" fn(
    context: *mut ArrayMethodContext,
    data: *const *mut u8,
    dimensions: *const isize,
    strides: *const isize,
    auxdata: *mut NpyAuxData,
) -> c_int;

/// `PyArrayMethod_GetLoop`.
pub type GetLoop = unsafe extern "C" fn(
    context: *mut ArrayMethodContext,
    aligned: c_int,
    move_references: c_int,
    strides: *const isize,
    out_loop: *mut Option<StridedLoop>,
    out_auxdata: *mut *mut NpyAuxData,
    flags: *mut c_int,
) -> c_int;

/// `PyArrayMethod_GetReductionInitial`: -1 error, 0 no initial value, 1 `initial` filled.
pub type GetReductionInitial = unsafe extern "C" fn(
    context: *mut ArrayMethodContext,
    reduction_is_empty: u8,
    initial: *mut u8,
) -> c_int;

/// `PyArrayMethod_Spec`.
#[repr(C)]
pub struct ArrayMethodSpec {
    pub name: *const c_char,
    pub nin: c_int,
    pub nout: c_int,
    /// `NPY_CASTING`.
    pub casting: c_int,
    /// `NPY_ARRAYMETHOD_FLAGS`.
    pub flags: c_int,
    /// One DType class (`PyArray_DTypeMeta *`) per operand.
    pub dtypes: *mut *mut ffi::PyObject,
    /// Terminated by a `{0, NULL}` slot.
    pub slots: *mut ffi::PyType_Slot,
}

/// ArrayMethod slot ids and flags from NumPy's `dtype_api.h`.
pub mod meth {
    use std::ffi::c_int;

    pub const GET_LOOP: c_int = 3;
    pub const GET_REDUCTION_INITIAL: c_int = 4;
    pub const STRIDED_LOOP: c_int = 5;
    /// `NPY_METH_IS_REORDERABLE`: a reduction may run over several axes at once.
    pub const IS_REORDERABLE: c_int = 1 << 3;
    /// `NPY_NO_CASTING`.
    pub const NO_CASTING: c_int = 0;
}

/// NumPy's identity codes for `ufunc.reduce` (`PyUFunc_Zero`, ... in `ufuncobject.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityCode {
    Zero = 0,
    One = 1,
    None = -1,
    ReorderableNone = -2,
    Value = -3,
}

impl IdentityCode {
    /// The code for NumPy's integer constant, if it is one.
    pub fn from_raw(code: i32) -> Option<IdentityCode> {
        [
            IdentityCode::Zero,
            IdentityCode::One,
            IdentityCode::None,
            IdentityCode::ReorderableNone,
            IdentityCode::Value,
        ]
        .into_iter()
        .find(|c| *c as i32 == code)
    }
}

/// The leading fields of NumPy 2's `PyUFuncObject`, up to `obj` (the layout is stable since 1.x).
#[repr(C)]
pub struct UfuncHead {
    pub ob_base: ffi::PyObject,
    pub nin: c_int,
    pub nout: c_int,
    pub nargs: c_int,
    pub identity: c_int,
    pub functions: *mut GenericFunction,
    pub data: *const *mut c_void,
    pub ntypes: c_int,
    pub reserved1: c_int,
    pub name: *const c_char,
    pub types: *const c_char,
    pub doc: *const c_char,
    pub ptr: *mut c_void,
    /// NumPy decrefs this when the ufunc dies: our owner of tables and code lives here.
    pub obj: *mut ffi::PyObject,
    /// A lazy ufunc sets an empty dict here: without it NumPy's dispatcher never falls back to
    /// `type_resolver` for a ufunc with no legacy loops.
    pub userloops: *mut ffi::PyObject,
    /// 1 for a gufunc.
    pub core_enabled: c_int,
    pub core_num_dim_ix: c_int,
    pub core_num_dims: *mut c_int,
    pub core_dim_ixs: *mut c_int,
    pub core_offsets: *mut c_int,
    /// NumPy's copy of the layout string a gufunc was created with.
    pub core_signature: *mut c_char,
    /// Called when dispatch finds no loop for the operands' DTypes (how lazy ufuncs compile).
    pub type_resolver: Option<TypeResolver>,
    pub dict: *mut ffi::PyObject,
    pub vectorcall: *mut c_void,
    pub reserved3: *mut c_void,
    /// `nargs` iterator flags NumPy adds to each operand's defaults (allocated zeroed).
    pub op_flags: *mut u32,
    pub iter_flags: u32,
    pub core_dim_sizes: *mut isize,
    pub core_dim_flags: *mut u32,
    pub identity_value: *mut ffi::PyObject,
    pub dispatch_cache: *mut c_void,
    pub loops: *mut ffi::PyObject,
    /// NumPy >= 2.1: fills or checks a gufunc's core sizes before a call (see `ProcessCoreDims`).
    pub process_core_dims_func: Option<ProcessCoreDims>,
}

/// `PyUFunc_TypeResolutionFunc(ufunc, casting, operands, type_tup, out_dtypes)`: fills one new
/// descriptor reference per operand, or returns -1 with an exception set.
pub type TypeResolver = unsafe extern "C" fn(
    ufunc: *mut ffi::PyObject,
    casting: c_int,
    operands: *mut *mut ffi::PyObject,
    type_tup: *mut ffi::PyObject,
    out_dtypes: *mut *mut ffi::PyObject,
) -> c_int;

/// `PyUFunc_ProcessCoreDimsFunc(ufunc, core_dim_sizes)`: output-only sizes are -1 when no
/// `out=` gave them; 0, or -1 with an exception set.
pub type ProcessCoreDims =
    unsafe extern "C" fn(ufunc: *mut ffi::PyObject, core_dim_sizes: *mut isize) -> c_int;

/// The leading fields of `PyArrayObject_fields`, up to `flags` (stable since NumPy 1.7).
#[repr(C)]
pub struct ArrayHead {
    pub ob_base: ffi::PyObject,
    pub data: *mut c_char,
    pub nd: c_int,
    pub dimensions: *mut isize,
    pub strides: *mut isize,
    pub base: *mut ffi::PyObject,
    pub descr: *mut ffi::PyObject,
    pub flags: c_int,
}

/// Flags NumPy's ufunc machinery sets on the 0-d arrays it makes from Python `int`, `float` and
/// `complex` operands (NEP 50 "weak" scalars; `NPY_ARRAY_WAS_PYTHON_INT` and its siblings in
/// NumPy's private `arrayobject.h`, unchanged from 1.25 to 2.5).
pub const WAS_PYTHON_LITERAL: c_int = (1 << 30) | (1 << 29) | (1 << 28);

/// The leading fields of `PyArray_Descr` (stable since NumPy 1.x).
#[repr(C)]
pub struct DescrHead {
    pub ob_base: ffi::PyObject,
    pub typeobj: *mut ffi::PyObject,
    pub kind: c_char,
    pub type_char: c_char,
    pub byteorder: c_char,
    pub former_flags: c_char,
    pub type_num: c_int,
}

/// `PyArray_ResultType(narrs, arrs, ndtypes, dtypes)`: NumPy's promotion of arrays and
/// descriptors, NEP 50 weak scalars included; a new reference or NULL with an exception.
pub type ResultType = unsafe extern "C" fn(
    narrs: isize,
    arrs: *mut *mut ffi::PyObject,
    ndtypes: isize,
    dtypes: *mut *mut ffi::PyObject,
) -> *mut ffi::PyObject;

/// `PyArray_DescrFromType(type_num)`: a new reference to the builtin descriptor.
pub type DescrFromType = unsafe extern "C" fn(type_num: c_int) -> *mut ffi::PyObject;

const SLOT_DESCR_FROM_TYPE: usize = 45;
const SLOT_RESULT_TYPE: usize = 273;

/// The array-API slots we call, resolved once per process.
pub struct ArrayApi {
    pub result_type: ResultType,
    pub descr_from_type: DescrFromType,
}

static ARRAY_API: PyOnceLock<ArrayApi> = PyOnceLock::new();

/// Function pointer `index` of a NumPy C-API capsule table (`_ARRAY_API`, `_UFUNC_API`).
fn capsule_slot(
    py: Python<'_>,
    capsule_name: &str,
    index: usize,
    name: &str,
) -> PyResult<*const c_void> {
    let module = py.import("numpy._core._multiarray_umath")?;
    let capsule = module.getattr(capsule_name)?.cast_into::<PyCapsule>()?;
    let table = capsule.pointer_checked(None)?.cast::<*const c_void>();
    // SAFETY: NumPy's API tables are arrays of function pointers longer than every index we
    // ask for (NumPy >= 2.0, which pyproject requires) and live as long as the process.
    let ptr = unsafe { *table.as_ptr().add(index) };
    if ptr.is_null() {
        Err(PyRuntimeError::new_err(format!(
            "NumPy's C API has no {name}"
        )))
    } else {
        Ok(ptr)
    }
}

/// NumPy's array API table, for the slots lazy ufuncs use (imports NumPy on first use).
pub fn array_api(py: Python<'_>) -> PyResult<&'static ArrayApi> {
    ARRAY_API.get_or_try_init(py, || {
        let result_type = capsule_slot(py, "_ARRAY_API", SLOT_RESULT_TYPE, "PyArray_ResultType")?;
        let descr = capsule_slot(
            py,
            "_ARRAY_API",
            SLOT_DESCR_FROM_TYPE,
            "PyArray_DescrFromType",
        )?;
        // SAFETY: slots 273 and 45 have exactly these C signatures in NumPy's
        // `__multiarray_api.h` (2.0 to 2.5).
        unsafe {
            Ok(ArrayApi {
                result_type: std::mem::transmute::<*const c_void, ResultType>(result_type),
                descr_from_type: std::mem::transmute::<*const c_void, DescrFromType>(descr),
            })
        }
    })
}

/// `NPY_ITER_READWRITE`.
pub const NPY_ITER_READWRITE: u32 = 0x0001_0000;
/// `NPY_ITER_UPDATEIFCOPY`: a cast or aligned copy is written back to the operand.
pub const NPY_ITER_UPDATEIFCOPY: u32 = 0x0080_0000;

/// The ufunc slots we call, resolved once per process.
pub struct UfuncApi {
    pub from_func_and_data_and_signature_and_identity: FromFuncAndDataAndSignatureAndIdentity,
    pub add_loop_from_spec: AddLoopFromSpec,
}

static API: PyOnceLock<UfuncApi> = PyOnceLock::new();
static UFUNC_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// NumPy's ufunc API table (imports NumPy on first use).
pub fn ufunc_api(py: Python<'_>) -> PyResult<&'static UfuncApi> {
    API.get_or_try_init(py, || {
        let slot = |index: usize, name: &str| capsule_slot(py, "_UFUNC_API", index, name);
        let from_func = slot(
            SLOT_FROM_FUNC_AND_DATA_AND_SIGNATURE_AND_IDENTITY,
            "PyUFunc_FromFuncAndDataAndSignatureAndIdentity",
        )?;
        let add_loop = slot(SLOT_ADD_LOOP_FROM_SPEC, "PyUFunc_AddLoopFromSpec")?;
        // SAFETY: slots 42 and 43 have exactly these C signatures in NumPy's `__ufunc_api.h`
        // (2.0 to 2.4).
        unsafe {
            Ok(UfuncApi {
                from_func_and_data_and_signature_and_identity: std::mem::transmute::<
                    *const c_void,
                    FromFuncAndDataAndSignatureAndIdentity,
                >(from_func),
                add_loop_from_spec: std::mem::transmute::<*const c_void, AddLoopFromSpec>(add_loop),
            })
        }
    })
}

/// `numpy.ufunc`, the type every object we create or inspect must have.
pub fn ufunc_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    UFUNC_TYPE.import(py, "numpy", "ufunc")
}

/// The head of a ufunc's C struct, or a TypeError when `obj` is not exactly a `numpy.ufunc`.
/// The pointer is valid while `obj` lives.
pub fn ufunc_head(obj: &Bound<'_, PyAny>) -> PyResult<NonNull<UfuncHead>> {
    let ty = ufunc_type(obj.py())?;
    if !obj.is_exact_instance(ty) {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "expected a numpy.ufunc, got {}",
            obj.get_type().name()?
        )));
    }
    // `numpy.ufunc` cannot be subclassed, so an exact instance's C struct starts with `UfuncHead`.
    NonNull::new(obj.as_ptr().cast::<UfuncHead>())
        .ok_or_else(|| PyRuntimeError::new_err("null ufunc"))
}

/// What a ufunc keeps in `ufunc->obj` (our owner objects, or anything of another library's),
/// or None when it keeps nothing.
pub fn owner_object<'py>(ufunc: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let head_ptr = ufunc_head(ufunc)?;
    // SAFETY: the ufunc is alive and its head was type-checked.
    let obj_ptr: *mut ffi::PyObject = unsafe { head_ptr.as_ref() }.obj;
    if obj_ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: `obj` is a live reference held by the ufunc, which `ufunc` keeps alive.
    Ok(Some(unsafe {
        Bound::<PyAny>::from_borrowed_ptr(ufunc.py(), obj_ptr)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn head_offsets_match_numpy_2_on_64_bit() {
        // Offsets after PyObject_HEAD, read off NumPy 2.4's ufuncobject.h for LP64.
        let head = std::mem::size_of::<ffi::PyObject>();
        assert_eq!(std::mem::offset_of!(UfuncHead, nin), head);
        assert_eq!(std::mem::offset_of!(UfuncHead, identity), head + 12);
        assert_eq!(std::mem::offset_of!(UfuncHead, functions), head + 16);
        assert_eq!(std::mem::offset_of!(UfuncHead, ntypes), head + 32);
        assert_eq!(std::mem::offset_of!(UfuncHead, name), head + 40);
        assert_eq!(std::mem::offset_of!(UfuncHead, doc), head + 56);
        assert_eq!(std::mem::offset_of!(UfuncHead, obj), head + 72);
        assert_eq!(std::mem::offset_of!(UfuncHead, userloops), head + 80);
        assert_eq!(std::mem::offset_of!(UfuncHead, core_enabled), head + 88);
        assert_eq!(std::mem::offset_of!(UfuncHead, core_signature), head + 120);
        assert_eq!(std::mem::offset_of!(UfuncHead, type_resolver), head + 128);
        assert_eq!(std::mem::offset_of!(UfuncHead, op_flags), head + 160);
        assert_eq!(std::mem::offset_of!(UfuncHead, iter_flags), head + 168);
        assert_eq!(std::mem::offset_of!(UfuncHead, core_dim_sizes), head + 176);
        assert_eq!(std::mem::offset_of!(UfuncHead, loops), head + 208);
        assert_eq!(
            std::mem::offset_of!(UfuncHead, process_core_dims_func),
            head + 216
        );
        assert_eq!(std::mem::offset_of!(ArrayHead, descr), head + 40);
        assert_eq!(std::mem::offset_of!(ArrayHead, flags), head + 48);
        assert_eq!(std::mem::offset_of!(DescrHead, type_num), head + 12);
    }

    /// The hand-declared head must fit inside the ufunc objects of the NumPy actually installed
    /// (`make test` puts the virtual environment's packages on `PYTHONPATH`).
    #[test]
    fn head_fits_the_installed_numpy() {
        Python::attach(|py| {
            let np = py.import("numpy").expect("numpy is importable");
            let version: String = np.getattr("__version__").unwrap().extract().unwrap();
            assert!(
                version.starts_with("2."),
                "NumPy {version}: the layout is NumPy 2's"
            );
            let basic: usize = np
                .getattr("ufunc")
                .and_then(|u| u.getattr("__basicsize__"))
                .and_then(|b| b.extract())
                .expect("ufunc.__basicsize__");
            assert!(
                std::mem::size_of::<UfuncHead>() <= basic,
                "UfuncHead is {} bytes, NumPy {version}'s ufunc {basic}",
                std::mem::size_of::<UfuncHead>()
            );
        });
    }

    #[test]
    fn identity_codes_round_trip() {
        for code in [-3, -2, -1, 0, 1] {
            assert_eq!(IdentityCode::from_raw(code).map(|c| c as i32), Some(code));
        }
        assert_eq!(IdentityCode::from_raw(2), None);
    }
}
