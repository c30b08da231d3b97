//! `assert` and `raise` (run-time errors), builtins (`divmod`, `round(x, n)`, complex `cmath`),
//! calls to other kernel-language functions and frozen module arrays, end to end without Python.

use ufuncgen::{
    compile_ufunc, take_runtime_error, CompiledUfunc, ErrorKind, FunctionSpec, GlobalValue,
    KernelSpec, ModuleKind, Options, Scalar, SourceMap,
};

fn source(text: &str, file: &str, first_line: u32) -> SourceMap {
    SourceMap {
        source: text.into(),
        filename: file.into(),
        first_line,
        col_offset: 0,
    }
}

fn modules() -> Vec<(String, GlobalValue)> {
    vec![
        ("math".into(), GlobalValue::Module(ModuleKind::Math)),
        ("cmath".into(), GlobalValue::Module(ModuleKind::Cmath)),
        ("np".into(), GlobalValue::Module(ModuleKind::Numpy)),
    ]
}

fn spec(text: &str, sigs: &[&str], extra: Vec<(String, GlobalValue)>) -> KernelSpec {
    let mut globals = modules();
    globals.extend(extra);
    KernelSpec {
        name: "k".into(),
        source: source(text, "kernels.py", 20),
        signatures: sigs.iter().map(|s| s.to_string()).collect(),
        globals,
        options: Options::default(),
    }
}

fn build(text: &str, sigs: &[&str], extra: Vec<(String, GlobalValue)>) -> CompiledUfunc {
    compile_ufunc(&spec(text, sigs, extra))
        .unwrap_or_else(|e| panic!("{}: line {}\n{}", e.message, e.lineno, e.snippet()))
}

/// Runs loop `i` of `u` (inputs of type `A`, output `R`) over contiguous data.
fn run<A: Copy, R: Copy + Default>(u: &CompiledUfunc, i: usize, inputs: &[&[A]]) -> Vec<R> {
    let n = inputs[0].len();
    let mut out = vec![R::default(); n];
    let mut args: Vec<*mut u8> = inputs.iter().map(|a| a.as_ptr() as *mut u8).collect();
    args.push(out.as_mut_ptr() as *mut u8);
    let mut steps: Vec<isize> = inputs.iter().map(|_| size_of::<A>() as isize).collect();
    steps.push(size_of::<R>() as isize);
    let dims = [n as isize];
    // SAFETY: every pointer covers `n` elements of the loop's types.
    unsafe {
        (u.loops[i].func)(
            args.as_mut_ptr(),
            dims.as_ptr(),
            steps.as_ptr(),
            std::ptr::null_mut(),
        )
    };
    out
}

fn function(
    name: &str,
    text: &str,
    first_line: u32,
    globals: Vec<(String, GlobalValue)>,
) -> GlobalValue {
    GlobalValue::Function(Box::new(FunctionSpec {
        name: name.into(),
        source: source(text, "helpers.py", first_line),
        globals,
        signatures: Vec::new(),
    }))
}

#[test]
fn assert_and_raise_stop_the_loop_with_their_exception() {
    let u = build(
        "def k(x):\n    assert x >= 0, \"x must be non-negative\"\n    if x > 100:\n        raise OverflowError(\"too big\")\n    return x * 2\n",
        &["i8(i8)"],
        vec![],
    );
    assert_eq!(run::<i64, i64>(&u, 0, &[&[1, 2, 3]]), vec![2, 4, 6]);
    assert_eq!(take_runtime_error(), None);
    let out = run::<i64, i64>(&u, 0, &[&[1, -2, 3]]);
    assert_eq!(out, vec![2, 0, 0], "the loop stops at the failing element");
    let (kind, msg) = take_runtime_error().expect("AssertionError recorded");
    assert_eq!(kind, 3);
    assert_eq!(msg, "x must be non-negative in 'k' (kernels.py, line 21)");
    run::<i64, i64>(&u, 0, &[&[5, 500]]);
    let (kind, msg) = take_runtime_error().expect("OverflowError recorded");
    assert_eq!(
        (kind, msg.as_str()),
        (5, "too big in 'k' (kernels.py, line 23)")
    );
}

#[test]
fn every_raisable_class_has_its_kind() {
    for (class, kind) in [
        ("IndexError", 1),
        ("ValueError", 2),
        ("AssertionError", 3),
        ("ZeroDivisionError", 4),
        ("OverflowError", 5),
        ("ArithmeticError", 6),
    ] {
        let text = format!("def k(x):\n    if x:\n        raise {class}\n    return x\n");
        let u = build(&text, &["f8(f8)"], vec![]);
        run::<f64, f64>(&u, 0, &[&[0.0, 1.0]]);
        let got = take_runtime_error().map(|(k, _)| k);
        assert_eq!(got, Some(kind), "{class}");
    }
}

