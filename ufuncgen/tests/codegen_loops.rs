//! Compiled loops against Rust references: every dtype, NumPy's division/shift/cast rules,
//! complex arithmetic, and every loop path (contiguous, strided, in place, overlapping, reduce).

mod codegen_util;

use codegen_util::*;
use ufuncgen::ir::{BinaryOp, CmpOp, MathFn};
use ufuncgen::Scalar::{self, *};

fn f64_data(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 * 0.37).sin() * 10.0 + 0.5).collect()
}

#[test]
fn add_f64_contiguous() {
    let c = compile(&binary_fn(BinaryOp::Add, F64));
    let a = f64_data(1003);
    let b: Vec<f64> = a.iter().map(|x| x * 3.0 - 1.0).collect();
    let out: Vec<f64> = c.map2(&a, &b);
    for i in 0..a.len() {
        assert_eq!(out[i].to_bits(), (a[i] + b[i]).to_bits(), "at {i}");
    }
}

/// `a + b` for an integer dtype against wrapping Rust addition, on values near the limits.
macro_rules! int_add_case {
    ($scalar:expr, $t:ty) => {{
        let c = compile(&binary_fn(BinaryOp::Add, $scalar));
        let a: Vec<$t> = (0..300).map(|i| (i as $t).wrapping_mul(97).wrapping_add(<$t>::MAX - 50)).collect();
        let b: Vec<$t> = (0..300).map(|i| (i as $t).wrapping_mul(31)).collect();
        let out: Vec<$t> = c.map2(&a, &b);
        for i in 0..a.len() {
            assert_eq!(out[i], a[i].wrapping_add(b[i]), "{} at {i}", $scalar);
        }
    }};
}

#[test]
fn add_every_dtype() {
    int_add_case!(I8, i8);
    int_add_case!(I16, i16);
    int_add_case!(I32, i32);
    int_add_case!(I64, i64);
    int_add_case!(U8, u8);
    int_add_case!(U16, u16);
    int_add_case!(U32, u32);
    int_add_case!(U64, u64);

    let c = compile(&binary_fn(BinaryOp::Add, F32));
    let a: Vec<f32> = f64_data(517).iter().map(|&x| x as f32).collect();
    let b: Vec<f32> = a.iter().map(|x| x * 0.3).collect();
    let out: Vec<f32> = c.map2(&a, &b);
    assert!(out.iter().zip(a.iter().zip(&b)).all(|(o, (x, y))| o.to_bits() == (x + y).to_bits()));

    // bool + bool is logical or in NumPy; memory holds 0/1 bytes.
    let c = compile(&binary_fn(BinaryOp::Add, Bool));
    let a: Vec<u8> = (0..100).map(|i| (i % 2) as u8).collect();
    let b: Vec<u8> = (0..100).map(|i| (i % 3 == 0) as u8).collect();
    let out: Vec<u8> = c.map2(&a, &b);
    assert!(out.iter().zip(a.iter().zip(&b)).all(|(o, (x, y))| *o == (x | y)));

    for (ty, half) in [(C64, 4usize), (C128, 8)] {
        let c = compile(&binary_fn(BinaryOp::Add, ty));
        let n = 101;
        let a = f64_data(2 * n);
        let b: Vec<f64> = a.iter().map(|x| x - 2.0).collect();
        if half == 8 {
            let out: Vec<f64> = {
                let mut o = vec![0.0f64; 2 * n];
                let mut ptrs = [a.as_ptr() as *mut u8, b.as_ptr() as *mut u8, o.as_mut_ptr() as *mut u8];
                unsafe { c.call_raw(&mut ptrs, &[16, 16, 16], n as isize) };
                o
            };
            assert!(out.iter().zip(a.iter().zip(&b)).all(|(o, (x, y))| *o == x + y));
        } else {
            let a: Vec<f32> = a.iter().map(|&x| x as f32).collect();
            let b: Vec<f32> = b.iter().map(|&x| x as f32).collect();
            let mut o = vec![0.0f32; 2 * n];
            let mut ptrs = [a.as_ptr() as *mut u8, b.as_ptr() as *mut u8, o.as_mut_ptr() as *mut u8];
            unsafe { c.call_raw(&mut ptrs, &[8, 8, 8], n as isize) };
            assert!(o.iter().zip(a.iter().zip(&b)).all(|(o, (x, y))| *o == x + y));
        }
    }
}

