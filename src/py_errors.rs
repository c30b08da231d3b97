//! The one mapping from the compiler's `CompileError` to the `ufuncgen.errors` exceptions.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use ufuncgen::{CompileError, ErrorKind};

/// The Python class name in `ufuncgen.errors` for each kind of compile error.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Compile => "CompileError",
        ErrorKind::Typing => "TypingError",
        ErrorKind::Unsupported => "UnsupportedError",
        ErrorKind::Signature => "SignatureError",
    }
}

/// The Python exception for `err`: the fields travel as data (`message`, `function`,
/// `filename`, `lineno`, `col`, None when unknown, and `snippet`), and `ufuncgen.errors`
/// renders them as the error's Display does.
pub fn to_pyerr(py: Python<'_>, err: &CompileError) -> PyErr {
    match build(py, err) {
        Ok(exc) => exc,
        // The errors module itself failing to import is the more urgent problem to report.
        Err(import_failure) => import_failure,
    }
}

fn build(py: Python<'_>, err: &CompileError) -> PyResult<PyErr> {
    let class = py
        .import("ufuncgen.errors")?
        .getattr(class_name(err.kind))?;
    let known = |n: u32| (n > 0).then_some(n);
    let kwargs = PyDict::new(py);
    kwargs.set_item("function", &err.function)?;
    kwargs.set_item(
        "filename",
        (!err.filename.is_empty()).then_some(&err.filename),
    )?;
    kwargs.set_item("lineno", known(err.lineno))?;
    kwargs.set_item("col", known(err.col))?;
    kwargs.set_item("snippet", err.snippet())?;
    let exc = class.call((&err.message,), Some(&kwargs))?;
    Ok(PyErr::from_value(exc))
}
