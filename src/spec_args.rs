//! Converts what `ufuncgen._source` collected about a kernel into the compiler's `KernelSpec`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyComplex, PyFloat, PyInt};

use ufuncgen::ir::Const;
use ufuncgen::{FunctionSpec, GlobalValue, KernelSpec, ModuleKind, Options, Scalar, SourceMap};

/// `(source, filename, first_line, col_offset)` as `_source.kernel_source` returns it.
#[derive(FromPyObject)]
pub struct SourceArg(String, String, u32, u32);

/// One global as `_source.collect_globals` classifies it: `(name, kind, payload, dtype)`.
#[derive(FromPyObject)]
pub struct GlobalArg<'py>(String, String, Bound<'py, PyAny>, Option<String>);

/// Builds the spec the compiler takes; fails only on a malformed record from our own package.
pub fn kernel_spec(
    name: String,
    source: SourceArg,
    signatures: Vec<String>,
    globals: Vec<GlobalArg<'_>>,
    fastmath: bool,
) -> PyResult<KernelSpec> {
    Ok(KernelSpec {
        name,
        source: source_map(source),
        signatures,
        globals: convert_globals(globals)?,
        options: Options { fastmath },
    })
}

fn source_map(source: SourceArg) -> SourceMap {
    let SourceArg(source, filename, first_line, col_offset) = source;
    SourceMap {
        source,
        filename,
        first_line,
        col_offset,
    }
}

fn convert_globals(globals: Vec<GlobalArg<'_>>) -> PyResult<Vec<(String, GlobalValue)>> {
    globals
        .into_iter()
        .map(|GlobalArg(name, kind, payload, dtype)| {
            let value = global_value(&kind, &payload, dtype.as_deref())?;
            Ok((name, value))
        })
        .collect()
}

/// `(name, source, globals)` of a kernel-language function the kernel calls.
#[derive(FromPyObject)]
struct FunctionArg<'py>(String, SourceArg, Vec<GlobalArg<'py>>);

/// `(name, source, globals, signatures)` of a function with explicit signatures: an `njit`
/// helper given one, or a ufuncgen ufunc called on scalars.
#[derive(FromPyObject)]
struct TypedFunctionArg<'py>(String, SourceArg, Vec<GlobalArg<'py>>, Vec<String>);

/// `(dtype name, shape, C-order native bytes)` of a module-level array.
#[derive(FromPyObject)]
struct ArrayArg(String, Vec<u64>, Vec<u8>);

fn global_value(
    kind: &str,
    payload: &Bound<'_, PyAny>,
    dtype: Option<&str>,
) -> PyResult<GlobalValue> {
    Ok(match kind {
        "module" => GlobalValue::Module(match payload.extract::<String>()?.as_str() {
            "math" => ModuleKind::Math,
            "cmath" => ModuleKind::Cmath,
            "numba" => ModuleKind::Numba,
            "numpy" => ModuleKind::Numpy,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown module kind {other:?}"
                )))
            }
        }),
        "const" => constant(payload, dtype)?,
        "callable" => GlobalValue::Callable(payload.extract()?),
        "function" => {
            let FunctionArg(name, source, globals) = payload.extract()?;
            GlobalValue::Function(Box::new(FunctionSpec {
                name,
                source: source_map(source),
                globals: convert_globals(globals)?,
                signatures: Vec::new(),
            }))
        }
        "typed_function" => {
            let TypedFunctionArg(name, source, globals, sigs) = payload.extract()?;
            // A signature the kernel language cannot read (a Numba tuple return type, say)
            // leaves the function typed by its call sites, as if it had none.
            let signatures = sigs
                .iter()
                .filter_map(|s| ufuncgen::Signature::parse(s).ok())
                .collect();
            GlobalValue::Function(Box::new(FunctionSpec {
                name,
                source: source_map(source),
                globals: convert_globals(globals)?,
                signatures,
            }))
        }
        "array" => {
            let ArrayArg(dtype, shape, data) = payload.extract()?;
            match Scalar::from_name(&dtype) {
                Some(dtype) => GlobalValue::Array { dtype, shape, data },
                None => GlobalValue::Other(format!("numpy array of {dtype}")),
            }
        }
        "other" => GlobalValue::Other(payload.extract()?),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown global kind {other:?}"
            )))
        }
    })
}

/// A numeric constant; values the kernel language cannot hold become `Other` so the compiler
/// reports them where they are used.
fn constant(value: &Bound<'_, PyAny>, dtype: Option<&str>) -> PyResult<GlobalValue> {
    let dtype = match dtype {
        None => None,
        Some(name) => match Scalar::from_name(name) {
            Some(s) => Some(s),
            None => return Ok(GlobalValue::Other(format!("numpy.{name}"))),
        },
    };
    let value = if value.is_instance_of::<PyBool>() {
        Const::Bool(value.extract()?)
    } else if value.is_instance_of::<PyInt>() {
        match value.extract::<i128>() {
            Ok(i) => Const::Int(i),
            Err(_) => return Ok(GlobalValue::Other("int (too large)".into())),
        }
    } else if value.is_instance_of::<PyFloat>() {
        Const::Float(value.extract()?)
    } else if let Ok(c) = value.cast::<PyComplex>() {
        Const::Complex(c.real(), c.imag())
    } else {
        return Ok(GlobalValue::Other(value.get_type().name()?.to_string()));
    };
    Ok(GlobalValue::Const { value, dtype })
}