/// The RC filter of the benchmarks: `v * (1 - exp(1 / t))`.
pub fn rc_fn() -> ufuncgen::ir::Function {
    let one = || float(1.0, F64);
    let body = bin(
        BinaryOp::Mul,
        var(0, F64),
        bin(BinaryOp::Sub, one(), call(MathFn::Exp, vec![bin(BinaryOp::Div, one(), var(1, F64))], F64)),
    );
    func(&[F64, F64], &[], F64, vec![ret(body)])
}

#[test]
fn rc_filter_matches_rust() {
    let c = compile(&rc_fn());
    let v = f64_data(2000);
    let t: Vec<f64> = (0..2000).map(|i| 0.5 + i as f64 * 0.01).collect();
    let out: Vec<f64> = c.map2(&v, &t);
    for i in 0..v.len() {
        let want = v[i] * (1.0 - (1.0 / t[i]).exp());
        assert!((out[i] - want).abs() <= 1e-15 * want.abs().max(1.0), "at {i}: {} vs {want}", out[i]);
    }
}

#[test]
fn int_floor_division_and_modulo_follow_python() {
    let div = compile(&binary_fn(BinaryOp::FloorDiv, I64));
    let rem = compile(&binary_fn(BinaryOp::Mod, I64));
    let a: Vec<i64> = vec![7, -7, 7, -7, 0, 5, i64::MIN, 9, -9];
    let b: Vec<i64> = vec![2, 2, -2, -2, 3, 0, -1, 3, -3];
    let (q, flags) = with_flags(|| div.map2::<i64, i64, i64>(&a[..5], &b[..5]));
    assert_eq!(q, vec![3, -4, -4, 3, 0]);
    assert_eq!(flags & (FE_DIVBYZERO | FE_OVERFLOW), 0);
    let (r, _) = with_flags(|| rem.map2::<i64, i64, i64>(&a[..5], &b[..5]));
    assert_eq!(r, vec![1, 1, -1, -1, 0]);
    // By zero: 0 and the divide-by-zero flag.
    let (q, flags) = with_flags(|| div.map2::<i64, i64, i64>(&a[5..6], &b[5..6]));
    assert_eq!((q[0], flags & FE_DIVBYZERO), (0, FE_DIVBYZERO));
    let (r, flags) = with_flags(|| rem.map2::<i64, i64, i64>(&a[5..6], &b[5..6]));
    assert_eq!((r[0], flags & FE_DIVBYZERO), (0, FE_DIVBYZERO));
    // MIN // -1: MIN and the overflow flag; MIN % -1 is 0 without a flag.
    let (q, flags) = with_flags(|| div.map2::<i64, i64, i64>(&a[6..7], &b[6..7]));
    assert_eq!((q[0], flags & FE_OVERFLOW), (i64::MIN, FE_OVERFLOW));
    let (r, flags) = with_flags(|| rem.map2::<i64, i64, i64>(&a[6..7], &b[6..7]));
    assert_eq!((r[0], flags & FE_OVERFLOW), (0, 0));
    // Unsigned and narrow types against Rust's Euclid-free reference.
    let div8 = compile(&binary_fn(BinaryOp::FloorDiv, I8));
    let a8: Vec<i8> = (-128..=127).collect();
    let b8: Vec<i8> = a8.iter().map(|x| (x.wrapping_mul(7) % 13) | 1).collect();
    let (q8, _) = with_flags(|| div8.map2::<i8, i8, i8>(&a8, &b8));
    for i in 0..a8.len() {
        let want = (a8[i] as f64 / b8[i] as f64).floor() as i64 as i8;
        assert_eq!(q8[i], want, "{} // {}", a8[i], b8[i]);
    }
    let remu = compile(&binary_fn(BinaryOp::Mod, U32));
    let (r, flags) = with_flags(|| remu.map2::<u32, u32, u32>(&[10, 4_000_000_000, 7], &[3, 7, 0]));
    assert_eq!(r, vec![1, 4_000_000_000 % 7, 0]);
    assert_ne!(flags & FE_DIVBYZERO, 0);
}

