//! Kernel language constructs (control flow, locals, power, math table) through compiled loops.

mod codegen_util;

use codegen_util::*;
use ufuncgen::ir::{BinaryOp, CmpOp, Expr, ExprKind, Local, LogicalOp, MathFn, StmtKind};
use ufuncgen::Scalar::{self, *};
use ufuncgen::Span;

fn assign(dst: u32, value: Expr) -> ufuncgen::ir::Stmt {
    stmt(StmtKind::Assign {
        dst: Local(dst),
        value,
    })
}

fn math1(f: MathFn, ty: Scalar) -> ufuncgen::ir::Function {
    func(&[ty], &[], ty, vec![ret(call(f, vec![var(0, ty)], ty))])
}

fn math2(f: MathFn, ty: Scalar) -> ufuncgen::ir::Function {
    func(
        &[ty, ty],
        &[],
        ty,
        vec![ret(call(f, vec![var(0, ty), var(1, ty)], ty))],
    )
}

#[test]
fn for_range_while_break_continue() {
    // acc = 0; for i in range(a, b, s): if i == 7: continue; if i > 40: break; acc += i
    // else: acc += 1000; return acc
    let ty = I64;
    let body = vec![
        assign(3, int(0, ty)),
        stmt(StmtKind::ForRange {
            var: Local(4),
            start: var(0, ty),
            stop: var(1, ty),
            step: var(2, ty),
            body: vec![
                stmt(StmtKind::If {
                    cond: cmp(CmpOp::Eq, var(4, ty), int(7, ty)),
                    then_body: vec![stmt(StmtKind::Continue)],
                    else_body: vec![],
                }),
                stmt(StmtKind::If {
                    cond: cmp(CmpOp::Gt, var(4, ty), int(40, ty)),
                    then_body: vec![stmt(StmtKind::Break)],
                    else_body: vec![],
                }),
                assign(3, bin(BinaryOp::Add, var(3, ty), var(4, ty))),
            ],
            orelse: vec![assign(3, bin(BinaryOp::Add, var(3, ty), int(1000, ty)))],
        }),
        ret(var(3, ty)),
    ];
    let f = func(&[ty, ty, ty], &[ty, ty], ty, body);
    let c = compile(&f);
    let reference = |a: i64, b: i64, s: i64| -> i64 {
        let mut acc = 0;
        let mut i = a;
        let mut broke = false;
        while s != 0 && ((s > 0 && i < b) || (s < 0 && i > b)) {
            if i != 7 {
                if i > 40 {
                    broke = true;
                    break;
                }
                acc += i;
            }
            i += s;
        }
        if !broke {
            acc += 1000;
        }
        acc
    };
    let cases = [
        (0, 10, 1),
        (0, 100, 3),
        (20, -5, -2),
        (5, 5, 1),
        (3, 9, 0),
        (-3, 9, 4),
        (50, 0, -1),
    ];
    let mut out = [0i64; 7];
    let (a, b, s): (Vec<i64>, Vec<i64>, Vec<i64>) = (
        cases.iter().map(|c| c.0).collect(),
        cases.iter().map(|c| c.1).collect(),
        cases.iter().map(|c| c.2).collect(),
    );
    let mut ptrs = [
        a.as_ptr() as *mut u8,
        b.as_ptr() as *mut u8,
        s.as_ptr() as *mut u8,
        out.as_mut_ptr() as *mut u8,
    ];
    unsafe { c.call_raw(&mut ptrs, &[8, 8, 8, 8], 7) };
    for (i, &(a, b, s)) in cases.iter().enumerate() {
        assert_eq!(out[i], reference(a, b, s), "range({a}, {b}, {s})");
    }
}