#[test]
fn bare_assert_names_its_condition() {
    let u = build(
        "def k(x):\n    assert x\n    return x\n",
        &["f8(f8)"],
        vec![],
    );
    run::<f64, f64>(&u, 0, &[&[0.0]]);
    let (kind, msg) = take_runtime_error().expect("recorded");
    assert_eq!(kind, 3);
    assert!(msg.starts_with("assertion failed: x in 'k'"), "{msg}");
}

#[test]
fn divmod_floors_like_python() {
    let u = build(
        "def k(a, b):\n    q, r = divmod(a, b)\n    return q * 1000 + r\n",
        &["i8(i8, i8)", "f8(f8, f8)"],
        vec![],
    );
    let (a, b) = ([7i64, -7, 7, -7, 0], [2i64, 2, -2, -2, 5]);
    let want: Vec<i64> = a
        .iter()
        .zip(&b)
        .map(|(&x, &y)| x.div_euclid(y) * 1000 + x.rem_euclid(y))
        .collect();
    // Python floors: -7 // 2 == -4, -7 % 2 == 1; 7 // -2 == -4, 7 % -2 == -1.
    let python = [3001i64, -3999, -4001, 3 * 1000 - 1, 0];
    let got = run::<i64, i64>(&u, 0, &[&a, &b]);
    assert_eq!(got, python);
    assert_ne!(
        got, want,
        "euclid differs from floor division for negative divisors"
    );
    let got = run::<f64, f64>(&u, 1, &[&[7.5, -7.5], &[2.0, 2.0]]);
    assert_eq!(got, vec![3001.5, -3999.5]);
}

#[test]
fn round_with_digits_is_numpys() {
    let u = build(
        "def k(x):\n    return round(x, 2) + round(x, -1) * 1000\n",
        &["f8(f8)", "f4(f4)"],
        vec![],
    );
    let xs = [2.675, 1.005, 15.0, 25.0, -0.125];
    let got = run::<f64, f64>(&u, 0, &[&xs]);
    for (x, g) in xs.iter().zip(got) {
        let two = (x * 100.0f64).round_ties_even() / 100.0;
        let tens = (x / 10.0f64).round_ties_even() * 10.0;
        assert_eq!(g, two + tens * 1000.0, "{x}");
    }
    let got = run::<f32, f32>(&u, 1, &[&[0.125f32, 35.0]]);
    assert_eq!(got, vec![0.12f32, 35.0 + 40.0 * 1000.0]);
}

#[test]
fn cmath_functions_on_complex_and_real() {
    let u = build(
        "def k(z):\n    return cmath.sqrt(z) + cmath.asin(z) * 1j + cmath.phase(z)\n",
        &["c16(c16)"],
        vec![],
    );
    let zs: [[f64; 2]; 2] = [[-4.0, 0.0], [0.5, 0.25]];
    let got = run::<[f64; 2], [f64; 2]>(&u, 0, &[&zs]);
    // sqrt(-4) = 2j; asin(-4) = -pi/2 + 2.0634...j (C99 casin), times 1j; phase(-4) = pi.
    let asin_im = (4.0f64 + 15f64.sqrt()).ln();
    let want0 = [
        -asin_im + std::f64::consts::PI,
        2.0 - std::f64::consts::FRAC_PI_2,
    ];
    assert!((got[0][0] - want0[0]).abs() < 1e-12, "{:?}", got[0]);
    assert!((got[0][1] - want0[1]).abs() < 1e-12, "{:?}", got[0]);
    let real = build(
        "def k(x):\n    return cmath.sqrt(x)\n",
        &["c16(f8)"],
        vec![],
    );
    let got = run::<f64, [f64; 2]>(&real, 0, &[&[-9.0, 4.0]]);
    assert_eq!(got, vec![[0.0, 3.0], [2.0, 0.0]]);
}

fn table(dtype: Scalar, shape: &[u64], data: Vec<u8>) -> GlobalValue {
    GlobalValue::Array {
        dtype,
        shape: shape.to_vec(),
        data,
    }
}

#[test]
fn module_arrays_are_frozen_and_bounds_checked() {
    let values: Vec<u8> = [1.5f64, 2.5, 3.5, 4.5, 5.5, 6.5]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    let weights: Vec<u8> = [10i32, 20, 30]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    let u = build(
        "def k(i):\n    return T[i % 2, i] + W[-1] * len(W) + T.shape[1]\n",
        &["f8(i8)"],
        vec![
            ("T".into(), table(Scalar::F64, &[2, 3], values)),
            ("W".into(), table(Scalar::I32, &[3], weights)),
        ],
    );
    let got = run::<i64, f64>(&u, 0, &[&[0, 1, 2, -1]]);
    // T[0,0], T[1,1], T[0,2], T[1,-1]; plus 30 * 3 + 3.
    assert_eq!(got, vec![94.5, 98.5, 96.5, 99.5]);
    assert_eq!(take_runtime_error(), None);
    run::<i64, f64>(&u, 0, &[&[3]]);
    let (kind, msg) = take_runtime_error().expect("IndexError recorded");
    assert_eq!(kind, 1);
    assert!(
        msg.contains("index 3 is out of bounds for axis 1 with size 3"),
        "{msg}"
    );
}

