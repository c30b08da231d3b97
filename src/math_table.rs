//! The compiler's table of math functions (`ufuncgen::math_functions`) as Python records, so
//! the accuracy tests iterate the functions the compiler declares instead of a list of their own.

use pyo3::prelude::*;

use ufuncgen::math_functions::{Complex, MathFunction, MATH_FUNCTIONS};

/// One declared math function.
#[pyclass(frozen, get_all, module = "ufuncgen._native", name = "MathFunction")]
pub struct MathFunctionRecord {
    /// The name in docs, tests and svml-shim's entries (`exp`).
    name: String,
    /// Number of arguments.
    arity: usize,
    /// `math.<name>` spellings.
    math: Vec<String>,
    /// `numpy.<name>` spellings, NumPy's ufunc name first.
    numpy: Vec<String>,
    /// `cmath.<name>` spellings.
    cmath: Vec<String>,
    /// Takes complex arguments (in its NumPy and cmath spellings).
    complex: bool,
    /// svml-shim has vector entries for it (`ufg_<name>_f64x8`, ...).
    vector: bool,
    /// The accuracy bound of the vector entries, ULPs for (float64, float32).
    max_ulp: Option<(u32, u32)>,
}

#[pymethods]
impl MathFunctionRecord {
    fn __repr__(&self) -> String {
        format!("MathFunction({:?}, arity={})", self.name, self.arity)
    }
}

impl From<&MathFunction> for MathFunctionRecord {
    fn from(f: &MathFunction) -> Self {
        let names = |s: &[&str]| s.iter().map(|n| n.to_string()).collect();
        MathFunctionRecord {
            name: f.name.to_string(),
            arity: f.arity,
            math: names(f.spellings.math),
            numpy: names(f.spellings.numpy),
            cmath: names(f.spellings.cmath),
            complex: f.complex != Complex::No,
            vector: f.vector,
            max_ulp: f.max_ulp,
        }
    }
}

/// Every math function of the compiler's table, in table order.
#[pyfunction]
pub fn math_functions() -> Vec<MathFunctionRecord> {
    MATH_FUNCTIONS
        .iter()
        .map(MathFunctionRecord::from)
        .collect()
}
