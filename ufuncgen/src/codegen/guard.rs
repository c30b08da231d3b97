//! Floating-point operations on a path the kernel may not take (an arm of `if`, a conditional
//! expression, the right side of `and`/`or`, code after a conditional `return`).
//!
//! LLVM assumes the default FP environment, where `fmul` has no side effect, so it evaluates
//! such an operation on every element: SimplifyCFG turns the branch into a `select`, the loop
//! vectorizer if-converts it. The hardware flags it raises then reach NumPy
//! (`x * x if x < 1e150 else 0.0` on 1e200 raised overflow). NumPy reports the flags of the
//! operations Python would run, no more.
//!
//! On such a path every operation that can raise a flag is a call of a small internal function
//! (`ufg_guard_fmul_f64`) that LLVM may not speculate (it is neither `speculatable` nor inlined
//! before vectorization). The call carries vector variants (`ufg_guard_fmul_f64x8`) with masked
//! twins that give inactive lanes harmless operands, as `vector_abi` does for math calls, so the
//! vectorizer still widens the loop and evaluates the operation only on the lanes that take the
//! path. Once the vectorizer has run, `inline_guards` inlines every guard (nothing afterwards
//! speculates across blocks), so the scalar loops hold a plain `fmul` under their branch and the
//! vector body a masked one: the guard costs no call at run time.

use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::builder::Builder;
use inkwell::module::{Linkage, Module};
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::TargetMachine;
use inkwell::types::{BasicMetadataTypeEnum, BasicTypeEnum, FloatType, VectorType};
use inkwell::values::{
    BasicMetadataValueEnum, BasicValueEnum, FloatMathValue, FloatValue, FunctionValue,
};

use super::kernel::Cg;
use super::value::{CgError, CgResult};

/// Prefix of every guard function (scalar entries, vector variants and masked twins).
const PREFIX: &str = "ufg_guard_";

/// An operation that may raise an FP flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlagOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    /// `fptrunc` to float32 (overflow, underflow).
    TruncF32,
    /// An overloaded LLVM float intrinsic (`llvm.pow`, `llvm.fma`, `llvm.exp`, ...).
    Intrinsic(&'static str),
}

impl FlagOp {
    /// What the guard computes: an instruction name or an LLVM intrinsic (`llvm.pow`); kept
    /// on the guard's declaration as the `ufg-guard` attribute until its body is written.
    fn key(self) -> &'static str {
        match self {
            FlagOp::Add => "fadd",
            FlagOp::Sub => "fsub",
            FlagOp::Mul => "fmul",
            FlagOp::Div => "fdiv",
            FlagOp::Rem => "frem",
            FlagOp::TruncF32 => "fptrunc32",
            FlagOp::Intrinsic(name) => name,
        }
    }

    /// The result's element type for arguments of element type `t`.
    fn result_type<'ctx>(self, t: FloatType<'ctx>) -> FloatType<'ctx> {
        match self {
            FlagOp::TruncF32 => t.get_context().f32_type(),
            _ => t,
        }
    }
}

/// Lane counts offered for `bits`-wide elements: every vector factor the vectorizer may pick
/// on x86 (128 to 512-bit registers, interleaving aside). A factor without a variant would
/// still be correct (the vectorizer scalarizes the call under its branch), only slow.
fn guard_lanes(bits: u32) -> &'static [u32] {
    if bits == 32 {
        &[4, 8, 16, 32]
    } else {
        &[2, 4, 8, 16]
    }
}

