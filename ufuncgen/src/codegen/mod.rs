//! Typed IR → LLVM: the scalar kernel, the NumPy loop around it, optimization, object emission.
//!
//! `kernel` lowers an `ir::Function` (with `arith`, `cast` and `math` for the operations),
//! `loops` wraps it in the NumPy inner-loop ABI, `target` knows the CPU; this module runs the
//! O3 pipeline and emits an object file (the JIT and ahead-of-time builds both consume it).

mod arith;
mod array;
mod cast;
mod gufunc;
mod kernel;
mod loops;
pub(crate) mod math;
mod target;
mod value;
mod vector_abi;

pub use gufunc::{CoreArg, CoreSize};
pub use target::{host_info, HostInfo, Target};

use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{FileType, TargetMachine};

use crate::ir;
use crate::spec::Options;

/// One loop compiled to an object file.
pub struct LoopCode {
    /// The loop's exported symbol.
    pub symbol: String,
    /// ELF object code.
    pub object: Vec<u8>,
    /// Optimized LLVM IR, as text.
    pub llvm_ir: String,
    /// Whether running the loop on any split of its outer range gives the bits of one whole
    /// run: no vector-math library calls and no `fastmath` (either can make the vector body
    /// and the scalar remainder compute an element differently).
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
) -> Result<LoopCode, String> {
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
) -> Result<LoopCode, String> {
    if args.len() != func.params as usize {
        return Err(format!(
            "{} core shapes for the {} parameters of {}",
            args.len(),
            func.params,
            func.name
        ));
    }
    compile_with(func, symbol, opts, target, |ctx, module, kernel| {
        gufunc::build_gufunc_loop(ctx, module, kernel, args, symbol, target).map(drop)
    })
}

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
    ) -> Result<(), String>,
) -> Result<LoopCode, String> {
    let machine = target.machine()?;
    let ctx = Context::create();
    let module = ctx.create_module(symbol);
    configure(&module, &machine);
    let kernel_name = format!("{symbol}.kernel");
    let kernel = kernel::build_kernel(&ctx, &module, func, &kernel_name, opts.fastmath, target)?;
    wrap(&ctx, &module, kernel)?;
    vector_abi::pin_vector_variants(&module);
    let split_anywhere = !opts.fastmath && !vector_abi::calls_vector_library(&module);
    module
        .verify()
        .map_err(|e| format!("invalid LLVM IR for {symbol}: {e}"))?;
    module
        .run_passes("default<O3>", &machine, PassBuilderOptions::create())
        .map_err(|e| format!("LLVM optimization of {symbol} failed: {e}"))?;
    let llvm_ir = module.print_to_string().to_string();
    let object = emit(&machine, &module, FileType::Object)?;
    Ok(LoopCode {
        symbol: symbol.to_string(),
        object,
        llvm_ir,
        split_anywhere,
    })
}

/// Assembly text for a module given as LLVM IR text (for `inspect_asm`).
pub fn asm_from_ir(llvm_ir: &str, target: &Target) -> Result<String, String> {
    let machine = target.machine()?;
    let ctx = Context::create();
    let buf = MemoryBuffer::create_from_memory_range_copy(llvm_ir.as_bytes(), "ir");
    let module = ctx
        .create_module_from_ir(buf)
        .map_err(|e| format!("cannot parse LLVM IR: {e}"))?;
    configure(&module, &machine);
    let asm = emit(&machine, &module, FileType::Assembly)?;
    String::from_utf8(asm).map_err(|e| format!("assembly is not UTF-8: {e}"))
}

/// An object file for a module given as LLVM IR text (ahead-of-time builds, tests).
pub fn object_from_ir(llvm_ir: &str, target: &Target) -> Result<Vec<u8>, String> {
    let machine = target.machine()?;
    let ctx = Context::create();
    let buf = MemoryBuffer::create_from_memory_range_copy(llvm_ir.as_bytes(), "ir");
    let module = ctx
        .create_module_from_ir(buf)
        .map_err(|e| format!("cannot parse LLVM IR: {e}"))?;
    configure(&module, &machine);
    emit(&machine, &module, FileType::Object)
}

fn configure(module: &Module<'_>, machine: &TargetMachine) {
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());
}

fn emit(machine: &TargetMachine, module: &Module<'_>, kind: FileType) -> Result<Vec<u8>, String> {
    machine
        .write_to_memory_buffer(module, kind)
        .map(|b| b.as_slice().to_vec())
        .map_err(|e| format!("LLVM code generation failed: {e}"))
}
