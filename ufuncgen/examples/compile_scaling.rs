//! Compile time of generated kernels against their size, per phase (parse, lower, LLVM:
//! kernel IR + O3 + machine code, JIT load). Run with
//! `cargo run --release -p ufuncgen --example compile_scaling [-- straight|branches|loops N...]`;
//! with `UFUNCGEN_LLVM_ARGS="-time-passes"` (any LLVM command-line options) LLVM reports the
//! time of each pass.

use std::time::Instant;

use ufuncgen::codegen::{compile_loop, Target};
use ufuncgen::{KernelSpec, Options, Signature, SourceMap};

fn kernel(shape: &str, n: usize) -> String {
    let mut s = String::from("def f(x):\n");
    for i in 0..n {
        match shape {
            "straight" => s.push_str("    x = x * 1.0001 + 0.5\n"),
            "branches" => s.push_str(&format!(
                "    if x > {i}.5:\n        x = x * 0.999\n    else:\n        x = x + 1.0\n"
            )),
            "loops" => s.push_str("    for k in range(3):\n        x = x * 1.0001 + 0.5\n"),
            other => panic!("unknown shape {other}"),
        }
    }
    s.push_str("    return x\n");
    s
}

/// Hands `UFUNCGEN_LLVM_ARGS` to LLVM's command-line parser (e.g. `-time-passes`).
fn llvm_options() {
    let Ok(opts) = std::env::var("UFUNCGEN_LLVM_ARGS") else {
        return;
    };
    let args: Vec<std::ffi::CString> = std::iter::once("compile_scaling")
        .chain(opts.split_whitespace())
        .map(|a| std::ffi::CString::new(a).expect("an option without NUL"))
        .collect();
    let ptrs: Vec<*const std::ffi::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    // SAFETY: `ptrs` points into `args`, alive for the call; LLVM copies what it keeps.
    unsafe {
        llvm_sys::support::LLVMParseCommandLineOptions(
            ptrs.len() as i32,
            ptrs.as_ptr(),
            std::ptr::null(),
        )
    };
}

fn main() {
    llvm_options();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shape = args.first().cloned().unwrap_or_else(|| "straight".into());
    let sizes: Vec<usize> = if args.len() > 1 {
        args[1..]
            .iter()
            .map(|a| a.parse().expect("a size"))
            .collect()
    } else {
        vec![1000, 2000, 4000]
    };
    let sig = Signature::parse("float64(float64)").expect("signature");
    println!("shape={shape}\n lines   parse   lower    llvm     jit   (seconds)");
    for n in sizes {
        let spec = KernelSpec {
            name: "f".into(),
            source: SourceMap {
                source: kernel(&shape, n),
                filename: "<generated>".into(),
                first_line: 1,
                col_offset: 0,
            },
            signatures: vec!["float64(float64)".into()],
            globals: Vec::new(),
            options: Options::default(),
        };
        let t0 = Instant::now();
        let parsed = ufuncgen::parse::parse_kernel("f", &spec.source).expect("parses");
        let t1 = Instant::now();
        let func = ufuncgen::lower::lower_parsed(&spec, &parsed, &sig).expect("lowers");
        let t2 = Instant::now();
        let code = compile_loop(&func, "ufg.f.loop", spec.options, &Target::host()).expect("llvm");
        let t3 = Instant::now();
        let jit = ufuncgen::jit::JitCode::load([code.object.as_slice()]).expect("jit");
        let t4 = Instant::now();
        drop(jit);
        let s = |a: Instant, b: Instant| (b - a).as_secs_f64();
        println!(
            "{n:6} {:7.3} {:7.3} {:7.3} {:7.3}",
            s(t0, t1),
            s(t1, t2),
            s(t2, t3),
            s(t3, t4)
        );
    }
    // SAFETY: LLVM is no longer used; this prints the pass timings `-time-passes` collected.
    unsafe { llvm_sys::core::LLVMShutdown() };
}
