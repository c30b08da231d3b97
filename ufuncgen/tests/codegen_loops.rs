//! Compiled loops against Rust references: every dtype, NumPy's division/shift/cast rules,
//! complex arithmetic, and every loop path (contiguous, strided, in place, overlapping, reduce).

mod codegen_util;

use codegen_util::*;
use ufuncgen::ir::{BinaryOp, CmpOp, MathFn};
use ufuncgen::Scalar::{self, *};

fn f64_data(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (i as f64 * 0.37).sin() * 10.0 + 0.5)
        .collect()
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
        let a: Vec<$t> = (0..300)
            .map(|i| (i as $t).wrapping_mul(97).wrapping_add(<$t>::MAX - 50))
            .collect();
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
    assert!(out
        .iter()
        .zip(a.iter().zip(&b))
        .all(|(o, (x, y))| o.to_bits() == (x + y).to_bits()));

    // bool + bool is logical or in NumPy; memory holds 0/1 bytes.
    let c = compile(&binary_fn(BinaryOp::Add, Bool));
    let a: Vec<u8> = (0..100).map(|i| (i % 2) as u8).collect();
    let b: Vec<u8> = (0..100).map(|i| (i % 3 == 0) as u8).collect();
    let out: Vec<u8> = c.map2(&a, &b);
    assert!(out
        .iter()
        .zip(a.iter().zip(&b))
        .all(|(o, (x, y))| *o == (x | y)));

    for (ty, half) in [(C64, 4usize), (C128, 8)] {
        let c = compile(&binary_fn(BinaryOp::Add, ty));
        let n = 101;
        let a = f64_data(2 * n);
        let b: Vec<f64> = a.iter().map(|x| x - 2.0).collect();
        if half == 8 {
            let out: Vec<f64> = {
                let mut o = vec![0.0f64; 2 * n];
                let mut ptrs = [
                    a.as_ptr() as *mut u8,
                    b.as_ptr() as *mut u8,
                    o.as_mut_ptr() as *mut u8,
                ];
                unsafe { c.call_raw(&mut ptrs, &[16, 16, 16], n as isize) };
                o
            };
            assert!(out
                .iter()
                .zip(a.iter().zip(&b))
                .all(|(o, (x, y))| *o == x + y));
        } else {
            let a: Vec<f32> = a.iter().map(|&x| x as f32).collect();
            let b: Vec<f32> = b.iter().map(|&x| x as f32).collect();
            let mut o = vec![0.0f32; 2 * n];
            let mut ptrs = [
                a.as_ptr() as *mut u8,
                b.as_ptr() as *mut u8,
                o.as_mut_ptr() as *mut u8,
            ];
            unsafe { c.call_raw(&mut ptrs, &[8, 8, 8], n as isize) };
            assert!(o
                .iter()
                .zip(a.iter().zip(&b))
                .all(|(o, (x, y))| *o == x + y));
        }
    }
}

