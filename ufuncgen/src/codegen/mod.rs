//! Typed IR → LLVM: the scalar kernel, the NumPy loop around it, optimization, object emission.
//!
//! `kernel` lowers an `ir::Function` (with `arith`, `cast`, `array` and `math` for the
//! operations), `loops` or `gufunc_loop` wraps it in the NumPy inner-loop ABI (`loop_abi`),
//! `target` knows the CPU; this module runs the O3 pipeline and emits an object file (the JIT
//! loads it; an ahead-of-time build links it into an extension module).
//!
//! Where to change what:
//!
//! | concern | file |
//! |---|---|
//! | one IR statement or expression → LLVM (`for_range`, `stmt`, callees, run-time errors) | `kernel.rs` |
//! | integer/float/complex operators and comparisons, NumPy's exact semantics and FP flags | `arith.rs` |
//! | FP operations on conditional paths: no flags from branches not taken | `guard.rs` |
//! | dtype conversions (`astype` semantics) | `cast.rs` |
//! | math functions: intrinsic, libm or vector library per dtype and tier | `math.rs`, `vector_abi.rs` |
//! | array element addresses, bounds checks, slicing, local arrays | `array_access.rs` |
//! | the `vectorize` loop: contiguous fast path, strided path, aliasing check | `loops.rs` |
//! | the `guvectorize` loop: core dimensions and steps | `gufunc_loop.rs` |
//! | what both loops share: NumPy's loop signature, the failure flag, FP-flag helper names | `loop_abi.rs` |
//! | LLVM types of dtypes, ABI conversions, the array value type, frozen tables | `value.rs` |
//! | CPU, features, target machine | `target.rs` |
//! | compile-time guards for big kernels: inlining, vectorizing, unrolling limits | `size_limits.rs` |

mod arith;
mod array_access;
mod cast;
mod guard;
mod gufunc_loop;
mod kernel;
mod loop_abi;
mod loops;
pub(crate) mod math;
mod polymath;
mod polymath_coeffs;
mod size_limits;
mod target;
mod value;
mod vector_abi;

pub use gufunc_loop::{CoreArg, CoreSize};
pub(crate) use polymath::fingerprint as polymath_fingerprint;
pub use target::{host_info, HostInfo, Target};

use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{FileType, TargetMachine};

use crate::ir;
use crate::ir::verify::VerifierErrors;
use crate::spec::Options;

/// Why a loop could not be compiled. Only LLVM's own messages are free text.
#[derive(Debug, Clone, PartialEq)]
pub enum CodegenError {
    /// The typed IR broke the front end's contract (a compiler bug): every violation, located.
    Verifier(VerifierErrors),
    /// Codegen met IR it has no lowering for, or lost track of a value it built (a compiler
    /// bug the verifier does not cover).
    Internal(String),
    /// LLVM refused: which step, and what it said.
    Llvm { stage: LlvmStage, message: String },
}

/// The step at which LLVM reported a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlvmStage {
    /// Creating the target machine for the requested CPU.
    Target,
    /// LLVM's module verifier rejected the emitted IR.
    Verify,
    /// The optimization pipeline.
    Optimize,
    /// Reading LLVM IR text back.
    Parse,
    /// Machine-code or assembly emission.
    Emit,
}

impl std::fmt::Display for CodegenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodegenError::Verifier(e) => write!(f, "internal error: invalid typed IR: {e}"),
            CodegenError::Internal(m) => write!(f, "internal error in code generation: {m}"),
            CodegenError::Llvm { stage, message } => {
                let step = match stage {
                    LlvmStage::Target => "target set-up",
                    LlvmStage::Verify => "IR verification",
                    LlvmStage::Optimize => "optimization",
                    LlvmStage::Parse => "IR parsing",
                    LlvmStage::Emit => "code generation",
                };
                write!(f, "LLVM {step} failed: {message}")
            }
        }
    }
}

impl std::error::Error for CodegenError {}

impl From<value::CgError> for CodegenError {
    fn from(e: value::CgError) -> Self {
        CodegenError::Internal(e.0)
    }
}

