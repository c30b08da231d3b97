//! The whole compiler, source text to a running NumPy loop, without Python.

use ufuncgen::{compile_ufunc, ErrorKind, GlobalValue, KernelSpec, ModuleKind, Options, SourceMap};

fn spec(
    source: &str,
    name: &str,
    sigs: &[&str],
    globals: Vec<(String, GlobalValue)>,
) -> KernelSpec {
    KernelSpec {
        name: name.into(),
        source: SourceMap {
            source: source.into(),
            filename: "kernels.py".into(),
            first_line: 3,
            col_offset: 0,
        },
        signatures: sigs.iter().map(|s| s.to_string()).collect(),
        globals,
        options: Options::default(),
    }
}

/// Runs a compiled binary f64 loop on contiguous data.
fn run_binary_f64(f: ufuncgen::LoopFn, a: &[f64], b: &[f64]) -> Vec<f64> {
    let n = a.len();
    let mut out = vec![0.0f64; n];
    let mut args = [
        a.as_ptr() as *mut u8,
        b.as_ptr() as *mut u8,
        out.as_mut_ptr() as *mut u8,
    ];
    let dims = [n as isize];
    let steps = [8isize, 8, 8];
    unsafe {
        f(
            args.as_mut_ptr(),
            dims.as_ptr(),
            steps.as_ptr(),
            std::ptr::null_mut(),
        )
    };
    out
}

#[test]
fn rc_filter_compiles_and_runs() {
    let src = "@vectorize(['float64(float64, float64)'])\ndef rc(v, t):\n    return v * (1 - math.exp(1 / t))\n";
    let s = spec(
        src,
        "rc",
        &["float64(float64, float64)"],
        vec![("math".into(), GlobalValue::Module(ModuleKind::Math))],
    );
    let compiled = compile_ufunc(&s).expect("compiles");
    assert_eq!(compiled.loops.len(), 1);
    let l = &compiled.loops[0];
    assert_eq!(l.signature, "float64(float64, float64)");
    let v: Vec<f64> = (0..1000).map(|i| 1.0 + i as f64 * 0.01).collect();
    let t: Vec<f64> = (0..1000).map(|i| -2.0 - i as f64 * 0.003).collect();
    let out = run_binary_f64(l.func, &v, &t);
    for i in 0..v.len() {
        let e = (1.0 / t[i]).exp();
        let want = v[i] * (1.0 - e);
        // exp may run in a vector library (up to 4 ULP); `1 - e` keeps that absolute error.
        let tol = 4.0 * f64::EPSILON * (v[i] * e).abs() + 2.0 * f64::EPSILON * want.abs();
        assert!((out[i] - want).abs() <= tol, "{i}: {} vs {want}", out[i]);
    }
    assert!(
        l.llvm_ir.contains("x double>"),
        "contiguous loop is vectorized"
    );
    // Vector registers spilled around the vector-math calls must not depend on how the
    // caller left the stack (a 1.5x swing measured between call paths).
    assert!(
        l.llvm_ir.contains("\"stackrealign\""),
        "loops realign their stack"
    );
}

#[test]
fn every_signature_gets_its_own_loop_in_order() {
    let src = "def add(a, b):\n    return a + b\n";
    let s = spec(
        src,
        "add",
        &["int8(int8, int8)", "float32(float32, float32)", "f8(f8,f8)"],
        vec![],
    );
    let compiled = compile_ufunc(&s).expect("compiles");
    let chars: Vec<String> = compiled
        .loops
        .iter()
        .map(|l| {
            l.inputs.iter().map(|t| t.type_char()).collect::<String>()
                + "->"
                + &l.output.type_char().to_string()
        })
        .collect();
    assert_eq!(chars, ["bb->b", "ff->f", "dd->d"]);
    let out = run_binary_f64(compiled.loops[2].func, &[1.5, 2.0], &[0.25, -3.0]);
    assert_eq!(out, [1.75, -1.0]);
}

#[test]
fn errors_carry_kind_and_position() {
    let src = "def bad(a):\n    return a + 'x'\n";
    let err = compile_ufunc(&spec(src, "bad", &["f8(f8)"], vec![]))
        .err()
        .expect("must fail");
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert_eq!((err.lineno, err.filename.as_str()), (4, "kernels.py"));
    let err = compile_ufunc(&spec(src, "bad", &["f8(f8"], vec![]))
        .err()
        .expect("must fail");
    assert_eq!(err.kind, ErrorKind::Signature);
    let err = compile_ufunc(&spec(
        "def two(a, b):\n    return a\n",
        "two",
        &["f8(f8)"],
        vec![],
    ))
    .err()
    .expect("arity");
    assert_eq!(err.kind, ErrorKind::Signature);
}

#[test]
fn only_loops_without_fastmath_split_anywhere() {
    let math = || vec![("math".into(), GlobalValue::Module(ModuleKind::Math))];
    let sig = ["float64(float64, float64)"];
    let plain_src = "def f(a, b):\n    return a * b + math.sqrt(a)\n";
    let plain = compile_ufunc(&spec(plain_src, "f", &sig, math())).expect("compiles");
    // Arithmetic and the guarded sqrt compute each element alike in vector and scalar code.
    assert!(plain.loops[0].split_anywhere);
    let rc_src = "def rc(v, t):\n    return v * (1 - math.exp(1 / t))\n";
    let rc = compile_ufunc(&spec(rc_src, "rc", &sig, math())).expect("compiles");
    // A vector-math call runs the same routine in the body and the remainder.
    assert!(rc.loops[0].split_anywhere);
    let mut fast = spec(plain_src, "f", &sig, math());
    fast.options.fastmath = true;
    let fast = compile_ufunc(&fast).expect("compiles");
    assert!(
        !fast.loops[0].split_anywhere,
        "fastmath may reassociate differently"
    );
}
