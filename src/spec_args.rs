//! Converts what `ufuncgen._source` collected about a kernel into the compiler's `KernelSpec`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyComplex, PyFloat, PyInt};

use ufuncgen::ir::Const;
use ufuncgen::{FunctionSpec, GlobalValue, KernelSpec, ModuleKind, Options, Scalar, SourceMap};

/// A kernel's located source: `_records.KernelSource`, read by attribute.
#[derive(FromPyObject)]
pub struct SourceArg {
    text: String,
    filename: String,
    first_line: u32,
    col_offset: u32,
}

/// One frozen global: `_records.FrozenGlobal`, read by attribute.
#[derive(FromPyObject)]
pub struct GlobalArg<'py> {
    name: String,
    kind: String,
    payload: Bound<'py, PyAny>,
    dtype: Option<String>,
}

/// A lazy kernel's source and globals at its first compilation: `_records.KernelParts`.
#[derive(FromPyObject)]
pub struct KernelPartsArg<'py> {
    pub source: SourceArg,
    pub globals: Vec<GlobalArg<'py>>,
}

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
    SourceMap {
        source: source.text,
        filename: source.filename,
        first_line: source.first_line,
        col_offset: source.col_offset,
    }
}

fn convert_globals(globals: Vec<GlobalArg<'_>>) -> PyResult<Vec<(String, GlobalValue)>> {
    globals
        .into_iter()
        .map(|g| {
            let value = global_value(&g.kind, &g.payload, g.dtype.as_deref())?;
            Ok((g.name, value))
        })
        .collect()
}

/// A kernel-language function the kernel calls: `_records.FunctionPayload`. `signatures` are
/// an `njit` helper's or a ufuncgen ufunc's (called on scalars); empty: typed by call sites.
#[derive(FromPyObject)]
struct FunctionArg<'py> {
    name: String,
    source: SourceArg,
    globals: Vec<GlobalArg<'py>>,
    signatures: Vec<String>,
}

/// A module-level array: `_records.ArrayPayload` (dtype name, shape, C-order native bytes).
#[derive(FromPyObject)]
struct ArrayArg {
    dtype: String,
    shape: Vec<u64>,
    data: Vec<u8>,
}

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
            let f: FunctionArg = payload.extract()?;
            // A signature the kernel language cannot read (a Numba tuple return type, say)
            // leaves the function typed by its call sites, as if it had none.
            let signatures = f
                .signatures
                .iter()
                .filter_map(|s| ufuncgen::Signature::parse(s).ok())
                .collect();
            GlobalValue::Function(Box::new(FunctionSpec {
                name: f.name,
                source: source_map(f.source),
                globals: convert_globals(f.globals)?,
                signatures,
            }))
        }
        "array" => {
            let a: ArrayArg = payload.extract()?;
            match Scalar::from_name(&a.dtype) {
                Some(dtype) => GlobalValue::Array {
                    dtype,
                    shape: a.shape,
                    data: a.data,
                },
                None => GlobalValue::Other(format!("numpy array of {}", a.dtype)),
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