/// The RC filter of the benchmarks: `v * (1 - exp(1 / t))`.
pub fn rc_fn() -> ufuncgen::ir::Function {
    let one = || float(1.0, F64);
    let body = bin(
        BinaryOp::Mul,
        var(0, F64),
        bin(
            BinaryOp::Sub,
            one(),
            call(
                MathFn::Exp,
                vec![bin(BinaryOp::Div, one(), var(1, F64))],
                F64,
            ),
        ),
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
        let e = (1.0 / t[i]).exp();
        let want = v[i] * (1.0 - e);
        // exp may run in a vector library (up to 4 ULP, docs/vector-math.md); `1 - e` keeps
        // that absolute error, so the bound scales with v*e, not with the result.
        let tol = 4.0 * f64::EPSILON * (v[i] * e).abs() + 2.0 * f64::EPSILON * want.abs();
        assert!((out[i] - want).abs() <= tol, "at {i}: {} vs {want}", out[i]);
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
        assert_eq!(
            q[i].to_bits(),
            c.2.to_bits(),
            "{} // {} = {}",
            c.0,
            c.1,
            q[i]
        );
        assert_eq!(
            r[i].to_bits(),
            c.3.to_bits(),
            "{} % {} = {}",
            c.0,
            c.1,
            r[i]
        );
    }
    assert_eq!(qflags & (FE_INVALID | FE_DIVBYZERO), 0);
    assert_eq!(rflags & (FE_INVALID | FE_DIVBYZERO), 0);
    // By zero: a / 0 and its flags (divide for finite a); % gives NaN and invalid.
    let (q, flags) = with_flags(|| div.map2::<f64, f64, f64>(&[1.0, -1.0], &[0.0, 0.0]));
    assert_eq!(q, vec![f64::INFINITY, f64::NEG_INFINITY]);
    assert_eq!(flags & (FE_INVALID | FE_DIVBYZERO), FE_DIVBYZERO);
    let (q, flags) =
        with_flags(|| div.map2::<f64, f64, f64>(&[f64::NAN, f64::INFINITY], &[0.0, 0.0]));
    assert!(q[0].is_nan() && q[1] == f64::INFINITY);
    // NumPy 2: exactly the flags of a / 0, which raises nothing for NaN and inf.
    assert_eq!(flags & (FE_INVALID | FE_DIVBYZERO), 0);
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
    assert_eq!(
        shl.map2::<i32, i32, i32>(&a, &n),
        vec![i32::MIN, 0, 0, 12, -16, 0, 0, 0]
    );
    assert_eq!(
        shr.map2::<i32, i32, i32>(&a, &n),
        vec![0, 0, 0, 0, -4, -1, 0, -1]
    );
    let shru = compile(&binary_fn(BinaryOp::Shr, U8));
    assert_eq!(
        shru.map2::<u8, u8, u8>(&[200, 200, 200], &[1, 8, 255]),
        vec![100, 0, 0]
    );
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
    let r = compile(&cast_fn(C128, Bool)).map1::<[f64; 2], u8>(&[
        [0.0, 0.0],
        [0.0, 2.0],
        [nan, 0.0],
        [-0.0, 0.0],
    ]);
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
    let abs = compile(&func(
        &[C128],
        &[],
        F64,
        vec![ret(call(MathFn::Abs, vec![var(0, C128)], F64))],
    ));
    let a = [
        c128(1.0, 2.0),
        c128(-3.5, 0.25),
        c128(1e300, 1e300),
        c128(1.0, 0.0),
    ];
    let b = [
        c128(3.0, 4.0),
        c128(0.5, -8.0),
        c128(1e300, -1e300),
        c128(0.0, 0.0),
    ];
    let p = mul.map2::<[f64; 2], [f64; 2], [f64; 2]>(&a, &b);
    assert_eq!(p[0], c128(-5.0, 10.0));
    for i in 0..2 {
        let (x, y) = (a[i], b[i]);
        assert_eq!(
            p[i],
            c128(x[0] * y[0] - x[1] * y[1], x[0] * y[1] + x[1] * y[0])
        );
    }
    let q = div.map2::<[f64; 2], [f64; 2], [f64; 2]>(&a, &b);
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-15 * y.abs().max(1e-300);
    assert!(close(q[0][0], 0.44) && close(q[0][1], 0.08), "{:?}", q[0]);
    // (-3.5+0.25j)/(0.5-8j) by the textbook formula (no overflow at this scale).
    let d = 0.5 * 0.5 + 8.0 * 8.0;
    assert!(
        close(q[1][0], (-3.5 * 0.5 + 0.25 * -8.0) / d)
            && close(q[1][1], (0.25 * 0.5 + 3.5 * -8.0) / d)
    );
    // Smith's scaling keeps huge operands finite: (1+1j)/(1-1j) == 1j.
    assert!(close(q[2][0], 0.0) && close(q[2][1], 1.0), "{:?}", q[2]);
    // Division by complex zero: each part divided by zero.
    assert!(q[3][0].is_infinite() && q[3][1].is_nan(), "{:?}", q[3]);
    let m = abs.map1::<[f64; 2], f64>(&[
        c128(3.0, 4.0),
        c128(-1e300, 1e300),
        c128(f64::INFINITY, f64::NAN),
    ]);
    assert_eq!(m[0], 5.0);
    assert!(close(m[1], 1e300 * 2f64.sqrt()));
    assert_eq!(m[2], f64::INFINITY, "hypot(inf, nan) is inf");
}

