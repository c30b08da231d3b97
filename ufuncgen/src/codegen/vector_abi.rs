//! Calls of svml-shim's vector-math entry points through the vector-function ABI.
//!
//! A kernel calls the scalar entry (`ufg_exp_f64`) with the call-site attribute
//! `vector-function-abi-variant` listing its vector variants (`ufg_exp_f64x8`, ...); the loop
//! vectorizer then widens the call into one of them. The `-vector-library` option is gone from
//! LLVM 22's C API, so this per-call mapping is the route (NOTES.md). Which library a variant
//! runs (SVML, libmvec, per-lane libm) is decided at run time by svml-shim, so the emitted code
//! is the same for every tier (an ahead-of-time object would link to the shim's `ufg_*` wrappers).
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
pub(crate) fn vfabi_mapping(scalar: &str, lanes: u32, arity: usize) -> String {
    format!(
        "_ZGV_LLVM_N{lanes}{}_{scalar}({})",
        "v".repeat(arity),
        vector_entry(scalar, lanes)
    )
}

/// The masked twin of a vector entry: `ufg_exp_f64x8_mask`.
pub(crate) fn masked_entry(scalar: &str, lanes: u32) -> String {
    format!("{}_mask", vector_entry(scalar, lanes))
}

/// The masked VFABI mapping (`M`): the same parameters plus a trailing `<lanes x i1>` mask.
pub(crate) fn vfabi_masked_mapping(scalar: &str, lanes: u32, arity: usize) -> String {
    format!(
        "_ZGV_LLVM_M{lanes}{}_{scalar}({})",
        "v".repeat(arity),
        masked_entry(scalar, lanes)
    )
}

