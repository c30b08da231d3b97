//! The compile-time guards for big kernels (issue 9, item 14), seen in the optimized IR: a
//! kernel above the inlining limit is one function the loop variants call (not a copy inlined
//! into each), and a kernel loop whose body is above the vectorization limit carries
//! `llvm.loop.vectorize.enable` false. Small kernels keep the inlined, vectorized loop.

use ufuncgen::codegen::{compile_loop, LoopCode, Target};
use ufuncgen::{KernelSpec, Options, Signature, SourceMap};

/// Compiles `source` (a kernel `f`) for `float64(float64)`.
fn compile(source: String) -> LoopCode {
    let spec = KernelSpec {
        name: "f".into(),
        source: SourceMap {
            source,
            filename: "<size-limits>".into(),
            first_line: 1,
            col_offset: 0,
        },
        signatures: vec!["float64(float64)".into()],
        globals: Vec::new(),
        options: Options::default(),
    };
    let sig = Signature::parse("float64(float64)").expect("signature");
    let parsed = ufuncgen::parse::parse_kernel("f", &spec.source).expect("parses");
    let func = ufuncgen::lower::lower_parsed(&spec, &parsed, &sig).expect("lowers");
    compile_loop(&func, "ufg.f.loop", spec.options, &Target::host()).expect("compiles")
}

/// `n` statements `x = x * 1.0001 + 0.5`, indented by `indent` spaces.
fn chain(n: usize, indent: usize) -> String {
    format!("{:indent$}x = x * 1.0001 + 0.5\n", "").repeat(n)
}

/// Scalar and vector `fmul` instructions in the optimized IR.
fn fmuls(ir: &str) -> usize {
    ir.lines().filter(|l| l.contains(" = fmul ")).count()
}

#[test]
fn small_kernel_is_inlined_and_vectorized() {
    let code = compile(format!("def f(x):\n{}    return x\n", chain(20, 4)));
    assert!(
        !code.llvm_ir.contains("@ufg.f.loop.kernel("),
        "a small kernel is inlined into its loops"
    );
    assert!(
        code.llvm_ir.contains(" x double>"),
        "the contiguous loop of a small kernel is vectorized"
    );
}

#[test]
fn big_kernel_is_called_once_not_copied_into_each_loop() {
    let n = 1000;
    let code = compile(format!("def f(x):\n{}    return x\n", chain(n, 4)));
    let ir = &code.llvm_ir;
    let mentions = |what: &str| {
        ir.lines()
            .filter(|l| l.contains(what) && l.contains("@ufg.f.loop.kernel("))
            .count()
    };
    assert_eq!(
        mentions("define "),
        1,
        "a big kernel stays a function of its own"
    );
    assert!(mentions(" call ") >= 1, "the loops call the kernel");
    // Inlined, each loop variant (contiguous, overlapping, strided; vectorized ones twice)
    // carried its own copy of the chain: several times `n` multiplications.
    let count = fmuls(ir);
    assert!(
        (n..n + n / 2).contains(&count),
        "{count} fmul for a kernel of {n}: the body is copied"
    );
    assert!(
        !ir.contains("llvm.loop.isvectorized"),
        "a loop calling the kernel is not vectorized"
    );
}

/// Loops whose loop ID says `llvm.loop.vectorize.enable` false.
fn loops_marked_no_vectorize(ir: &str) -> usize {
    let props: Vec<&str> = ir
        .lines()
        .filter(|l| l.contains("!\"llvm.loop.vectorize.enable\", i1 false"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    ir.lines()
        .filter(|l| l.contains("distinct !{"))
        .filter(|l| {
            props
                .iter()
                .any(|p| l.contains(&format!("{p},")) || l.contains(&format!("{p}}}")))
        })
        .count()
}

#[test]
fn big_loop_body_is_not_vectorized() {
    let kernel = |n| {
        compile(format!(
            "def f(x):\n    for k in range(int(x)):\n{}    return x\n",
            chain(n, 8)
        ))
    };
    // The loop variant for overlapping operands is marked in both.
    let (big, small) = (kernel(1000), kernel(3));
    assert_eq!(
        loops_marked_no_vectorize(&big.llvm_ir),
        loops_marked_no_vectorize(&small.llvm_ir) + 1,
        "a kernel loop with a huge body is marked not to be vectorized, a small one is not"
    );
}