/// `2.5 * a + b`: a float kernel with a constant, used for the loop-path tests.
fn axpy_fn() -> ufuncgen::ir::Function {
    let body = bin(
        BinaryOp::Add,
        bin(BinaryOp::Mul, float(2.5, F64), var(0, F64)),
        var(1, F64),
    );
    func(&[F64, F64], &[], F64, vec![ret(body)])
}

fn axpy(a: f64, b: f64) -> f64 {
    2.5 * a + b
}

#[test]
fn strided_and_negative_steps() {
    let c = compile(&axpy_fn());
    let n = 257;
    let a = f64_data(2 * n);
    let b = f64_data(3 * n).iter().map(|x| x * 0.5).collect::<Vec<_>>();
    // a every 2nd element, b backwards (negative step), out every 3rd element.
    let mut out = vec![0.0f64; 3 * n];
    let b_last = unsafe { b.as_ptr().add(n - 1) } as *mut u8;
    let mut ptrs = [a.as_ptr() as *mut u8, b_last, out.as_mut_ptr() as *mut u8];
    unsafe { c.call_raw(&mut ptrs, &[16, -8, 24], n as isize) };
    for i in 0..n {
        assert_eq!(out[3 * i], axpy(a[2 * i], b[n - 1 - i]), "at {i}");
        assert_eq!(out[3 * i + 1], 0.0);
    }
    // Step 0 on an input broadcasts a scalar.
    let mut out = vec![0.0f64; n];
    let mut ptrs = [
        a.as_ptr() as *mut u8,
        b.as_ptr() as *mut u8,
        out.as_mut_ptr() as *mut u8,
    ];
    unsafe { c.call_raw(&mut ptrs, &[0, 8, 8], n as isize) };
    assert!((0..n).all(|i| out[i] == axpy(a[0], b[i])));
}

#[test]
fn in_place_output_is_an_input() {
    let c = compile(&axpy_fn());
    let n = 1001;
    let mut a = f64_data(n);
    let b: Vec<f64> = a.iter().map(|x| x - 1.0).collect();
    let want: Vec<f64> = (0..n).map(|i| axpy(a[i], b[i])).collect();
    let p = a.as_mut_ptr() as *mut u8;
    let mut ptrs = [p, b.as_ptr() as *mut u8, p];
    unsafe { c.call_raw(&mut ptrs, &[8, 8, 8], n as isize) };
    assert_eq!(a, want);
}

#[test]
fn accumulate_style_overlap_is_sequential() {
    // NumPy's accumulate: out[i+1] = f(out[i], in[i+1]), passed as args (out, in+1, out+1).
    let c = compile(&binary_fn(BinaryOp::Add, I64));
    let n = 1000usize;
    let input: Vec<i64> = (1..=n as i64).collect();
    let mut buf = vec![0i64; n];
    buf[0] = input[0];
    let base = buf.as_mut_ptr();
    let mut ptrs = [
        base as *mut u8,
        unsafe { input.as_ptr().add(1) } as *mut u8,
        unsafe { base.add(1) } as *mut u8,
    ];
    unsafe { c.call_raw(&mut ptrs, &[8, 8, 8], n as isize - 1) };
    let mut acc = 0i64;
    for (i, x) in input.iter().enumerate() {
        acc += x;
        assert_eq!(buf[i], acc, "prefix sum at {i}");
    }
    // The same with floats and the input itself shifted (a[i+1] = a[i] + a[i+1]).
    let c = compile(&axpy_fn());
    let mut a = f64_data(300);
    let mut want = a.clone();
    for i in 1..want.len() {
        want[i] = axpy(want[i - 1], want[i]);
    }
    let p = a.as_mut_ptr();
    let mut ptrs = [
        p as *mut u8,
        unsafe { p.add(1) } as *mut u8,
        unsafe { p.add(1) } as *mut u8,
    ];
    unsafe { c.call_raw(&mut ptrs, &[8, 8, 8], 299) };
    assert_eq!(a, want);
}

