//! Code-generated vector math: polynomial approximations with range reduction, emitted as
//! LLVM IR in the kernel's module in place of svml-shim's library entry (`ufg_log_f32x16`),
//! wherever they beat the library bound at run time (measured per function and tier,
//! benchmarks/bench_vecmath.py; docs/vector-math.md).
//!
//! One description per function ([`TABLE`]: function, element width, algorithm, the tiers it
//! replaces) drives one generic emitter for every vector width the codegen uses; the
//! coefficients come from scripts/fit_polymath.py (polymath_coeffs.rs). The generated entry
//! replaces only the widest vector entry: `vector_abi` builds the lane entry (scalar tails), the
//! narrower variants and the masked twins on top of it, so a value's result does not depend on
//! its position. Only float32 rows exist so far (the emitter's format constants are float32's).
//!
//! Ordinary lanes take a fast path: one unsigned compare on the bits finds a special lane and
//! one branch skips the full routine, which runs in a cold block only for vectors holding one.
//!
//! FP flags as NumPy raises them, with no MXCSR access: every floating-point operation runs on
//! arguments clamped with *integer* operations into a range where it can raise only inexact
//! (LLVM assumes the default FP environment and may evaluate both arms of a select, so a float
//! select before the arithmetic would not protect it). Special inputs get their results by
//! select, and the flags NumPy raises for them (divide-by-zero for `log(0)`, invalid for
//! `log(-1)`) are raised in a cold block by a division on volatile memory, which LLVM can
//! neither fold nor drop. Comparisons are integer comparisons on the bits, which raise nothing
//! (an ordered float compare of a NaN may raise invalid on x86).

use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::types::{FloatType, IntType, VectorType};
use inkwell::values::{FunctionValue, IntValue, VectorValue};
use inkwell::IntPredicate;

use super::polymath_coeffs::{EXP_E_F32, LOG_Q_F32};
use super::target::Target;
use super::value::{CgError, CgResult};
use crate::ir::MathFn;
use crate::vecmath::VecLib;

/// Which logarithm a log-family routine returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogBase {
    E,
    Two,
    Ten,
}

/// The algorithm of a generated routine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algo {
    /// `x = m * 2^k`, m in [sqrt(1/2), sqrt(2)): `k log(2) + log1p(m - 1)` by polynomial.
    Log(LogBase),
    /// `u = 1 + x` rounded, `log(u)` as above plus the rounding error's first-order term.
    Log1p,
    /// `expm1(2|x|) / (expm1(2|x|) + 2)` with the sign of x, `±1` past saturation.
    Tanh,
}

/// One generated routine: function, element width, algorithm, and the library tiers it beats.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PolyRow {
    pub func: MathFn,
    pub bits: u32,
    pub algo: Algo,
    /// The tiers whose library routine is slower than this one (bench_vecmath.py).
    pub beats: &'static [VecLib],
}

const ALL: &[VecLib] = &[VecLib::Scalar, VecLib::Libmvec, VecLib::Svml];

/// The table: every function with a code-generated routine.
pub(crate) const TABLE: &[PolyRow] = &[
    PolyRow {
        func: MathFn::Log,
        bits: 32,
        algo: Algo::Log(LogBase::E),
        beats: ALL,
    },
    PolyRow {
        func: MathFn::Log2,
        bits: 32,
        algo: Algo::Log(LogBase::Two),
        beats: ALL,
    },
    PolyRow {
        func: MathFn::Log10,
        bits: 32,
        algo: Algo::Log(LogBase::Ten),
        beats: ALL,
    },
    PolyRow {
        func: MathFn::Log1p,
        bits: 32,
        algo: Algo::Log1p,
        beats: ALL,
    },
    PolyRow {
        func: MathFn::Tanh,
        bits: 32,
        algo: Algo::Tanh,
        beats: ALL,
    },
];

/// The generated routine for `func` on `bits`-wide floats when the bound library `lib` is
/// slower, unless `UFUNCGEN_DISABLE_POLYMATH` is set (to compare with the library).
pub(crate) fn lookup(func: MathFn, bits: u32, lib: VecLib) -> Option<&'static PolyRow> {
    if disabled() {
        return None;
    }
    TABLE
        .iter()
        .find(|r| r.func == func && r.bits == bits && r.beats.contains(&lib))
}