#[test]
fn callees_are_inlined_and_their_errors_name_their_file() {
    let check = function(
        "check",
        "def check(v):\n    if v < 0:\n        raise ValueError(\"negative\")\n    return v\n",
        40,
        vec![],
    );
    let helper = function(
        "helper",
        "def helper(a, b):\n    return check(a) * b + math.floor(b)\n",
        30,
        [modules(), vec![("check".into(), check)]].concat(),
    );
    let u = build(
        "def k(x, y):\n    return helper(x, y) + helper(y, 2)\n",
        &["f8(f8, f8)"],
        vec![("helper".into(), helper)],
    );
    let got = run::<f64, f64>(&u, 0, &[&[1.0, 2.0], &[3.0, 0.5]]);
    assert_eq!(
        got,
        vec![
            1.0 * 3.0 + 3.0 + (3.0 * 2.0 + 2.0),
            2.0 * 0.5 + 0.0 + (0.5 * 2.0 + 2.0)
        ]
    );
    assert_eq!(take_runtime_error(), None);
    assert!(
        !u.loops[0].llvm_ir.contains(".fn0"),
        "callees are inlined:\n{}",
        u.loops[0].llvm_ir
    );
    let got = run::<f64, f64>(&u, 0, &[&[1.0, -1.0, 5.0], &[1.0, 1.0, 1.0]]);
    assert_eq!(got[0], 1.0 + 1.0 + 4.0);
    assert_eq!(got[2], 0.0, "nothing after the failing element");
    let (kind, msg) = take_runtime_error().expect("ValueError from the callee");
    assert_eq!(
        (kind, msg.as_str()),
        (2, "negative in 'check' (helpers.py, line 42)")
    );
}

#[test]
fn recursion_and_default_arguments_are_unsupported() {
    let me = |globals| {
        function(
            "again",
            "def again(n):\n    return again(n - 1)\n",
            5,
            globals,
        )
    };
    let again = me(vec![("again".into(), me(vec![]))]);
    let e = compile_ufunc(&spec(
        "def k(n):\n    return again(n)\n",
        &["i8(i8)"],
        vec![("again".into(), again)],
    ))
    .err()
    .expect("recursion rejected");
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("again -> again"), "{}", e.message);
    assert_eq!((e.filename.as_str(), e.lineno), ("helpers.py", 6));
    let defaults = function("d", "def d(a, b=2):\n    return a + b\n", 1, vec![]);
    let e = compile_ufunc(&spec(
        "def k(n):\n    return d(n)\n",
        &["i8(i8)"],
        vec![("d".into(), defaults)],
    ))
    .err()
    .expect("defaults rejected");
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("default argument"), "{}", e.message);
}

#[test]
fn tuple_returning_callees_stop_the_caller_on_error_and_inline() {
    let polar = function(
        "polar",
        "def polar(x, y):\n    if x < 0:\n        raise ValueError(\"left half\")\n    return math.hypot(x, y), math.atan2(y, x)\n",
        50,
        modules(),
    );
    let u = build(
        "def k(x, y):\n    r, t = polar(x, y)\n    r, t = t, r\n    return r * 10.0 + t\n",
        &["f8(f8, f8)"],
        vec![("polar".into(), polar)],
    );
    let got = run::<f64, f64>(&u, 0, &[&[3.0, 0.0], &[4.0, 2.0]]);
    let want: Vec<f64> = [(3.0f64, 4.0f64), (0.0, 2.0)]
        .iter()
        .map(|&(x, y)| y.atan2(x) * 10.0 + x.hypot(y))
        .collect();
    assert_eq!(got, want);
    assert_eq!(take_runtime_error(), None);
    assert!(
        !u.loops[0].llvm_ir.contains(".fn0"),
        "the tuple-returning callee is inlined:\n{}",
        u.loops[0].llvm_ir
    );
    let _ = run::<f64, f64>(&u, 0, &[&[1.0, -1.0], &[1.0, 1.0]]);
    let (kind, msg) = take_runtime_error().expect("ValueError from the callee");
    assert_eq!(
        (kind, msg.as_str()),
        (2, "left half in 'polar' (helpers.py, line 52)")
    );
}

#[test]
fn a_loop_variable_read_after_an_empty_loop_raises_unbound_local_error() {
    let u = build(
        "def k(n):\n    for i in range(n):\n        pass\n    return i\n",
        &["i8(i8)"],
        vec![],
    );
    assert_eq!(run::<i64, i64>(&u, 0, &[&[3, 1]]), vec![2, 0]);
    assert_eq!(take_runtime_error(), None);
    let _ = run::<i64, i64>(&u, 0, &[&[3, 0]]);
    let (kind, msg) = take_runtime_error().expect("UnboundLocalError");
    assert_eq!(kind, 7);
    assert!(
        msg.starts_with("cannot access local variable 'i'")
            && msg.ends_with("(kernels.py, line 23)"),
        "{msg}"
    );
}
