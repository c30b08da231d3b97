//! What a generated loop shares with the code around it, below both loop builders (`loops` for
//! `vectorize`, `gufunc_loop` for `guvectorize`): NumPy's inner-loop signature, the kernel's
//! failure flag, and the names of the runtime helpers that raise NumPy's FP flags.

use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::values::{FunctionValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

use super::target::Target;
use super::value::{CgError, CgResult};

/// Names of the svml-shim helpers that raise NumPy's FP flags.
pub(crate) const RAISE_DIVBYZERO: &str = "ufg_raise_divbyzero";
pub(crate) const RAISE_OVERFLOW: &str = "ufg_raise_overflow";
pub(crate) const RAISE_INVALID: &str = "ufg_raise_invalid";

/// Declares the exported `void symbol(char **args, npy_intp const *dims, npy_intp const *steps,
/// void *data)` with the target's attributes: the NumPy inner-loop ABI every loop shares.
pub(crate) fn declare_numpy_loop<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    symbol: &str,
    target: &Target,
) -> FunctionValue<'ctx> {
    let ptr = ctx.ptr_type(AddressSpace::default());
    let fn_type = ctx
        .void_type()
        .fn_type(&[ptr.into(), ptr.into(), ptr.into(), ptr.into()], false);
    let f = module.add_function(symbol, fn_type, Some(Linkage::External));
    target.apply_to(f);
    let nounwind = inkwell::attributes::Attribute::get_named_enum_kind_id("nounwind");
    f.add_attribute(
        inkwell::attributes::AttributeLoc::Function,
        ctx.create_enum_attribute(nounwind, 0),
    );
    f
}

/// The `i`-th pointer parameter (`args`, `dims`, `steps`, `data`) of a loop declared by
/// [`declare_numpy_loop`].
pub(crate) fn loop_param(func: FunctionValue<'_>, i: u32) -> CgResult<PointerValue<'_>> {
    Ok(func
        .get_nth_param(i)
        .ok_or_else(|| CgError(format!("loop parameter {i} missing")))?
        .into_pointer_value())
}

/// An `i8` failure flag in the current function's frame, cleared.
pub(crate) fn failure_flag<'ctx>(
    ctx: &'ctx Context,
    b: &Builder<'ctx>,
) -> CgResult<PointerValue<'ctx>> {
    let flag = b.build_alloca(ctx.i8_type(), "failed")?;
    b.build_store(flag, ctx.i8_type().const_zero())?;
    Ok(flag)
}

/// Branches to `exit` when the kernel set its failure flag, else continues at `cont`.
pub(crate) fn stop_on_failure<'ctx>(
    ctx: &'ctx Context,
    b: &Builder<'ctx>,
    failed: PointerValue<'ctx>,
    exit: BasicBlock<'ctx>,
    cont: BasicBlock<'ctx>,
) -> CgResult<()> {
    let v = b
        .build_load(ctx.i8_type(), failed, "failed")?
        .into_int_value();
    let stop = b.build_int_compare(IntPredicate::NE, v, ctx.i8_type().const_zero(), "stop")?;
    b.build_conditional_branch(stop, exit, cont)?;
    b.position_at_end(cont);
    Ok(())
}