#[test]
fn range_near_type_limits_terminates() {
    // for i in range(120, 127, 5) in int8: i = 120, 125 (no wrap-around to negatives).
    let ty = I8;
    let body = vec![
        assign(1, int(0, ty)),
        stmt(StmtKind::ForRange {
            var: Local(2),
            start: int(120, ty),
            stop: int(127, ty),
            step: var(0, ty),
            body: vec![assign(1, bin(BinaryOp::Add, var(1, ty), int(1, ty)))],
            orelse: vec![],
        }),
        ret(var(1, ty)),
    ];
    let c = compile(&func(&[ty], &[ty, ty], ty, body));
    assert_eq!(c.map1::<i8, i8>(&[5, 1, 127]), vec![2, 7, 1]);
}

#[test]
fn while_loop_and_logical_short_circuit() {
    // n = x; k = 0; while n > 1 and k < 1000: n = n // 2 if n % 2 == 0 else 3*n + 1; k += 1
    let ty = I64;
    let even = cmp(
        CmpOp::Eq,
        bin(BinaryOp::Mod, var(1, ty), int(2, ty)),
        int(0, ty),
    );
    let next = Expr {
        kind: ExprKind::Select {
            cond: Box::new(even),
            then: Box::new(bin(BinaryOp::FloorDiv, var(1, ty), int(2, ty))),
            otherwise: Box::new(bin(
                BinaryOp::Add,
                bin(BinaryOp::Mul, int(3, ty), var(1, ty)),
                int(1, ty),
            )),
        },
        ty,
        span: Span::default(),
    };
    let cond = Expr {
        kind: ExprKind::Logical(
            LogicalOp::And,
            Box::new(cmp(CmpOp::Gt, var(1, ty), int(1, ty))),
            Box::new(cmp(CmpOp::Lt, var(2, ty), int(1000, ty))),
        ),
        ty: Bool,
        span: Span::default(),
    };
    let body = vec![
        assign(1, var(0, ty)),
        assign(2, int(0, ty)),
        stmt(StmtKind::While {
            cond,
            body: vec![
                assign(1, next),
                assign(2, bin(BinaryOp::Add, var(2, ty), int(1, ty))),
            ],
            orelse: vec![],
        }),
        ret(var(2, ty)),
    ];
    let c = compile(&func(&[ty], &[ty, ty], ty, body));
    let collatz = |mut n: i64| {
        let mut k = 0;
        while n > 1 && k < 1000 {
            n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
            k += 1;
        }
        k
    };
    let xs: Vec<i64> = (1..200).collect();
    let out = c.map1::<i64, i64>(&xs);
    assert!(xs.iter().zip(&out).all(|(&x, &k)| collatz(x) == k));
}

#[test]
fn power_for_ints_floats_complex() {
    let c = compile(&binary_fn(BinaryOp::Pow, I64));
    let out = c.map2::<i64, i64, i64>(&[2, 3, -2, 7, 0, 2], &[10, 0, 3, 25, 0, 64]);
    assert_eq!(out, vec![1024, 1, -8, 7i64.wrapping_pow(25), 1, 0]);
    assert_eq!(ufuncgen::take_runtime_error(), None);
    // A negative exponent is NumPy's ValueError: the loop stops there.
    let out = c.map2::<i64, i64, i64>(&[2, 5, 3], &[3, -1, 2]);
    assert_eq!(
        out,
        vec![8, 0, 0],
        "nothing written from the failing element on"
    );
    let (kind, msg) = ufuncgen::take_runtime_error().expect("ValueError recorded");
    assert_eq!(kind, 2);
    assert!(
        msg.starts_with("Integers to negative integer powers are not allowed in 'k'"),
        "{msg}"
    );
    let c = compile(&binary_fn(BinaryOp::Pow, F64));
    let out = c.map2::<f64, f64, f64>(&[2.0, 9.0, -8.0], &[0.5, 0.5, 1.0 / 3.0]);
    assert_eq!(out[0], 2f64.powf(0.5));
    assert_eq!(out[1], 3.0);
    assert!(out[2].is_nan(), "negative base, fractional exponent");
    let c = compile(&binary_fn(BinaryOp::Pow, C128));
    let a = [
        [1.0, 2.0],
        [1.0, 2.0],
        [0.0, 0.0],
        [0.0, 0.0],
        [1.0, 1.0],
        [-1.0, 0.0],
    ];
    let b = [
        [2.0, 0.0],
        [0.0, 0.0],
        [2.0, 0.0],
        [-1.0, 0.0],
        [3.0, 0.0],
        [0.5, 0.0],
    ];
    let out = c.map2::<[f64; 2], [f64; 2], [f64; 2]>(&a, &b);
    assert_eq!(out[0], [-3.0, 4.0]);
    assert_eq!(out[1], [1.0, 0.0]);
    assert_eq!(out[2], [0.0, 0.0]);
    assert!(out[3][0].is_nan() && out[3][1].is_nan());
    assert_eq!(out[4], [-2.0, 2.0]);
    assert!(
        (out[5][0]).abs() < 1e-15 && (out[5][1] - 1.0).abs() < 1e-15,
        "(-1)**0.5 via cpow: {:?}",
        out[5]
    );
}

