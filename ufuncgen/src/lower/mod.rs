//! AST → typed IR: names resolved, types inferred (NEP 50), casts made explicit.

use crate::diag::{CompileError, ErrorKind};
use crate::ir;
use crate::spec::{KernelSpec, Signature};

/// Lowers the kernel in `spec` to typed IR for one signature.
pub fn lower_kernel(spec: &KernelSpec, sig: &Signature) -> Result<ir::Function, CompileError> {
    let _ = sig;
    Err(CompileError::general(
        ErrorKind::Compile,
        "front end not built yet",
        &spec.name,
        &spec.source,
    ))
}
