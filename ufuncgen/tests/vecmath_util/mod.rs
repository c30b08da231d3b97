//! Shared by the per-tier vector-math tests and the accuracy example: the functions under test
//! with their libm references, the input sets, ULP measurement and the validation-file reader.
#![allow(dead_code)]

use std::path::PathBuf;

use ufuncgen::ir::MathFn;
use ufuncgen::Scalar;

use crate::codegen_util::{call, compile, func, ret, var, Compiled};

macro_rules! libm {
    (unary: $($f:ident $ff:ident),* ; binary: $($g:ident $gf:ident),*) => {
        extern "C" {
            $(fn $f(x: f64) -> f64; fn $ff(x: f32) -> f32;)*
            $(fn $g(x: f64, y: f64) -> f64; fn $gf(x: f32, y: f32) -> f32;)*
        }
    };
}
libm!(unary: exp expf, exp2 exp2f, expm1 expm1f, log logf, log2 log2f, log10 log10f,
      log1p log1pf, cbrt cbrtf, sin sinf, cos cosf, tan tanf, asin asinf, acos acosf,
      atan atanf, sinh sinhf, cosh coshf, tanh tanhf, asinh asinhf, acosh acoshf,
      atanh atanhf, erf erff, erfc erfcf;
      binary: pow powf, atan2 atan2f, hypot hypotf);

/// One vector-math function: its IR name, glibc's scalar versions, where its inputs come from.
pub struct VmFn {
    pub name: &'static str,
    pub func: MathFn,
    pub arity: usize,
    /// glibc's double version (the reference for both dtypes; rounded for float32).
    pub r64: fn(&[f64]) -> f64,
    /// glibc's float version (what the per-lane tier computes).
    pub r32: fn(&[f32]) -> f32,
    /// Ranges (linear) the random inputs of the first argument are drawn from.
    pub ranges: &'static [(f64, f64)],
    /// Poles, domain edges and overflow thresholds, probed with their neighbours.
    pub points: &'static [f64],
}

macro_rules! unary {
    ($name:literal, $mf:ident, $f:ident, $ff:ident, $ranges:expr, $points:expr) => {
        VmFn {
            name: $name,
            func: MathFn::$mf,
            arity: 1,
            // SAFETY: glibc's pure math functions.
            r64: |a| unsafe { $f(a[0]) },
            r32: |a| unsafe { $ff(a[0]) },
            ranges: $ranges,
            points: $points,
        }
    };
}
macro_rules! binary {
    ($name:literal, $mf:ident, $f:ident, $ff:ident, $ranges:expr) => {
        VmFn {
            name: $name,
            func: MathFn::$mf,
            arity: 2,
            // SAFETY: glibc's pure math functions.
            r64: |a| unsafe { $f(a[0], a[1]) },
            r32: |a| unsafe { $ff(a[0], a[1]) },
            ranges: $ranges,
            points: &[],
        }
    };
}

const PI_2: f64 = std::f64::consts::FRAC_PI_2;