#[test]
fn math_table_functions_match_libm() {
    let xs = [0.3f64, 1.7, 2.5, 0.9];
    type F = fn(f64) -> f64;
    let unary: [(MathFn, F); 20] = [
        (MathFn::Exp, f64::exp),
        (MathFn::Exp2, f64::exp2),
        (MathFn::Expm1, f64::exp_m1),
        (MathFn::Log, f64::ln),
        (MathFn::Log2, f64::log2),
        (MathFn::Log10, f64::log10),
        (MathFn::Log1p, f64::ln_1p),
        (MathFn::Sqrt, f64::sqrt),
        (MathFn::Cbrt, f64::cbrt),
        (MathFn::Sin, f64::sin),
        (MathFn::Cos, f64::cos),
        (MathFn::Tan, f64::tan),
        (MathFn::Atan, f64::atan),
        (MathFn::Tanh, f64::tanh),
        (MathFn::Asinh, f64::asinh),
        (MathFn::Floor, f64::floor),
        (MathFn::Ceil, f64::ceil),
        (MathFn::Trunc, f64::trunc),
        (MathFn::Abs, f64::abs),
        (MathFn::Gamma, |x| {
            if x == 2.5 {
                1.329_340_388_179_137
            } else {
                f64::NAN
            }
        }),
    ];
    for (f, reference) in unary {
        let c = compile(&math1(f, F64));
        let out = c.map1::<f64, f64>(&xs);
        if f == MathFn::Gamma {
            assert!(
                (out[2] - reference(2.5)).abs() < 1e-15,
                "gamma(2.5) = {}",
                out[2]
            );
            continue;
        }
        for (x, y) in xs.iter().zip(&out) {
            let want = reference(*x);
            assert!(
                (y - want).abs() <= 2e-16 * want.abs().max(1e-300) * 2.0,
                "{f:?}({x}) = {y}, want {want}"
            );
        }
    }
    let c = compile(&math1(MathFn::Rint, F64));
    assert_eq!(
        c.map1::<f64, f64>(&[0.5, 1.5, 2.5, -0.5]),
        vec![0.0, 2.0, 2.0, -0.0]
    );
    let c = compile(&math1(MathFn::Expm1, F32));
    let out = c.map1::<f32, f32>(&[1e-5, 1.0]);
    assert!((out[0] - 1e-5f32.exp_m1()).abs() < 1e-12 && (out[1] - 1f32.exp_m1()).abs() < 1e-6);
    let c = compile(&math2(MathFn::Atan2, F64));
    assert_eq!(
        c.map2::<f64, f64, f64>(&[1.0, -1.0], &[-1.0, -0.0]),
        vec![1f64.atan2(-1.0), (-1f64).atan2(-0.0)]
    );
    let c = compile(&math2(MathFn::Hypot, F64));
    assert_eq!(c.map2::<f64, f64, f64>(&[3.0], &[4.0]), vec![5.0]);
    let c = compile(&math2(MathFn::Fmod, F64));
    assert_eq!(
        c.map2::<f64, f64, f64>(&[-7.0, 7.0], &[2.0, -2.0]),
        vec![-1.0, 1.0]
    );
    let c = compile(&math2(MathFn::Copysign, F64));
    assert_eq!(c.map2::<f64, f64, f64>(&[3.0], &[-0.0]), vec![-3.0]);
}