/// Emits the operation `key` (`FlagOp::key`) on `args` (all scalars or all vectors of one
/// shape).
fn emit_op<'ctx>(
    module: &Module<'ctx>,
    b: &Builder<'ctx>,
    key: &str,
    args: &[BasicValueEnum<'ctx>],
) -> CgResult<BasicValueEnum<'ctx>> {
    fn arith<'ctx, T: FloatMathValue<'ctx>>(
        b: &Builder<'ctx>,
        key: &str,
        x: T,
        y: T,
    ) -> CgResult<T> {
        Ok(match key {
            "fadd" => b.build_float_add(x, y, "")?,
            "fsub" => b.build_float_sub(x, y, "")?,
            "fmul" => b.build_float_mul(x, y, "")?,
            "fdiv" => b.build_float_div(x, y, "")?,
            "frem" => b.build_float_rem(x, y, "")?,
            _ => return Err(CgError(format!("{key} is not a binary operator"))),
        })
    }
    let ctx = module.get_context();
    match (key, args) {
        (name, [first, ..]) if name.starts_with("llvm.") => {
            let intr = inkwell::intrinsics::Intrinsic::find(name)
                .ok_or_else(|| CgError(format!("LLVM has no intrinsic {name}")))?;
            let decl = intr
                .get_declaration(module, &[first.get_type()])
                .ok_or_else(|| CgError(format!("cannot declare {name}")))?;
            let margs: Vec<BasicMetadataValueEnum> = args.iter().map(|&a| a.into()).collect();
            b.build_call(decl, &margs, "")?
                .try_as_basic_value()
                .basic()
                .ok_or_else(|| CgError(format!("{name} returned nothing")))
        }
        ("fptrunc32", [BasicValueEnum::FloatValue(x)]) => {
            Ok(b.build_float_trunc(*x, ctx.f32_type(), "")?.into())
        }
        ("fptrunc32", [BasicValueEnum::VectorValue(x)]) => {
            let to = ctx.f32_type().vec_type(x.get_type().get_size());
            Ok(b.build_float_trunc(*x, to, "")?.into())
        }
        (_, [BasicValueEnum::FloatValue(x), BasicValueEnum::FloatValue(y)]) => {
            Ok(arith(b, key, *x, *y)?.into())
        }
        (_, [BasicValueEnum::VectorValue(x), BasicValueEnum::VectorValue(y)]) => {
            Ok(arith(b, key, *x, *y)?.into())
        }
        _ => Err(CgError(format!("{key} on {} operands", args.len()))),
    }
}

impl<'a, 'ctx> Cg<'a, 'ctx> {
    /// Whether the code being emitted runs only on some paths through the kernel, so that an
    /// operation raising an FP flag must not be evaluated where it was not reached. With
    /// `fastmath` the flags are not promised.
    pub(crate) fn guarded(&self) -> bool {
        !self.fastmath && (self.guard_depth > 0 || self.diverged)
    }