/// Every function svml-shim vectorizes.
pub fn functions() -> Vec<VmFn> {
    vec![
        unary!(
            "exp",
            Exp,
            exp,
            expf,
            &[(-750.0, 720.0), (-5.0, 5.0)],
            &[
                709.782712893384,
                -745.1332191019411,
                88.72283,
                -103.97208,
                -87.33655
            ]
        ),
        unary!(
            "exp2",
            Exp2,
            exp2,
            exp2f,
            &[(-1080.0, 1030.0), (-5.0, 5.0)],
            &[1024.0, -1074.0, -1075.0, 128.0, -149.0, -150.0, -126.0, -1022.0]
        ),
        unary!(
            "expm1",
            Expm1,
            expm1,
            expm1f,
            &[(-40.0, 720.0), (-1.0, 1.0)],
            &[709.782712893384, 88.72283]
        ),
        unary!("log", Log, log, logf, &[(0.0, 10.0)], &[1.0]),
        unary!("log2", Log2, log2, log2f, &[(0.0, 10.0)], &[1.0, 2.0]),
        unary!("log10", Log10, log10, log10f, &[(0.0, 10.0)], &[1.0, 10.0]),
        unary!("log1p", Log1p, log1p, log1pf, &[(-1.0, 10.0)], &[-1.0]),
        unary!("cbrt", Cbrt, cbrt, cbrtf, &[(-10.0, 10.0)], &[]),
        unary!(
            "sin",
            Sin,
            sin,
            sinf,
            &[(-10.0, 10.0), (-1e5, 1e5)],
            &[PI_2, std::f64::consts::PI]
        ),
        unary!(
            "cos",
            Cos,
            cos,
            cosf,
            &[(-10.0, 10.0), (-1e5, 1e5)],
            &[PI_2, std::f64::consts::PI]
        ),
        unary!(
            "tan",
            Tan,
            tan,
            tanf,
            &[(-10.0, 10.0), (-1e5, 1e5)],
            &[PI_2, -PI_2]
        ),
        unary!("asin", Asin, asin, asinf, &[(-1.0, 1.0)], &[1.0, -1.0]),
        unary!("acos", Acos, acos, acosf, &[(-1.0, 1.0)], &[1.0, -1.0]),
        unary!("atan", Atan, atan, atanf, &[(-5.0, 5.0)], &[]),
        unary!(
            "sinh",
            Sinh,
            sinh,
            sinhf,
            &[(-720.0, 720.0), (-2.0, 2.0)],
            &[710.4758600739439, -710.4758600739439, 89.41599]
        ),
        unary!(
            "cosh",
            Cosh,
            cosh,
            coshf,
            &[(-720.0, 720.0), (-2.0, 2.0)],
            &[710.4758600739439, -710.4758600739439, 89.41599]
        ),
        unary!("tanh", Tanh, tanh, tanhf, &[(-20.0, 20.0)], &[]),
        unary!("asinh", Asinh, asinh, asinhf, &[(-5.0, 5.0)], &[]),
        unary!("acosh", Acosh, acosh, acoshf, &[(0.5, 10.0)], &[1.0]),
        unary!("atanh", Atanh, atanh, atanhf, &[(-1.0, 1.0)], &[1.0, -1.0]),
        unary!("erf", Erf, erf, erff, &[(-6.0, 6.0)], &[]),
        unary!("erfc", Erfc, erfc, erfcf, &[(-6.0, 28.0)], &[26.5, 10.0]),
        binary!("pow", Pow, pow, powf, &[(0.0, 4.0)]),
        binary!("atan2", Atan2, atan2, atan2f, &[(-5.0, 5.0)]),
        binary!("hypot", Hypot, hypot, hypotf, &[(-5.0, 5.0)]),
    ]
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// Random sign, magnitude log-uniform in [1e-310, 1e308].
    pub fn huge_or_tiny(&mut self) -> f64 {
        let m = 10f64.powf(self.uniform(-310.0, 308.0));
        if self.unit() < 0.5 {
            -m
        } else {
            m
        }
    }
}

/// Values every function is tried on: zeros, infinities, NaN, subnormals, extremes, units.
pub fn specials() -> Vec<f64> {
    let base = [
        0.0,
        f64::INFINITY,
        f64::NAN,
        f64::from_bits(1),
        f64::from_bits(0x000f_ffff_ffff_ffff),
        f64::MIN_POSITIVE,
        f64::MAX,
        f32::MIN_POSITIVE as f64,
        f32::MAX as f64,
        1e-45,
        1.0,
        0.5,
        2.0,
        3.0,
        1.5,
        10.0,
        100.0,
        1e10,
        1e300,
    ];
    base.iter().flat_map(|&x| [x, -x]).collect()
}

/// `p` and its neighbours a few ULPs away, in both formats.
fn around(p: f64) -> Vec<f64> {
    let mut v = vec![p];
    let (mut up, mut down) = (p, p);
    let (mut up32, mut down32) = (p as f32, p as f32);
    for _ in 0..3 {
        up = up.next_up();
        down = down.next_down();
        up32 = up32.next_up();
        down32 = down32.next_down();
        v.extend([up, down, up32 as f64, down32 as f64]);
    }
    v
}