/// `UFUNCGEN_DISABLE_POLYMATH=1`: library entries everywhere (read once per process).
pub(crate) fn disabled() -> bool {
    static DISABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DISABLED.get_or_init(|| {
        std::env::var("UFUNCGEN_DISABLE_POLYMATH").is_ok_and(|v| !v.is_empty() && v != "0")
    })
}

/// What the cache key must know: which routines are generated in this process.
pub(crate) fn fingerprint() -> String {
    if disabled() {
        "polymath:off".into()
    } else {
        format!("polymath:{TABLE:?}")
    }
}

/// x86 MXCSR flag bits, as svml-shim names them.
const FLAG_INVALID: u64 = 0x01;
const FLAG_DIVIDE: u64 = 0x04;

/// Defines internal `name(<lanes x T>) -> <lanes x T>` computing `row` (T of `row.bits`).
pub(crate) fn define<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    target: &Target,
    name: &str,
    row: &PolyRow,
    lanes: u32,
) -> CgResult<FunctionValue<'ctx>> {
    if row.bits != 32 {
        return Err(CgError(format!(
            "no float{} coefficients for {:?}",
            row.bits, row.func
        )));
    }
    let ft = ctx.f32_type();
    let vt = ft.vec_type(lanes);
    let f = module.add_function(
        name,
        vt.fn_type(&[vt.into()], false),
        Some(Linkage::Internal),
    );
    target.apply_to(f);
    // Inlined into the vectorized loop after the optimizer ran (codegen::compile_with).
    let inline = inkwell::attributes::Attribute::get_named_enum_kind_id("alwaysinline");
    f.add_attribute(
        inkwell::attributes::AttributeLoc::Function,
        ctx.create_enum_attribute(inline, 0),
    );
    let b = ctx.create_builder();
    let entry = ctx.append_basic_block(f, "entry");
    b.position_at_end(entry);
    let x = f
        .get_first_param()
        .ok_or_else(|| CgError(format!("{name} lost its argument")))?
        .into_vector_value();
    let e = Emit {
        ctx,
        module,
        b: &b,
        ft,
        it: ctx.i32_type(),
        lanes,
    };
    let r = match row.algo {
        Algo::Log(base) => {
            let bits = e.bits(x)?;
            let (kf, fr) = e.reduce(bits)?;
            let fast = e.combine(kf, e.log1p_reduced(fr)?, base)?;
            // Zeros, subnormals, negatives, infinities and NaNs: one unsigned compare.
            let off = b.build_int_sub(bits, e.ic(MIN_NORMAL_BITS), "")?;
            let special = e.icmp(IntPredicate::UGE, off, INF_BITS - MIN_NORMAL_BITS)?;
            e.cold_path(f, special, fast, |e| e.log(x, base))?
        }
        Algo::Log1p => {
            let (xs, bits) = e.log1p_clamp(x)?;
            // Below 2^-24 in magnitude x itself, the correctly rounded result (here, not in the
            // special path: a wide domain has such a lane in nearly every vector).
            let abs = e.and(bits, ABS_MASK)?;
            let tiny = e.icmp(IntPredicate::ULT, abs, TINY_LOG1P_BITS)?;
            let fast = e.sel(tiny, x, e.log1p_core(xs)?)?;
            // x <= -1, infinities and NaNs.
            let outside = e.icmp(IntPredicate::UGE, abs, INF_BITS)?;
            let low = e.icmp(IntPredicate::UGE, bits, MINUS_ONE_BITS)?;
            let special = b.build_or(outside, low, "special")?;
            e.cold_path(f, special, fast, |e| e.log1p(x))?
        }
        Algo::Tanh => e.tanh(x)?,
    };
    b.build_return(Some(&r))?;
    Ok(f)
}

/// The IR emitter of one routine: float32 lanes, their i32 bits.
struct Emit<'a, 'ctx> {
    ctx: &'ctx Context,
    module: &'a Module<'ctx>,
    b: &'a Builder<'ctx>,
    ft: FloatType<'ctx>,
    it: IntType<'ctx>,
    lanes: u32,
}

type V<'ctx> = VectorValue<'ctx>;

