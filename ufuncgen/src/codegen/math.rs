//! Math functions: ONE table maps (function, dtype, tier) to an LLVM intrinsic or a library
//! symbol; functions that are a few instructions (sign, min/max, predicates) are lowered inline.
//! `MathImpl::Vector` rows name svml-shim entry points, which the loop vectorizer widens into calls
//! of SVML, libmvec or per-lane libm (chosen at run time, see `vector_abi`).

use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::intrinsics::Intrinsic;
use inkwell::module::Linkage;
use inkwell::types::{BasicMetadataTypeEnum, BasicTypeEnum};
use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, FloatValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};

use super::kernel::Cg;
use super::value::{float_type, CgError, CgResult, CgVal};
use crate::ir::{CmpOp, MathFn};
use crate::math_functions::{self, Complex, Real};
use crate::types::Scalar;

/// Which implementation of a math function codegen asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MathImpl {
    /// LLVM intrinsics and the C library's scalar functions.
    Scalar,
    /// svml-shim's scalar entries with vector variants (`ufg_exp_f64` → `ufg_exp_f64x8`), used
    /// for real floats on CPUs with AVX2 or AVX-512F.
    Vector,
}

/// How a function is computed for one dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lowering {
    /// An overloaded LLVM intrinsic (`llvm.exp`), instantiated at the dtype.
    Intrinsic(&'static str),
    /// A C library function; complex ones use the C ABI of `double complex`/`float complex`.
    Symbol(&'static str),
    /// An svml-shim function family by base name (`"exp"`: `ufg_exp_f64`, `ufg_exp_f32x16`...).
    VectorEntry(&'static str),
}

/// Whether LLVM float intrinsic `name` can raise an FP flag on a quiet input (rounding to an
/// integer, `fabs` and `copysign` cannot), so that on a conditional path it is guarded.
fn raises_flags(name: &str) -> bool {
    !matches!(
        name,
        "llvm.floor" | "llvm.ceil" | "llvm.trunc" | "llvm.rint" | "llvm.fabs" | "llvm.copysign"
    )
}

/// The lowering of `func` for `dtype` by `imp`, from the one table (`math_functions`).
pub(crate) fn lookup(func: MathFn, dtype: Scalar, imp: MathImpl) -> Option<Lowering> {
    let row = math_functions::by_func(func)?;
    match imp {
        MathImpl::Scalar => match (dtype, row.real, row.complex) {
            (Scalar::F32 | Scalar::F64, Real::Intrinsic(name), _) => {
                Some(Lowering::Intrinsic(name))
            }
            (Scalar::F64, Real::Libm { f64, .. }, _) => Some(Lowering::Symbol(f64)),
            (Scalar::F32, Real::Libm { f32, .. }, _) => Some(Lowering::Symbol(f32)),
            (Scalar::C128, _, Complex::Libm { c128, .. }) => Some(Lowering::Symbol(c128)),
            (Scalar::C64, _, Complex::Libm { c64, .. }) => Some(Lowering::Symbol(c64)),
            _ => None,
        },
        MathImpl::Vector => (row.vector && matches!(dtype, Scalar::F32 | Scalar::F64))
            .then_some(Lowering::VectorEntry(row.name)),
    }
}

impl<'a, 'ctx> Cg<'a, 'ctx> {
    /// A math function applied to `args` (of dtype `arg_ty`); the result has dtype `ret_ty`.
    pub(crate) fn call_math(
        &mut self,
        func: MathFn,
        args: &[CgVal<'ctx>],
        arg_ty: Scalar,
        ret_ty: Scalar,
    ) -> CgResult<CgVal<'ctx>> {
        if let Some(v) = self.inline_math(func, args, arg_ty)? {
            return Ok(v);
        }
        let lowering = lookup(func, arg_ty, MathImpl::Scalar).ok_or_else(|| {
            CgError(format!(
                "{func:?} is not available for {arg_ty} (result {ret_ty})"
            ))
        })?;
        if arg_ty.is_complex() {
            let parts = args
                .iter()
                .map(|a| a.complex())
                .collect::<CgResult<Vec<_>>>()?;
            let Lowering::Symbol(name) = lowering else {
                return Err(CgError(format!("complex {func:?} must be a library call")));
            };
            let (r, i) = self.call_complex_symbol(name, &parts, arg_ty)?;
            return Ok(CgVal::Complex(r, i));
        }
        let floats = args
            .iter()
            .map(|a| a.float())
            .collect::<CgResult<Vec<_>>>()?;
        // `x ** 0.5` is NumPy's `np.power(x, 0.5)`, which NumPy computes as `sqrt(x)` (so
        // -inf gives NaN and -0.0 stays -0.0): exact, and guarded like `sqrt` itself.
        let sqrt_arg = match (func, floats.as_slice()) {
            (MathFn::Sqrt, [x]) => Some(*x),
            (MathFn::Pow, [x, y]) if y.get_constant().is_some_and(|(c, _)| c == 0.5) => Some(*x),
            _ => None,
        };
        if let Some((c, _)) = sqrt_arg.and_then(|x| x.get_constant()) {
            // LLVM may fold the square root of a constant, flag and all: raise it where it runs.
            if c < 0.0 {
                self.call_if(
                    self.ctx.bool_type().const_all_ones(),
                    super::loop_abi::RAISE_INVALID,
                )?;
            }
        }
        if let (Some(x), false) = (sqrt_arg, self.fastmath) {
            let sqrt = super::guard::FlagOp::Intrinsic("llvm.sqrt");
            return Ok(CgVal::Float(self.flag_op(sqrt, &[x])?));
        }
        if let Some(v) = self.guarded_whole_power(func, &floats)? {
            return Ok(CgVal::Float(v));
        }
        if let Some(Lowering::VectorEntry(base)) = lookup(func, arg_ty, MathImpl::Vector) {
            if let Some(v) = self.call_vector_entry(func, base, &floats)? {
                return Ok(CgVal::Float(v));
            }
        }
        let t = float_type(self.ctx, arg_ty);
        Ok(CgVal::Float(match lowering {
            Lowering::Intrinsic(name) if raises_flags(name) => {
                self.flag_op(super::guard::FlagOp::Intrinsic(name), &floats)?
            }
            Lowering::Intrinsic(name) => self.intrinsic(name, &floats)?,
            Lowering::Symbol(name) => {
                let f = self.libm_function(name, t.into(), &vec![t.into(); floats.len()]);
                let margs: Vec<BasicMetadataValueEnum> = floats.iter().map(|&x| x.into()).collect();
                self.call_value(f, &margs)?.into_float_value()
            }
            Lowering::VectorEntry(base) => {
                return Err(CgError(format!("{base} is not a scalar-tier lowering")))
            }
        }))
    }

    /// `x ** c` for a constant `c` in {0, 1, 2, -1} on a conditional path: what LLVM rewrites
    /// `pow` into (`1`, `x`, `x * x`, `1 / x`, each exact), emitted as guarded operations.
    /// Elsewhere LLVM's own rewrite applies (`vector_abi::keep_intrinsic`).
    fn guarded_whole_power(
        &self,
        func: MathFn,
        args: &[FloatValue<'ctx>],
    ) -> CgResult<Option<FloatValue<'ctx>>> {
        let (MathFn::Pow, [x, y], true) = (func, args, self.guarded()) else {
            return Ok(None);
        };
        let Some((c, _)) = y.get_constant() else {
            return Ok(None);
        };
        let one = x.get_type().const_float(1.0);
        use super::guard::FlagOp;
        Ok(Some(if c == 0.0 {
            one
        } else if c == 1.0 {
            *x
        } else if c == 2.0 {
            self.fop(FlagOp::Mul, *x, *x)?
        } else if c == -1.0 {
            self.fop(FlagOp::Div, one, *x)?
        } else {
            return Ok(None);
        }))
    }

    /// Functions that are a few instructions (or need integer or complex handling).
    fn inline_math(
        &mut self,
        func: MathFn,
        args: &[CgVal<'ctx>],
        ty: Scalar,
    ) -> CgResult<Option<CgVal<'ctx>>> {
        use MathFn::*;
        Ok(Some(match (func, args) {
            (Abs, [CgVal::Int(x)]) => CgVal::Int(self.int_abs(*x, ty)?),
            (Abs, [CgVal::Complex(r, i)]) => {
                let hy = self.call_math(
                    Hypot,
                    &[CgVal::Float(*r), CgVal::Float(*i)],
                    ty.real_part(),
                    ty.real_part(),
                )?;
                return Ok(Some(hy));
            }
            (Sign, [CgVal::Int(x)]) => CgVal::Int(self.int_sign(*x, ty)?),
            (Sign, [CgVal::Float(x)]) => CgVal::Float(self.float_sign(*x)?),
            (Fmod, [CgVal::Float(x), CgVal::Float(y)]) => {
                CgVal::Float(self.fop(super::guard::FlagOp::Rem, *x, *y)?)
            }
            (IsNan, [CgVal::Float(x)]) => CgVal::Int(self.is_nan(*x)?),
            (IsInf, [CgVal::Float(x)]) => CgVal::Int(self.is_inf(*x)?),
            (IsFinite, [CgVal::Float(x)]) => CgVal::Int(self.is_finite(*x)?),
            (IsNan | IsInf, [CgVal::Int(_)]) => CgVal::Int(self.ctx.bool_type().const_zero()),
            (IsFinite, [CgVal::Int(_)]) => CgVal::Int(self.ctx.bool_type().const_all_ones()),
            (Minimum | Maximum | Fmin | Fmax | PyMin | PyMax, [x, y]) => {
                self.min_max(func, *x, *y, ty)?
            }
            _ => return Ok(None),
        }))
    }

    /// `abs` of an integer, wrapping (`abs(MIN) == MIN`, as NumPy).
    fn int_abs(&self, x: IntValue<'ctx>, ty: Scalar) -> CgResult<IntValue<'ctx>> {
        if !ty.is_signed() {
            return Ok(x);
        }
        let b = &self.b;
        let neg = b.build_int_compare(IntPredicate::SLT, x, x.get_type().const_zero(), "")?;
        Ok(b.build_select(neg, b.build_int_neg(x, "")?, x, "abs")?
            .into_int_value())
    }

    fn int_sign(&self, x: IntValue<'ctx>, ty: Scalar) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        let t = x.get_type();
        let zero = t.const_zero();
        let pos = b.build_int_compare(
            if ty.is_signed() {
                IntPredicate::SGT
            } else {
                IntPredicate::UGT
            },
            x,
            zero,
            "",
        )?;
        let pos = b.build_int_z_extend_or_bit_cast(pos, t, "")?;
        if !ty.is_signed() {
            return Ok(pos);
        }
        let neg = b.build_int_compare(IntPredicate::SLT, x, zero, "")?;
        Ok(b.build_int_sub(pos, b.build_int_z_extend(neg, t, "")?, "sign")?)
    }

    /// NumPy's sign: 1, -1, +0 for either zero, NaN for NaN.
    fn float_sign(&self, x: FloatValue<'ctx>) -> CgResult<FloatValue<'ctx>> {
        let t = x.get_type();
        let zero = t.const_zero();
        let pos = self.fcmp(CmpOp::Gt, x, zero)?;
        let neg = self.fcmp(CmpOp::Lt, x, zero)?;
        let is_zero = self.fcmp(CmpOp::Eq, x, zero)?;
        let b = &self.b;
        let z_or_nan = b.build_select(is_zero, zero, x, "")?.into_float_value();
        let n = b
            .build_select(neg, t.const_float(-1.0), z_or_nan, "")?
            .into_float_value();
        Ok(b.build_select(pos, t.const_float(1.0), n, "sign")?
            .into_float_value())
    }

    /// minimum/maximum (NaN-propagating), fmin/fmax (NaN-ignoring) and Python's min/max, in
    /// NumPy's scalar formulation with quiet comparisons, so NaNs raise no flag.
    fn min_max(
        &self,
        func: MathFn,
        x: CgVal<'ctx>,
        y: CgVal<'ctx>,
        ty: Scalar,
    ) -> CgResult<CgVal<'ctx>> {
        use MathFn::*;
        let b = &self.b;
        match (x, y) {
            (CgVal::Int(a), CgVal::Int(c)) => {
                let lt = if ty.is_signed() {
                    IntPredicate::SLT
                } else {
                    IntPredicate::ULT
                };
                let gt = if ty.is_signed() {
                    IntPredicate::SGT
                } else {
                    IntPredicate::UGT
                };
                // Python's min/max keep the first argument on ties; for ints that is invisible.
                let (pred, first, second) = match func {
                    Minimum | Fmin | PyMin => (lt, a, c),
                    _ => (gt, a, c),
                };
                let take_first = b.build_int_compare(pred, first, second, "")?;
                Ok(CgVal::Int(
                    b.build_select(take_first, first, second, "minmax")?
                        .into_int_value(),
                ))
            }
            (CgVal::Float(a), CgVal::Float(c)) => {
                let take_a = match func {
                    Minimum | Maximum | Fmin | Fmax => {
                        let op = if matches!(func, Minimum | Fmin) {
                            CmpOp::Lt
                        } else {
                            CmpOp::Gt
                        };
                        let ordered = self.fcmp(op, a, c)?;
                        // minimum/maximum keep a NaN in a; fmin/fmax keep a when c is NaN.
                        let nan = if matches!(func, Minimum | Maximum) {
                            self.is_nan(a)?
                        } else {
                            self.is_nan(c)?
                        };
                        self.b.build_or(ordered, nan, "")?
                    }
                    // min(a, b) is `b if b < a else a`.
                    PyMin => self.b.build_not(self.fcmp(CmpOp::Lt, c, a)?, "")?,
                    _ => self.b.build_not(self.fcmp(CmpOp::Gt, c, a)?, "")?,
                };
                Ok(CgVal::Float(
                    self.b
                        .build_select(take_a, a, c, "minmax")?
                        .into_float_value(),
                ))
            }
            _ => Err(CgError(format!("{func:?} is not defined on {ty}"))),
        }
    }

    /// `x != x`: quiet.
    pub(crate) fn is_nan(&self, x: FloatValue<'ctx>) -> CgResult<IntValue<'ctx>> {
        Ok(self
            .b
            .build_float_compare(FloatPredicate::UNO, x, x, "isnan")?)
    }

    /// Exponent all ones and mantissa zero, on the bits (no FP compare, no flag).
    pub(crate) fn is_inf(&self, x: FloatValue<'ctx>) -> CgResult<IntValue<'ctx>> {
        let (bits, it, exp_mask) = self.float_bits(x)?;
        let abs = self.b.build_and(
            bits,
            it.const_int(u64::MAX >> (64 - it.get_bit_width() + 1), false),
            "",
        )?;
        Ok(self
            .b
            .build_int_compare(IntPredicate::EQ, abs, exp_mask, "isinf")?)
    }

    /// Exponent not all ones, on the bits.
    pub(crate) fn is_finite(&self, x: FloatValue<'ctx>) -> CgResult<IntValue<'ctx>> {
        let (bits, _, exp_mask) = self.float_bits(x)?;
        let e = self.b.build_and(bits, exp_mask, "")?;
        Ok(self
            .b
            .build_int_compare(IntPredicate::NE, e, exp_mask, "isfinite")?)
    }

    /// The bits of a float, their integer type and the exponent mask.
    fn float_bits(
        &self,
        x: FloatValue<'ctx>,
    ) -> CgResult<(
        IntValue<'ctx>,
        inkwell::types::IntType<'ctx>,
        IntValue<'ctx>,
    )> {
        let w = x.get_type().get_bit_width();
        let it = super::value::int_of_width(self.ctx, w);
        let bits = self.b.build_bit_cast(x, it, "bits")?.into_int_value();
        let mask = if w == 32 {
            0x7f80_0000u64
        } else {
            0x7ff0_0000_0000_0000u64
        };
        Ok((bits, it, it.const_int(mask, false)))
    }

    pub(crate) fn fabs(&self, x: FloatValue<'ctx>) -> CgResult<FloatValue<'ctx>> {
        self.intrinsic("llvm.fabs", &[x])
    }

    pub(crate) fn copysign(
        &self,
        mag: FloatValue<'ctx>,
        sign: FloatValue<'ctx>,
    ) -> CgResult<FloatValue<'ctx>> {
        self.intrinsic("llvm.copysign", &[mag, sign])
    }

    /// Calls an overloaded float intrinsic at the type of its first argument.
    pub(crate) fn intrinsic(
        &self,
        name: &str,
        args: &[FloatValue<'ctx>],
    ) -> CgResult<FloatValue<'ctx>> {
        let first = args
            .first()
            .ok_or_else(|| CgError(format!("{name} needs arguments")))?;
        let intr = Intrinsic::find(name)
            .ok_or_else(|| CgError(format!("LLVM has no intrinsic {name}")))?;
        let decl = intr
            .get_declaration(self.module, &[first.get_type().into()])
            .ok_or_else(|| CgError(format!("cannot declare {name}")))?;
        let margs: Vec<BasicMetadataValueEnum> = args.iter().map(|&x| x.into()).collect();
        Ok(self.call_value(decl, &margs)?.into_float_value())
    }

    /// Declares (once) a pure C library function: no memory access, so loops around it stay
    /// vectorizable and errno is ignored (NumPy ignores it too).
    pub(crate) fn libm_function(
        &self,
        name: &str,
        ret: BasicTypeEnum<'ctx>,
        params: &[BasicMetadataTypeEnum<'ctx>],
    ) -> inkwell::values::FunctionValue<'ctx> {
        if let Some(f) = self.module.get_function(name) {
            return f;
        }
        let f = self.module.add_function(
            name,
            inkwell::types::BasicType::fn_type(&ret, params, false),
            Some(Linkage::External),
        );
        for (attr, val) in [
            ("memory", 0u64),
            ("nounwind", 0),
            ("willreturn", 0),
            ("nosync", 0),
        ] {
            let kind = Attribute::get_named_enum_kind_id(attr);
            f.add_attribute(
                AttributeLoc::Function,
                self.ctx.create_enum_attribute(kind, val),
            );
        }
        f
    }

    pub(crate) fn call_value(
        &self,
        f: inkwell::values::FunctionValue<'ctx>,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> CgResult<BasicValueEnum<'ctx>> {
        self.b
            .build_call(f, args, "call")?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CgError("a math call returned void".into()))
    }

    /// Calls a C99 complex function with the x86-64 System V ABI: `double complex` travels as
    /// two doubles and returns as `{double, double}`; `float complex` as `<2 x float>`.
    pub(crate) fn call_complex_symbol(
        &self,
        name: &str,
        args: &[(FloatValue<'ctx>, FloatValue<'ctx>)],
        ty: Scalar,
    ) -> CgResult<(FloatValue<'ctx>, FloatValue<'ctx>)> {
        let ft = float_type(self.ctx, ty);
        let b = &self.b;
        if ty == Scalar::C128 {
            let ret = self.ctx.struct_type(&[ft.into(), ft.into()], false);
            let f = self.libm_function(name, ret.into(), &vec![ft.into(); 2 * args.len()]);
            let flat: Vec<BasicMetadataValueEnum> = args
                .iter()
                .flat_map(|&(r, i)| [r.into(), i.into()])
                .collect();
            let st = self.call_value(f, &flat)?.into_struct_value();
            let r = b.build_extract_value(st, 0, "re")?.into_float_value();
            let i = b.build_extract_value(st, 1, "im")?.into_float_value();
            Ok((r, i))
        } else {
            let vt = ft.vec_type(2);
            let f = self.libm_function(name, vt.into(), &vec![vt.into(); args.len()]);
            let i32t = self.ctx.i32_type();
            let mut packed = Vec::with_capacity(args.len());
            for &(r, i) in args {
                let v = b.build_insert_element(vt.get_undef(), r, i32t.const_zero(), "")?;
                let v = b.build_insert_element(v, i, i32t.const_int(1, false), "")?;
                packed.push(v.into());
            }
            let v = self.call_value(f, &packed)?.into_vector_value();
            let r = b
                .build_extract_element(v, i32t.const_zero(), "re")?
                .into_float_value();
            let i = b
                .build_extract_element(v, i32t.const_int(1, false), "im")?
                .into_float_value();
            Ok((r, i))
        }
    }

    /// NumPy's complex power: svml-shim's `ufg_cpow`/`ufg_cpowf`, which follow NumPy's
    /// `npy_cpow` (special cases for a zero exponent, a zero base and small integer exponents,
    /// else the C library's `cpow`). In C rather than inline: its exceptional paths must raise
    /// exactly NumPy's flags, and generated code would have them speculated on every lane.
    pub(crate) fn complex_pow(
        &mut self,
        a: (FloatValue<'ctx>, FloatValue<'ctx>),
        b: (FloatValue<'ctx>, FloatValue<'ctx>),
        ty: Scalar,
    ) -> CgResult<CgVal<'ctx>> {
        let name = match lookup(MathFn::Pow, ty, MathImpl::Scalar) {
            Some(Lowering::Symbol(name)) => name,
            other => return Err(CgError(format!("complex power lowered as {other:?}"))),
        };
        let (r, i) = self.call_complex_symbol(name, &[a, b], ty)?;
        Ok(CgVal::Complex(r, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_function_lowers_for_both_floats() {
        for f in math_functions::MATH_FUNCTIONS {
            for t in [Scalar::F32, Scalar::F64] {
                assert!(lookup(f.func, t, MathImpl::Scalar).is_some(), "{}", f.name);
                assert_eq!(
                    lookup(f.func, t, MathImpl::Vector).is_some(),
                    f.vector,
                    "{}",
                    f.name
                );
            }
        }
    }

    #[test]
    fn lookup_picks_dtype_column() {
        assert_eq!(
            lookup(MathFn::Expm1, Scalar::F32, MathImpl::Scalar),
            Some(Lowering::Symbol("expm1f"))
        );
        assert_eq!(
            lookup(MathFn::Gamma, Scalar::F64, MathImpl::Scalar),
            Some(Lowering::Symbol("tgamma"))
        );
        assert_eq!(
            lookup(MathFn::Exp, Scalar::C64, MathImpl::Scalar),
            Some(Lowering::Symbol("cexpf"))
        );
        assert_eq!(
            lookup(MathFn::Exp, Scalar::F64, MathImpl::Vector),
            Some(Lowering::VectorEntry("exp"))
        );
        assert_eq!(lookup(MathFn::Exp, Scalar::C128, MathImpl::Vector), None);
        assert_eq!(lookup(MathFn::Erf, Scalar::C128, MathImpl::Scalar), None);
        assert_eq!(lookup(MathFn::Sign, Scalar::F64, MathImpl::Scalar), None);
    }
}
