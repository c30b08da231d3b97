//! `guvectorize`: compiles a kernel for every signature with its layout and registers the
//! generalized ufunc.

use std::collections::BTreeSet;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::contiguity;
use crate::register::{self, LoopEntry, UfuncSpec};
use crate::spec_args::{self, GlobalArg, SourceArg};
use crate::{disk_cache, identity_of, numpy_api, OptionsArg};

/// Compiles a `guvectorize` kernel and returns the gufunc (a `numpy.ufunc` with a signature).
/// `writable_args` are parameter indices, already resolved from names by the decorator.
#[pyfunction]
#[allow(clippy::too_many_arguments)] // the decorator's arguments, passed through one by one
pub fn compile_guvectorize<'py>(
    py: Python<'py>,
    name: String,
    doc: Option<String>,
    source: SourceArg,
    signatures: Vec<String>,
    globals: Vec<GlobalArg<'py>>,
    options: OptionsArg,
    layout: String,
    writable_args: Vec<usize>,
    boundscheck: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let identity = identity_of(&options, py)?;
    let spec = spec_args::kernel_spec(name, source, signatures, globals, options.fastmath)?;
    let compiled = disk_cache::compile_cached(
        py,
        options.cache_dir.as_deref(),
        options.cache_max_bytes,
        |cache| ufuncgen::compile_gufunc_cached(&spec, &layout, &writable_args, boundscheck, cache),
    )?;
    let mut loops: Vec<LoopEntry> = compiled
        .loops
        .iter()
        .map(|l| LoopEntry {
            checks: contiguity::signature_checks(&spec.name, &l.signature, &layout),
            ..LoopEntry::from(l)
        })
        .collect();
    let read_write: BTreeSet<usize> = compiled
        .loops
        .iter()
        .flat_map(|l| l.read_write_inputs.iter().copied())
        .collect();
    if options.parallel {
        let axes = ufuncgen::layout_core_axes(&layout).map_err(PyValueError::new_err)?;
        let writes_inputs = !read_write.is_empty();
        loops = loops
            .into_iter()
            .zip(&compiled.loops)
            .map(|(l, c)| {
                crate::parallel_loop::generalized(l, &axes, writes_inputs, c.split_anywhere)
            })
            .collect::<PyResult<_>>()?;
    }
    let (nin, nout) = loops
        .first()
        .map_or((0, 0), |l| (l.inputs.len(), l.outputs.len()));
    let signature = ufuncgen::layout_signature(&layout);
    let shape = UfuncSpec {
        name: &spec.name,
        doc: doc.as_deref(),
        nin,
        nout,
        signature: Some(&signature),
        identity: &identity,
    };
    let ufunc = register::create_ufunc(py, &shape, &loops, Some(compiled))?;
    mark_read_write(&ufunc, &signature, &read_write)?;
    crate::core_dims::require_out_for_output_only_dims(&ufunc, &layout)?;
    Ok(ufunc)
}

/// Makes NumPy pass `inputs` read-write (`ufunc->op_flags`): a cast or unaligned copy is
/// written back to the caller's array, and a read-only array is refused by NumPy itself.
fn mark_read_write(
    ufunc: &Bound<'_, PyAny>,
    signature: &str,
    inputs: &BTreeSet<usize>,
) -> PyResult<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    let head_ptr = numpy_api::ufunc_head(ufunc)?;
    // SAFETY: the ufunc is alive and its head was type-checked.
    let head = unsafe { head_ptr.as_ref() };
    // The fields before `obj` were verified when the ufunc was created; NumPy's own copy of
    // the layout proves the offsets up to `core_signature`, and `op_flags` starts zeroed.
    // SAFETY: a non-null `core_signature` is NumPy's NUL-terminated copy of the layout.
    let same_layout = head.core_enabled == 1
        && !head.core_signature.is_null()
        && unsafe { std::ffi::CStr::from_ptr(head.core_signature) }.to_bytes()
            == signature.as_bytes()
        && !head.op_flags.is_null()
        && head.iter_flags == 0;
    let nin = usize::try_from(head.nin).unwrap_or(0);
    if !same_layout || inputs.iter().any(|&i| i >= nin) {
        return Err(PyRuntimeError::new_err(
            "this NumPy's PyUFuncObject layout is not the one ufuncgen was built for",
        ));
    }
    for &i in inputs {
        // SAFETY: NumPy allocated `nargs` flags and `i < nin <= nargs`; the ufunc is new and
        // not yet shared.
        unsafe {
            *head.op_flags.add(i) |=
                numpy_api::NPY_ITER_READWRITE | numpy_api::NPY_ITER_UPDATEIFCOPY
        };
    }
    Ok(())
}

/// NumPy's normalized form of a layout (what `ufunc.signature` shows).
#[pyfunction]
pub fn layout_signature(layout: &str) -> String {
    ufuncgen::layout_signature(layout)
}