/// float32 format constants.
const MANT_BITS: u64 = 23;
const MANT_MASK: u64 = 0x007f_ffff;
const ABS_MASK: u64 = 0x7fff_ffff;
const SIGN_BIT: u64 = 0x8000_0000;
const INF_BITS: u64 = 0x7f80_0000;
const MIN_NORMAL_BITS: u64 = 0x0080_0000;
/// The bits of sqrt(1/2) rounded down: reduced mantissas lie in [sqrt(1/2), sqrt(2)).
const SQRT_HALF_BITS: u64 = 0x3f35_04f3;
/// A float32 NaN as x86 produces it for an invalid operation (NumPy's result for `log(-1)`).
const DEFAULT_NAN_BITS: u64 = 0xffc0_0000;
/// 2^-24: below it, log1p(x) rounds to x.
const TINY_LOG1P_BITS: u64 = 0x3380_0000;
const MINUS_ONE_BITS: u64 = 0xbf80_0000;

/// `c = hi + lo` with `hi` holding the top 12 bits of `c` (so `k * hi` is exact for |k| < 2^12).
fn split12(c: f64) -> (f64, f64) {
    let hi = f32::from_bits((c as f32).to_bits() & 0xffff_f000);
    (f64::from(hi), f64::from((c - f64::from(hi)) as f32))
}

/// `c = hi + lo`, both float32.
fn split(c: f64) -> (f64, f64) {
    let hi = c as f32;
    (f64::from(hi), f64::from((c - f64::from(hi)) as f32))
}

