//! How math calls are lowered with vector variants: which widths each CPU gets, where LLVM's
//! own lowering is kept, and that mixed-width loops call the variants correctly.

mod codegen_util;

use codegen_util::*;
use ufuncgen::codegen::{asm_from_ir, compile_loop, Target};
use ufuncgen::ir::{BinaryOp, MathFn};
use ufuncgen::{compile_ufunc, GlobalValue, KernelSpec, ModuleKind, Options, Scalar, SourceMap};

fn unary(f: MathFn, ty: Scalar) -> ufuncgen::ir::Function {
    func(&[ty], &[], ty, vec![ret(call(f, vec![var(0, ty)], ty))])
}

fn ir_for(f: &ufuncgen::ir::Function, target: &Target) -> String {
    compile_loop(f, "t.loop", Options::default(), target)
        .expect("compiles")
        .llvm_ir
}

/// Lane counts of the vector entries of `base` the IR calls.
fn called_lanes(ir: &str, scalar: &str) -> Vec<u32> {
    let needle = format!("@{scalar}x");
    let mut lanes: Vec<u32> = ir
        .lines()
        .filter(|l| l.contains(" call ") && !l.trim_start().starts_with("declare"))
        .filter_map(|l| {
            let rest = &l[l.find(&needle)? + needle.len()..];
            rest.split('(').next()?.parse().ok()
        })
        .collect();
    lanes.sort_unstable();
    lanes.dedup();
    lanes
}

#[test]
fn avx2_level_gets_only_ymm_variants() {
    let v3 = Target::named("x86-64-v3");
    let ir = ir_for(&unary(MathFn::Sin, Scalar::F64), &v3);
    assert_eq!(called_lanes(&ir, "ufg_sin_f64"), vec![4], "{ir}");
    assert!(ir.contains("_ZGV_LLVM_N4v_ufg_sin_f64_lane(ufg_sin_f64x4)"));
    assert!(!ir.contains("ufg_sin_f64x8"));
    // (float32 log1p has a generated routine, inlined: vecmath_polymath.rs checks those.)
    let ir32 = ir_for(&unary(MathFn::Exp, Scalar::F32), &v3);
    assert_eq!(called_lanes(&ir32, "ufg_exp_f32"), vec![8]);
    let asm = asm_from_ir(&ir, &v3).expect("assembles");
    assert!(asm.contains("ufg_sin_f64x4"));
    assert!(
        !asm.contains("zmm"),
        "AVX2 code must not touch zmm registers"
    );
}

#[test]
fn avx512_level_offers_both_widths() {
    let ir = ir_for(
        &unary(MathFn::Exp, Scalar::F32),
        &Target::named("x86-64-v4"),
    );
    for mapping in [
        "_ZGV_LLVM_N16v_ufg_exp_f32_lane(ufg_exp_f32x16)",
        "_ZGV_LLVM_N8v_ufg_exp_f32_lane(ufg_exp_f32x8)",
        "_ZGV_LLVM_M16v_ufg_exp_f32_lane(ufg_exp_f32x16_mask)",
        "_ZGV_LLVM_M8v_ufg_exp_f32_lane(ufg_exp_f32x8_mask)",
    ] {
        assert!(ir.contains(mapping), "{mapping} missing in {ir}");
    }
    assert!(!called_lanes(&ir, "ufg_exp_f32").is_empty());
    // One routine for every element: the 8-lane variant and the scalar remainder's entry are
    // defined in the module around the 16-lane library entry, the only one declared.
    assert!(
        ir.contains("define internal <8 x float> @ufg_exp_f32x8("),
        "{ir}"
    );
    assert!(ir.contains("@ufg_exp_f32_lane(float"), "{ir}");
    assert!(ir.contains("declare <16 x float> @ufg_exp_f32x16("), "{ir}");
    assert!(!ir.contains("declare <8 x float> @ufg_exp_f32x8("), "{ir}");
    assert!(
        !ir.contains("@ufg_exp_f32("),
        "the shim's scalar entry is not called: {ir}"
    );
}

#[test]
fn baseline_cpu_keeps_the_scalar_lowering() {
    let ir = ir_for(&unary(MathFn::Exp, Scalar::F64), &Target::named("x86-64"));
    assert!(!ir.contains("ufg_exp"), "{ir}");
    assert!(ir.contains("@exp(") || ir.contains("@llvm.exp."), "{ir}");
}

