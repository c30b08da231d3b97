//! The Python extension `ufuncgen._native`: converts errors, registers ufuncs, owns lifetimes.
//!
//! Everything here is glue: the compiler crate does the work. The main files, bottom to top
//! (each uses only files above it; `scripts/check_module_cycles.py` keeps the graph acyclic):
//!
//! | file | job |
//! |---|---|
//! | `numpy_api.rs` | NumPy's C API and the struct prefixes we read and write |
//! | `contiguity.rs` | run-time checks of the contiguity a signature's `::1` promises |
//! | `array_method.rs` | every loop registered as an ArrayMethod, so it can raise |
//! | `owner.rs` | `ufunc->obj`: the owner that keeps a ufunc's tables and JIT code alive |
//! | `register.rs` | creates the `numpy.ufunc` from loops and attaches its owner |
//! | `spec_args.rs` | what the Python side collected → the compiler's `KernelSpec` |
//! | this file, `guvectorize.rs`, `lazy_ufunc.rs`, `aot_export.rs` | `vectorize`, `guvectorize`, lazy ufuncs, AOT loops |
//!
//! Beside them: `py_errors.rs` (`CompileError` → `ufuncgen.errors`), `disk_cache.rs`
//! (`cache=True`), `parallel_loop.rs` (`target="parallel"`), `core_dims.rs` (output-only core
//! dimensions need `out=`), `lazy_promote.rs` (the promoters that keep a lazy ufunc's
//! signature loops from answering calls without one), `testing.rs` (hand-written loops for the
//! tests).

mod aot_export;
mod array_method;
mod contiguity;
mod core_dims;
mod disk_cache;
mod guvectorize;
mod lazy_promote;
mod lazy_ufunc;
mod math_table;
mod numpy_api;
mod owner;
mod parallel_loop;
mod py_errors;
mod register;
mod spec_args;
mod testing;

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::numpy_api::IdentityCode;
use crate::owner::UfuncOwner;
use crate::register::{Identity, LoopEntry, UfuncSpec};
use crate::spec_args::{GlobalArg, SourceArg};

/// Decorator options: `_records.CompileOptions` (a TypedDict, read by key).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct OptionsArg {
    pub(crate) fastmath: bool,
    /// NumPy's identity code (`PyUFunc_Zero`, ...), already validated by the decorator.
    identity: i32,
    identity_value: Option<Py<PyAny>>,
    /// `target="parallel"`: loops split the outer dimension across threads.
    #[pyo3(default)]
    pub(crate) parallel: bool,
    /// `cache=True`: the cache directory the decorator settled on, and its size cap.
    #[pyo3(default)]
    pub(crate) cache_dir: Option<String>,
    #[pyo3(default)]
    pub(crate) cache_max_bytes: Option<u64>,
}

pub(crate) fn identity_of(options: &OptionsArg, py: Python<'_>) -> PyResult<Identity> {
    let code = IdentityCode::from_raw(options.identity)
        .ok_or_else(|| PyValueError::new_err(format!("bad identity code {}", options.identity)))?;
    Ok(Identity {
        code,
        value: options.identity_value.as_ref().map(|v| v.clone_ref(py)),
    })
}

/// Compiles a `vectorize` kernel for every signature and returns the `numpy.ufunc`.
#[pyfunction]
fn compile_vectorize<'py>(
    py: Python<'py>,
    name: String,
    doc: Option<String>,
    source: SourceArg,
    signatures: Vec<String>,
    globals: Vec<GlobalArg<'py>>,
    options: OptionsArg,
) -> PyResult<Bound<'py, PyAny>> {
    let identity = identity_of(&options, py)?;
    let spec = spec_args::kernel_spec(name, source, signatures, globals, options.fastmath)?;
    let compiled = disk_cache::compile_cached(
        py,
        options.cache_dir.as_deref(),
        options.cache_max_bytes,
        |cache| ufuncgen::compile_ufunc_cached(&spec, cache),
    )?;
    let mut loops: Vec<LoopEntry> = compiled.loops.iter().map(LoopEntry::from).collect();
    if options.parallel {
        loops = loops.into_iter().map(parallel_loop::elementwise).collect();
    }
    let nin = loops.first().map_or(0, |l| l.inputs.len());
    let shape = UfuncSpec {
        name: &spec.name,
        doc: doc.as_deref(),
        nin,
        nout: 1,
        signature: None,
        identity: &identity,
    };
    register::create_ufunc(py, &shape, &loops, Some(compiled))
}

fn our_owner<'py>(ufunc: &Bound<'py, PyAny>) -> PyResult<Bound<'py, UfuncOwner>> {
    owner::owner_of(ufunc)?.ok_or_else(|| {
        PyTypeError::new_err("inspection needs a ufunc created by ufuncgen, not a NumPy one")
    })
}

/// Signature text → optimized LLVM IR, in signature order.
fn loop_ir(ufunc: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    if let Some(loops) = lazy_ufunc::loop_ir(ufunc)? {
        return Ok(loops);
    }
    let owner = our_owner(ufunc)?;
    Ok(owner
        .get()
        .compiled()
        .map(|c| {
            c.loops
                .iter()
                .map(|l| (l.signature.clone(), l.llvm_ir.clone()))
                .collect()
        })
        .unwrap_or_default())
}

/// `{signature: optimized LLVM IR}` of a ufunc made by ufuncgen.
#[pyfunction]
fn inspect_llvm<'py>(ufunc: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(ufunc.py());
    for (sig, ir) in loop_ir(ufunc)? {
        out.set_item(sig, ir)?;
    }
    Ok(out)
}