impl<'a, 'ctx> Emit<'a, 'ctx> {
    fn vt(&self) -> VectorType<'ctx> {
        self.ft.vec_type(self.lanes)
    }

    fn ivt(&self) -> VectorType<'ctx> {
        self.it.vec_type(self.lanes)
    }

    fn fc(&self, c: f64) -> V<'ctx> {
        VectorType::const_vector(&vec![self.ft.const_float(c); self.lanes as usize])
    }

    fn ic(&self, c: u64) -> V<'ctx> {
        VectorType::const_vector(&vec![self.it.const_int(c, false); self.lanes as usize])
    }

    fn bits(&self, x: V<'ctx>) -> CgResult<V<'ctx>> {
        Ok(self
            .b
            .build_bit_cast(x, self.ivt(), "bits")?
            .into_vector_value())
    }

    fn float(&self, i: V<'ctx>) -> CgResult<V<'ctx>> {
        Ok(self
            .b
            .build_bit_cast(i, self.vt(), "f")?
            .into_vector_value())
    }

    fn and(&self, a: V<'ctx>, c: u64) -> CgResult<V<'ctx>> {
        Ok(self.b.build_and(a, self.ic(c), "")?)
    }

    fn icmp(&self, p: IntPredicate, a: V<'ctx>, c: u64) -> CgResult<V<'ctx>> {
        Ok(self.b.build_int_compare(p, a, self.ic(c), "")?)
    }

    fn sel(&self, m: V<'ctx>, a: V<'ctx>, b: V<'ctx>) -> CgResult<V<'ctx>> {
        Ok(self.b.build_select(m, a, b, "")?.into_vector_value())
    }

    fn intrinsic(&self, name: &str, args: &[V<'ctx>]) -> CgResult<V<'ctx>> {
        let ty = args
            .first()
            .ok_or_else(|| CgError(format!("{name} needs arguments")))?
            .get_type();
        let intr = inkwell::intrinsics::Intrinsic::find(name)
            .ok_or_else(|| CgError(format!("LLVM has no intrinsic {name}")))?;
        let decl = intr
            .get_declaration(self.module, &[ty.into()])
            .ok_or_else(|| CgError(format!("cannot declare {name}")))?;
        let margs: Vec<_> = args.iter().map(|&a| a.into()).collect();
        self.b
            .build_call(decl, &margs, "")?
            .try_as_basic_value()
            .basic()
            .map(|v| v.into_vector_value())
            .ok_or_else(|| CgError(format!("{name} returned nothing")))
    }

    fn fma(&self, a: V<'ctx>, b: V<'ctx>, c: V<'ctx>) -> CgResult<V<'ctx>> {
        self.intrinsic("llvm.fma", &[a, b, c])
    }

    fn mul(&self, a: V<'ctx>, b: V<'ctx>) -> CgResult<V<'ctx>> {
        Ok(self.b.build_float_mul(a, b, "")?)
    }

    fn add(&self, a: V<'ctx>, b: V<'ctx>) -> CgResult<V<'ctx>> {
        Ok(self.b.build_float_add(a, b, "")?)
    }

    fn sub(&self, a: V<'ctx>, b: V<'ctx>) -> CgResult<V<'ctx>> {
        Ok(self.b.build_float_sub(a, b, "")?)
    }

    /// `sum c_i t^i` by Horner's rule (no power of t is formed, so small t cannot underflow).
    fn horner(&self, t: V<'ctx>, coeffs: &[f32]) -> CgResult<V<'ctx>> {
        let (last, rest) = coeffs
            .split_last()
            .ok_or_else(|| CgError("empty polynomial".into()))?;
        let mut acc = self.fc(f64::from(*last));
        for &c in rest.iter().rev() {
            acc = self.fma(acc, t, self.fc(f64::from(c)))?;
        }
        Ok(acc)
    }

    /// Whether any lane of an i1 vector is set.
    fn any(&self, m: V<'ctx>) -> CgResult<IntValue<'ctx>> {
        let lanes = std::num::NonZeroU32::new(self.lanes)
            .ok_or_else(|| CgError("a vector of no lanes".into()))?;
        let wide = self
            .ctx
            .custom_width_int_type(lanes)
            .map_err(|e| CgError(format!("i{} type: {e}", self.lanes)))?;
        let packed = self.b.build_bit_cast(m, wide, "")?.into_int_value();
        Ok(self
            .b
            .build_int_compare(IntPredicate::NE, packed, wide.const_zero(), "any")?)
    }

    /// `fast` where no lane is `special`, else the full computation `full` (results of the
    /// special lanes by select, NumPy's flags raised) in a cold block: ordinary data pays one
    /// compare and one branch for the special values. `fast` must raise no flag on any input.
    fn cold_path(
        &self,
        f: FunctionValue<'ctx>,
        special: V<'ctx>,
        fast: V<'ctx>,
        full: impl FnOnce(&Self) -> CgResult<(V<'ctx>, IntValue<'ctx>)>,
    ) -> CgResult<V<'ctx>> {
        let b = self.b;
        let from_fast = b
            .get_insert_block()
            .ok_or_else(|| CgError("no insertion block".into()))?;
        let cold = self.ctx.append_basic_block(f, "special");
        let join = self.ctx.append_basic_block(f, "join");
        b.build_conditional_branch(self.any(special)?, cold, join)?;
        b.position_at_end(cold);
        let (r, flags) = full(self)?;
        self.raise(f, flags)?;
        let from_cold = b
            .get_insert_block()
            .ok_or_else(|| CgError("no insertion block".into()))?;
        b.build_unconditional_branch(join)?;
        b.position_at_end(join);
        let phi = b.build_phi(self.vt(), "r")?;
        phi.add_incoming(&[(&fast, from_fast), (&r, from_cold)]);
        Ok(phi.as_basic_value().into_vector_value())
    }

    /// NumPy's flags for lanes `zero` (divide-by-zero) and `invalid`, as an i32 of MXCSR bits.
    fn flags(&self, divide: V<'ctx>, invalid: V<'ctx>) -> CgResult<IntValue<'ctx>> {
        let i32t = self.ctx.i32_type();
        let d = self.b.build_select(
            self.any(divide)?,
            i32t.const_int(FLAG_DIVIDE, false),
            i32t.const_zero(),
            "",
        )?;
        let i = self.b.build_select(
            self.any(invalid)?,
            i32t.const_int(FLAG_INVALID, false),
            i32t.const_zero(),
            "",
        )?;
        Ok(self
            .b
            .build_or(d.into_int_value(), i.into_int_value(), "flags")?)
    }

    /// Raises `flags` (MXCSR bits) in cold blocks: `1 / z` and `z / z` with `z = 0` read
    /// through volatile memory, stored back volatile, so LLVM cannot fold or drop them.
    fn raise(&self, f: FunctionValue<'ctx>, flags: IntValue<'ctx>) -> CgResult<()> {
        let b = self.b;
        let i32t = self.ctx.i32_type();
        // In the entry block, so inlining makes it a static slot of the caller's frame (an
        // alloca elsewhere becomes a stack save and restore on every call).
        let entry = f
            .get_first_basic_block()
            .ok_or_else(|| CgError("routine without entry".into()))?;
        let at_entry = self.ctx.create_builder();
        match entry.get_first_instruction() {
            Some(i) => at_entry.position_before(&i),
            None => at_entry.position_at_end(entry),
        }
        let slot = at_entry.build_alloca(self.ft, "fpraise")?;
        let done = self.ctx.append_basic_block(f, "done");
        let for_divide = self.ctx.append_basic_block(f, "raise_divide");
        let test_invalid = self.ctx.append_basic_block(f, "test_invalid");
        let for_invalid = self.ctx.append_basic_block(f, "raise_invalid");
        let bit = |mask: u64| -> CgResult<IntValue<'ctx>> {
            let m = b.build_and(flags, i32t.const_int(mask, false), "")?;
            Ok(b.build_int_compare(IntPredicate::NE, m, i32t.const_zero(), "")?)
        };
        // The common case (no special lane) falls through to `done` after one test.
        let none = b.build_int_compare(IntPredicate::EQ, flags, i32t.const_zero(), "")?;
        let start = self.ctx.append_basic_block(f, "raise");
        b.build_conditional_branch(none, done, start)?;
        b.position_at_end(start);
        b.build_conditional_branch(bit(FLAG_DIVIDE)?, for_divide, test_invalid)?;
        let zero_div = |num_is_zero: bool| -> CgResult<()> {
            let st = b.build_store(slot, self.ft.const_zero())?;
            st.set_volatile(true)
                .map_err(|e| CgError(format!("volatile store: {e}")))?;
            let z = b.build_load(self.ft, slot, "z")?.into_float_value();
            z.as_instruction()
                .ok_or_else(|| CgError("volatile load".into()))?
                .set_volatile(true)
                .map_err(|e| CgError(format!("volatile load: {e}")))?;
            let num = if num_is_zero {
                z
            } else {
                self.ft.const_float(1.0)
            };
            let q = b.build_float_div(num, z, "raise")?;
            let st = b.build_store(slot, q)?;
            st.set_volatile(true)
                .map_err(|e| CgError(format!("volatile store: {e}")))?;
            Ok(())
        };
        b.position_at_end(for_divide);
        zero_div(false)?;
        b.build_unconditional_branch(test_invalid)?;
        b.position_at_end(test_invalid);
        b.build_conditional_branch(bit(FLAG_INVALID)?, for_invalid, done)?;
        b.position_at_end(for_invalid);
        zero_div(true)?;
        b.build_unconditional_branch(done)?;
        b.position_at_end(done);
        Ok(())
    }

    /// `log1p(f) ~ f + f^2 Q(f)` for f in [sqrt(1/2) - 1, sqrt(2) - 1].
    fn log1p_reduced(&self, f: V<'ctx>) -> CgResult<V<'ctx>> {
        let f2 = self.mul(f, f)?;
        self.fma(f2, self.horner(f, &LOG_Q_F32)?, f)
    }

    /// `(k, f)` with `bits = (1 + f) 2^k`, 1 + f in [sqrt(1/2), sqrt(2)), for the bits of a
    /// positive normal float (any other bits give some finite `k` and `f`: no flag).
    fn reduce(&self, bits: V<'ctx>) -> CgResult<(V<'ctx>, V<'ctx>)> {
        let b = self.b;
        let off = b.build_int_sub(bits, self.ic(SQRT_HALF_BITS), "")?;
        let k = b.build_right_shift(off, self.ic(MANT_BITS), true, "k")?;
        let m = b.build_int_add(self.and(off, MANT_MASK)?, self.ic(SQRT_HALF_BITS), "")?;
        let f = self.sub(self.float(m)?, self.fc(1.0))?;
        let kf = b.build_signed_int_to_float(k, self.vt(), "kf")?;
        Ok((kf, f))
    }

    /// `k log_b(2) + log_b(1 + f)` from `log1p(f)` = `r`.
    fn combine(&self, kf: V<'ctx>, r: V<'ctx>, base: LogBase) -> CgResult<V<'ctx>> {
        match base {
            LogBase::E => {
                let (hi, lo) = split12(std::f64::consts::LN_2);
                let t = self.fma(kf, self.fc(lo), r)?;
                self.fma(kf, self.fc(hi), t)
            }
            LogBase::Two => {
                let (hi, lo) = split(std::f64::consts::LOG2_E);
                let t = self.fma(r, self.fc(lo), kf)?;
                self.fma(r, self.fc(hi), t)
            }
            LogBase::Ten => {
                // log10(e) in one float32 (its rounding costs < 0.1 ULP here); log10(2) split.
                let (hi, lo) = split12(std::f64::consts::LOG10_2);
                let y = self.fma(
                    r,
                    self.fc(std::f64::consts::LOG10_E),
                    self.mul(kf, self.fc(lo))?,
                )?;
                self.fma(kf, self.fc(hi), y)
            }
        }
    }

    /// log, log2, log10: NaN for NaN, +inf for +inf, -inf for ±0 (divide-by-zero), NaN for
    /// negative numbers (invalid). Subnormals are normalized exactly by an integer-to-float
    /// conversion of their bits (`x * 2^149`).
    fn log(&self, x: V<'ctx>, base: LogBase) -> CgResult<(V<'ctx>, IntValue<'ctx>)> {
        let b = self.b;
        let bits = self.bits(x)?;
        let abs = self.and(bits, ABS_MASK)?;
        let sub = self.icmp(IntPredicate::ULT, bits, MIN_NORMAL_BITS)?;
        let scaled = self.bits(b.build_signed_int_to_float(bits, self.vt(), "")?)?;
        let nb = self.sel(sub, scaled, bits)?;
        let (kf, f) = self.reduce(nb)?;
        let kf = self.sub(kf, self.sel(sub, self.fc(149.0), self.fc(0.0))?)?;
        let r = self.combine(kf, self.log1p_reduced(f)?, base)?;
        let nan = self.icmp(IntPredicate::UGT, abs, INF_BITS)?;
        let zero = self.icmp(IntPredicate::EQ, abs, 0)?;
        let neg = b.build_and(
            self.icmp(IntPredicate::NE, self.and(bits, SIGN_BIT)?, 0)?,
            b.build_not(b.build_or(zero, nan, "")?, "")?,
            "neg",
        )?;
        let inf = self.icmp(IntPredicate::EQ, bits, INF_BITS)?;
        let r = self.sel(inf, self.fc(f64::INFINITY), r)?;
        let r = self.sel(zero, self.fc(f64::NEG_INFINITY), r)?;
        let r = self.sel(neg, self.float(self.ic(DEFAULT_NAN_BITS))?, r)?;
        let r = self.sel(nan, x, r)?;
        Ok((r, self.flags(zero, neg)?))
    }

    /// `x` clamped into (-1, FLT_MAX] by integer min (so `1 + x` is finite and positive, and
    /// nothing computed from it raises a flag), and the bits of `x`.
    fn log1p_clamp(&self, x: V<'ctx>) -> CgResult<(V<'ctx>, V<'ctx>)> {
        let bits = self.bits(x)?;
        let negative = self.icmp(IntPredicate::NE, self.and(bits, SIGN_BIT)?, 0)?;
        let umin = |a: V<'ctx>, c: u64| self.intrinsic("llvm.umin", &[a, self.ic(c)]);
        // -0.99999994 and FLT_MAX.
        let clamped = self.sel(negative, umin(bits, 0xbf7f_ffff)?, umin(bits, 0x7f7f_ffff)?)?;
        Ok((self.float(clamped)?, bits))
    }

    /// `log(u) + (x - (u - 1)) / u` with `u = 1 + x` rounded, for x in (-1, FLT_MAX].
    fn log1p_core(&self, xs: V<'ctx>) -> CgResult<V<'ctx>> {
        let u = self.add(xs, self.fc(1.0))?;
        let c = self
            .b
            .build_float_div(self.sub(xs, self.sub(u, self.fc(1.0))?)?, u, "")?;
        let (kf, f) = self.reduce(self.bits(u)?)?;
        let r = self.combine(kf, self.log1p_reduced(f)?, LogBase::E)?;
        self.add(r, c)
    }

    /// log1p with every special lane: `x` itself below 2^-24 in magnitude (exact to rounding,
    /// and no operation on it, so a subnormal raises no underflow), -inf at -1
    /// (divide-by-zero), NaN below (invalid), +inf at +inf, NaN for NaN.
    fn log1p(&self, x: V<'ctx>) -> CgResult<(V<'ctx>, IntValue<'ctx>)> {
        let b = self.b;
        let (xs, bits) = self.log1p_clamp(x)?;
        let r = self.log1p_core(xs)?;
        let abs = self.and(bits, ABS_MASK)?;
        let tiny = self.icmp(IntPredicate::ULT, abs, TINY_LOG1P_BITS)?;
        let nan = self.icmp(IntPredicate::UGT, abs, INF_BITS)?;
        let minus_one = self.icmp(IntPredicate::EQ, bits, MINUS_ONE_BITS)?;
        let below = b.build_and(
            self.icmp(IntPredicate::UGT, bits, MINUS_ONE_BITS)?,
            b.build_not(nan, "")?,
            "below",
        )?;
        let inf = self.icmp(IntPredicate::EQ, bits, INF_BITS)?;
        let r = self.sel(tiny, x, r)?;
        let r = self.sel(inf, self.fc(f64::INFINITY), r)?;
        let r = self.sel(minus_one, self.fc(f64::NEG_INFINITY), r)?;
        let r = self.sel(below, self.float(self.ic(DEFAULT_NAN_BITS))?, r)?;
        let r = self.sel(nan, x, r)?;
        Ok((r, self.flags(minus_one, below)?))
    }

    /// tanh(a) = expm1(2a) / (expm1(2a) + 2) on a = |x| clamped by integer min/max into
    /// [2^-12, 9.1] (no flag from any step), the sign copied back from x; `x` itself below
    /// 2^-12 (±0, subnormals: no operation, so no underflow) and for NaN; `±1` from 9.1 up,
    /// where float32 tanh rounds to 1.
    fn tanh(&self, x: V<'ctx>) -> CgResult<V<'ctx>> {
        let b = self.b;
        let bits = self.bits(x)?;
        let abs = self.and(bits, ABS_MASK)?;
        const TINY: u64 = 0x3980_0000; // 2^-12
        const SAT: u64 = 0x4111_999a; // 9.1
        let umin = self.intrinsic("llvm.umin", &[abs, self.ic(SAT)])?;
        let a = self.float(self.intrinsic("llvm.umax", &[umin, self.ic(TINY)])?)?;
        let em = self.expm1_reduced(self.add(a, a)?)?;
        let t = b.build_float_div(em, self.add(em, self.fc(2.0))?, "")?;
        let t = self.sel(self.icmp(IntPredicate::UGE, abs, SAT)?, self.fc(1.0), t)?;
        let r = self.float(b.build_or(self.bits(t)?, self.and(bits, SIGN_BIT)?, "")?)?;
        // Below 2^-12 or NaN: one unsigned compare (below wraps around).
        let off = b.build_int_sub(abs, self.ic(TINY), "")?;
        let keep = self.icmp(IntPredicate::UGT, off, INF_BITS - TINY)?;
        self.sel(keep, x, r)
    }

    /// `expm1(t)` for t in [2^-11, 18.2] (no overflow, no underflow): `t = n ln2 + r`,
    /// `expm1(r) = r + r^2 E(r)`, `expm1(t) = 2^n expm1(r) + (2^n - 1)` with 2^n made by
    /// adding n to the exponent bits of 1.
    fn expm1_reduced(&self, t: V<'ctx>) -> CgResult<V<'ctx>> {
        let b = self.b;
        // Round to nearest by the 1.5 * 2^23 trick: the sum's low bits hold n.
        let shifter = self.fc(12_582_912.0);
        let nf = self.sub(
            self.fma(t, self.fc(std::f64::consts::LOG2_E), shifter)?,
            shifter,
        )?;
        let (hi, lo) = split12(std::f64::consts::LN_2);
        let r = self.fma(nf, self.fc(-hi), t)?;
        let r = self.fma(nf, self.fc(-lo), r)?;
        let p = self.fma(self.mul(r, r)?, self.horner(r, &EXP_E_F32)?, r)?;
        let n = b.build_float_to_signed_int(nf, self.ivt(), "n")?;
        let scale = self.float(b.build_int_add(
            self.ic(0x3f80_0000),
            b.build_left_shift(n, self.ic(MANT_BITS), "")?,
            "",
        )?)?;
        self.fma(scale, p, self.sub(scale, self.fc(1.0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_exact_sums() {
        for c in [std::f64::consts::LN_2, std::f64::consts::LOG10_2] {
            let (hi, lo) = split12(c);
            assert_eq!((hi as f32).to_bits() & 0xfff, 0);
            // 12 bits in hi, 24 in lo: the pair holds c to about 2^-36.
            assert!((hi + lo - c).abs() < c * 1e-10);
        }
        let (hi, lo) = split(std::f64::consts::LOG2_E);
        assert!((hi + lo - std::f64::consts::LOG2_E).abs() < 1e-14);
    }

    #[test]
    fn rows_are_unique() {
        for (i, r) in TABLE.iter().enumerate() {
            assert!(
                TABLE[i + 1..]
                    .iter()
                    .all(|o| o.func != r.func || o.bits != r.bits),
                "{:?} twice",
                r.func
            );
        }
    }
}
