//! Conversions with NumPy's `astype` semantics on x86-64: ints wrap, `!= 0` makes a bool (NaN
//! is true), and float -> int is NumPy's scalar conversion, the C cast it is built from (out of
//! range or NaN gives the "integer indefinite" value and raises invalid).

use inkwell::values::{FloatValue, IntValue};
use inkwell::FloatPredicate;

use super::kernel::Cg;
use super::value::{float_type, int_type, CgError, CgResult, CgVal};
use crate::types::Scalar;

impl<'a, 'ctx> Cg<'a, 'ctx> {
    /// Converts `v` from dtype `from` to dtype `to`.
    pub(crate) fn cast(&self, v: CgVal<'ctx>, from: Scalar, to: Scalar) -> CgResult<CgVal<'ctx>> {
        if from == to {
            return Ok(v);
        }
        let b = &self.b;
        if to == Scalar::Bool {
            return Ok(CgVal::Int(self.truthy(v)?));
        }
        Ok(match v {
            CgVal::Int(x) => {
                let from_signed = from.is_signed();
                if to.is_int() {
                    CgVal::Int(b.build_int_cast_sign_flag(
                        x,
                        int_type(self.ctx, to),
                        from_signed,
                        "cast",
                    )?)
                } else {
                    let ft = float_type(self.ctx, to);
                    let f = if from_signed {
                        b.build_signed_int_to_float(x, ft, "cast")?
                    } else {
                        b.build_unsigned_int_to_float(x, ft, "cast")?
                    };
                    self.real_to(f, to)
                }
            }
            CgVal::Float(x) => {
                if to.is_int() {
                    CgVal::Int(self.float_to_int(x, to)?)
                } else {
                    let ft = float_type(self.ctx, to);
                    let f = if to.real_part() == from {
                        x
                    } else {
                        self.float_cast(x, ft)?
                    };
                    self.real_to(f, to)
                }
            }
            // complex -> real drops the imaginary part (the front end normally rejects it).
            CgVal::Complex(r, i) => {
                if to.is_complex() {
                    let ft = float_type(self.ctx, to);
                    CgVal::Complex(self.float_cast(r, ft)?, self.float_cast(i, ft)?)
                } else {
                    return self.cast(CgVal::Float(r), from.real_part(), to);
                }
            }
        })
    }

    /// `x` widened or narrowed to `ft`; narrowing can overflow or underflow, so on a
    /// conditional path it is guarded (`guard`).
    fn float_cast(
        &self,
        x: FloatValue<'ctx>,
        ft: inkwell::types::FloatType<'ctx>,
    ) -> CgResult<FloatValue<'ctx>> {
        if ft.get_bit_width() < x.get_type().get_bit_width() {
            self.flag_op(super::guard::FlagOp::TruncF32, &[x])
        } else {
            Ok(self.b.build_float_cast(x, ft, "cast")?)
        }
    }

