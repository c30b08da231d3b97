//! The owner of a ufunc's compiled code: an [`UfuncOwner`] in `ufunc->obj` keeps the loop
//! tables NumPy points into (NumPy stores, does not copy, the `functions`, `data`, `types`,
//! `name` and `doc` pointers), the ArrayMethod loops and the JIT code alive; NumPy decrefs it
//! when the ufunc dies. (A lazy ufunc's owner is `lazy::LazyOwner`.)

use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;

use ufuncgen::runtime::parallel::ParallelLoop;
use ufuncgen::CompiledUfunc;

use crate::array_method::{LoopOwner, SpecLoop};
use crate::numpy_api::{owner_object, GenericFunction};

/// The C arrays and strings NumPy points into.
pub struct Tables {
    pub functions: Box<[GenericFunction]>,
    pub data: Box<[*mut c_void]>,
    pub types: Box<[c_char]>,
    pub name: CString,
    pub doc: Option<CString>,
    pub signature: Option<CString>,
    /// What the `data` pointers point at.
    pub loop_data: Vec<Arc<ParallelLoop>>,
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
    /// The loops NumPy runs, one per entry of `tables`, in the same order.
    spec_loops: Box<[SpecLoop]>,
    /// `None` for the built-in test loops, which need no JIT code.
    compiled: Option<CompiledUfunc>,
}

impl UfuncOwner {
    /// The owner of a new ufunc's `tables`, `spec_loops` (one per table entry, in order) and
    /// `compiled` code (`None` for the built-in test loops).
    pub fn new(
        py: Python<'_>,
        tables: Tables,
        spec_loops: Box<[SpecLoop]>,
        compiled: Option<CompiledUfunc>,
    ) -> PyResult<Bound<'_, UfuncOwner>> {
        LIVE_OWNERS.fetch_add(1, Ordering::Relaxed);
        Bound::new(
            py,
            UfuncOwner {
                tables,
                spec_loops,
                compiled,
            },
        )
    }

    /// The tables NumPy points into.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The compiled loops (empty for test ufuncs): signature text and optimized IR.
    pub fn compiled(&self) -> Option<&CompiledUfunc> {
        self.compiled.as_ref()
    }

    /// The ArrayMethod loops, in signature order.
    pub fn spec_loops(&self) -> &[SpecLoop] {
        &self.spec_loops
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

impl LoopOwner for UfuncOwner {
    fn find_spec_loop(&self, fits: &dyn Fn(&SpecLoop) -> bool) -> Option<*const SpecLoop> {
        self.spec_loops
            .iter()
            .find(|lp| fits(lp))
            .map(|lp| lp as *const SpecLoop)
    }
}

/// The owner of a ufunc we created, or None for any other ufunc.
pub fn owner_of<'py>(ufunc: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, UfuncOwner>>> {
    Ok(owner_object(ufunc)?.and_then(|obj| obj.cast_into::<UfuncOwner>().ok()))
}