#[test]
fn reduce_style_call_keeps_accumulator() {
    // NumPy's reduce: args (out, in, out) with steps (0, s, 0).
    for (step, n) in [(8isize, 1000usize), (16, 300), (-8, 200)] {
        let c = compile(&axpy_fn());
        let data = f64_data(2 * n);
        let mut acc = 0.25f64;
        let start = if step < 0 { n - 1 } else { 0 };
        let p_in = unsafe { data.as_ptr().add(start) } as *mut u8;
        let p_out = &mut acc as *mut f64 as *mut u8;
        let mut ptrs = [p_out, p_in, p_out];
        unsafe { c.call_raw(&mut ptrs, &[0, step, 0], n as isize) };
        let mut want = 0.25f64;
        for i in 0..n {
            let idx = (start as isize + i as isize * step / 8) as usize;
            want = axpy(want, data[idx]);
        }
        assert_eq!(acc.to_bits(), want.to_bits(), "step {step}");
    }
    let c = compile(&binary_fn(BinaryOp::Mul, I32));
    let data: Vec<i32> = (1..=20).collect();
    let mut acc = 1i32;
    let p_out = &mut acc as *mut i32 as *mut u8;
    let mut ptrs = [p_out, data.as_ptr() as *mut u8, p_out];
    unsafe { c.call_raw(&mut ptrs, &[0, 4, 0], 20) };
    assert_eq!(acc, (1..=20i32).fold(1i32, |a, x| a.wrapping_mul(x)));
    // Long enough for the vectorized contiguous reduction, its remainder and wrapping.
    let c = compile(&binary_fn(BinaryOp::Add, I64));
    let data: Vec<i64> = (0..1003).map(|i| i64::MAX / 7 * (i % 5) - i).collect();
    let mut acc = 11i64;
    let p_out = &mut acc as *mut i64 as *mut u8;
    let mut ptrs = [p_out, data.as_ptr() as *mut u8, p_out];
    unsafe { c.call_raw(&mut ptrs, &[0, 8, 0], data.len() as isize) };
    assert_eq!(acc, data.iter().fold(11i64, |a, x| a.wrapping_add(*x)));
}

#[test]
fn empty_call_touches_nothing() {
    let c = compile(&axpy_fn());
    let mut ptrs = [std::ptr::null_mut(); 3];
    unsafe { c.call_raw(&mut ptrs, &[8, 8, 8], 0) };
}

#[test]
fn nan_comparisons_and_minimum_raise_no_flags() {
    let lt = compile(&func(
        &[F64, F64],
        &[],
        Bool,
        vec![ret(cmp(CmpOp::Lt, var(0, F64), var(1, F64)))],
    ));
    let ge = compile(&func(
        &[F32, F32],
        &[],
        Bool,
        vec![ret(cmp(CmpOp::Ge, var(0, F32), var(1, F32)))],
    ));
    let min = compile(&func(
        &[F64, F64],
        &[],
        F64,
        vec![ret(call(
            MathFn::Minimum,
            vec![var(0, F64), var(1, F64)],
            F64,
        ))],
    ));
    let max = compile(&func(
        &[F64, F64],
        &[],
        F64,
        vec![ret(call(
            MathFn::Maximum,
            vec![var(0, F64), var(1, F64)],
            F64,
        ))],
    ));
    let n = 64;
    let a: Vec<f64> = (0..n)
        .map(|i| {
            if i % 3 == 0 {
                f64::NAN
            } else {
                i as f64 - 30.0
            }
        })
        .collect();
    let b: Vec<f64> = (0..n)
        .map(|i| {
            if i % 5 == 0 {
                f64::NAN
            } else {
                10.0 - i as f64
            }
        })
        .collect();
    let (r, flags) = with_flags(|| lt.map2::<f64, f64, u8>(&a, &b));
    assert_eq!(flags & FE_INVALID, 0, "a < b with NaN raised invalid");
    assert!((0..n).all(|i| r[i] == (a[i] < b[i]) as u8));
    let af: Vec<f32> = a.iter().map(|&x| x as f32).collect();
    let bf: Vec<f32> = b.iter().map(|&x| x as f32).collect();
    let (r, flags) = with_flags(|| ge.map2::<f32, f32, u8>(&af, &bf));
    assert_eq!(flags & FE_INVALID, 0);
    assert!((0..n).all(|i| r[i] == (af[i] >= bf[i]) as u8));
    let (m, flags) = with_flags(|| min.map2::<f64, f64, f64>(&a, &b));
    assert_eq!(flags & FE_INVALID, 0, "np.minimum raised invalid");
    let (mx, _) = with_flags(|| max.map2::<f64, f64, f64>(&a, &b));
    for i in 0..n {
        if a[i].is_nan() || b[i].is_nan() {
            assert!(m[i].is_nan() && mx[i].is_nan(), "NaN propagates at {i}");
        } else {
            assert_eq!((m[i], mx[i]), (a[i].min(b[i]), a[i].max(b[i])));
        }
    }
    // Signed zeros order equal: -0.0 < 0.0 is false.
    let r = lt.map2::<f64, f64, u8>(&[-0.0, 0.0, -1.0, 1e-310], &[0.0, -0.0, -0.5, 0.0]);
    assert_eq!(r, vec![0, 0, 1, 0]);
}