#[test]
fn sign_min_max_predicates() {
    let nan = f64::NAN;
    let c = compile(&math1(MathFn::Sign, F64));
    let out = c.map1::<f64, f64>(&[3.0, -2.0, -0.0, nan]);
    assert_eq!(&out[..3], &[1.0, -1.0, 0.0]);
    assert!(out[3].is_nan(), "np.sign(nan) is nan");
    assert_eq!(out[2].to_bits(), 0.0f64.to_bits());
    let c = compile(&math1(MathFn::Sign, I32));
    assert_eq!(c.map1::<i32, i32>(&[5, -5, 0]), vec![1, -1, 0]);
    let c = compile(&math1(MathFn::Abs, I8));
    assert_eq!(c.map1::<i8, i8>(&[-5, 5, i8::MIN]), vec![5, 5, i8::MIN]);
    let c = compile(&math2(MathFn::Fmin, F64));
    assert_eq!(
        c.map2::<f64, f64, f64>(&[nan, 1.0, 2.0], &[1.0, nan, 0.5]),
        vec![1.0, 1.0, 0.5]
    );
    let c = compile(&math2(MathFn::PyMax, F64));
    let out = c.map2::<f64, f64, f64>(&[nan, 1.0, 2.0], &[1.0, nan, 3.0]);
    assert!(out[0].is_nan(), "max(nan, 1) keeps the first");
    assert_eq!(&out[1..], &[1.0, 3.0]);
    let c = compile(&math2(MathFn::Minimum, U16));
    assert_eq!(
        c.map2::<u16, u16, u16>(&[1, 60000], &[60000, 2]),
        vec![1, 2]
    );
    for (f, want) in [
        (MathFn::IsNan, [0u8, 1, 0, 0]),
        (MathFn::IsInf, [0, 0, 1, 1]),
        (MathFn::IsFinite, [1, 0, 0, 0]),
    ] {
        let c = compile(&func(
            &[F32],
            &[],
            Bool,
            vec![ret(call(f, vec![var(0, F32)], Bool))],
        ));
        let (out, flags) =
            with_flags(|| c.map1::<f32, u8>(&[1.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY]));
        assert_eq!(out, want, "{f:?}");
        assert_eq!(flags & FE_INVALID, 0);
    }
}

#[test]
fn complex_exp_log_sqrt_and_equality() {
    let c = compile(&math1(MathFn::Exp, C128));
    let out = c.map1::<[f64; 2], [f64; 2]>(&[[0.0, std::f64::consts::PI], [1.0, 0.0]]);
    assert!(
        (out[0][0] + 1.0).abs() < 1e-15 && out[0][1].abs() < 1e-15,
        "{:?}",
        out[0]
    );
    assert_eq!(out[1], [std::f64::consts::E, 0.0]);
    let c = compile(&math1(MathFn::Sqrt, C64));
    assert_eq!(
        c.map1::<[f32; 2], [f32; 2]>(&[[-4.0, 0.0], [3.0, 4.0]]),
        vec![[0.0, 2.0], [2.0, 1.0]]
    );
    let c = compile(&math1(MathFn::Log, C128));
    let out = c.map1::<[f64; 2], [f64; 2]>(&[[-1.0, 0.0]]);
    assert_eq!(out[0], [0.0, std::f64::consts::PI]);
    let eq = compile(&func(
        &[C128, C128],
        &[],
        Bool,
        vec![ret(cmp(CmpOp::Eq, var(0, C128), var(1, C128)))],
    ));
    let out = eq.map2::<[f64; 2], [f64; 2], u8>(
        &[[1.0, 2.0], [1.0, 2.0], [f64::NAN, 0.0]],
        &[[1.0, 2.0], [1.0, -2.0], [f64::NAN, 0.0]],
    );
    assert_eq!(out, vec![1, 0, 0]);
}
