//! Calls of svml-shim's vector-math entry points through the vector-function ABI.
//!
//! A kernel calls the scalar entry (`ufg_exp_f64`) with the call-site attribute
//! `vector-function-abi-variant` listing its vector variants (`ufg_exp_f64x8`, ...); the loop
//! vectorizer then widens the call into one of them. The `-vector-library` option is gone from
//! LLVM 22's C API, so this per-call mapping is the route (NOTES.md). Which library a variant
//! runs (SVML, libmvec, per-lane libm) is decided at run time by svml-shim, so the emitted code
//! is the same for every tier (an ahead-of-time object would link to the shim's `ufg_*` wrappers).
//!
//! One routine serves every element (position independence): the widest vector entry the
//! CPU offers. The call site calls `ufg_exp_f64_lane` (defined here: the widest entry on a
//! splat, lane 0 out), narrower variants (`ufg_exp_f64x4` on an AVX-512 CPU) are defined here as
//! the widest entry on a padded vector, so the vector body, its epilogue and the scalar tail
//! give the same bits for the same input, whatever the array's length or the element's place
//! (libraries' scalar and narrower routines differ from their widest one in the last bit).
//!
//! Every vector variant also gets a masked twin (`ufg_exp_f64x8_mask`, defined here in IR): the
//! vectorizer uses it for calls under a condition (`log(x) if x > 0 else -1.0`), and it feeds
//! the inactive lanes a harmless argument, so an untaken branch never raises an FP flag that
//! NumPy would report (the unmasked call would evaluate `log(0)` and raise divide-by-zero).

use inkwell::attributes::AttributeLoc;
use inkwell::module::{Linkage, Module};
use inkwell::types::{BasicMetadataTypeEnum, VectorType};
use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, FloatValue, FunctionValue};

use super::kernel::Cg;
use super::target::Target;
use super::value::{CgError, CgResult};
use crate::ir::MathFn;

/// Shape suffixes of svml-shim's vector entries, as `(element bits, lanes)`.
const SHAPES: [(u32, u32); 4] = [(64, 8), (64, 4), (32, 16), (32, 8)];

/// The scalar entry name for a base name and element width: `ufg_exp_f64`.
pub(crate) fn scalar_entry(base: &str, bits: u32) -> String {
    format!("ufg_{base}_f{bits}")
}

/// The vector entry name with `lanes` lanes: `ufg_exp_f64x8`.
pub(crate) fn vector_entry(scalar: &str, lanes: u32) -> String {
    format!("{scalar}x{lanes}")
}

/// One VFABI mapping: `_ZGV_LLVM_N8vv_ufg_pow_f64(ufg_pow_f64x8)` (ISA `_LLVM_` = LLVM's own
/// vector types, `N` = unmasked, then the lane count and one `v` per vector parameter).
pub(crate) fn vfabi_mapping(callee: &str, scalar: &str, lanes: u32, arity: usize) -> String {
    format!(
        "_ZGV_LLVM_N{lanes}{}_{callee}({})",
        "v".repeat(arity),
        vector_entry(scalar, lanes)
    )
}

/// The in-module scalar entry that runs the widest vector entry on one value: `ufg_exp_f64_lane`.
pub(crate) fn lane_entry(scalar: &str) -> String {
    format!("{scalar}_lane")
}

/// The masked twin of a vector entry: `ufg_exp_f64x8_mask`.
pub(crate) fn masked_entry(scalar: &str, lanes: u32) -> String {
    format!("{}_mask", vector_entry(scalar, lanes))
}

/// The masked VFABI mapping (`M`): the same parameters plus a trailing `<lanes x i1>` mask.
pub(crate) fn vfabi_masked_mapping(callee: &str, scalar: &str, lanes: u32, arity: usize) -> String {
    format!(
        "_ZGV_LLVM_M{lanes}{}_{callee}({})",
        "v".repeat(arity),
        masked_entry(scalar, lanes)
    )
}