#[test]
fn float_floor_division_and_modulo_follow_numpy() {
    let div = compile(&binary_fn(BinaryOp::FloorDiv, F64));
    let rem = compile(&binary_fn(BinaryOp::Mod, F64));
    // (a, b, a // b, a % b) as Python computes them.
    let cases: [(f64, f64, f64, f64); 9] = [
        (7.0, 2.0, 3.0, 1.0),
        (-7.0, 2.0, -4.0, 1.0),
        (7.0, -2.0, -4.0, -1.0),
        (-7.0, -2.0, 3.0, -1.0),
        (6.0, -3.0, -2.0, -0.0),
        (-6.0, 3.0, -2.0, 0.0),
        (-0.0, 5.0, -0.0, 0.0),
        (-7.5, 2.0, -4.0, 0.5),
        (1.0, 0.1, 9.0, 0.09999999999999995),
    ];
    let a: Vec<f64> = cases.iter().map(|c| c.0).collect();
    let b: Vec<f64> = cases.iter().map(|c| c.1).collect();
    let (q, qflags) = with_flags(|| div.map2::<f64, f64, f64>(&a, &b));
    let (r, rflags) = with_flags(|| rem.map2::<f64, f64, f64>(&a, &b));
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(q[i].to_bits(), c.2.to_bits(), "{} // {} = {}", c.0, c.1, q[i]);
        assert_eq!(r[i].to_bits(), c.3.to_bits(), "{} % {} = {}", c.0, c.1, r[i]);
    }
    assert_eq!(qflags & (FE_INVALID | FE_DIVBYZERO), 0);
    assert_eq!(rflags & (FE_INVALID | FE_DIVBYZERO), 0);
    // By zero: a / 0 with divide-by-zero (invalid for 0 and NaN); % gives NaN and invalid.
    let (q, flags) = with_flags(|| div.map2::<f64, f64, f64>(&[1.0, -1.0], &[0.0, 0.0]));
    assert_eq!(q, vec![f64::INFINITY, f64::NEG_INFINITY]);
    assert_eq!(flags & (FE_INVALID | FE_DIVBYZERO), FE_DIVBYZERO);
    let (q, flags) = with_flags(|| div.map2::<f64, f64, f64>(&[f64::NAN, f64::INFINITY], &[0.0, 0.0]));
    assert!(q[0].is_nan() && q[1] == f64::INFINITY);
    assert_eq!(flags & (FE_INVALID | FE_DIVBYZERO), FE_INVALID | FE_DIVBYZERO);
    let (r, flags) = with_flags(|| rem.map2::<f64, f64, f64>(&[1.0], &[0.0]));
    assert!(r[0].is_nan());
    assert_ne!(flags & FE_INVALID, 0);
}

#[test]
fn shifts_follow_numpy_out_of_range() {
    let shl = compile(&binary_fn(BinaryOp::Shl, I32));
    let shr = compile(&binary_fn(BinaryOp::Shr, I32));
    let a = [1i32, 1, 1, 3, -8, -8, 8, -8];
    let n = [31i32, 32, -1, 2, 1, 40, 40, -3];
    assert_eq!(shl.map2::<i32, i32, i32>(&a, &n), vec![i32::MIN, 0, 0, 12, -16, 0, 0, 0]);
    assert_eq!(shr.map2::<i32, i32, i32>(&a, &n), vec![0, 0, 0, 0, -4, -1, 0, -1]);
    let shru = compile(&binary_fn(BinaryOp::Shr, U8));
    assert_eq!(shru.map2::<u8, u8, u8>(&[200, 200, 200], &[1, 8, 255]), vec![100, 0, 0]);
}

fn cast_fn(from: Scalar, to: Scalar) -> ufuncgen::ir::Function {
    func(&[from], &[], to, vec![ret(cast(var(0, from), to))])
}

