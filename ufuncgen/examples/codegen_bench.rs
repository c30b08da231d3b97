//! Measures code generation: compile time of one loop at O3 and ns/element of compiled loops,
//! including the vector-math kernels, at the vector-math tier the environment selects.
//! Run with `cargo run --release -p ufuncgen --example codegen_bench`; choose the tier with
//! `UFUNCGEN_SVML_PATH=<dir with libsvml.so>`, `UFUNCGEN_DISABLE_SVML=1` (libmvec) or
//! additionally `UFUNCGEN_DISABLE_LIBMVEC=1` (per-lane libm).

use std::time::Instant;

use ufuncgen::codegen::{compile_loop, host_info, Target};
use ufuncgen::ir::{
    BinaryOp, Const, Expr, ExprKind, Function, Local, LocalDecl, MathFn, Stmt, StmtKind,
};
use ufuncgen::jit::JitCode;
use ufuncgen::{LoopFn, Options, Scalar, Span};

fn e(kind: ExprKind, ty: Scalar) -> Expr {
    Expr {
        kind,
        ty,
        span: Span::default(),
    }
}
fn var(i: u32, ty: Scalar) -> Expr {
    e(ExprKind::Local(Local(i)), ty)
}
fn num(x: f64, ty: Scalar) -> Expr {
    e(ExprKind::Const(Const::Float(x)), ty)
}
fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    let ty = a.ty;
    e(ExprKind::Binary(op, Box::new(a), Box::new(b)), ty)
}
fn call(f: MathFn, x: Expr) -> Expr {
    let ty = x.ty;
    e(ExprKind::Call(f, vec![x]), ty)
}
fn function(params: u32, ty: Scalar, body: Expr) -> Function {
    Function {
        name: "bench".into(),
        params,
        locals: (0..params)
            .map(|i| LocalDecl {
                name: format!("a{i}"),
                ty,
            })
            .collect(),
        ret: ty,
        ret_parts: Vec::new(),
        body: vec![Stmt {
            kind: StmtKind::Return(body),
            span: Span::default(),
        }],
        arrays: Vec::new(),
        boundscheck: true,
        origin: Default::default(),
        tables: Vec::new(),
        callees: Vec::new(),
    }
}

/// `v * (1 - exp(1 / t))`
fn rc() -> Function {
    let ty = Scalar::F64;
    let exp = call(MathFn::Exp, bin(BinaryOp::Div, num(1.0, ty), var(1, ty)));
    function(
        2,
        ty,
        bin(
            BinaryOp::Mul,
            var(0, ty),
            bin(BinaryOp::Sub, num(1.0, ty), exp),
        ),
    )
}

/// `2.5 * x + y`
fn axpy() -> Function {
    let ty = Scalar::F64;
    function(
        2,
        ty,
        bin(
            BinaryOp::Add,
            bin(BinaryOp::Mul, num(2.5, ty), var(0, ty)),
            var(1, ty),
        ),
    )
}

/// `exp(arcsin(x))`
fn exp_asin(ty: Scalar) -> Function {
    function(1, ty, call(MathFn::Exp, call(MathFn::Asin, var(0, ty))))
}

/// `sin(x) * cos(x) + log1p(x * x)`
fn trig_log1p(ty: Scalar) -> Function {
    let x = || var(0, ty);
    let sc = bin(
        BinaryOp::Mul,
        call(MathFn::Sin, x()),
        call(MathFn::Cos, x()),
    );
    let l = call(MathFn::Log1p, bin(BinaryOp::Mul, x(), x()));
    function(1, ty, bin(BinaryOp::Add, sc, l))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Input `k` of `n` elements, as raw bytes of the dtype (values in [-1, 1] plus an offset).
fn column(k: usize, n: usize, ty: Scalar) -> Vec<u8> {
    let value = |i: usize| match k {
        0 => ((i % 1000) as f64 * 0.002 - 1.0) * 0.999,
        _ => 0.5 + (i % 777) as f64 * 0.02,
    };
    if ty == Scalar::F32 {
        (0..n)
            .flat_map(|i| (value(i) as f32).to_ne_bytes())
            .collect()
    } else {
        (0..n).flat_map(|i| value(i).to_ne_bytes()).collect()
    }
}

/// Fastest ns/element of `reps` calls of a loop over `n` contiguous elements (the minimum, as
/// the machine is shared and slower runs measure other processes).
fn time_loop(lf: LoopFn, f: &Function, n: usize, reps: usize) -> f64 {
    let ty = f.ret;
    let size = ty.size() as isize;
    let mut cols: Vec<Vec<u8>> = (0..f.params as usize).map(|k| column(k, n, ty)).collect();
    cols.push(vec![0u8; n * size as usize]);
    let mut times = Vec::new();
    for _ in 0..reps {
        let mut ptrs: Vec<*mut u8> = cols.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let steps = vec![size; ptrs.len()];
        let dims = [n as isize];
        let t = Instant::now();
        // SAFETY: every column holds n contiguous elements of the loop's dtype.
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
    times.into_iter().fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), String> {
    let info = host_info();
    let vm = ufuncgen::vecmath::state();
    println!(
        "LLVM {} on {}; vector math: {}",
        info.llvm_version,
        info.cpu_name,
        vm.tier.name()
    );
    let target = Target::host();
    let mut keep = Vec::new();
    let kernels = [
        ("rc  v*(1-exp(1/t))        f64", rc(), true),
        ("axpy 2.5*x+y              f64", axpy(), true),
        (
            "exp(arcsin(x))            f64",
            exp_asin(Scalar::F64),
            false,
        ),
        (
            "exp(arcsin(x))            f32",
            exp_asin(Scalar::F32),
            false,
        ),
        (
            "sin*cos+log1p(x*x)        f64",
            trig_log1p(Scalar::F64),
            false,
        ),
        (
            "sin*cos+log1p(x*x)        f32",
            trig_log1p(Scalar::F32),
            false,
        ),
    ];
    for (k, (name, f, with_10m)) in kernels.iter().enumerate() {
        let mut compile_ms = Vec::new();
        let mut load_ms = Vec::new();
        let mut loop_fn: Option<LoopFn> = None;
        for i in 0..9 {
            let sym = format!("bench.{k}.{i}.loop");
            let t0 = Instant::now();
            let code =
                compile_loop(f, &sym, Options::default(), &target).map_err(|e| e.to_string())?;
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
        let lf = loop_fn.ok_or("no loop")?;
        let mut line = format!(
            "{name}: compile {:.1} ms, link {:.2} ms;",
            median(compile_ms),
            median(load_ms)
        );
        let sizes: &[usize] = if *with_10m {
            &[1_000_000, 10_000_000]
        } else {
            &[1_000_000]
        };
        for &n in sizes {
            let reps = if n > 5_000_000 { 9 } else { 41 };
            line.push_str(&format!(
                " n={n:e}: {:.3} ns/elem",
                time_loop(lf, f, n, reps)
            ));
        }
        println!("{line}");
    }
    Ok(())
}
