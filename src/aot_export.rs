//! The binding's side of `ufuncgen build`: loops as object files for one CPU level, the
//! descriptor's object, the runtime archive. Python (`_build.py`) writes and links them.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use ufuncgen::codegen::{self, Target};
use ufuncgen::{aot, cache::CachedLoop, Naming};

use crate::py_errors;
use crate::spec_args::{self, GlobalArg, SourceArg};
use crate::OptionsArg;

/// One loop of an AOT module for one CPU level, as `_build.py` links and describes it.
#[pyclass(frozen, get_all, module = "ufuncgen._native", name = "AotLoop")]
pub struct AotLoop {
    /// The signature as the user wrote it.
    signature: String,
    /// The loop's symbol in `object`.
    symbol: String,
    /// Input dtype characters (`"dd"`).
    inputs: String,
    /// Output dtype characters.
    outputs: String,
    /// The ELF object holding the loop.
    object: Py<PyBytes>,
    /// The inputs NumPy must pass read-write.
    read_write: Vec<usize>,
    /// Whether any split of its outer range gives the same bits (the parallel target's grain).
    split_anywhere: bool,
}

fn level(index: usize) -> PyResult<(&'static str, Target)> {
    aot::level_target(index).ok_or_else(|| PyValueError::new_err(format!("no CPU level {index}")))
}

fn to_python(py: Python<'_>, loops: Vec<CachedLoop>) -> Vec<AotLoop> {
    let chars = |s: &[ufuncgen::Scalar]| s.iter().map(|t| t.type_char()).collect::<String>();
    loops
        .into_iter()
        .map(|l| AotLoop {
            inputs: chars(&l.inputs),
            outputs: chars(&l.outputs),
            signature: l.signature,
            symbol: l.symbol,
            object: PyBytes::new(py, &l.object).unbind(),
            read_write: l.read_write_inputs,
            split_anywhere: l.split_anywhere,
        })
        .collect()
}

/// The loops of a `vectorize` recipe for CPU level `level_index` (see `ufuncgen::aot::LEVELS`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn aot_vectorize<'py>(
    py: Python<'py>,
    name: String,
    _doc: Option<String>,
    source: SourceArg,
    signatures: Vec<String>,
    globals: Vec<GlobalArg<'py>>,
    options: OptionsArg,
    level_index: usize,
) -> PyResult<Vec<AotLoop>> {
    let (tag, target) = level(level_index)?;
    let spec = spec_args::kernel_spec(name, source, signatures, globals, options.fastmath)?;
    let (loops, _) = py
        .detach(|| ufuncgen::vectorize_objects(&spec, None, &target, Naming::Level(tag)))
        .map_err(|e| py_errors::to_pyerr(py, &e))?;
    Ok(to_python(py, loops))
}

/// The loops of a `guvectorize` recipe for CPU level `level_index`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn aot_guvectorize<'py>(
    py: Python<'py>,
    name: String,
    _doc: Option<String>,
    source: SourceArg,
    signatures: Vec<String>,
    globals: Vec<GlobalArg<'py>>,
    options: OptionsArg,
    layout: String,
    writable_args: Vec<usize>,
    boundscheck: bool,
    level_index: usize,
) -> PyResult<Vec<AotLoop>> {
    let (tag, target) = level(level_index)?;
    let spec = spec_args::kernel_spec(name, source, signatures, globals, options.fastmath)?;
    let (loops, _) = py
        .detach(|| {
            ufuncgen::gufunc_objects(
                &spec,
                &layout,
                &writable_args,
                boundscheck,
                None,
                &target,
                Naming::Level(tag),
            )
        })
        .map_err(|e| py_errors::to_pyerr(py, &e))?;
    Ok(to_python(py, loops))
}

/// An object file for LLVM IR text (the module's descriptor and `PyInit_<name>`), baseline CPU.
#[pyfunction]
pub fn aot_object_from_ir<'py>(py: Python<'py>, llvm_ir: &str) -> PyResult<Bound<'py, PyBytes>> {
    let object = codegen::object_from_ir(llvm_ir, &Target::named(aot::LEVELS[0].1))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, &object))
}

/// The runtime archive every AOT module links.
#[pyfunction]
pub fn aot_runtime_archive(py: Python<'_>) -> Bound<'_, PyBytes> {
    PyBytes::new(py, aot::RUNTIME_ARCHIVE)
}

/// Per operand of a gufunc layout, its core axes' indices into the loop's `dimensions` (what
/// a parallel loop splits around).
#[pyfunction]
pub fn aot_core_axes(layout: &str) -> PyResult<Vec<Vec<usize>>> {
    ufuncgen::layout_core_axes(layout).map_err(PyValueError::new_err)
}

/// The contiguity promises (`[::1]`) of one gufunc signature, as data for a module's runtime
/// (see `contiguity::ContiguityCheck`): checked on every call, as the JIT checks them.
#[pyfunction]
pub fn aot_contiguity_checks(
    function: &str,
    signature: &str,
    layout: &str,
) -> Vec<crate::contiguity::CheckParts> {
    crate::contiguity::signature_checks(function, signature, layout)
        .iter()
        .map(|c| c.parts())
        .collect()
}
