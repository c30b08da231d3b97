//! Binary operators and comparisons with NumPy's exact semantics: wrapping integers, Python's
//! floor division and modulo, NumPy's shift results, Smith's complex division, and float
//! comparisons that raise no FP flag for NaN.

use inkwell::values::{FloatValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};

use super::guard::FlagOp;
use super::kernel::Cg;
use super::loop_abi::{RAISE_DIVBYZERO, RAISE_INVALID, RAISE_OVERFLOW};
use super::value::{CgError, CgResult, CgVal};
use crate::ir::{BinaryOp, CmpOp};
use crate::types::Scalar;

/// The flag raisers for IEEE `a op b` (`+ - * /`) in float64 or, `single`, float32 (whose
/// operands are exact in float64, so the float64 result rounded once more is the float32 one).
fn folded_flags(op: BinaryOp, a: f64, b: f64, single: bool) -> Vec<&'static str> {
    let round = |r: f64| -> f64 {
        if single {
            f64::from(r as f32)
        } else {
            r
        }
    };
    let wide = match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        _ => return Vec::new(),
    };
    let r = round(wide);
    let mut flags = Vec::new();
    let finite_in = a.is_finite() && b.is_finite();
    if r.is_nan() && !a.is_nan() && !b.is_nan() {
        flags.push(RAISE_INVALID);
    } else if op == BinaryOp::Div && b == 0.0 && a.is_finite() && a != 0.0 {
        flags.push(RAISE_DIVBYZERO);
    } else if r.is_infinite() && finite_in {
        flags.push(RAISE_OVERFLOW);
    }
    flags
}

