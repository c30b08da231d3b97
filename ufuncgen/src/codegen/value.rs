//! How dtypes look in LLVM: register types, in-memory types, the value of one expression, and
//! an array value (a strided view) with the allocas an array variable lives in.

use inkwell::builder::BuilderError;
use inkwell::context::Context;
use inkwell::types::{BasicTypeEnum, FloatType, IntType};
use inkwell::values::{
    BasicValue, BasicValueEnum, FloatValue, InstructionValue, IntValue, PointerValue,
};
use inkwell::{AddressSpace, IntPredicate};

use crate::ir;
use crate::types::Scalar;

/// An internal code generation failure (a bug, never a user error), as text.
#[derive(Debug)]
pub(crate) struct CgError(pub String);

impl From<BuilderError> for CgError {
    fn from(e: BuilderError) -> Self {
        CgError(format!("LLVM builder: {e}"))
    }
}

impl From<String> for CgError {
    fn from(message: String) -> Self {
        CgError(message)
    }
}

/// Result of a code generation step.
pub(crate) type CgResult<T> = Result<T, CgError>;

/// One value in registers: bool is `i1`, complex a (real, imag) pair.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CgVal<'ctx> {
    Int(IntValue<'ctx>),
    Float(FloatValue<'ctx>),
    Complex(FloatValue<'ctx>, FloatValue<'ctx>),
}

impl<'ctx> CgVal<'ctx> {
    /// The integer (or bool) inside, or an internal error.
    pub(crate) fn int(self) -> CgResult<IntValue<'ctx>> {
        match self {
            CgVal::Int(v) => Ok(v),
            other => Err(CgError(format!("expected an integer value, got {other:?}"))),
        }
    }

    /// The float inside, or an internal error.
    pub(crate) fn float(self) -> CgResult<FloatValue<'ctx>> {
        match self {
            CgVal::Float(v) => Ok(v),
            other => Err(CgError(format!("expected a float value, got {other:?}"))),
        }
    }

    /// The complex parts inside, or an internal error.
    pub(crate) fn complex(self) -> CgResult<(FloatValue<'ctx>, FloatValue<'ctx>)> {
        match self {
            CgVal::Complex(r, i) => Ok((r, i)),
            other => Err(CgError(format!("expected a complex value, got {other:?}"))),
        }
    }
}

/// The integer type of an int or bool dtype (bool is `i1` in registers).
pub(crate) fn int_type(ctx: &Context, s: Scalar) -> IntType<'_> {
    int_of_width(ctx, s.bits())
}

/// The LLVM integer type of a width we use (1, 8, 16, 32 or 64 bits).
pub(crate) fn int_of_width(ctx: &Context, bits: u32) -> IntType<'_> {
    match bits {
        1 => ctx.bool_type(),
        8 => ctx.i8_type(),
        16 => ctx.i16_type(),
        32 => ctx.i32_type(),
        _ => ctx.i64_type(),
    }
}

/// The float type of a float dtype or of a complex dtype's parts.
pub(crate) fn float_type(ctx: &Context, s: Scalar) -> FloatType<'_> {
    match s.real_part() {
        Scalar::F32 => ctx.f32_type(),
        _ => ctx.f64_type(),
    }
}

/// The type a kernel parameter or result of dtype `s` has (complex is `{T, T}`).
pub(crate) fn abi_type(ctx: &Context, s: Scalar) -> BasicTypeEnum<'_> {
    if s.is_complex() {
        let t = float_type(ctx, s);
        ctx.struct_type(&[t.into(), t.into()], false).into()
    } else if s.is_float() {
        float_type(ctx, s).into()
    } else {
        int_type(ctx, s).into()
    }
}

/// The type one element of dtype `s` has in an array (bool is a byte; complex one part).
pub(crate) fn mem_type(ctx: &Context, s: Scalar) -> BasicTypeEnum<'_> {
    match s {
        Scalar::Bool => ctx.i8_type().into(),
        s if s.is_int() => int_type(ctx, s).into(),
        s => float_type(ctx, s).into(),
    }
}

