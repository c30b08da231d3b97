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
}

/// The ufunc slots we call, resolved once per process.
pub struct UfuncApi {
    pub from_func_and_data_and_signature_and_identity: FromFuncAndDataAndSignatureAndIdentity,
}

static API: PyOnceLock<UfuncApi> = PyOnceLock::new();
static UFUNC_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// NumPy's ufunc API table (imports NumPy on first use).
pub fn ufunc_api(py: Python<'_>) -> PyResult<&'static UfuncApi> {
    API.get_or_try_init(py, || {
        let module = py.import("numpy._core._multiarray_umath")?;
        let capsule = module.getattr("_UFUNC_API")?.cast_into::<PyCapsule>()?;
        let table = capsule.pointer_checked(None)?.cast::<*const c_void>();
        // SAFETY: NumPy's ufunc API table is an array of at least 44 function pointers (NumPy
        // >= 2.0, which pyproject requires) that lives as long as the process.
        let slot = unsafe {
            *table
                .as_ptr()
                .add(SLOT_FROM_FUNC_AND_DATA_AND_SIGNATURE_AND_IDENTITY)
        };
        if slot.is_null() {
            return Err(PyRuntimeError::new_err(
                "NumPy's ufunc API has no PyUFunc_FromFuncAndDataAndSignatureAndIdentity",
            ));
        }
        // SAFETY: slot 42 has exactly this C signature in NumPy's `__ufunc_api.h` (1.16 to 2.x).
        let from_func = unsafe {
            std::mem::transmute::<*const c_void, FromFuncAndDataAndSignatureAndIdentity>(slot)
        };
        Ok(UfuncApi {
            from_func_and_data_and_signature_and_identity: from_func,
        })
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
    }

    #[test]
    fn identity_codes_round_trip() {
        for code in [-3, -2, -1, 0, 1] {
            assert_eq!(IdentityCode::from_raw(code).map(|c| c as i32), Some(code));
        }
        assert_eq!(IdentityCode::from_raw(2), None);
    }
}