/// Whether a value is one of the IEEE specials whose result must match exactly.
pub fn is_special(x: f64) -> bool {
    x == 0.0 || !x.is_finite()
}

/// First-argument inputs of a function: specials, probed points, random values in its ranges
/// and random huge or tiny magnitudes (`n` random values in all).
pub fn unary_inputs(f: &VmFn, n: usize) -> Vec<f64> {
    let mut rng = Rng::new(f.name.bytes().fold(7, |h, b| h * 31 + b as u64));
    let mut v = specials();
    for &p in f.points {
        v.extend(around(p));
        v.extend(around(-p));
    }
    for i in 0..n {
        v.push(if i % 4 == 3 {
            rng.huge_or_tiny()
        } else {
            let (lo, hi) = f.ranges[i % f.ranges.len()];
            rng.uniform(lo, hi)
        });
    }
    v
}

/// Argument pairs of a binary function: every pair of specials, then random pairs.
pub fn binary_inputs(f: &VmFn, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng::new(f.name.bytes().fold(11, |h, b| h * 31 + b as u64));
    let s = specials();
    let (mut a, mut b): (Vec<f64>, Vec<f64>) = s
        .iter()
        .flat_map(|&x| s.iter().map(move |&y| (x, y)))
        .unzip();
    let (lo, hi) = f.ranges[0];
    for i in 0..n {
        let (x, y) = match (f.name, i % 4) {
            // Negative bases with integral exponents have real powers.
            ("pow", 0) => (-rng.uniform(0.0, 4.0), rng.uniform(-40.0, 40.0).round()),
            ("pow", _) => (rng.uniform(lo, hi), rng.uniform(-40.0, 40.0)),
            (_, 3) => (rng.huge_or_tiny(), rng.huge_or_tiny()),
            _ => (rng.uniform(lo, hi), rng.uniform(lo, hi)),
        };
        a.push(x);
        b.push(y);
    }
    (a, b)
}

/// `lambda x[, y]: f(x[, y])` for one dtype, compiled and loaded.
pub fn compile_fn(f: &VmFn, ty: Scalar) -> Compiled {
    let args = (0..f.arity as u32).map(|i| var(i, ty)).collect();
    compile(&func(
        &vec![ty; f.arity],
        &[],
        ty,
        vec![ret(call(f.func, args, ty))],
    ))
}

/// Whether optimized IR calls a vector entry of `name` for `sfx` (`"f64"`/`"f32"`).
pub fn calls_vector_entry(ir: &str, name: &str, sfx: &str) -> bool {
    let needle = format!("@ufg_{name}_{sfx}x");
    ir.lines()
        .any(|l| l.contains(" call ") && l.contains(&needle))
}

/// Integer position of a float in the ordered line of floats (±0 both map to 0).
fn ordered(bits: i64, sign_mask: i64) -> i64 {
    if bits & sign_mask != 0 {
        -(bits & !sign_mask)
    } else {
        bits
    }
}

/// ULPs between two finite-or-infinite numbers of one format (`f64` bits or `f32` bits).
pub fn ulp_distance(got: f64, want: f64, ty: Scalar) -> u64 {
    let (g, w) = if ty == Scalar::F32 {
        let m = 1i64 << 31;
        (
            ordered((got as f32).to_bits() as i64, m),
            ordered((want as f32).to_bits() as i64, m),
        )
    } else {
        let m = i64::MIN;
        (
            ordered(got.to_bits() as i64, m),
            ordered(want.to_bits() as i64, m),
        )
    };
    (g as i128 - w as i128).unsigned_abs() as u64
}