#[test]
fn optimized_ir_is_vector_and_ieee_exact() {
    let c = compile(&binary_fn(BinaryOp::Add, F64));
    let ir = &c.code.llvm_ir;
    assert!(ir.contains(" x double>"), "no vector type in:\n{ir}");
    assert!(!ir.contains(" fast ") && !ir.contains("contract") && !ir.contains("fmuladd"));
    // The in-place-safe path is vectorized without a run-time memory check.
    assert!(ir.contains("llvm.loop.parallel_accesses"));
    let axpy = compile(&axpy_fn());
    assert!(!axpy.code.llvm_ir.contains("fmuladd") && !axpy.code.llvm_ir.contains(" fast "));
    let fast = compile_with(&axpy_fn(), ufuncgen::Options { fastmath: true });
    assert!(fast.code.llvm_ir.contains(" fast "), "fastmath sets flags");
}

#[test]
fn jit_code_is_freed_on_drop() {
    fn rss_pages() -> usize {
        let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        s.split_whitespace()
            .nth(1)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0)
    }
    let code = ufuncgen::codegen::compile_loop(
        &axpy_fn(),
        "ufg.cycle.ddd.loop",
        Default::default(),
        &ufuncgen::codegen::Target::host(),
    )
    .expect("compiles");
    let cycle = || {
        let jit = ufuncgen::jit::JitCode::load([code.object.as_slice()]).expect("loads");
        let addr = jit.lookup("ufg.cycle.ddd.loop").expect("links");
        assert_ne!(addr, 0);
    };
    for _ in 0..100 {
        cycle();
    }
    let before = rss_pages();
    for _ in 0..1000 {
        cycle();
    }
    let grown_kib = rss_pages().saturating_sub(before) * 4;
    assert!(
        grown_kib < 4096,
        "RSS grew {grown_kib} KiB over 1000 load/drop cycles"
    );
}

#[test]
fn unresolved_symbol_is_an_error() {
    // A module calling a function nobody defines: linking must fail with Err, not crash.
    let ir = "define double @ufg.bad.loop(double %x) {\n  %r = call double @ufg_no_such_function(double %x)\n  ret double %r\n}\ndeclare double @ufg_no_such_function(double)\n";
    let asm =
        ufuncgen::codegen::asm_from_ir(ir, &ufuncgen::codegen::Target::host()).expect("assembles");
    assert!(asm.contains("ufg_no_such_function"));
    let obj = object_from_ir(ir);
    let jit = ufuncgen::jit::JitCode::load([obj.as_slice()]).expect("adding is lazy");
    let err = jit.lookup("ufg.bad.loop").expect_err("must not link");
    assert!(err.contains("ufg_no_such_function"), "{err}");
}

/// An object file from IR text, through the same target machine as compile_loop.
fn object_from_ir(ir: &str) -> Vec<u8> {
    ufuncgen::codegen::object_from_ir(ir, &ufuncgen::codegen::Target::host()).expect("emits")
}
