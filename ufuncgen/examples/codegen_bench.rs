//! Measures code generation: compile time of one loop at O3 and ns/element of compiled loops.
//! Run with `cargo run --release -p ufuncgen --example codegen_bench`.

use std::time::Instant;

use ufuncgen::codegen::{compile_loop, host_info, Target};
use ufuncgen::ir::{
    BinaryOp, Const, Expr, ExprKind, Function, Local, LocalDecl, MathFn, Stmt, StmtKind,
};
use ufuncgen::jit::JitCode;
use ufuncgen::{LoopFn, Options, Scalar, Span};

fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        ty: Scalar::F64,
        span: Span::default(),
    }
}
fn var(i: u32) -> Expr {
    e(ExprKind::Local(Local(i)))
}
fn num(x: f64) -> Expr {
    e(ExprKind::Const(Const::Float(x)))
}
fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    e(ExprKind::Binary(op, Box::new(a), Box::new(b)))
}
fn function(body: Expr) -> Function {
    let decl = |n: &str| LocalDecl {
        name: n.into(),
        ty: Scalar::F64,
    };
    Function {
        name: "bench".into(),
        params: 2,
        locals: vec![decl("a"), decl("b")],
        ret: Scalar::F64,
        body: vec![Stmt {
            kind: StmtKind::Return(body),
            span: Span::default(),
        }],
    }
}

fn rc() -> Function {
    let exp = e(ExprKind::Call(
        MathFn::Exp,
        vec![bin(BinaryOp::Div, num(1.0), var(1))],
    ));
    function(bin(
        BinaryOp::Mul,
        var(0),
        bin(BinaryOp::Sub, num(1.0), exp),
    ))
}

fn axpy() -> Function {
    function(bin(
        BinaryOp::Add,
        bin(BinaryOp::Mul, num(2.5), var(0)),
        var(1),
    ))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), String> {
    let info = host_info();
    println!("LLVM {} on {}", info.llvm_version, info.cpu_name);
    let target = Target::host();
    let mut keep = Vec::new();
    for (name, f) in [("rc  v*(1-exp(1/t))", rc()), ("axpy 2.5*x+y     ", axpy())] {
        let mut compile_ms = Vec::new();
        let mut load_ms = Vec::new();
        let mut loop_fn: Option<LoopFn> = None;
        for i in 0..15 {
            let sym = format!("bench.{i}.{}.loop", name.len() + keep.len());
            let t0 = Instant::now();
            let code = compile_loop(&f, &sym, Options::default(), &target)?;
            let t1 = Instant::now();
            let jit = JitCode::load([code.object.as_slice()])?;
            let addr = jit.lookup(&sym)?;
            let t2 = Instant::now();
            compile_ms.push((t1 - t0).as_secs_f64() * 1e3);
            load_ms.push((t2 - t1).as_secs_f64() * 1e3);
            // SAFETY: the symbol is a loop with the LoopFn ABI; `jit` is kept alive below.
            loop_fn = Some(unsafe { std::mem::transmute::<usize, LoopFn>(addr) });
            keep.push(jit);
        }
        println!(
            "{name}: compile (IR + O3 + object) {:.1} ms, JIT link {:.2} ms (median of 15)",
            median(compile_ms),
            median(load_ms)
        );
        let lf = loop_fn.ok_or("no loop")?;
        for n in [1_000_000usize, 10_000_000] {
            let a: Vec<f64> = (0..n).map(|i| 1.0 + (i % 1000) as f64 * 0.01).collect();
            let b: Vec<f64> = (0..n).map(|i| 0.5 + (i % 777) as f64 * 0.02).collect();
            let mut out = vec![0.0f64; n];
            let reps = if n > 5_000_000 { 5 } else { 20 };
            let mut times = Vec::new();
            for _ in 0..reps {
                let mut ptrs = [
                    a.as_ptr() as *mut u8,
                    b.as_ptr() as *mut u8,
                    out.as_mut_ptr() as *mut u8,
                ];
                let (dims, steps) = ([n as isize], [8isize, 8, 8]);
                let t = Instant::now();
                // SAFETY: three arrays of n contiguous f64.
                unsafe {
                    lf(
                        ptrs.as_mut_ptr(),
                        dims.as_ptr(),
                        steps.as_ptr(),
                        std::ptr::null_mut(),
                    )
                };
                times.push(t.elapsed().as_secs_f64() * 1e9 / n as f64);
            }
            let check: f64 = out.iter().step_by(n / 7).sum();
            println!(
                "  n = {n:>8}: {:.3} ns/element (median of {reps}; checksum {check:.3})",
                median(times)
            );
        }
    }
    Ok(())
}