/// What one result says: its ULP error, or why it is wrong outright.
pub fn judge(args: &[f64], got: f64, want: f64, ty: Scalar) -> Result<u64, String> {
    let same_bits = |a: f64, b: f64| {
        if ty == Scalar::F32 {
            (a as f32).to_bits() == (b as f32).to_bits()
        } else {
            a.to_bits() == b.to_bits()
        }
    };
    if want.is_nan() || got.is_nan() {
        return if want.is_nan() && got.is_nan() {
            Ok(0)
        } else {
            Err(format!(
                "{args:?}: got {got:e}, want {want:e} (NaN mismatch)"
            ))
        };
    }
    let exact = args.iter().any(|&a| is_special(a)) || want.is_infinite();
    let zeros = want == 0.0 && got == 0.0;
    if (exact || zeros) && !same_bits(got, want) {
        return Err(format!(
            "{args:?}: got {got:e}, want {want:e} (special value)"
        ));
    }
    Ok(ulp_distance(got, want, ty))
}

/// The largest error of a set of results, with the worst input, and every outright failure.
#[derive(Debug, Default)]
pub struct Measured {
    pub max_ulp: u64,
    pub worst: String,
    pub failures: Vec<String>,
    pub count: usize,
}

impl Measured {
    pub fn add(&mut self, args: &[f64], got: f64, want: f64, ty: Scalar) {
        self.count += 1;
        match judge(args, got, want, ty) {
            Ok(u) if u > self.max_ulp => {
                self.max_ulp = u;
                self.worst = format!("{args:?}: got {got:e}, want {want:e}");
            }
            Ok(_) => {}
            Err(e) => self.failures.push(e),
        }
    }
}

/// Runs a compiled loop of `f` at `ty` on f64 argument columns (cast to the dtype).
pub fn run(c: &Compiled, f: &VmFn, ty: Scalar, cols: &[Vec<f64>]) -> Vec<f64> {
    if ty == Scalar::F32 {
        let c32: Vec<Vec<f32>> = cols
            .iter()
            .map(|c| c.iter().map(|&x| x as f32).collect())
            .collect();
        let out: Vec<f32> = match f.arity {
            1 => c.map1(&c32[0]),
            _ => c.map2(&c32[0], &c32[1]),
        };
        out.into_iter().map(f64::from).collect()
    } else {
        match f.arity {
            1 => c.map1(&cols[0]),
            _ => c.map2(&cols[0], &cols[1]),
        }
    }
}

/// The inputs of `f` as argument columns (`n` random rows plus the fixed ones).
pub fn input_columns(f: &VmFn, n: usize) -> Vec<Vec<f64>> {
    if f.arity == 1 {
        vec![unary_inputs(f, n)]
    } else {
        let (a, b) = binary_inputs(f, n);
        vec![a, b]
    }
}

/// Compares a compiled loop against glibc: `exact_f32` compares float32 results with glibc's
/// float functions bit for bit (the per-lane tier), otherwise with the double function rounded.
pub fn measure_against_libm(
    c: &Compiled,
    f: &VmFn,
    ty: Scalar,
    cols: &[Vec<f64>],
    libm_f32: bool,
) -> Measured {
    let got = run(c, f, ty, cols);
    let mut m = Measured::default();
    for (i, &g) in got.iter().enumerate() {
        let args: Vec<f64> = cols
            .iter()
            .map(|c| {
                if ty == Scalar::F32 {
                    c[i] as f32 as f64
                } else {
                    c[i]
                }
            })
            .collect();
        let want = if ty == Scalar::F32 {
            if libm_f32 {
                let a32: Vec<f32> = args.iter().map(|&x| x as f32).collect();
                (f.r32)(&a32) as f64
            } else {
                (f.r64)(&args) as f32 as f64
            }
        } else {
            (f.r64)(&args)
        };
        m.add(&args, g, want, ty);
    }
    m
}

/// One row of a validation file: inputs, expected output, tolerance in ULPs.
pub struct Row {
    pub args: Vec<f64>,
    pub want: f64,
    pub tol: u64,
}

