//! The code-generated vector routines (codegen/polymath.rs): the loop defines them in its own
//! module instead of calling the library entry, and they stay within 2 ULP of the exact result
//! (glibc's double function rounded to float) over a sweep of the whole float32 line, with
//! IEEE special values exact. Run at whatever tier the process binds (the routines replace the
//! library at every tier they beat, `polymath::TABLE`).

mod codegen_util;
mod vecmath_util;

use ufuncgen::codegen::{compile_loop, Target};
use ufuncgen::ir::MathFn;
use ufuncgen::{Options, Scalar};

use codegen_util::{call, func, ret, var};
use vecmath_util::{compile_fn, functions, measure_against_libm, specials};

/// The float32 functions with a generated routine.
const GENERATED: [&str; 5] = ["log", "log2", "log10", "log1p", "tanh"];

/// Every 2^11-th float32 bit pattern of both signs (2 million values), plus the specials.
fn sweep() -> Vec<f64> {
    let mut v = specials();
    for bits in (0..=u32::MAX).step_by(1 << 11) {
        // Stepping by 2^11 from 0 visits only even patterns: shift by a pseudo-random odd
        // amount per step so the low mantissa bits vary too.
        let b = bits | (bits >> 13 & 0x7ff);
        v.push(f64::from(f32::from_bits(b)));
    }
    v
}

#[test]
fn loops_define_the_generated_routine() {
    for (f, name) in [
        (MathFn::Log, "log"),
        (MathFn::Log2, "log2"),
        (MathFn::Log10, "log10"),
        (MathFn::Log1p, "log1p"),
        (MathFn::Tanh, "tanh"),
    ] {
        let k = func(
            &[Scalar::F32],
            &[],
            Scalar::F32,
            vec![ret(call(f, vec![var(0, Scalar::F32)], Scalar::F32))],
        );
        for (cpu, lanes) in [("x86-64-v4", 16), ("x86-64-v3", 8)] {
            let ir = compile_loop(&k, "t.loop", Options::default(), &Target::named(cpu))
                .expect("compiles")
                .llvm_ir;
            let def = format!("define internal <{lanes} x float> @ufg_{name}_f32x{lanes}(");
            assert!(ir.contains(&def), "{cpu}: {def} missing in {ir}");
            assert!(
                !ir.contains(&format!(
                    "declare <{lanes} x float> @ufg_{name}_f32x{lanes}("
                )),
                "{cpu}: the library entry is still declared"
            );
        }
    }
    // float64 has no generated routine yet: the library entry stays.
    let k = func(
        &[Scalar::F64],
        &[],
        Scalar::F64,
        vec![ret(call(
            MathFn::Log,
            vec![var(0, Scalar::F64)],
            Scalar::F64,
        ))],
    );
    let ir = compile_loop(
        &k,
        "t.loop",
        Options::default(),
        &Target::named("x86-64-v4"),
    )
    .expect("compiles")
    .llvm_ir;
    assert!(ir.contains("declare <8 x double> @ufg_log_f64x8("), "{ir}");
}

#[test]
fn generated_float32_routines_are_within_2_ulp() {
    if !std::arch::is_x86_feature_detected!("avx2") {
        eprintln!("skipped: no vector entries on this CPU");
        return;
    }
    let inputs = sweep();
    let mut problems = Vec::new();
    for f in functions().iter().filter(|f| GENERATED.contains(&f.name)) {
        let c = compile_fn(f, Scalar::F32);
        let m = measure_against_libm(&c, f, Scalar::F32, std::slice::from_ref(&inputs), false);
        if m.max_ulp > 2 {
            problems.push(format!("{} f32: {} ULP at {}", f.name, m.max_ulp, m.worst));
        }
        problems.extend(
            m.failures
                .iter()
                .take(5)
                .map(|e| format!("{} f32: {e}", f.name)),
        );
        eprintln!(
            "{} f32: max {} ULP over {} values",
            f.name, m.max_ulp, m.count
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