impl<'a, 'ctx> Cg<'a, 'ctx> {
    /// `a op b`, both of dtype `ty`.
    pub(crate) fn binary(
        &mut self,
        op: BinaryOp,
        a: CgVal<'ctx>,
        b: CgVal<'ctx>,
        ty: Scalar,
    ) -> CgResult<CgVal<'ctx>> {
        match (a, b) {
            (CgVal::Int(x), CgVal::Int(y)) if ty == Scalar::Bool => self.bool_binary(op, x, y),
            (CgVal::Int(x), CgVal::Int(y)) => self.int_binary(op, x, y, ty).map(CgVal::Int),
            (CgVal::Float(x), CgVal::Float(y)) => self.float_binary(op, x, y, ty).map(CgVal::Float),
            (CgVal::Complex(ar, ai), CgVal::Complex(br, bi)) => {
                self.complex_binary(op, (ar, ai), (br, bi), ty)
            }
            _ => Err(CgError(format!("operands of {op:?} differ in kind"))),
        }
    }

    /// NumPy's bool arithmetic: `+` is or, `*` is and.
    fn bool_binary(
        &self,
        op: BinaryOp,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
    ) -> CgResult<CgVal<'ctx>> {
        let b = &self.b;
        Ok(CgVal::Int(match op {
            BinaryOp::Add | BinaryOp::BitOr => b.build_or(x, y, "or")?,
            BinaryOp::Mul | BinaryOp::BitAnd => b.build_and(x, y, "and")?,
            BinaryOp::Sub | BinaryOp::BitXor => b.build_xor(x, y, "xor")?,
            op => return Err(CgError(format!("{op:?} is not defined on bool"))),
        }))
    }

    fn int_binary(
        &mut self,
        op: BinaryOp,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
        ty: Scalar,
    ) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        Ok(match op {
            BinaryOp::Add => b.build_int_add(x, y, "add")?,
            BinaryOp::Sub => b.build_int_sub(x, y, "sub")?,
            BinaryOp::Mul => b.build_int_mul(x, y, "mul")?,
            BinaryOp::BitAnd => b.build_and(x, y, "and")?,
            BinaryOp::BitOr => b.build_or(x, y, "or")?,
            BinaryOp::BitXor => b.build_xor(x, y, "xor")?,
            BinaryOp::FloorDiv => self.int_divmod(x, y, ty, true)?,
            BinaryOp::Mod => self.int_divmod(x, y, ty, false)?,
            BinaryOp::Shl | BinaryOp::Shr => self.shift(op, x, y, ty)?,
            BinaryOp::Pow => self.int_pow(x, y, ty)?,
            BinaryOp::Div => {
                return Err(CgError("true division of integers reached codegen".into()))
            }
        })
    }

    /// Python's `//` (`quotient`) or `%` on integers; by zero: 0 and the divide-by-zero flag;
    /// `MIN // -1`: MIN and the overflow flag. The divisor is guarded, so there is no UB.
    fn int_divmod(
        &mut self,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
        ty: Scalar,
        quotient: bool,
    ) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        let t = x.get_type();
        let (zero, one) = (t.const_zero(), t.const_int(1, false));
        let by_zero = b.build_int_compare(IntPredicate::EQ, y, zero, "byzero")?;
        let result = if ty.is_signed() {
            let minus_one = t.const_all_ones();
            let by_m1 = b.build_int_compare(IntPredicate::EQ, y, minus_one, "bym1")?;
            let special = b.build_or(by_zero, by_m1, "")?;
            let d = b.build_select(special, one, y, "d")?.into_int_value();
            let q = b.build_int_signed_div(x, d, "q")?;
            let r = b.build_int_signed_rem(x, d, "r")?;
            // Floor: step down when the remainder's sign differs from the divisor's.
            let r_nz = b.build_int_compare(IntPredicate::NE, r, zero, "")?;
            let signs = b.build_int_compare(IntPredicate::SLT, b.build_xor(r, y, "")?, zero, "")?;
            let adjust = b.build_and(r_nz, signs, "adjust")?;
            let res = if quotient {
                let q = b.build_int_sub(q, b.build_int_z_extend(adjust, t, "")?, "")?;
                let neg = b.build_int_neg(x, "")?;
                b.build_select(by_m1, neg, q, "")?.into_int_value()
            } else {
                let r =
                    b.build_int_add(r, b.build_select(adjust, y, zero, "")?.into_int_value(), "")?;
                b.build_select(by_m1, zero, r, "")?.into_int_value()
            };
            if quotient {
                let min = t.const_int(1u64 << (ty.bits() - 1), false);
                let is_min = b.build_int_compare(IntPredicate::EQ, x, min, "")?;
                let overflow = b.build_and(by_m1, is_min, "overflow")?;
                self.call_if(overflow, RAISE_OVERFLOW)?;
            }
            res
        } else {
            let d = b.build_select(by_zero, one, y, "d")?.into_int_value();
            if quotient {
                b.build_int_unsigned_div(x, d, "q")?
            } else {
                b.build_int_unsigned_rem(x, d, "r")?
            }
        };
        let result = self
            .b
            .build_select(by_zero, zero, result, "")?
            .into_int_value();
        self.call_if(by_zero, RAISE_DIVBYZERO)?;
        Ok(result)
    }

    /// NumPy's shifts: a count < 0 or >= the width gives 0 (or -1 for `>>` of a negative
    /// signed value), never LLVM's poison.
    fn shift(
        &self,
        op: BinaryOp,
        x: IntValue<'ctx>,
        n: IntValue<'ctx>,
        ty: Scalar,
    ) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        let t = x.get_type();
        let width = t.const_int(ty.bits() as u64, false);
        // Unsigned compare: negative counts look huge, as in NumPy's cast to size_t.
        let in_range = b.build_int_compare(IntPredicate::ULT, n, width, "inrange")?;
        Ok(match (op, ty.is_signed()) {
            (BinaryOp::Shr, true) => {
                // Shifting by width-1 gives the sign fill: -1 for negatives, 0 otherwise.
                let max = t.const_int(ty.bits() as u64 - 1, false);
                let n = b.build_select(in_range, n, max, "")?.into_int_value();
                b.build_right_shift(x, n, true, "shr")?
            }
            (op, _) => {
                let n = b
                    .build_select(in_range, n, t.const_zero(), "")?
                    .into_int_value();
                let r = if op == BinaryOp::Shl {
                    b.build_left_shift(x, n, "shl")?
                } else {
                    b.build_right_shift(x, n, false, "shr")?
                };
                b.build_select(in_range, r, t.const_zero(), "")?
                    .into_int_value()
            }
        })
    }

    /// Integer power by repeated squaring, wrapping. A negative exponent records NumPy's
    /// ValueError and stops the loop.
    fn int_pow(
        &self,
        x: IntValue<'ctx>,
        e: IntValue<'ctx>,
        ty: Scalar,
    ) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        let t = x.get_type();
        let (zero, one) = (t.const_zero(), t.const_int(1, false));
        let negative = if ty.is_signed() {
            let negative = b.build_int_compare(IntPredicate::SLT, e, zero, "negexp")?;
            self.fail_if(negative, |cg| {
                let text = format!(
                    "Integers to negative integer powers are not allowed{}",
                    cg.location()
                );
                cg.set_error(crate::runtime::errors::kind::VALUE, &text)
            })?;
            negative
        } else {
            self.ctx.bool_type().const_zero()
        };
        let e0 = b.build_select(negative, zero, e, "")?.into_int_value();
        let pre = self.current_block()?;
        let (head, body, done) = (
            self.new_block("pow.head"),
            self.new_block("pow.body"),
            self.new_block("pow.end"),
        );
        b.build_unconditional_branch(head)?;
        b.position_at_end(head);
        let acc = b.build_phi(t, "acc")?;
        let base = b.build_phi(t, "base")?;
        let exp = b.build_phi(t, "exp")?;
        let (accv, basev, expv) = (
            acc.as_basic_value().into_int_value(),
            base.as_basic_value().into_int_value(),
            exp.as_basic_value().into_int_value(),
        );
        let more = b.build_int_compare(IntPredicate::NE, expv, zero, "")?;
        b.build_conditional_branch(more, body, done)?;
        b.position_at_end(body);
        let odd =
            b.build_int_compare(IntPredicate::NE, b.build_and(expv, one, "")?, zero, "odd")?;
        let acc2 = b
            .build_select(odd, b.build_int_mul(accv, basev, "")?, accv, "")?
            .into_int_value();
        let base2 = b.build_int_mul(basev, basev, "")?;
        let exp2 = b.build_right_shift(expv, one, false, "")?;
        b.build_unconditional_branch(head)?;
        acc.add_incoming(&[(&one, pre), (&acc2, body)]);
        base.add_incoming(&[(&x, pre), (&base2, body)]);
        exp.add_incoming(&[(&e0, pre), (&exp2, body)]);
        b.position_at_end(done);
        Ok(b.build_select(negative, zero, accv, "pow")?
            .into_int_value())
    }

    fn float_binary(
        &mut self,
        op: BinaryOp,
        x: FloatValue<'ctx>,
        y: FloatValue<'ctx>,
        ty: Scalar,
    ) -> CgResult<FloatValue<'ctx>> {
        if matches!(
            op,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
        ) {
            self.raise_folded_flags(op, x, y)?;
        }
        Ok(match op {
            BinaryOp::Add => self.fop(FlagOp::Add, x, y)?,
            BinaryOp::Sub => self.fop(FlagOp::Sub, x, y)?,
            BinaryOp::Mul => self.fop(FlagOp::Mul, x, y)?,
            BinaryOp::Div => self.fop(FlagOp::Div, x, y)?,
            BinaryOp::FloorDiv => self.float_divmod(x, y, true)?,
            BinaryOp::Mod => self.float_divmod(x, y, false)?,
            BinaryOp::Pow => self
                .call_math(
                    crate::ir::MathFn::Pow,
                    &[CgVal::Float(x), CgVal::Float(y)],
                    ty,
                    ty,
                )?
                .float()?,
            op => return Err(CgError(format!("{op:?} is not defined on {ty}"))),
        })
    }

    /// LLVM folds `+ - * /` of two constants at compile time, and the flags go with it: raise
    /// at run time, where the operation runs, what the hardware would have raised (NumPy's
    /// `np.float32(3.25) / 0.0` raises divide). Underflow (ignored by NumPy's defaults; svml-shim
    /// has no raiser for it) is not raised.
    fn raise_folded_flags(
        &self,
        op: BinaryOp,
        x: FloatValue<'ctx>,
        y: FloatValue<'ctx>,
    ) -> CgResult<()> {
        let (Some((a, _)), Some((c, _))) = (x.get_constant(), y.get_constant()) else {
            return Ok(());
        };
        let single = x.get_type().get_bit_width() == 32;
        for helper in folded_flags(op, a, c, single) {
            self.call_if(self.ctx.bool_type().const_all_ones(), helper)?;
        }
        Ok(())
    }

    /// NumPy's `npy_divmod` (fmod, then the sign fix and rounding of the quotient to an
    /// integer); by zero, `//` gives `a / b` with NumPy's flags and `%` gives `fmod(a, 0)`.
    fn float_divmod(
        &mut self,
        a: FloatValue<'ctx>,
        bv: FloatValue<'ctx>,
        quotient: bool,
    ) -> CgResult<FloatValue<'ctx>> {
        let t = a.get_type();
        let (zero, one) = (t.const_zero(), t.const_float(1.0));
        let b = &self.b;
        let by_zero = b.build_float_compare(FloatPredicate::OEQ, bv, zero, "byzero")?;
        // For `//` the fmod is guarded so that x // 0 raises no invalid flag from fmod(x, 0).
        let (fa, fb) = if quotient {
            (
                b.build_select(by_zero, zero, a, "")?.into_float_value(),
                b.build_select(by_zero, one, bv, "")?.into_float_value(),
            )
        } else {
            (a, bv)
        };
        let m = self.fop(FlagOp::Rem, fa, fb)?;
        let div = self.fop(FlagOp::Div, self.fop(FlagOp::Sub, fa, m)?, fb)?;
        let m_nz = b.build_float_compare(FloatPredicate::UNE, m, zero, "")?;
        let b_neg = self.fcmp(CmpOp::Lt, fb, zero)?;
        let m_neg = self.fcmp(CmpOp::Lt, m, zero)?;
        let b = &self.b;
        let differ = b.build_xor(b_neg, m_neg, "")?;
        let adjust = b.build_and(m_nz, differ, "adjust")?;
        if !quotient {
            let m1 = b.build_select(adjust, self.fop(FlagOp::Add, m, fb)?, m, "")?;
            let signed_zero = self.copysign(zero, fb)?;
            return Ok(self
                .b
                .build_select(m_nz, m1.into_float_value(), signed_zero, "mod")?
                .into_float_value());
        }
        let div1 = b
            .build_select(adjust, self.fop(FlagOp::Sub, div, one)?, div, "")?
            .into_float_value();
        let fl = self.intrinsic("llvm.floor", &[div1])?;
        let frac = self.fop(FlagOp::Sub, div1, fl)?;
        let round_up = self.fcmp(CmpOp::Gt, frac, t.const_float(0.5))?;
        let b = &self.b;
        let fl2 = b
            .build_select(round_up, self.fop(FlagOp::Add, fl, one)?, fl, "")?
            .into_float_value();
        let div_nz = b.build_float_compare(FloatPredicate::UNE, div1, zero, "")?;
        // npy_divmod divides a / b only by zero (the result) and for a zero quotient (its
        // sign): exactly then, so that its flags (1 // 1.8e308 underflows, 1 // -1.8e308 does
        // not) are NumPy's. The fences keep LLVM from folding the selects into
        // `select(needed, a / b, 0)`, which would divide for every element.
        let needed = b.build_or(by_zero, b.build_not(div_nz, "")?, "")?;
        let (pa, pb) = (
            b.build_select(needed, a, zero, "")?.into_float_value(),
            b.build_select(needed, bv, one, "")?.into_float_value(),
        );
        let pa = self.intrinsic("llvm.arithmetic.fence", &[pa])?;
        let pb = self.intrinsic("llvm.arithmetic.fence", &[pb])?;
        let plain = self.fop(FlagOp::Div, pa, pb)?;
        let signed_zero = self.copysign(zero, plain)?;
        let b = &self.b;
        let q = b
            .build_select(div_nz, fl2, signed_zero, "")?
            .into_float_value();
        Ok(b.build_select(by_zero, plain, q, "floordiv")?
            .into_float_value())
    }

    fn complex_binary(
        &mut self,
        op: BinaryOp,
        (ar, ai): (FloatValue<'ctx>, FloatValue<'ctx>),
        (br, bi): (FloatValue<'ctx>, FloatValue<'ctx>),
        ty: Scalar,
    ) -> CgResult<CgVal<'ctx>> {
        Ok(match op {
            BinaryOp::Add => CgVal::Complex(
                self.fop(FlagOp::Add, ar, br)?,
                self.fop(FlagOp::Add, ai, bi)?,
            ),
            BinaryOp::Sub => CgVal::Complex(
                self.fop(FlagOp::Sub, ar, br)?,
                self.fop(FlagOp::Sub, ai, bi)?,
            ),
            BinaryOp::Mul => {
                let (r, i) = self.cmul((ar, ai), (br, bi))?;
                CgVal::Complex(r, i)
            }
            BinaryOp::Div => {
                let (r, i) = self.cdiv((ar, ai), (br, bi))?;
                CgVal::Complex(r, i)
            }
            BinaryOp::Pow => self.complex_pow((ar, ai), (br, bi), ty)?,
            op => return Err(CgError(format!("{op:?} is not defined on {ty}"))),
        })
    }

    /// NumPy's complex product, as its SIMD loop computes it: `re = ar*br - ai*bi`,
    /// `im = ar*bi + ai*br`, each a fused multiply-add where the CPU level NumPy dispatches to
    /// has FMA (x86-64-v3: `muladdsub`), plain products otherwise (the x86-64-v2 loop).
    /// The fused form differs in the last bit and in the flags (`0 * inf + nan` raises
    /// nothing; an overflowing `ar*br` beside a NaN product raises no overflow).
    pub(crate) fn cmul(
        &self,
        (ar, ai): (FloatValue<'ctx>, FloatValue<'ctx>),
        (br, bi): (FloatValue<'ctx>, FloatValue<'ctx>),
    ) -> CgResult<(FloatValue<'ctx>, FloatValue<'ctx>)> {
        let ii = self.fop(FlagOp::Mul, ai, bi)?;
        let ir = self.fop(FlagOp::Mul, ai, br)?;
        let target = self.kernel_target();
        if target.has_feature("fma") && target.has_feature("avx2") {
            let r = self.flag_op(
                FlagOp::Intrinsic("llvm.fma"),
                &[ar, br, self.b.build_float_neg(ii, "")?],
            )?;
            let i = self.flag_op(FlagOp::Intrinsic("llvm.fma"), &[ar, bi, ir])?;
            return Ok((r, i));
        }
        let r = self.fop(FlagOp::Sub, self.fop(FlagOp::Mul, ar, br)?, ii)?;
        let i = self.fop(FlagOp::Add, self.fop(FlagOp::Mul, ar, bi)?, ir)?;
        Ok((r, i))
    }

    /// NumPy's complex quotient (its loop: Smith's method, scaled by the larger part of the
    /// divisor; by a zero divisor each part divided by +0), operation for operation, flags
    /// included: NumPy's `|br| >= |bi|` is a signalling comparison, so a NaN in the divisor
    /// raises invalid (here: that NaN enters the first division as a signalling NaN).
    ///
    /// The paths are evaluated on every lane (LLVM if-converts and speculates FP operations),
    /// so each gets harmless operands on the lanes that do not take it: zero-divisor lanes run
    /// Smith's formulas on +-1, the others divide by +-1 in the by-zero formula. That +-1 comes
    /// from a divisor part's bits, and the guards test `p == 0` while the result is picked by
    /// "both parts zero" (equivalent wherever it matters): with a constant, or the very
    /// condition of the final select, LLVM folds the guard away and divides by zero again.
    pub(crate) fn cdiv(
        &self,
        (ar, ai): (FloatValue<'ctx>, FloatValue<'ctx>),
        (br, bi): (FloatValue<'ctx>, FloatValue<'ctx>),
    ) -> CgResult<(FloatValue<'ctx>, FloatValue<'ctx>)> {
        let t = ar.get_type();
        let (zero, one) = (t.const_zero(), t.const_float(1.0));
        let abs_r = self.fabs(br)?;
        let abs_i = self.fabs(bi)?;
        let real_big = self.fcmp(CmpOp::Ge, abs_r, abs_i)?;
        let b = &self.b;
        let r_zero = b.build_float_compare(FloatPredicate::OEQ, abs_r, zero, "")?;
        let i_zero = b.build_float_compare(FloatPredicate::OEQ, abs_i, zero, "")?;
        let by_zero = b.build_and(r_zero, i_zero, "byzero")?;
        let sel = |c, x: FloatValue<'ctx>, y: FloatValue<'ctx>| -> CgResult<FloatValue<'ctx>> {
            Ok(b.build_select(c, x, y, "")?.into_float_value())
        };
        // p is the larger part, q the other (a NaN divisor takes the imaginary-part path).
        let p = sel(real_big, br, bi)?;
        let q = sel(real_big, bi, br)?;
        // p == 0 exactly on zero-divisor lanes, and on lanes where br is NaN and bi zero (the
        // result is NaN there either way).
        let p_zero = b.build_float_compare(FloatPredicate::OEQ, p, zero, "pzero")?;
        let unit = self.unit_with_sign_of(p)?;
        let (p_s, q_s) = (self.signalling_if_nan(p)?, self.signalling_if_nan(q)?);
        let p_s = sel(p_zero, unit, p_s)?;
        let xr = sel(p_zero, unit, ar)?;
        let xi = sel(p_zero, unit, ai)?;
        let rat = self.fop(FlagOp::Div, q_s, p_s)?;
        let den = self.fop(FlagOp::Add, p_s, self.fop(FlagOp::Mul, q, rat)?)?;
        let scl = self.fop(FlagOp::Div, one, den)?;
        let i_rat = self.fop(FlagOp::Mul, xi, rat)?;
        let r_rat = self.fop(FlagOp::Mul, xr, rat)?;
        // real part big: (ar + ai*rat, ai - ar*rat); imaginary part big: (ar*rat + ai, ai*rat - ar).
        let nr = self.fop(
            FlagOp::Add,
            sel(real_big, xr, r_rat)?,
            sel(real_big, i_rat, xi)?,
        )?;
        let ni = self.fop(
            FlagOp::Sub,
            sel(real_big, xi, i_rat)?,
            sel(real_big, r_rat, xr)?,
        )?;
        let nr = self.fop(FlagOp::Mul, nr, scl)?;
        let ni = self.fop(FlagOp::Mul, ni, scl)?;
        let zd = sel(p_zero, abs_r, unit)?;
        let zr = self.fop(FlagOp::Div, ar, zd)?;
        let zi = self.fop(FlagOp::Div, ai, zd)?;
        Ok((sel(by_zero, zr, nr)?, sel(by_zero, zi, ni)?))
    }

    /// +-1 with the sign of `x`, from `x`'s bits (so not a constant to LLVM).
    fn unit_with_sign_of(&self, x: FloatValue<'ctx>) -> CgResult<FloatValue<'ctx>> {
        let t = x.get_type();
        let (it, xb, sign, _) = self.float_bit_masks(x)?;
        let b = &self.b;
        let one = b
            .build_bit_cast(t.const_float(1.0), it, "")?
            .into_int_value();
        let u = b.build_or(b.build_and(xb, sign, "")?, one, "")?;
        Ok(b.build_bit_cast(u, t, "unit")?.into_float_value())
    }

    /// `x`, made a signalling NaN if it is a NaN (quiet bit cleared, lowest bit set), so that
    /// the next arithmetic on it raises invalid as a signalling comparison would have.
    fn signalling_if_nan(&self, x: FloatValue<'ctx>) -> CgResult<FloatValue<'ctx>> {
        let t = x.get_type();
        let (it, xb, _, quiet) = self.float_bit_masks(x)?;
        let nan = self.is_nan(x)?;
        let b = &self.b;
        let s = b.build_or(
            b.build_and(xb, b.build_not(quiet, "")?, "")?,
            it.const_int(1, false),
            "",
        )?;
        let s = b.build_bit_cast(s, t, "snan")?.into_float_value();
        Ok(b.build_select(nan, s, x, "")?.into_float_value())
    }

    /// A float's bits, their integer type, and the sign and quiet-NaN bit masks.
    fn float_bit_masks(
        &self,
        x: FloatValue<'ctx>,
    ) -> CgResult<(
        inkwell::types::IntType<'ctx>,
        IntValue<'ctx>,
        IntValue<'ctx>,
        IntValue<'ctx>,
    )> {
        let bits = x.get_type().get_bit_width();
        let it = super::value::int_of_width(self.ctx, bits);
        let xb = self.b.build_bit_cast(x, it, "")?.into_int_value();
        let mantissa = if bits == 32 { 23 } else { 52 };
        let sign = it.const_int(1u64 << (bits - 1), false);
        let quiet = it.const_int(1u64 << (mantissa - 1), false);
        Ok((it, xb, sign, quiet))
    }

    /// Compares two values of dtype `ty`; the result is an `i1`.
    pub(crate) fn compare(
        &self,
        op: CmpOp,
        a: CgVal<'ctx>,
        b: CgVal<'ctx>,
        ty: Scalar,
    ) -> CgResult<IntValue<'ctx>> {
        match (a, b) {
            (CgVal::Int(x), CgVal::Int(y)) => {
                let signed = ty.is_signed();
                let pred = match op {
                    CmpOp::Eq => IntPredicate::EQ,
                    CmpOp::Ne => IntPredicate::NE,
                    CmpOp::Lt if signed => IntPredicate::SLT,
                    CmpOp::Le if signed => IntPredicate::SLE,
                    CmpOp::Gt if signed => IntPredicate::SGT,
                    CmpOp::Ge if signed => IntPredicate::SGE,
                    CmpOp::Lt => IntPredicate::ULT,
                    CmpOp::Le => IntPredicate::ULE,
                    CmpOp::Gt => IntPredicate::UGT,
                    CmpOp::Ge => IntPredicate::UGE,
                };
                Ok(self.b.build_int_compare(pred, x, y, "cmp")?)
            }
            (CgVal::Float(x), CgVal::Float(y)) => self.fcmp(op, x, y),
            (CgVal::Complex(xr, xi), CgVal::Complex(yr, yi)) => {
                self.complex_compare(op, (xr, xi), (yr, yi))
            }
            _ => Err(CgError(format!("operands of {op:?} differ in kind"))),
        }
    }

    /// NumPy's complex comparisons: equality of both parts; order lexicographic, false when
    /// an imaginary part is NaN.
    fn complex_compare(
        &self,
        op: CmpOp,
        (xr, xi): (FloatValue<'ctx>, FloatValue<'ctx>),
        (yr, yi): (FloatValue<'ctx>, FloatValue<'ctx>),
    ) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        match op {
            CmpOp::Eq => Ok(b.build_and(self.fcmp(op, xr, yr)?, self.fcmp(op, xi, yi)?, "eq")?),
            CmpOp::Ne => Ok(b.build_or(self.fcmp(op, xr, yr)?, self.fcmp(op, xi, yi)?, "ne")?),
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                let strict = match op {
                    CmpOp::Lt | CmpOp::Le => CmpOp::Lt,
                    _ => CmpOp::Gt,
                };
                let real_order = self.fcmp(strict, xr, yr)?;
                let imag_ord = b.build_float_compare(FloatPredicate::ORD, xi, yi, "")?;
                let first = b.build_and(real_order, imag_ord, "")?;
                let real_eq = self.fcmp(CmpOp::Eq, xr, yr)?;
                let second = b.build_and(real_eq, self.fcmp(op, xi, yi)?, "")?;
                Ok(b.build_or(first, second, "cmp")?)
            }
        }
    }

    /// A float comparison that raises no FP flag for quiet NaNs. x86's vector `<`/`<=` are
    /// signalling, so ordering is decided on sign-magnitude integer keys instead (equality and
    /// unordered tests are quiet already). With fastmath the plain comparison is used.
    pub(crate) fn fcmp(
        &self,
        op: CmpOp,
        x: FloatValue<'ctx>,
        y: FloatValue<'ctx>,
    ) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        let plain = |p| -> CgResult<IntValue<'ctx>> { Ok(b.build_float_compare(p, x, y, "fcmp")?) };
        match op {
            CmpOp::Eq => return plain(FloatPredicate::OEQ),
            CmpOp::Ne => return plain(FloatPredicate::UNE),
            _ if self.fastmath => {
                return plain(match op {
                    CmpOp::Lt => FloatPredicate::OLT,
                    CmpOp::Le => FloatPredicate::OLE,
                    CmpOp::Gt => FloatPredicate::OGT,
                    _ => FloatPredicate::OGE,
                })
            }
            _ => {}
        }
        // Gt/Ge are Lt/Le with the operands swapped.
        let (x, y, strict) = match op {
            CmpOp::Lt => (x, y, true),
            CmpOp::Le => (x, y, false),
            CmpOp::Gt => (y, x, true),
            _ => (y, x, false),
        };
        let bits = x.get_type().get_bit_width();
        let it = super::value::int_of_width(self.ctx, bits);
        let xi = b.build_bit_cast(x, it, "")?.into_int_value();
        let yi = b.build_bit_cast(y, it, "")?.into_int_value();
        let key = |v: IntValue<'ctx>| -> CgResult<IntValue<'ctx>> {
            // Negative floats: flip the magnitude bits so that signed integer order is float order.
            let sign = b.build_right_shift(v, it.const_int(bits as u64 - 1, false), true, "")?;
            let mask = b.build_right_shift(sign, it.const_int(1, false), false, "")?;
            Ok(b.build_xor(v, mask, "key")?)
        };
        let (kx, ky) = (key(xi)?, key(yi)?);
        let both_zero = b.build_int_compare(
            IntPredicate::EQ,
            b.build_left_shift(b.build_or(xi, yi, "")?, it.const_int(1, false), "")?,
            it.const_zero(),
            "bothzero",
        )?;
        let ordered = b.build_float_compare(FloatPredicate::ORD, x, y, "ord")?;
        let r = if strict {
            let lt = b.build_int_compare(IntPredicate::SLT, kx, ky, "")?;
            b.build_and(lt, b.build_not(both_zero, "")?, "")?
        } else {
            let le = b.build_int_compare(IntPredicate::SLE, kx, ky, "")?;
            b.build_or(le, both_zero, "")?
        };
        Ok(b.build_and(r, ordered, "fcmp")?)
    }
}