/// Reads `umath-validate-<name>.csv` (float64 rows, hex bit patterns).
pub fn validation_rows(name: &str) -> Vec<Row> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/data/umath-validation",
        &format!("umath-validate-{name}.csv"),
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let hex = |s: &str| {
        let bits = u64::from_str_radix(s.trim().trim_start_matches("0x"), 16)
            .unwrap_or_else(|e| panic!("{path:?}: bad hex {s:?}: {e}"));
        f64::from_bits(bits)
    };
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            assert!(cols.len() >= 4 && cols[0] == "np.float64", "{path:?}: {l}");
            let n = cols.len();
            Row {
                args: cols[1..n - 2].iter().map(|s| hex(s)).collect(),
                want: hex(cols[n - 2]),
                tol: cols[n - 1]
                    .trim()
                    .parse()
                    .unwrap_or_else(|e| panic!("{l}: {e}")),
            }
        })
        .collect()
}

/// Errors of a compiled float64 loop on `f`'s validation file: the measurement and the rows
/// above their tolerance.
pub fn measure_against_file(c: &Compiled, f: &VmFn) -> (Measured, Vec<String>) {
    let rows = validation_rows(f.name);
    let cols: Vec<Vec<f64>> = (0..f.arity)
        .map(|k| rows.iter().map(|r| r.args[k]).collect())
        .collect();
    let got = run(c, f, Scalar::F64, &cols);
    let mut m = Measured::default();
    let mut over = Vec::new();
    for (r, &g) in rows.iter().zip(&got) {
        m.add(&r.args, g, r.want, Scalar::F64);
        let u = ulp_distance(g, r.want, Scalar::F64);
        if u > r.tol {
            over.push(format!(
                "{:?}: got {g:e}, want {:e} ({u} ULP)",
                r.args, r.want
            ));
        }
    }
    (m, over)
}

/// Random rows per function in the tier tests (the fixed special rows come on top).
pub const TIER_ROWS: usize = 3000;

/// Checks every function at both dtypes against the tier the entries are bound to: the
/// contiguous loop calls a vector entry (on AVX2 and up), special values match glibc exactly,
/// errors against glibc's function of the same precision stay within `bound` ULPs (0: bit for
/// bit), and float64 results stay within each validation row's tolerance. Returns the largest
/// error seen, so callers can tell a vector library from the per-lane fallback.
pub fn check_tier(expect: ufuncgen::vecmath::VecLib, bound: u64) -> u64 {
    let vector_isa = std::arch::is_x86_feature_detected!("avx2");
    let mut problems = Vec::new();
    let mut largest = 0;
    for f in functions() {
        let cols = input_columns(&f, TIER_ROWS);
        for (ty, sfx) in [(Scalar::F64, "f64"), (Scalar::F32, "f32")] {
            let label = format!("{} {sfx}", f.name);
            let lanes = if std::arch::is_x86_feature_detected!("avx512f") {
                512
            } else {
                256
            } / if ty == Scalar::F64 { 64 } else { 32 };
            let entry = format!("ufg_{}_{sfx}x{lanes}", f.name);
            match ufuncgen::vecmath::resolve(&entry) {
                Some((_, tier)) if tier == expect => {}
                other => problems.push(format!("{entry} bound to {other:?}, want {expect:?}")),
            }
            let c = compile_fn(&f, ty);
            if vector_isa && !calls_vector_entry(&c.code.llvm_ir, f.name, sfx) {
                problems.push(format!("{label}: the loop calls no vector entry"));
            }
            let m = measure_against_libm(&c, &f, ty, &cols, true);
            largest = largest.max(m.max_ulp);
            if m.max_ulp > bound {
                problems.push(format!(
                    "{label}: {} ULP > {bound} at {}",
                    m.max_ulp, m.worst
                ));
            }
            problems.extend(m.failures.iter().take(5).map(|e| format!("{label}: {e}")));
            if ty == Scalar::F64 {
                let (fm, over) = measure_against_file(&c, &f);
                problems.extend(over.iter().take(5).map(|e| format!("{label} (file): {e}")));
                problems.extend(
                    fm.failures
                        .iter()
                        .take(5)
                        .map(|e| format!("{label} (file): {e}")),
                );
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    largest
}
