//! What the Python side hands the compiler: a kernel's source, the values of the names it
//! reads from outside, its signatures and options. Nothing here is Python-specific code.

pub mod gufunc;
pub mod layout;
pub mod signature;

use crate::diag::SourceMap;
use crate::ir::Const;
use crate::types::Scalar;

pub use signature::{ArgType, ArrayType, Contiguity, Signature};

/// Python modules a kernel may reference by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    Math,
    Cmath,
    Numpy,
}

/// The value of a global or closure variable a kernel reads, frozen at compile time.
#[derive(Debug, Clone, PartialEq)]
pub enum GlobalValue {
    /// `import math` / `import numpy as np` / `import cmath`.
    Module(ModuleKind),
    /// A numeric constant. `dtype: None` is a Python scalar (weak under NEP 50: bool, int, float,
    /// complex, typed by its `Const` variant); `Some(t)` a NumPy scalar of dtype `t`.
    Const { value: Const, dtype: Option<Scalar> },
    /// A known callable, by qualified name: `"math.exp"`, `"numpy.arcsin"`, `"cmath.sqrt"`,
    /// `"builtins.abs"`, `"numpy.float32"` (the scalar type used as a cast).
    Callable(String),
    /// A module-level NumPy array, frozen: dtype, shape and elements (C order, native bytes).
    Array {
        dtype: Scalar,
        shape: Vec<u64>,
        data: Vec<u8>,
    },
    /// A plain Python function written in the kernel language, called by the kernel.
    Function(Box<FunctionSpec>),
    /// Anything else; the string names its Python type for the error message.
    Other(String),
}

/// A function a kernel calls: its source and the names it reads, like a `KernelSpec` without
/// signatures (it is typed by each call site's arguments).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    /// Its Python name.
    pub name: String,
    /// Its source (a dedented `def`), in its own file.
    pub source: SourceMap,
    /// Names it reads from its own globals or closure (callees of its own included).
    pub globals: Vec<(String, GlobalValue)>,
    /// Explicit signatures (an `njit` signature, or the loops of a ufuncgen ufunc called on
    /// scalars): a call converts its arguments to the first one they reach as NumPy picks a
    /// loop, and the result to its return type. Empty: typed by each call's arguments.
    pub signatures: Vec<Signature>,
}

/// Options that change code generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Options {
    /// Allow LLVM fast-math flags and FMA contraction.
    pub fastmath: bool,
}

/// Everything needed to compile one decorated kernel.
#[derive(Debug, Clone)]
pub struct KernelSpec {
    /// The kernel's Python name (`__name__`; `"<lambda>"` for lambdas).
    pub name: String,
    /// The source: a dedented `def` (decorators allowed, and ignored) or a `lambda` expression.
    pub source: SourceMap,
    /// Signature strings exactly as the user wrote them, in order.
    pub signatures: Vec<String>,
    /// Names the kernel reads from its globals or closure, with their frozen values.
    pub globals: Vec<(String, GlobalValue)>,
    pub options: Options,
}

impl KernelSpec {
    /// The frozen value of a global or closure name, if the Python side provided one.
    pub fn global(&self, name: &str) -> Option<&GlobalValue> {
        self.globals.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

#[cfg(test)]
impl KernelSpec {
    /// The unit tests' kernel: `k` from `source` (file `k.py`, line 1), which may use `math`,
    /// with no signatures and default options.
    pub(crate) fn for_tests(source: &str) -> KernelSpec {
        KernelSpec {
            name: "k".into(),
            source: crate::diag::SourceMap {
                source: source.into(),
                filename: "k.py".into(),
                first_line: 1,
                col_offset: 0,
            },
            signatures: Vec::new(),
            globals: vec![("math".into(), GlobalValue::Module(ModuleKind::Math))],
            options: Options::default(),
        }
    }
}