/// An argument the function `base` accepts without raising an FP flag (the table's).
fn harmless_argument(base: &str) -> CgResult<f64> {
    crate::math_functions::by_name(base)
        .map(|f| f.quiet_arg)
        .ok_or_else(|| CgError(format!("{base} is not a declared math function")))
}

/// Whether `name` is one of svml-shim's vector entries (`ufg_<fn>_f64x8`, ...) or a masked
/// twin of one.
fn is_vector_entry(name: &str) -> bool {
    let name = name.strip_suffix("_mask").unwrap_or(name);
    name.starts_with("ufg_")
        && SHAPES
            .iter()
            .any(|(bits, lanes)| name.ends_with(&format!("_f{bits}x{lanes}")))
}

/// Lane counts to offer for `bits`-wide elements on `target`, widest first.
fn lane_counts(target: &Target, bits: u32) -> Vec<u32> {
    target
        .vector_math_widths()
        .iter()
        .map(|w| w / bits)
        .filter(|lanes| SHAPES.contains(&(bits, *lanes)))
        .collect()
}

/// Functions whose constant operands LLVM rewrites well through its own intrinsic (`x**2.0` to
/// `x*x`): an opaque entry would lose that. Only whole exponents: LLVM turns `x**0.5` into a
/// square root it would then evaluate on untaken lanes too. A call on constants goes to the
/// vector entry like any other: folded by LLVM it would lose its flags, and the C library's
/// scalar routine raises flags the vector one does not (underflow of `expm1(5e-324)`).
fn keep_intrinsic(func: MathFn, args: &[FloatValue<'_>]) -> bool {
    func == MathFn::Pow
        && args
            .get(1)
            .and_then(|y| y.get_constant())
            .is_some_and(|(y, _)| y.fract() == 0.0 && y.abs() <= 16.0)
}

impl<'a, 'ctx> Cg<'a, 'ctx> {
    /// The CPU this kernel is compiled for, read back from its own function attributes (the
    /// single source of truth `Target::apply_to` wrote).
    pub(crate) fn kernel_target(&self) -> Target {
        let attr = |key: &str| {
            self.func
                .get_string_attribute(AttributeLoc::Function, key)
                .and_then(|a| a.get_string_value().to_str().ok().map(str::to_string))
                .unwrap_or_default()
        };
        Target {
            cpu: attr("target-cpu"),
            features: attr("target-features"),
        }
    }

    /// Calls svml-shim's `base` function on real floats with its vector variants attached;
    /// `None` when the CPU has no vector width for it or LLVM's own lowering is better here.
    pub(crate) fn call_vector_entry(
        &mut self,
        func: MathFn,
        base: &str,
        args: &[FloatValue<'ctx>],
    ) -> CgResult<Option<FloatValue<'ctx>>> {
        let Some(first) = args.first() else {
            return Err(CgError(format!("{base} needs arguments")));
        };
        let t = first.get_type();
        let bits = t.get_bit_width();
        let lanes = lane_counts(&self.kernel_target(), bits);
        if lanes.is_empty() || keep_intrinsic(func, args) {
            return Ok(None);
        }
        let scalar = scalar_entry(base, bits);
        let arity = args.len();
        let widest = lanes[0];
        let wv = t.vec_type(widest);
        let wide_name = vector_entry(&scalar, widest);
        let wide = match self.module.get_function(&wide_name) {
            Some(f) => f,
            None => match self.generated_routine(func, bits, &wide_name) {
                Some(row) => super::polymath::define(
                    self.ctx,
                    self.module,
                    &self.kernel_target(),
                    &wide_name,
                    row,
                    widest,
                )?,
                // Declared pure like a libm function, so the widened call stays as movable.
                None => self.libm_function(&wide_name, wv.into(), &vec![wv.into(); arity]),
            },
        };
        let f = self.lane_wrapper(&scalar, base, wide, widest, arity)?;
        let callee = lane_entry(&scalar);
        let mut mappings = Vec::with_capacity(2 * lanes.len());
        for &n in &lanes {
            let v = t.vec_type(n);
            let unmasked = if n == widest {
                wide
            } else {
                self.narrow_variant(&vector_entry(&scalar, n), base, n, wide, widest, arity)?
            };
            mappings.push(vfabi_mapping(&callee, &scalar, n, arity));
            self.masked_variant(&scalar, base, n, v, unmasked, arity)?;
            mappings.push(vfabi_masked_mapping(&callee, &scalar, n, arity));
        }
        self.call_with_variants(f, args, &mappings).map(Some)
    }

    /// The code-generated routine replacing the library's `entry` for `func`, where one beats
    /// the library that entry is bound to (`polymath`); never under fast math, whose flags would
    /// let LLVM rewrite the routine's careful arithmetic.
    fn generated_routine(
        &self,
        func: MathFn,
        bits: u32,
        entry: &str,
    ) -> Option<&'static super::polymath::PolyRow> {
        if self.fastmath {
            return None;
        }
        crate::vecmath::state();
        let lib = crate::vecmath::resolve(entry).map_or(crate::vecmath::VecLib::Scalar, |(_, t)| t);
        super::polymath::lookup(func, bits, lib)
    }

    /// Calls the scalar entry `f` carrying its vector variants (the VFABI mappings).
    fn call_with_variants(
        &self,
        f: FunctionValue<'ctx>,
        args: &[FloatValue<'ctx>],
        mappings: &[String],
    ) -> CgResult<FloatValue<'ctx>> {
        let margs: Vec<BasicMetadataValueEnum> = args.iter().map(|&x| x.into()).collect();
        let call = self.b.build_call(f, &margs, "vm")?;
        call.add_attribute(
            AttributeLoc::Function,
            self.ctx
                .create_string_attribute("vector-function-abi-variant", &mappings.join(",")),
        );
        match call.try_as_basic_value().basic() {
            Some(BasicValueEnum::FloatValue(v)) => Ok(v),
            _ => Err(CgError(format!(
                "{} did not return a float",
                f.get_name().to_string_lossy()
            ))),
        }
    }

    /// Defines internal `ufg_<fn>_<t>_lane(args...)`: the widest vector entry `wide` on splats
    /// of the arguments, lane 0 of the result. Every lane holds the same value, so the flags
    /// raised are those of that one value. `noinline`: inlined into the loop, the vector call
    /// would stop the vectorizer from widening it (and the call site's VFABI mappings name it).
    fn lane_wrapper(
        &self,
        scalar: &str,
        base: &str,
        wide: FunctionValue<'ctx>,
        widest: u32,
        arity: usize,
    ) -> CgResult<FunctionValue<'ctx>> {
        let name = lane_entry(scalar);
        if let Some(f) = self.module.get_function(&name) {
            return Ok(f);
        }
        let wv = wide
            .get_type()
            .get_return_type()
            .ok_or_else(|| CgError(format!("{base}: vector entry returns nothing")))?
            .into_vector_type();
        let t = wv.get_element_type().into_float_type();
        let f = self.module.add_function(
            &name,
            t.fn_type(&vec![t.into(); arity], false),
            Some(Linkage::Internal),
        );
        self.kernel_target().apply_to(f);
        for (attr, val) in [
            ("noinline", 0u64),
            ("memory", 0),
            ("nounwind", 0),
            ("willreturn", 0),
            ("nosync", 0),
        ] {
            let kind = inkwell::attributes::Attribute::get_named_enum_kind_id(attr);
            f.add_attribute(
                AttributeLoc::Function,
                self.ctx.create_enum_attribute(kind, val),
            );
        }
        let b = self.ctx.create_builder();
        b.position_at_end(self.ctx.append_basic_block(f, "entry"));
        let i32t = self.ctx.i32_type();
        let zeros = VectorType::const_vector(&vec![i32t.const_zero(); widest as usize]);
        let mut call_args: Vec<BasicMetadataValueEnum> = Vec::with_capacity(arity);
        for i in 0..arity {
            let x = f
                .get_nth_param(i as u32)
                .ok_or_else(|| CgError(format!("{name} lost an argument")))?;
            let one = b.build_insert_element(wv.get_poison(), x, i32t.const_zero(), "one")?;
            call_args.push(
                b.build_shuffle_vector(one, wv.get_poison(), zeros, "splat")?
                    .into(),
            );
        }
        let r = b
            .build_call(wide, &call_args, "r")?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CgError(format!("{name}: vector entry returned nothing")))?
            .into_vector_value();
        let lane = b.build_extract_element(r, i32t.const_zero(), "lane")?;
        b.build_return(Some(&lane))?;
        if self.fastmath {
            super::kernel::set_fast_flags(f);
        }
        Ok(f)
    }

    /// Defines internal `name` (`ufg_exp_f64x4` on a CPU whose widest entry is `f64x8`): the
    /// widest entry `wide` on the `lanes` arguments padded with a harmless value (so the padding
    /// raises no flag), its first `lanes` results out.
    fn narrow_variant(
        &self,
        name: &str,
        base: &str,
        lanes: u32,
        wide: FunctionValue<'ctx>,
        widest: u32,
        arity: usize,
    ) -> CgResult<FunctionValue<'ctx>> {
        if let Some(f) = self.module.get_function(name) {
            return Ok(f);
        }
        let wv = wide
            .get_type()
            .get_return_type()
            .ok_or_else(|| CgError(format!("{base}: vector entry returns nothing")))?
            .into_vector_type();
        let elem = wv.get_element_type().into_float_type();
        let v = elem.vec_type(lanes);
        let f = self.module.add_function(
            name,
            v.fn_type(&vec![v.into(); arity], false),
            Some(Linkage::Internal),
        );
        self.kernel_target().apply_to(f);
        let b = self.ctx.create_builder();
        b.position_at_end(self.ctx.append_basic_block(f, "entry"));
        let i32t = self.ctx.i32_type();
        let safe = VectorType::const_vector(&vec![
            elem.const_float(harmless_argument(base)?);
            widest as usize
        ]);
        let mut call_args: Vec<BasicMetadataValueEnum> = Vec::with_capacity(arity);
        for i in 0..arity {
            let x = f
                .get_nth_param(i as u32)
                .ok_or_else(|| CgError(format!("{name} lost an argument")))?
                .into_vector_value();
            let mut padded = safe;
            for k in 0..lanes {
                let idx = i32t.const_int(u64::from(k), false);
                let xk = b.build_extract_element(x, idx, "x")?;
                padded = b.build_insert_element(padded, xk, idx, "pad")?;
            }
            call_args.push(padded.into());
        }
        let r = b
            .build_call(wide, &call_args, "r")?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CgError(format!("{name}: vector entry returned nothing")))?
            .into_vector_value();
        let first: Vec<_> = (0..lanes)
            .map(|k| i32t.const_int(u64::from(k), false))
            .collect();
        let out =
            b.build_shuffle_vector(r, wv.get_poison(), VectorType::const_vector(&first), "out")?;
        b.build_return(Some(&out))?;
        if self.fastmath {
            super::kernel::set_fast_flags(f);
        }
        Ok(f)
    }

    /// Defines `ufg_<fn>_<shape>_mask(args..., mask)`: inactive lanes get a harmless argument,
    /// then the unmasked entry runs. Defined once per module, internal, kept by `pin`.
    fn masked_variant(
        &self,
        scalar: &str,
        base: &str,
        lanes: u32,
        v: VectorType<'ctx>,
        unmasked: FunctionValue<'ctx>,
        arity: usize,
    ) -> CgResult<()> {
        let name = masked_entry(scalar, lanes);
        if self.module.get_function(&name).is_some() {
            return Ok(());
        }
        let mask_t = self.ctx.bool_type().vec_type(lanes);
        let mut params: Vec<BasicMetadataTypeEnum> = vec![v.into(); arity];
        params.push(mask_t.into());
        let f = self
            .module
            .add_function(&name, v.fn_type(&params, false), Some(Linkage::Internal));
        // Same CPU attributes as the kernel, or the backend would split its vector arguments.
        self.kernel_target().apply_to(f);
        let b = self.ctx.create_builder();
        b.position_at_end(self.ctx.append_basic_block(f, "entry"));
        let elem = v.get_element_type().into_float_type();
        let safe_scalar = elem.const_float(harmless_argument(base)?);
        let safe = VectorType::const_vector(&vec![safe_scalar; lanes as usize]);
        let mask = f
            .get_nth_param(arity as u32)
            .ok_or_else(|| CgError("masked variant lost its mask".into()))?
            .into_vector_value();
        let mut call_args: Vec<BasicMetadataValueEnum> = Vec::with_capacity(arity);
        for i in 0..arity {
            let x = f
                .get_nth_param(i as u32)
                .ok_or_else(|| CgError("masked variant lost an argument".into()))?
                .into_vector_value();
            call_args.push(b.build_select(mask, x, safe, "lane")?.into());
        }
        let r = b.build_call(unmasked, &call_args, "r")?;
        let value = r
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CgError(format!("{name}: vector entry returned nothing")))?;
        b.build_return(Some(&value))?;
        if self.fastmath {
            super::kernel::set_fast_flags(f);
        }
        Ok(())
    }
}