    /// A float of `to`'s part type, as `to` (a complex gets a zero imaginary part).
    fn real_to(&self, f: FloatValue<'ctx>, to: Scalar) -> CgVal<'ctx> {
        if to.is_complex() {
            CgVal::Complex(f, f.get_type().const_zero())
        } else {
            CgVal::Float(f)
        }
    }

    /// Float -> integer as NumPy's scalar conversion (`np.int8(np.float64(v))`, compiled C on
    /// x86-64): narrow types go through a 32-bit (signed targets, u8, u16) or 64-bit (u32)
    /// conversion and wrap; uint64 converts `x - 2^63` when `x >= 2^63`. Out of range or NaN
    /// gives the "integer indefinite" MIN of that conversion and raises invalid, whatever the
    /// array length or the element's position (LLVM's poison never decides the result).
    ///
    /// Where the conversion runs for every element, the hardware's own conversion raises the
    /// flag (exactly NumPy's: the same instruction), and the loop vectorizes. On a conditional
    /// path (LLVM could speculate the conversion onto lanes that do not take it), for a
    /// constant (folded, flag and all) and under `fastmath`, the conversion sees a value
    /// clamped into range and a call under a branch raises invalid.
    fn float_to_int(&self, x: FloatValue<'ctx>, to: Scalar) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        let target = int_type(self.ctx, to);
        let explicit = self.fastmath || self.guarded() || x.is_const();
        let (r, ok) = match to {
            Scalar::I64 | Scalar::U32 => {
                let ok = self.in_range(x, 64)?;
                (self.cvtt(x, 64, ok, explicit)?, ok)
            }
            Scalar::U64 => {
                let t = x.get_type();
                let two63 = t.const_float(9_223_372_036_854_775_808.0);
                let high = b.build_float_compare(FloatPredicate::OGE, x, two63, "high")?;
                // Each conversion sees 0 on the lanes of the other, which it converts silently.
                let low_x = b
                    .build_select(high, t.const_zero(), x, "")?
                    .into_float_value();
                let high_x = b.build_select(high, x, two63, "")?.into_float_value();
                // Exact (x >= 2^63 here), so it raises nothing wherever it runs.
                let shifted = b.build_float_sub(high_x, two63, "")?;
                let (lo_ok, hi_ok) = (self.in_range(low_x, 64)?, self.in_range(shifted, 64)?);
                let lo = self.cvtt(low_x, 64, lo_ok, explicit)?;
                let hi = self.cvtt(shifted, 64, hi_ok, explicit)?;
                let b = &self.b;
                let hi = b.build_xor(hi, self.ctx.i64_type().const_int(1 << 63, false), "")?;
                let ok = b.build_select(high, hi_ok, lo_ok, "ok")?.into_int_value();
                (b.build_select(high, hi, lo, "")?.into_int_value(), ok)
            }
            s if s.is_int() => {
                let ok = self.in_range(x, 32)?;
                (self.cvtt(x, 32, ok, explicit)?, ok)
            }
            s => return Err(CgError(format!("float -> {s} is not an integer cast"))),
        };
        if explicit {
            self.call_if(self.b.build_not(ok, "bad")?, super::loop_abi::RAISE_INVALID)?;
        }
        Ok(self.b.build_int_truncate_or_bit_cast(r, target, "cast")?)
    }

    /// Whether `cvttsd2si` with a `bits`-wide result converts `x` (else: NaN or out of range).
    fn in_range(&self, x: FloatValue<'ctx>, bits: u32) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        let wide = if x.get_type().get_bit_width() == 64 {
            x
        } else {
            b.build_float_ext(x, self.ctx.f64_type(), "")?
        };
        let limit = 2f64.powi(bits as i32 - 1);
        let t = wide.get_type();
        // Below: -2^31 - 1 is exact in f64; -2^63 - 1 is not, so 64-bit uses >= -2^63.
        let above_min = if bits == 64 {
            b.build_float_compare(FloatPredicate::OGE, wide, t.const_float(-limit), "")?
        } else {
            b.build_float_compare(FloatPredicate::OGT, wide, t.const_float(-limit - 1.0), "")?
        };
        let below_max =
            b.build_float_compare(FloatPredicate::OLT, wide, t.const_float(limit), "")?;
        Ok(b.build_and(above_min, below_max, "inrange")?)
    }

    /// `cvttsd2si` with a `bits`-wide result: truncation, or MIN where not `in_range`. With
    /// `clamp`, the conversion sees x clamped into range (unchanged when in range), so it
    /// raises nothing (the caller raises invalid); without, it sees x and the hardware raises
    /// invalid where x is NaN or out of range.
    fn cvtt(
        &self,
        x: FloatValue<'ctx>,
        bits: u32,
        in_range: IntValue<'ctx>,
        clamp: bool,
    ) -> CgResult<IntValue<'ctx>> {
        let it = super::value::int_of_width(self.ctx, bits);
        let limit = 2f64.powi(bits as i32 - 1);
        let xt = x.get_type();
        let below_limit = if xt.get_bit_width() == 64 {
            f64::from_bits(limit.to_bits() - 1)
        } else {
            f64::from(f32::from_bits((limit as f32).to_bits() - 1))
        };
        if !clamp {
            // x86's conversions give MIN (the "integer indefinite") for NaN and out-of-range
            // values, which is NumPy's result. To LLVM that result is poison: frozen, it is the
            // instruction's own. No select on `in_range` either: the code generator may turn
            // one into a branch and move the conversion under it, losing the flag.
            let raw = self.b.build_float_to_signed_int(x, it, "cvt")?;
            return Ok(self.freeze(raw));
        }
        let c = self.intrinsic("llvm.maxnum", &[x, xt.const_float(-limit)])?;
        let clamped = self.intrinsic("llvm.minnum", &[c, xt.const_float(below_limit)])?;
        let b = &self.b;
        let raw = b.build_float_to_signed_int(clamped, it, "cvt")?;
        let min = it.const_int(1u64 << (bits - 1), false);
        Ok(b.build_select(in_range, raw, min, "cvtt")?.into_int_value())
    }

    /// `freeze` (inkwell has no builder method for it): poison becomes some fixed value.
    fn freeze(&self, v: IntValue<'ctx>) -> IntValue<'ctx> {
        use inkwell::values::AsValueRef;
        // SAFETY: the builder is positioned in a block of this context, `v` is a live value
        // of it, and the name is a NUL-terminated string; the result is an integer like `v`.
        unsafe {
            let r = llvm_sys::core::LLVMBuildFreeze(
                self.b.as_mut_ptr(),
                v.as_value_ref(),
                c"frozen".as_ptr(),
            );
            IntValue::new(r)
        }
    }
}