impl CodegenError {
    fn llvm(stage: LlvmStage, message: impl std::fmt::Display) -> Self {
        CodegenError::Llvm {
            stage,
            message: message.to_string(),
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
    /// Whether running the loop on any split of its outer range gives the bits of one whole
    /// run: no `fastmath` (which can make the vector body and the scalar remainder compute an
    /// element differently; vector-math calls use one routine for both).
    pub split_anywhere: bool,
}

/// The deterministic symbol name `ufg.<name>.<typechars>.loop` (`unique` keeps JIT names apart).
pub fn loop_symbol(kernel: &str, func: &ir::Function, unique: Option<u64>) -> String {
    // A gufunc kernel returns nothing: its outputs are among the parameters.
    let ret = (!func.is_gufunc()).then(|| func.ret.type_char());
    let chars: String = (0..func.params as usize)
        .map(|i| func.locals[i].ty.type_char())
        .chain(ret)
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
) -> Result<LoopCode, CodegenError> {
    compile_with(func, symbol, opts, target, |ctx, module, kernel| {
        loops::build_loop(ctx, module, kernel, func, symbol, target).map(drop)
    })
}

/// Compiles a gufunc kernel into NumPy's generalized loop; `args` says how each argument's
/// core dimensions are found in `dimensions` and whether it is passed as an array.
pub fn compile_gufunc_loop(
    func: &ir::Function,
    args: &[CoreArg],
    symbol: &str,
    opts: Options,
    target: &Target,
) -> Result<LoopCode, CodegenError> {
    if args.len() != func.params as usize {
        return Err(CodegenError::Internal(format!(
            "{} core shapes for the {} parameters of {}",
            args.len(),
            func.params,
            func.name
        )));
    }
    compile_with(func, symbol, opts, target, |ctx, module, kernel| {
        gufunc_loop::build_gufunc_loop(ctx, module, kernel, args, symbol, target).map(drop)
    })
}

/// Loops this process has run through LLVM's optimizer and code generator (a loop loaded from
/// the on-disk cache does not count): how tests see that the cache was used.
pub fn loops_compiled() -> u64 {
    LOOPS_COMPILED.load(std::sync::atomic::Ordering::Relaxed)
}

static LOOPS_COMPILED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Emits the kernel, lets `wrap` emit the exported loop around it, optimizes, emits code.
fn compile_with(
    func: &ir::Function,
    symbol: &str,
    opts: Options,
    target: &Target,
    wrap: impl for<'ctx> FnOnce(
        &'ctx Context,
        &Module<'ctx>,
        inkwell::values::FunctionValue<'ctx>,
    ) -> Result<(), value::CgError>,
) -> Result<LoopCode, CodegenError> {
    if ir::verify::enabled() {
        ir::verify::verify(func).map_err(CodegenError::Verifier)?;
    }
    let machine = target
        .machine()
        .map_err(|m| CodegenError::llvm(LlvmStage::Target, m))?;
    let ctx = Context::create();
    let module = ctx.create_module(symbol);
    configure(&module, &machine);
    let kernel_name = format!("{symbol}.kernel");
    let kernel = kernel::build_kernel(&ctx, &module, func, &kernel_name, opts.fastmath, target)?;
    // A big kernel inlined into every loop variant would be optimized once per copy, and the
    // vectorizer's cost grows quadratically with it (size_limits).
    if !size_limits::inline_kernel(size_limits::SizeCounter::default().function(kernel)) {
        size_limits::keep_out_of_line(&ctx, kernel);
    }
    wrap(&ctx, &module, kernel)?;
    vector_abi::pin_vector_variants(&module);
    // Vector-math calls run one routine for every element (vector_abi), so only fastmath
    // (reassociation, contraction) can make the body and the remainder differ.
    let split_anywhere = !opts.fastmath;
    module
        .verify()
        .map_err(|e| CodegenError::llvm(LlvmStage::Verify, format!("{symbol}: {e}")))?;
    module
        .run_passes("default<O3>", &machine, PassBuilderOptions::create())
        .map_err(|e| CodegenError::llvm(LlvmStage::Optimize, format!("{symbol}: {e}")))?;
    guard::inline_guards(&module, &machine)
        .map_err(|e| CodegenError::llvm(LlvmStage::Optimize, format!("{symbol}: {e}")))?;
    // The vectorizer's calls of code-generated math routines (polymath) appear after the
    // pipeline's inliner has run: inline them now, or each call spills the loop's vectors.
    module
        .run_passes("always-inline", &machine, PassBuilderOptions::create())
        .map_err(|e| CodegenError::llvm(LlvmStage::Optimize, format!("{symbol}: {e}")))?;
    let llvm_ir = module.print_to_string().to_string();
    let object = emit(&machine, &module, FileType::Object)?;
    LOOPS_COMPILED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(LoopCode {
        symbol: symbol.to_string(),
        object,
        llvm_ir,
        split_anywhere,
    })
}

/// Assembly text for a module given as LLVM IR text (for `inspect_asm`).
pub fn asm_from_ir(llvm_ir: &str, target: &Target) -> Result<String, CodegenError> {
    let asm = emit_from_ir(llvm_ir, target, FileType::Assembly)?;
    String::from_utf8(asm).map_err(|e| CodegenError::llvm(LlvmStage::Emit, e))
}

/// An object file for a module given as LLVM IR text (tests, ahead-of-time builds).
pub fn object_from_ir(llvm_ir: &str, target: &Target) -> Result<Vec<u8>, CodegenError> {
    emit_from_ir(llvm_ir, target, FileType::Object)
}

fn emit_from_ir(llvm_ir: &str, target: &Target, kind: FileType) -> Result<Vec<u8>, CodegenError> {
    let machine = target
        .machine()
        .map_err(|m| CodegenError::llvm(LlvmStage::Target, m))?;
    let ctx = Context::create();
    let buf = MemoryBuffer::create_from_memory_range_copy(llvm_ir.as_bytes(), "ir");
    let module = ctx
        .create_module_from_ir(buf)
        .map_err(|e| CodegenError::llvm(LlvmStage::Parse, e))?;
    configure(&module, &machine);
    emit(&machine, &module, kind)
}

fn configure(module: &Module<'_>, machine: &TargetMachine) {
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());
}

fn emit(
    machine: &TargetMachine,
    module: &Module<'_>,
    kind: FileType,
) -> Result<Vec<u8>, CodegenError> {
    machine
        .write_to_memory_buffer(module, kind)
        .map(|b| b.as_slice().to_vec())
        .map_err(|e| CodegenError::llvm(LlvmStage::Emit, e))
}
