//! Parsing of Numba-style signature strings (never `eval`).
//! (Filled in by the front-end work; the public shape below is the contract.)

use crate::types::Scalar;

/// One argument type in a signature. Arrays come with `guvectorize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgType {
    Scalar(Scalar),
}

/// A parsed `vectorize` signature: `"float64(float64, float64)"`, `"f8(f8,f8)"`, `"(f4, f4)"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// `None` when the string gave no return type (it is then inferred from the kernel).
    pub ret: Option<Scalar>,
    pub args: Vec<ArgType>,
}

impl Signature {
    /// Parses one signature string; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Signature, String> {
        Err(format!("signature parser not built yet: {text}"))
    }
}