/// Splits a kernel parameter (as passed by the ABI) into a register value.
pub(crate) fn from_abi<'ctx>(
    b: &inkwell::builder::Builder<'ctx>,
    s: Scalar,
    v: BasicValueEnum<'ctx>,
) -> CgResult<CgVal<'ctx>> {
    Ok(if s.is_complex() {
        let st = v.into_struct_value();
        let re = b.build_extract_value(st, 0, "re")?.into_float_value();
        let im = b.build_extract_value(st, 1, "im")?.into_float_value();
        CgVal::Complex(re, im)
    } else if s.is_float() {
        CgVal::Float(v.into_float_value())
    } else {
        CgVal::Int(v.into_int_value())
    })
}

/// Packs a register value into the kernel's ABI form.
pub(crate) fn to_abi<'ctx>(
    ctx: &'ctx Context,
    b: &inkwell::builder::Builder<'ctx>,
    s: Scalar,
    v: CgVal<'ctx>,
) -> CgResult<BasicValueEnum<'ctx>> {
    Ok(match v {
        CgVal::Complex(re, im) => {
            let st = abi_type(ctx, s).into_struct_type();
            let agg = b
                .build_insert_value(st.get_undef(), re, 0, "c")?
                .into_struct_value();
            let agg = b.build_insert_value(agg, im, 1, "c")?.into_struct_value();
            agg.into()
        }
        CgVal::Float(f) => f.into(),
        CgVal::Int(i) => i.into(),
    })
}

/// Loads one element of dtype `s` at `p` (a bool byte becomes `i1`); also returns the load
/// instructions, so a loop can tag them with its access group.
pub(crate) fn load_elem<'ctx>(
    ctx: &'ctx Context,
    b: &inkwell::builder::Builder<'ctx>,
    p: PointerValue<'ctx>,
    s: Scalar,
) -> CgResult<(CgVal<'ctx>, Vec<InstructionValue<'ctx>>)> {
    let mut insts = Vec::with_capacity(2);
    let mut load =
        |t: BasicTypeEnum<'ctx>, at: PointerValue<'ctx>| -> CgResult<BasicValueEnum<'ctx>> {
            let v = b.build_load(t, at, "x")?;
            insts.extend(v.as_instruction_value());
            Ok(v)
        };
    let v = if s.is_complex() {
        let ft = float_type(ctx, s);
        let re = load(ft.into(), p)?.into_float_value();
        // SAFETY (of the generated code): a complex element is two adjacent parts.
        let pi = unsafe { b.build_gep(ft, p, &[ctx.i64_type().const_int(1, false)], "imp")? };
        CgVal::Complex(re, load(ft.into(), pi)?.into_float_value())
    } else if s.is_float() {
        CgVal::Float(load(mem_type(ctx, s), p)?.into_float_value())
    } else {
        let raw = load(mem_type(ctx, s), p)?.into_int_value();
        if s == Scalar::Bool {
            CgVal::Int(b.build_int_compare(
                IntPredicate::NE,
                raw,
                raw.get_type().const_zero(),
                "b",
            )?)
        } else {
            CgVal::Int(raw)
        }
    };
    Ok((v, insts))
}

/// Stores one element of dtype `s` at `p` (an `i1` becomes a 0/1 byte); returns the stores.
pub(crate) fn store_elem<'ctx>(
    ctx: &'ctx Context,
    b: &inkwell::builder::Builder<'ctx>,
    p: PointerValue<'ctx>,
    s: Scalar,
    v: CgVal<'ctx>,
) -> CgResult<Vec<InstructionValue<'ctx>>> {
    Ok(match v {
        CgVal::Complex(re, im) => {
            let ft = float_type(ctx, s);
            // SAFETY (of the generated code): a complex element is two adjacent parts.
            let pi = unsafe { b.build_gep(ft, p, &[ctx.i64_type().const_int(1, false)], "imp")? };
            vec![b.build_store(p, re)?, b.build_store(pi, im)?]
        }
        CgVal::Float(x) => vec![b.build_store(p, x)?],
        CgVal::Int(x) if s == Scalar::Bool => {
            vec![b.build_store(p, b.build_int_z_extend(x, ctx.i8_type(), "byte")?)?]
        }
        CgVal::Int(x) => vec![b.build_store(p, x)?],
    })
}