/// `{signature: assembly for the host CPU}` of a ufunc made by ufuncgen.
#[pyfunction]
fn inspect_asm<'py>(ufunc: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = ufunc.py();
    let irs = loop_ir(ufunc)?;
    let asm = py
        .detach(|| {
            let target = ufuncgen::codegen::Target::host();
            irs.into_iter()
                .map(|(sig, ir)| {
                    Ok((
                        sig,
                        ufuncgen::codegen::asm_from_ir(&ir, &target).map_err(|e| e.to_string())?,
                    ))
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .map_err(PyRuntimeError::new_err)?;
    let out = PyDict::new(py);
    for (sig, text) in asm {
        out.set_item(sig, text)?;
    }
    Ok(out)
}

/// `(llvm_version, cpu_name, cpu_features)` for `ufuncgen.config()`.
#[pyfunction]
fn host_info(py: Python<'_>) -> (String, String, Vec<String>) {
    let info = py.detach(ufuncgen::codegen::host_info);
    (info.llvm_version, info.cpu_name, info.cpu_features)
}

/// Binds the vector-math entry points (first call wins; later calls report that binding):
/// `candidates` are extra places to look for SVML. Returns `(library, svml_path)`.
#[pyfunction]
fn init_vector_math(
    py: Python<'_>,
    candidates: Vec<std::path::PathBuf>,
) -> (&'static str, Option<String>) {
    let state =
        py.detach(|| ufuncgen::vecmath::init(&ufuncgen::vecmath::Settings::from_env(candidates)));
    (
        state.tier.name(),
        state
            .svml_path
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
    )
}

/// A ufunc with hand-written `dd->d` and `ff->f` add loops (tests registration and lifetimes).
#[pyfunction]
#[pyo3(signature = (name, doc, identity, identity_value=None))]
fn _test_ufunc<'py>(
    py: Python<'py>,
    name: &str,
    doc: Option<&str>,
    identity: i32,
    identity_value: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = OptionsArg {
        fastmath: false,
        identity,
        identity_value,
        parallel: false,
        cache_dir: None,
        cache_max_bytes: None,
    };
    let identity = identity_of(&options, py)?;
    let shape = UfuncSpec {
        name,
        doc,
        nin: 2,
        nout: 1,
        signature: None,
        identity: &identity,
    };
    register::create_ufunc(py, &shape, &testing::add_loops(), None)
}

/// A `d->d` ufunc whose loop records the run-time error of kind `-x` for a negative input `x`.
#[pyfunction]
fn _test_raising_ufunc(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let identity = Identity {
        code: IdentityCode::None,
        value: None,
    };
    let shape = UfuncSpec {
        name: "raising",
        doc: None,
        nin: 1,
        nout: 1,
        signature: None,
        identity: &identity,
    };
    register::create_ufunc(py, &shape, &testing::raising_loops(), None)
}

/// How many ufuncs created by this module are alive.
#[pyfunction]
fn _live_ufuncs() -> usize {
    owner::live_owners() + lazy_ufunc::live_owners()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The package's one version: Cargo.toml's, which maturin also writes into the wheel.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(compile_vectorize, m)?)?;
    m.add_function(wrap_pyfunction!(inspect_llvm, m)?)?;
    m.add_function(wrap_pyfunction!(inspect_asm, m)?)?;
    m.add_function(wrap_pyfunction!(disk_cache::cache_list, m)?)?;
    m.add_function(wrap_pyfunction!(disk_cache::cache_clear, m)?)?;
    m.add_function(wrap_pyfunction!(disk_cache::_loops_compiled, m)?)?;
    m.add_function(wrap_pyfunction!(host_info, m)?)?;
    m.add_function(wrap_pyfunction!(init_vector_math, m)?)?;
    m.add_function(wrap_pyfunction!(guvectorize::compile_guvectorize, m)?)?;
    m.add_function(wrap_pyfunction!(lazy_ufunc::create_lazy_ufunc, m)?)?;
    m.add_function(wrap_pyfunction!(lazy_ufunc::_lazy_compilations, m)?)?;
    m.add_function(wrap_pyfunction!(guvectorize::layout_signature, m)?)?;
    m.add_function(wrap_pyfunction!(_test_ufunc, m)?)?;
    m.add_function(wrap_pyfunction!(_test_raising_ufunc, m)?)?;
    m.add_function(wrap_pyfunction!(_live_ufuncs, m)?)?;
    m.add_function(wrap_pyfunction!(parallel_loop::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(parallel_loop::get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(parallel_loop::requested_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(parallel_loop::_parallel_stats, m)?)?;
    m.add_function(wrap_pyfunction!(parallel_loop::_force_chunking, m)?)?;
    m.add_function(wrap_pyfunction!(aot_export::aot_vectorize, m)?)?;
    m.add_function(wrap_pyfunction!(aot_export::aot_guvectorize, m)?)?;
    m.add_function(wrap_pyfunction!(aot_export::aot_object_from_ir, m)?)?;
    m.add_function(wrap_pyfunction!(aot_export::aot_runtime_archive, m)?)?;
    m.add_function(wrap_pyfunction!(aot_export::aot_core_axes, m)?)?;
    m.add_function(wrap_pyfunction!(aot_export::aot_contiguity_checks, m)?)?;
    m.add_function(wrap_pyfunction!(math_table::math_functions, m)?)?;
    m.add_class::<math_table::MathFunctionRecord>()?;
    m.add_class::<aot_export::AotLoop>()?;
    m.add_class::<UfuncOwner>()?;
    m.add_class::<lazy_ufunc::LazyOwner>()?;
    Ok(())
}