    /// Runs `f` with everything it emits marked as on a conditional path.
    pub(crate) fn conditionally<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> CgResult<T>,
    ) -> CgResult<T> {
        self.guard_depth += 1;
        let r = f(self);
        self.guard_depth -= 1;
        r
    }

    /// `x op y` for `op` one of `+ - * / %` (IEEE remainder as `frem`): a plain instruction,
    /// or a guarded call on a conditional path.
    pub(crate) fn fop(
        &self,
        op: FlagOp,
        x: FloatValue<'ctx>,
        y: FloatValue<'ctx>,
    ) -> CgResult<FloatValue<'ctx>> {
        // A masked guard replaces the second operand (`inactive_operands`): of a commutative
        // operation, let that be the one that varies (a select of two constants costs too).
        let swap = matches!(op, FlagOp::Add | FlagOp::Mul) && y.is_const() && !x.is_const();
        if swap && self.guarded() {
            return self.flag_op(op, &[y, x]);
        }
        self.flag_op(op, &[x, y])
    }

    /// `op` on `args`: emitted as is where the code always runs (or every argument is a
    /// constant, which LLVM folds; `arith` raises the flags of folded operations itself),
    /// else as a call of its guard.
    pub(crate) fn flag_op(
        &self,
        op: FlagOp,
        args: &[FloatValue<'ctx>],
    ) -> CgResult<FloatValue<'ctx>> {
        let first = args
            .first()
            .ok_or_else(|| CgError(format!("{op:?} needs operands")))?;
        if !self.guarded() || args.iter().all(|a| a.is_const()) {
            let vals: Vec<BasicValueEnum> = args.iter().map(|&a| a.into()).collect();
            return Ok(emit_op(self.module, &self.b, op.key(), &vals)?.into_float_value());
        }
        let t = first.get_type();
        let scalar = self.guard_function(op, t, args.len(), None)?;
        let name = |f: FunctionValue<'ctx>| f.get_name().to_string_lossy().into_owned();
        let vs = "v".repeat(args.len());
        let mut mappings = Vec::new();
        for &n in guard_lanes(t.get_bit_width()) {
            let unmasked = self.guard_function(op, t, args.len(), Some((n, false)))?;
            let masked = self.guard_function(op, t, args.len(), Some((n, true)))?;
            mappings.push(format!(
                "_ZGV_LLVM_N{n}{vs}_{}({})",
                name(scalar),
                name(unmasked)
            ));
            mappings.push(format!(
                "_ZGV_LLVM_M{n}{vs}_{}({})",
                name(scalar),
                name(masked)
            ));
        }
        let margs: Vec<BasicMetadataValueEnum> = args.iter().map(|&x| x.into()).collect();
        let call = self.b.build_call(scalar, &margs, "guarded")?;
        call.add_attribute(
            AttributeLoc::Function,
            self.ctx
                .create_string_attribute("vector-function-abi-variant", &mappings.join(",")),
        );
        match call.try_as_basic_value().basic() {
            Some(BasicValueEnum::FloatValue(v)) => Ok(v),
            _ => Err(CgError(format!("guarded {op:?} did not return a float"))),
        }
    }

    /// Declares (once per module) the guard of `op` on `elem` with `arity` operands: scalar
    /// (`ufg_guard_fmul_f64`), or with `vector = Some((lanes, masked))` a vector variant
    /// (`ufg_guard_fmul_f64x8`, masked: `ufg_guard_fmul_f64x8_mask` with a trailing
    /// `<8 x i1>`). Only declared: a body the optimizer could see would be speculated, inlined
    /// or (in a masked variant) folded back into an unmasked operation; `inline_guards` writes
    /// the bodies once the optimizer is done.
    fn guard_function(
        &self,
        op: FlagOp,
        elem: FloatType<'ctx>,
        arity: usize,
        vector: Option<(u32, bool)>,
    ) -> CgResult<FunctionValue<'ctx>> {
        let key = op.key();
        let mut name = format!(
            "{PREFIX}{}_f{}",
            key.trim_start_matches("llvm.").replace('.', "_"),
            elem.get_bit_width()
        );
        if let Some((n, masked)) = vector {
            name.push_str(&format!("x{n}"));
            if masked {
                name.push_str("_mask");
            }
        }
        if let Some(f) = self.module.get_function(&name) {
            return Ok(f);
        }
        let rt = op.result_type(elem);
        let (ty, ret): (BasicTypeEnum, BasicTypeEnum) = match vector {
            Some((n, _)) => (elem.vec_type(n).into(), rt.vec_type(n).into()),
            None => (elem.into(), rt.into()),
        };
        let mut params: Vec<BasicMetadataTypeEnum> = vec![ty.into(); arity];
        if let Some((n, true)) = vector {
            params.push(self.ctx.bool_type().vec_type(n).into());
        }
        let f = self.module.add_function(
            &name,
            inkwell::types::BasicType::fn_type(&ret, &params, false),
            None,
        );
        // Same CPU attributes as the kernel, or the backend would split vector arguments.
        self.kernel_target().apply_to(f);
        // Pure, so that the vectorizer widens the call (it widens calls that touch no memory);
        // not `speculatable`, which keeps it under its branch.
        for attr in ["memory", "nounwind", "willreturn", "nosync"] {
            let kind = Attribute::get_named_enum_kind_id(attr);
            f.add_attribute(
                AttributeLoc::Function,
                self.ctx.create_enum_attribute(kind, 0),
            );
        }
        f.add_attribute(
            AttributeLoc::Function,
            self.ctx.create_string_attribute(GUARD_ATTR, key),
        );
        Ok(f)
    }
}