/// An argument every function of svml-shim accepts without raising an FP flag (`acosh` is
/// defined from 1 up; everything else is fine at 0.5).
fn harmless_argument(base: &str) -> f64 {
    if base == "acosh" {
        2.0
    } else {
        0.5
    }
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
/// square root it would then evaluate on untaken lanes too.
fn keep_intrinsic(func: MathFn, args: &[FloatValue<'_>]) -> bool {
    let all_const = args.iter().all(|a| a.is_const());
    let whole_exponent = func == MathFn::Pow
        && args
            .get(1)
            .and_then(|y| y.get_constant())
            .is_some_and(|(y, _)| y.fract() == 0.0 && y.abs() <= 16.0);
    all_const || whole_exponent
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
        let f = self.libm_function(&scalar, t.into(), &vec![t.into(); args.len()]);
        let mut mappings = Vec::with_capacity(lanes.len());
        for &n in &lanes {
            let v = t.vec_type(n);
            // Declared pure like the scalar entry, so the widened call stays as movable.
            let unmasked = self.libm_function(
                &vector_entry(&scalar, n),
                v.into(),
                &vec![v.into(); args.len()],
            );
            mappings.push(vfabi_mapping(&scalar, n, args.len()));
            self.masked_variant(&scalar, base, n, v, unmasked, args.len())?;
            mappings.push(vfabi_masked_mapping(&scalar, n, args.len()));
        }
        self.call_with_variants(f, args, &mappings).map(Some)
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
}

impl<'a, 'ctx> Cg<'a, 'ctx> {
    /// An LLVM intrinsic that can raise an FP flag (`llvm.sqrt` of a negative number) wrapped
    /// as `ufg_<base>_f64` with vector variants and masked twins defined in this module, so the
    /// vectorizer evaluates it only on the lanes that take the branch holding it. The scalar
    /// wrapper is `noinline`: inlined, the bare intrinsic would be speculated again.
    /// `None` when the CPU has no vector width for it.
    pub(crate) fn call_guarded_intrinsic(
        &mut self,
        intrinsic: &str,
        base: &str,
        arg: FloatValue<'ctx>,
    ) -> CgResult<Option<FloatValue<'ctx>>> {
        let t = arg.get_type();
        let bits = t.get_bit_width();
        let lanes = lane_counts(&self.kernel_target(), bits);
        if lanes.is_empty() || arg.is_const() {
            return Ok(None);
        }
        let scalar = scalar_entry(base, bits);
        let f = match self.module.get_function(&scalar) {
            Some(f) => f,
            None => {
                let f = self.wrap_intrinsic(&scalar, intrinsic, t.into())?;
                let noinline = inkwell::attributes::Attribute::get_named_enum_kind_id("noinline");
                f.add_attribute(
                    AttributeLoc::Function,
                    self.ctx.create_enum_attribute(noinline, 0),
                );
                f
            }
        };
        let mut mappings = Vec::with_capacity(2 * lanes.len());
        for &n in &lanes {
            let v = t.vec_type(n);
            let name = vector_entry(&scalar, n);
            let unmasked = match self.module.get_function(&name) {
                Some(g) => g,
                None => self.wrap_intrinsic(&name, intrinsic, v.into())?,
            };
            mappings.push(vfabi_mapping(&scalar, n, 1));
            self.masked_variant(&scalar, base, n, v, unmasked, 1)?;
            mappings.push(vfabi_masked_mapping(&scalar, n, 1));
        }
        self.call_with_variants(f, &[arg], &mappings).map(Some)
    }

    /// Defines internal `name(x) = intrinsic(x)` for a float or float-vector type.
    fn wrap_intrinsic(
        &self,
        name: &str,
        intrinsic: &str,
        ty: inkwell::types::BasicTypeEnum<'ctx>,
    ) -> CgResult<FunctionValue<'ctx>> {
        let f = self.module.add_function(
            name,
            inkwell::types::BasicType::fn_type(&ty, &[ty.into()], false),
            Some(Linkage::Internal),
        );
        self.kernel_target().apply_to(f);
        let intr = inkwell::intrinsics::Intrinsic::find(intrinsic)
            .ok_or_else(|| CgError(format!("LLVM has no intrinsic {intrinsic}")))?;
        let decl = intr
            .get_declaration(self.module, &[ty])
            .ok_or_else(|| CgError(format!("cannot declare {intrinsic}")))?;
        let b = self.ctx.create_builder();
        b.position_at_end(self.ctx.append_basic_block(f, "entry"));
        let x = f
            .get_first_param()
            .ok_or_else(|| CgError(format!("{name} lost its argument")))?;
        let r = b.build_call(decl, &[x.into()], "r")?;
        let value = r
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CgError(format!("{intrinsic} returned nothing")))?;
        b.build_return(Some(&value))?;
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
        let safe_scalar = elem.const_float(harmless_argument(base));
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
/// True when the module calls a vector-math library (a declared vector entry, bound at run
/// time to SVML, libmvec or per-lane libm): its vector and scalar forms may differ in the last
/// bit, so which elements the vector body covers can change results. The guarded `sqrt`
/// variants are defined in the module and exact in both forms.
pub(crate) fn calls_vector_library(module: &Module<'_>) -> bool {
    module
        .get_functions()
        .any(|f| f.count_basic_blocks() == 0 && f.get_name().to_str().is_ok_and(is_vector_entry))
}

pub(crate) fn pin_vector_variants(module: &Module<'_>) {
    let variants: Vec<FunctionValue<'_>> = module
        .get_functions()
        .filter(|f| f.get_name().to_str().is_ok_and(is_vector_entry))
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
            vfabi_mapping(&s, 8, 2),
            "_ZGV_LLVM_N8vv_ufg_pow_f64(ufg_pow_f64x8)"
        );
        assert_eq!(
            vfabi_mapping(&scalar_entry("exp", 32), 16, 1),
            "_ZGV_LLVM_N16v_ufg_exp_f32(ufg_exp_f32x16)"
        );
        assert!(is_vector_entry("ufg_exp_f32x16"));
        assert!(!is_vector_entry("ufg_exp_f32"));
        assert!(!is_vector_entry("ufg_exp_f64x16"));
        assert!(is_vector_entry("ufg_exp_f64x8_mask"));
        assert_eq!(
            vfabi_masked_mapping(&scalar_entry("log", 64), 8, 1),
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
