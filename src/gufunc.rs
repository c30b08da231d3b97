//! `guvectorize`: compiles a kernel for every signature with its layout and registers the
//! generalized ufunc.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::contiguity;
use crate::kernel::{self, GlobalArg, SourceArg};
use crate::register::{self, LoopEntry, UfuncSpec};
use crate::{disk_cache, errors, identity_of, OptionsArg};

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
    let spec = kernel::kernel_spec(name, source, signatures, globals, options.fastmath)?;
    let mut warnings = Vec::new();
    let cache = disk_cache::open(
        options.cache_dir.as_deref(),
        options.cache_max_bytes,
        &mut warnings,
    );
    let (compiled, cache_warnings) = py
        .detach(|| {
            ufuncgen::compile_gufunc_cached(
                &spec,
                &layout,
                &writable_args,
                boundscheck,
                cache.as_ref(),
            )
        })
        .map_err(|e| errors::to_pyerr(py, &e))?;
    warnings.extend(cache_warnings);
    disk_cache::warn(py, &warnings)?;
    let mut loops: Vec<LoopEntry> = compiled
        .loops
        .iter()
        .map(|l| LoopEntry {
            checks: contiguity::signature_checks(&spec.name, &l.signature, &layout),
            ..LoopEntry::from(l)
        })
        .collect();
    if options.parallel {
        let axes = ufuncgen::layout_core_axes(&layout).map_err(PyValueError::new_err)?;
        let writes_inputs = !writable_args.is_empty();
        loops = loops
            .into_iter()
            .zip(&compiled.loops)
            .map(|(l, c)| crate::parallel::generalized(l, &axes, writes_inputs, c.split_anywhere))
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
    crate::core_dims::require_out_for_output_only_dims(&ufunc, &layout)?;
    Ok(ufunc)
}

/// NumPy's normalized form of a layout (what `ufunc.signature` shows).
#[pyfunction]
pub fn layout_signature(layout: &str) -> String {
    ufuncgen::layout_signature(layout)
}