/// Keeps the declared vector variants alive until the loop vectorizer has run: LLVM accepts a
/// VFABI mapping only when the named vector function exists in the module, and the optimizer
/// removes unused declarations. `llvm.compiler.used` pins them without emitting anything.
pub(crate) fn pin_vector_variants(module: &Module<'_>) {
    let variants: Vec<FunctionValue<'_>> = module
        .get_functions()
        .filter(|f| {
            f.get_name()
                .to_str()
                .is_ok_and(|n| is_vector_entry(n) || super::guard::is_guard_variant(n))
        })
        .collect();
    if variants.is_empty() {
        return;
    }
    let ctx = module.get_context();
    let ptr = ctx.ptr_type(inkwell::AddressSpace::default());
    let values: Vec<_> = variants
        .iter()
        .map(|f| f.as_global_value().as_pointer_value())
        .collect();
    let init = ptr.const_array(&values);
    let global = module.add_global(init.get_type(), None, "llvm.compiler.used");
    global.set_linkage(Linkage::Appending);
    global.set_section(Some("llvm.metadata"));
    global.set_initializer(&init);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_mappings() {
        let s = scalar_entry("pow", 64);
        assert_eq!(s, "ufg_pow_f64");
        assert_eq!(
            vfabi_mapping(&s, &s, 8, 2),
            "_ZGV_LLVM_N8vv_ufg_pow_f64(ufg_pow_f64x8)"
        );
        assert_eq!(
            vfabi_mapping(&lane_entry("ufg_exp_f32"), "ufg_exp_f32", 16, 1),
            "_ZGV_LLVM_N16v_ufg_exp_f32_lane(ufg_exp_f32x16)"
        );
        assert!(is_vector_entry("ufg_exp_f32x16"));
        assert!(!is_vector_entry("ufg_exp_f32"));
        assert!(!is_vector_entry("ufg_exp_f64x16"));
        assert!(is_vector_entry("ufg_exp_f64x8_mask"));
        assert_eq!(
            vfabi_masked_mapping(&scalar_entry("log", 64), &scalar_entry("log", 64), 8, 1),
            "_ZGV_LLVM_M8v_ufg_log_f64(ufg_log_f64x8_mask)"
        );
    }

    #[test]
    fn lanes_follow_register_widths() {
        let avx512 = Target::named("x86-64-v4");
        assert_eq!(lane_counts(&avx512, 64), vec![8, 4]);
        assert_eq!(lane_counts(&avx512, 32), vec![16, 8]);
        assert_eq!(lane_counts(&Target::named("x86-64-v3"), 32), vec![8]);
        assert!(lane_counts(&Target::named("x86-64"), 64).is_empty());
    }
}
