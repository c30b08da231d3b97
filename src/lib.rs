//! The Python extension `ufuncgen._native`: converts errors, registers ufuncs, owns lifetimes.

use pyo3::prelude::*;

#[pymodule]
fn _native(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
