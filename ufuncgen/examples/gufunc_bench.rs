//! Hand-run timings of gufunc loops (not a test): row dot `(n),(n)->()` on 100000x16 float64
//! and a moving average `(n),()->(n)` on 1000x1000 with window 10, with and without bounds
//! checks, and the compile time of one gufunc.
//!
//! `cargo run --release -p ufuncgen --example gufunc_bench`

use std::time::Instant;
use ufuncgen::{compile_gufunc, CompiledUfunc, KernelSpec, Options, SourceMap};

const DOT: &str = "\
def dot(a, b, out):
    acc = 0.0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    out[0] = acc
";

/// Numba's documentation example (the window is a `()` argument declared as a 1-d array).
const MOVING_AVERAGE: &str = "\
def move_mean(a, window_arr, out):
    window_width = window_arr[0]
    asum = 0.0
    count = 0
    for i in range(window_width):
        asum += a[i]
        count += 1
        out[i] = asum / count
    for i in range(window_width, len(a)):
        asum += a[i] - a[i - window_width]
        out[i] = asum / count
";

fn compile(source: &str, name: &str, sig: &str, layout: &str, boundscheck: bool) -> CompiledUfunc {
    let spec = KernelSpec {
        name: name.into(),
        source: SourceMap {
            source: source.into(),
            filename: "bench.py".into(),
            first_line: 1,
            col_offset: 0,
        },
        signatures: vec![sig.into()],
        globals: Vec::new(),
        options: Options::default(),
    };
    match compile_gufunc(&spec, layout, &[], boundscheck) {
        Ok(u) => u,
        Err(e) => panic!("{name}: {}", e.message),
    }
}

/// Best of `reps` runs of `f`, in nanoseconds.
fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn run(u: &CompiledUfunc, ptrs: &[*mut u8], dims: &[isize], steps: &[isize]) {
    let mut args = ptrs.to_vec();
    // SAFETY: the callers' buffers cover what dims and steps address.
    unsafe {
        (u.loops[0].func)(
            args.as_mut_ptr(),
            dims.as_ptr(),
            steps.as_ptr(),
            std::ptr::null_mut(),
        )
    };
}

fn main() {
    let t = Instant::now();
    let _ = compile(
        DOT,
        "dot0",
        "void(f8[:], f8[:], f8[:])",
        "(n),(n)->()",
        true,
    );
    println!(
        "first compile (JIT start-up included): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let compile_ms = best(5, || {
        let _ = compile(
            DOT,
            "dot1",
            "void(f8[:], f8[:], f8[:])",
            "(n),(n)->()",
            true,
        );
    }) / 1e6;
    println!("compile time of one gufunc (dot): {compile_ms:.1} ms");

    let (rows, n) = (100_000usize, 16usize);
    let a: Vec<f64> = (0..rows * n).map(|i| (i % 97) as f64 * 0.01).collect();
    let b_full: Vec<f64> = (0..rows * n).map(|i| (i % 89) as f64 * 0.02).collect();
    let b_row: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut out = vec![0.0f64; rows];
    for check in [true, false] {
        let u = compile(
            DOT,
            "dot",
            "void(f8[:], f8[:], f8[:])",
            "(n),(n)->()",
            check,
        );
        for (what, b, bstep) in [
            ("b broadcast", &b_row, 0isize),
            ("b full", &b_full, (n * 8) as isize),
        ] {
            let ptrs = [
                a.as_ptr() as *mut u8,
                b.as_ptr() as *mut u8,
                out.as_mut_ptr() as *mut u8,
            ];
            let dims = [rows as isize, n as isize];
            let steps = [(n * 8) as isize, bstep, 8, 8, 8];
            let ns = best(30, || run(&u, &ptrs, &dims, &steps));
            println!(
                "dot 100000x16 ({what}), boundscheck={check}: {:.3} ns per element of a",
                ns / (rows * n) as f64
            );
        }
    }

    let (rows, n, w) = (1000usize, 1000usize, 10i64);
    let a: Vec<f64> = (0..rows * n).map(|i| (i % 101) as f64).collect();
    let win = [w];
    let mut out = vec![0.0f64; rows * n];
    for check in [true, false] {
        let u = compile(
            MOVING_AVERAGE,
            "move_mean",
            "void(f8[:], intp[:], f8[:])",
            "(n),()->(n)",
            check,
        );
        let ptrs = [
            a.as_ptr() as *mut u8,
            win.as_ptr() as *mut u8,
            out.as_mut_ptr() as *mut u8,
        ];
        let dims = [rows as isize, n as isize];
        let steps = [(n * 8) as isize, 0, (n * 8) as isize, 8, 8];
        if std::env::var_os("UFG_DUMP").is_some() {
            println!("{}", u.loops[0].llvm_ir);
        }
        let ns = best(20, || run(&u, &ptrs, &dims, &steps));
        println!(
            "moving average 1000x1000 window 10, boundscheck={check}: {:.3} ns per element",
            ns / (rows * n) as f64
        );
    }
}