#[test]
fn casts_follow_numpy_astype() {
    let nan = f64::NAN;
    let x = [1.9, -1.9, 300.0, -1.0, 1e20, nan, 0.0, -0.0];
    let (r, flags) = with_flags(|| compile(&cast_fn(F64, I64)).map1::<f64, i64>(&x));
    assert_eq!(r, vec![1, -1, 300, -1, i64::MIN, i64::MIN, 0, 0]);
    assert_ne!(flags & FE_INVALID, 0, "out-of-range casts raise invalid");
    let r = compile(&cast_fn(F64, I32)).map1::<f64, i32>(&x);
    assert_eq!(r, vec![1, -1, 300, -1, i32::MIN, i32::MIN, 0, 0]);
    let r = compile(&cast_fn(F64, I8)).map1::<f64, i8>(&x);
    assert_eq!(r, vec![1, -1, 44, -1, 0, 0, 0, 0]);
    let r = compile(&cast_fn(F64, U8)).map1::<f64, u8>(&x);
    assert_eq!(r, vec![1, 255, 44, 255, 0, 0, 0, 0]);
    let r = compile(&cast_fn(F64, U64)).map1::<f64, u64>(&[1.9, 1.8e19, -1.0, 3e19]);
    assert_eq!(r, vec![1, 18_000_000_000_000_000_000, u64::MAX, 0]);
    let r = compile(&cast_fn(F64, Bool)).map1::<f64, u8>(&x);
    assert_eq!(r, vec![1, 1, 1, 1, 1, 1, 0, 0], "NaN is true, zeros false");
    let r = compile(&cast_fn(I64, Bool)).map1::<i64, u8>(&[0, 5, -1, i64::MIN]);
    assert_eq!(r, vec![0, 1, 1, 1]);
    let r = compile(&cast_fn(I32, I8)).map1::<i32, i8>(&[300, -129, 127]);
    assert_eq!(r, vec![44, 127, 127]);
    let r = compile(&cast_fn(U32, F64)).map1::<u32, f64>(&[u32::MAX, 0]);
    assert_eq!(r, vec![u32::MAX as f64, 0.0]);
    let r = compile(&cast_fn(I8, I64)).map1::<i8, i64>(&[-5, 100]);
    assert_eq!(r, vec![-5, 100]);
    let r = compile(&cast_fn(C128, Bool)).map1::<[f64; 2], u8>(&[[0.0, 0.0], [0.0, 2.0], [nan, 0.0], [-0.0, 0.0]]);
    assert_eq!(r, vec![0, 1, 1, 0]);
    let r = compile(&cast_fn(F32, C128)).map1::<f32, [f64; 2]>(&[1.5]);
    assert_eq!(r, vec![[1.5, 0.0]]);
}

fn c128(re: f64, im: f64) -> [f64; 2] {
    [re, im]
}

#[test]
fn complex_multiply_divide_abs() {
    let mul = compile(&binary_fn(BinaryOp::Mul, C128));
    let div = compile(&binary_fn(BinaryOp::Div, C128));
    let abs = compile(&func(&[C128], &[], F64, vec![ret(call(MathFn::Abs, vec![var(0, C128)], F64))]));
    let a = [c128(1.0, 2.0), c128(-3.5, 0.25), c128(1e300, 1e300), c128(1.0, 0.0)];
    let b = [c128(3.0, 4.0), c128(0.5, -8.0), c128(1e300, -1e300), c128(0.0, 0.0)];
    let p = mul.map2::<[f64; 2], [f64; 2], [f64; 2]>(&a, &b);
    assert_eq!(p[0], c128(-5.0, 10.0));
    for i in 0..2 {
        let (x, y) = (a[i], b[i]);
        assert_eq!(p[i], c128(x[0] * y[0] - x[1] * y[1], x[0] * y[1] + x[1] * y[0]));
    }
    let q = div.map2::<[f64; 2], [f64; 2], [f64; 2]>(&a, &b);
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-15 * y.abs().max(1e-300);
    assert!(close(q[0][0], 0.44) && close(q[0][1], 0.08), "{:?}", q[0]);
    // (-3.5+0.25j)/(0.5-8j) by the textbook formula (no overflow at this scale).
    let d = 0.5 * 0.5 + 8.0 * 8.0;
    assert!(close(q[1][0], (-3.5 * 0.5 + 0.25 * -8.0) / d) && close(q[1][1], (0.25 * 0.5 + 3.5 * -8.0) / d));
    // Smith's scaling keeps huge operands finite: (1+1j)/(1-1j) == 1j.
    assert!(close(q[2][0], 0.0) && close(q[2][1], 1.0), "{:?}", q[2]);
    // Division by complex zero: each part divided by zero.
    assert!(q[3][0].is_infinite() && q[3][1].is_nan(), "{:?}", q[3]);
    let m = abs.map1::<[f64; 2], f64>(&[c128(3.0, 4.0), c128(-1e300, 1e300), c128(f64::INFINITY, f64::NAN)]);
    assert_eq!(m[0], 5.0);
    assert!(close(m[1], 1e300 * 2f64.sqrt()));
    assert_eq!(m[2], f64::INFINITY, "hypot(inf, nan) is inf");
}
