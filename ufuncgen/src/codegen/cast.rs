//! Conversions with NumPy's `astype` semantics on x86-64: ints wrap, `!= 0` makes a bool (NaN
//! is true), and float -> int is NumPy's scalar conversion, the C cast it is built from (out of
//! range or NaN gives the "integer indefinite" value and raises invalid).

use inkwell::values::{FloatValue, IntValue};
use inkwell::FloatPredicate;

use super::kernel::Cg;
use super::value::{float_type, int_type, CgError, CgResult, Val};
use crate::types::Scalar;

impl<'a, 'ctx> Cg<'a, 'ctx> {
    /// Converts `v` from dtype `from` to dtype `to`.
    pub(crate) fn cast(&self, v: Val<'ctx>, from: Scalar, to: Scalar) -> CgResult<Val<'ctx>> {
        if from == to {
            return Ok(v);
        }
        let b = &self.b;
        if to == Scalar::Bool {
            return Ok(Val::Int(self.truthy(v)?));
        }
        Ok(match v {
            Val::Int(x) => {
                let from_signed = from.is_signed();
                if to.is_int() {
                    Val::Int(b.build_int_cast_sign_flag(
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
            Val::Float(x) => {
                if to.is_int() {
                    Val::Int(self.float_to_int(x, to)?)
                } else {
                    let ft = float_type(self.ctx, to);
                    let f = if to.real_part() == from {
                        x
                    } else {
                        b.build_float_cast(x, ft, "cast")?
                    };
                    self.real_to(f, to)
                }
            }
            // complex -> real drops the imaginary part (the front end normally rejects it).
            Val::Complex(r, i) => {
                if to.is_complex() {
                    let ft = float_type(self.ctx, to);
                    Val::Complex(
                        b.build_float_cast(r, ft, "")?,
                        b.build_float_cast(i, ft, "")?,
                    )
                } else {
                    return self.cast(Val::Float(r), from.real_part(), to);
                }
            }
        })
    }

    /// A float of `to`'s part type, as `to` (a complex gets a zero imaginary part).
    fn real_to(&self, f: FloatValue<'ctx>, to: Scalar) -> Val<'ctx> {
        if to.is_complex() {
            Val::Complex(f, f.get_type().const_zero())
        } else {
            Val::Float(f)
        }
    }

    /// Float -> integer as NumPy's scalar conversion (`np.int8(np.float64(v))`, compiled C on
    /// x86-64): narrow types go through a 32-bit (signed targets, u8, u16) or 64-bit (u32)
    /// conversion and wrap; uint64 converts `x - 2^63` when `x >= 2^63`. Out of range or NaN
    /// gives the "integer indefinite" MIN of that conversion and raises invalid, whatever the
    /// array length or the element's position (the conversion never runs on such a value, so
    /// neither the hardware nor LLVM's poison decides the result or the flag).
    fn float_to_int(&self, x: FloatValue<'ctx>, to: Scalar) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        let target = int_type(self.ctx, to);
        let (r, bad) = match to {
            Scalar::I64 | Scalar::U32 => self.cvtt(x, 64)?,
            Scalar::U64 => {
                let two63 = x.get_type().const_float(9_223_372_036_854_775_808.0);
                let high = b.build_float_compare(FloatPredicate::OGE, x, two63, "high")?;
                let low_x = b.build_select(high, two63, x, "")?.into_float_value();
                let high_x = b.build_select(high, x, two63, "")?.into_float_value();
                let (lo, lo_bad) = self.cvtt(low_x, 64)?;
                let shifted = b.build_float_sub(high_x, two63, "")?;
                let (hi, hi_bad) = self.cvtt(shifted, 64)?;
                let hi = b.build_xor(hi, self.ctx.i64_type().const_int(1 << 63, false), "")?;
                let r = b.build_select(high, hi, lo, "")?.into_int_value();
                let bad = b.build_select(high, hi_bad, lo_bad, "")?.into_int_value();
                (r, bad)
            }
            s if s.is_int() => self.cvtt(x, 32)?,
            s => return Err(CgError(format!("float -> {s} is not an integer cast"))),
        };
        self.call_if(bad, super::loop_abi::RAISE_INVALID)?;
        Ok(b.build_int_truncate_or_bit_cast(r, target, "cast")?)
    }

    /// `cvttsd2si` with a `bits`-wide result: truncation, or MIN when out of range or NaN;
    /// also returns whether it was out of range (the hardware's invalid flag).
    fn cvtt(&self, x: FloatValue<'ctx>, bits: u32) -> CgResult<(IntValue<'ctx>, IntValue<'ctx>)> {
        let b = &self.b;
        let it = super::value::int_of_width(self.ctx, bits);
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
        let in_range = b.build_and(above_min, below_max, "inrange")?;
        // The conversion sees x clamped into range (unchanged when in range): its result is
        // defined, and out-of-range inputs cannot make the hardware raise invalid on a path
        // where NumPy does not (a select would let LLVM move the conversion before it).
        let xt = x.get_type();
        let below_limit = if xt.get_bit_width() == 64 {
            f64::from_bits(limit.to_bits() - 1)
        } else {
            f64::from(f32::from_bits((limit as f32).to_bits() - 1))
        };
        let clamped = self.intrinsic("llvm.maxnum", &[x, xt.const_float(-limit)])?;
        let clamped = self.intrinsic("llvm.minnum", &[clamped, xt.const_float(below_limit)])?;
        let b = &self.b;
        let raw = b.build_float_to_signed_int(clamped, it, "cvt")?;
        let min = it.const_int(1u64 << (bits - 1), false);
        let r = b.build_select(in_range, raw, min, "cvtt")?.into_int_value();
        Ok((r, b.build_not(in_range, "outofrange")?))
    }
}