#[test]
fn constant_exponent_keeps_llvm_pow_rewrites() {
    let ty = Scalar::F64;
    let square = func(
        &[ty],
        &[],
        ty,
        vec![ret(bin(BinaryOp::Pow, var(0, ty), float(2.0, ty)))],
    );
    let ir = ir_for(&square, &Target::host());
    assert!(
        !ir.contains("ufg_pow"),
        "x**2.0 should be a multiplication: {ir}"
    );
    assert!(ir.contains("fmul"));
    let general = func(
        &[ty, ty],
        &[],
        ty,
        vec![ret(bin(BinaryOp::Pow, var(0, ty), var(1, ty)))],
    );
    if std::arch::is_x86_feature_detected!("avx2") {
        let ir = ir_for(&general, &Target::host());
        assert!(!called_lanes(&ir, "ufg_pow_f64").is_empty(), "{ir}");
    }
}

#[test]
fn fastmath_and_complex() {
    if !std::arch::is_x86_feature_detected!("avx2") {
        return;
    }
    let fast = Options { fastmath: true };
    let code = compile_loop(
        &unary(MathFn::Tanh, Scalar::F64),
        "fm.loop",
        fast,
        &Target::host(),
    )
    .expect("compiles");
    assert!(!called_lanes(&code.llvm_ir, "ufg_tanh_f64").is_empty());
    let c = Scalar::C128;
    let ir = ir_for(&unary(MathFn::Exp, c), &Target::host());
    assert!(!ir.contains("ufg_"), "complex exp is cexp: {ir}");
    assert!(ir.contains("@cexp("));
}

/// float32 data widened to float64 gives 16-lane loops calling the 8-lane f64 variant twice,
/// or 8-lane loops with zmm arguments: either way the results must be right.
#[test]
fn mixed_width_loop_is_correct() {
    let f = func(
        &[Scalar::F32],
        &[],
        Scalar::F64,
        vec![ret(call(
            MathFn::Exp,
            vec![cast(var(0, Scalar::F32), Scalar::F64)],
            Scalar::F64,
        ))],
    );
    let c = compile(&f);
    let x: Vec<f32> = (0..4099).map(|i| (i as f32 - 2000.0) * 0.173).collect();
    let y: Vec<f64> = c.map1(&x);
    for (a, b) in x.iter().zip(&y) {
        let want = (*a as f64).exp();
        assert!(
            (b - want).abs() <= 4.0 * f64::EPSILON * want,
            "exp({a}) = {b}, want {want}"
        );
    }
}

/// Source text to a loop: `exp(asin(x))` through the whole pipeline calls both vector entries.
#[test]
fn pipeline_uses_vector_entries() {
    let src = "def ea(x):\n    return math.exp(math.asin(x))\n";
    let spec = KernelSpec {
        name: "ea".into(),
        source: SourceMap {
            source: src.into(),
            filename: "k.py".into(),
            first_line: 1,
            col_offset: 0,
        },
        signatures: vec!["float64(float64)".into(), "float32(float32)".into()],
        globals: vec![("math".into(), GlobalValue::Module(ModuleKind::Math))],
        options: Options::default(),
    };
    let compiled = compile_ufunc(&spec).expect("compiles");
    let l = &compiled.loops[0];
    if std::arch::is_x86_feature_detected!("avx2") {
        assert!(!called_lanes(&l.llvm_ir, "ufg_exp_f64").is_empty());
        assert!(!called_lanes(&l.llvm_ir, "ufg_asin_f64").is_empty());
        assert!(!called_lanes(&compiled.loops[1].llvm_ir, "ufg_asin_f32").is_empty());
    }
    let x: Vec<f64> = (0..1001).map(|i| i as f64 / 500.0 - 1.0).collect();
    let mut out = vec![0.0f64; x.len()];
    let mut args = [x.as_ptr() as *mut u8, out.as_mut_ptr() as *mut u8];
    // SAFETY: two contiguous f64 arrays of x.len() elements.
    unsafe {
        (l.func)(
            args.as_mut_ptr(),
            [x.len() as isize].as_ptr(),
            [8isize, 8].as_ptr(),
            std::ptr::null_mut(),
        )
    };
    for (a, b) in x.iter().zip(&out) {
        let want = a.asin().exp();
        assert!(
            (b - want).abs() <= 8.0 * f64::EPSILON * want,
            "{a}: {b} vs {want}"
        );
    }
}