/// The zero of a dtype (the kernel's result when control falls off its end).
pub(crate) fn zero<'ctx>(ctx: &'ctx Context, s: Scalar) -> CgVal<'ctx> {
    if s.is_complex() {
        let z = float_type(ctx, s).const_zero();
        CgVal::Complex(z, z)
    } else if s.is_float() {
        CgVal::Float(float_type(ctx, s).const_zero())
    } else {
        CgVal::Int(int_type(ctx, s).const_zero())
    }
}

/// An array value: data pointer, shape and byte strides.
#[derive(Debug, Clone)]
pub(crate) struct ArrayVal<'ctx> {
    pub data: PointerValue<'ctx>,
    pub shape: Vec<IntValue<'ctx>>,
    pub strides: Vec<IntValue<'ctx>>,
    pub dtype: Scalar,
    /// Whether indices into it are always checked (frozen tables and their views: their size
    /// is no caller's promise).
    pub checked: bool,
}

/// Where an array variable lives: allocas for its data pointer, shape and strides, and for a
/// local array its owned buffer and that buffer's capacity in bytes.
#[derive(Debug, Clone)]
pub(crate) struct ArraySlot<'ctx> {
    pub data: PointerValue<'ctx>,
    pub shape: Vec<PointerValue<'ctx>>,
    pub strides: Vec<PointerValue<'ctx>>,
    pub dtype: Scalar,
    /// `(buffer, capacity)` for variables that own memory (`np.zeros(...)` and friends).
    pub owned: Option<(PointerValue<'ctx>, PointerValue<'ctx>)>,
    /// The buffer is the head of a list of every block this variable allocated (each starts
    /// with a pointer to the previous one), because other variables may still view them.
    pub chained: bool,
}

/// A frozen array as a private constant global of `module`, seen like an array parameter.
pub(crate) fn const_table<'ctx>(
    ctx: &'ctx inkwell::context::Context,
    module: &inkwell::module::Module<'ctx>,
    t: &ir::ConstTable,
    name: &str,
) -> CgResult<ArrayVal<'ctx>> {
    let item = t.dtype.size() as u64;
    let count: u64 = t.shape.iter().product();
    if t.shape.is_empty() || count.checked_mul(item) != Some(t.data.len() as u64) {
        return Err(CgError(format!(
            "array '{}' has {} bytes for shape {:?} of {}",
            t.name,
            t.data.len(),
            t.shape,
            t.dtype
        )));
    }
    let bytes = ctx.const_string(&t.data, false);
    let g = module.add_global(bytes.get_type(), Some(AddressSpace::default()), name);
    g.set_initializer(&bytes);
    g.set_constant(true);
    g.set_linkage(inkwell::module::Linkage::Private);
    g.set_unnamed_addr(true);
    g.set_alignment(16);
    let i64t = ctx.i64_type();
    // C order: the last axis is contiguous.
    let mut strides = vec![0u64; t.shape.len()];
    let mut step = item;
    for (axis, &n) in t.shape.iter().enumerate().rev() {
        strides[axis] = step;
        step *= n;
    }
    Ok(ArrayVal {
        data: g.as_pointer_value(),
        shape: t.shape.iter().map(|&n| i64t.const_int(n, false)).collect(),
        strides: strides.iter().map(|&s| i64t.const_int(s, false)).collect(),
        dtype: t.dtype,
        checked: true,
    })
}