/// The string attribute that names a guard's operation (`FlagOp::key`).
const GUARD_ATTR: &str = "ufg-guard";

/// Whether `name` is a vector variant of a guard (kept alive until the vectorizer has run).
pub(crate) fn is_guard_variant(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.rsplit('_').next())
        .is_some_and(|last| last == "mask" || last.contains('x'))
}

/// Which operands a masked guard replaces on inactive lanes (from this index on) and by what:
/// `a + 0`, `a - 0`, `a * 1`, `a / 1` raise nothing whatever `a` is, so one select suffices;
/// every other operation gets ones for all its operands.
fn inactive_operands(key: &str) -> (usize, f64) {
    match key {
        "fadd" | "fsub" => (1, 0.0),
        "fmul" | "fdiv" => (1, 1.0),
        _ => (0, 1.0),
    }
}

/// Writes the body of guard declaration `f`: its operation on its arguments, in a masked
/// variant on arguments whose inactive lanes are harmless (`inactive_operands`).
fn define_guard<'ctx>(module: &Module<'ctx>, f: FunctionValue<'ctx>) -> CgResult<()> {
    let key = f
        .get_string_attribute(AttributeLoc::Function, GUARD_ATTR)
        .and_then(|a| a.get_string_value().to_str().ok().map(str::to_string))
        .ok_or_else(|| CgError("a guard lost its operation".into()))?;
    let ctx = module.get_context();
    let b = ctx.create_builder();
    b.position_at_end(ctx.append_basic_block(f, "entry"));
    let mut args: Vec<BasicValueEnum> = f.get_param_iter().collect();
    if let Some(BasicValueEnum::VectorValue(mask)) = args.last().copied() {
        if mask.get_type().get_element_type().is_int_type() {
            args.pop();
            let (first_masked, neutral) = inactive_operands(&key);
            for a in args.iter_mut().skip(first_masked) {
                let v = a.into_vector_value();
                let elem = v.get_type().get_element_type().into_float_type();
                let fill = VectorType::const_vector(&vec![
                    elem.const_float(neutral);
                    v.get_type().get_size() as usize
                ]);
                *a = b.build_select(mask, v, fill, "lane")?;
            }
        }
    }
    let r = emit_op(module, &b, &key, &args)?;
    b.build_return(Some(&r))?;
    f.set_linkage(Linkage::Internal);
    let always = Attribute::get_named_enum_kind_id("alwaysinline");
    f.add_attribute(AttributeLoc::Function, ctx.create_enum_attribute(always, 0));
    Ok(())
}

/// After the optimization pipeline: defines every guard and inlines it into its callers
/// (plain instructions under their branch in the scalar loops, masked ones in the vector
/// body), then drops what is no longer used. Nothing that runs afterwards speculates across
/// blocks or folds the masks.
pub(crate) fn inline_guards(module: &Module<'_>, machine: &TargetMachine) -> Result<(), String> {
    let guards: Vec<FunctionValue<'_>> = module
        .get_functions()
        .filter(|f| f.get_name().to_bytes().starts_with(PREFIX.as_bytes()))
        .collect();
    if guards.is_empty() {
        return Ok(());
    }
    for f in guards {
        define_guard(module, f).map_err(|e| e.0)?;
    }
    // The pins of vector variants (`llvm.compiler.used`) have served: the vectorizer is done.
    if let Some(pins) = module.get_global("llvm.compiler.used") {
        // SAFETY: the global belongs to this module and no instruction refers to it.
        unsafe { pins.delete() };
    }
    module
        .run_passes(
            "always-inline,globaldce",
            machine,
            PassBuilderOptions::create(),
        )
        .map_err(|e| e.to_string())
}
