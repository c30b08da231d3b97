//! Typed IR → LLVM: the scalar kernel, the NumPy loop around it, optimization, object emission.

use crate::ir;
use crate::spec::Options;

/// The CPU that code is generated for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// LLVM CPU name (`"znver4"`, `"x86-64-v3"`, ...).
    pub cpu: String,
    /// LLVM feature string (`"+avx2,+fma,..."`).
    pub features: String,
}

impl Target {
    /// The machine we run on.
    pub fn host() -> Target {
        Target {
            cpu: String::new(),
            features: String::new(),
        }
    }
}

/// One loop compiled to an object file.
pub struct LoopCode {
    /// The loop's exported symbol.
    pub symbol: String,
    /// ELF object code.
    pub object: Vec<u8>,
    /// Optimized LLVM IR, as text.
    pub llvm_ir: String,
}

/// The deterministic symbol name `ufg.<name>.<typechars>.loop` (`unique` keeps JIT names apart).
pub fn loop_symbol(kernel: &str, func: &ir::Function, unique: Option<u64>) -> String {
    let chars: String = (0..func.params as usize)
        .map(|i| func.locals[i].ty.type_char())
        .chain(std::iter::once(func.ret.type_char()))
        .collect();
    match unique {
        Some(u) => format!("ufg.{kernel}.{chars}.{u}.loop"),
        None => format!("ufg.{kernel}.{chars}.loop"),
    }
}

/// Compiles one typed function into a NumPy inner loop, optimized for `target`.
pub fn compile_loop(
    func: &ir::Function,
    symbol: &str,
    opts: Options,
    target: &Target,
) -> Result<LoopCode, String> {
    let _ = (func, symbol, opts, target);
    Err("code generation not built yet".into())
}

/// Assembly text for a module given as LLVM IR text (for `inspect_asm`).
pub fn asm_from_ir(llvm_ir: &str, target: &Target) -> Result<String, String> {
    let _ = (llvm_ir, target);
    Err("code generation not built yet".into())
}
