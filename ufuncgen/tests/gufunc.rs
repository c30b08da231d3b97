//! guvectorize end to end without Python: kernels compiled from source text, run through
//! NumPy's generalized loop ABI with hand-made `dimensions` and `steps`.

use ufuncgen::{
    compile_gufunc, take_runtime_error, CompileError, CompiledUfunc, ErrorKind, GlobalValue,
    KernelSpec, ModuleKind, Options, SourceMap,
};

fn spec(source: &str, name: &str, sigs: &[&str]) -> KernelSpec {
    KernelSpec {
        name: name.into(),
        source: SourceMap {
            source: source.into(),
            filename: "kernels.py".into(),
            first_line: 10,
            col_offset: 0,
        },
        signatures: sigs.iter().map(|s| s.to_string()).collect(),
        globals: vec![
            ("math".into(), GlobalValue::Module(ModuleKind::Math)),
            ("np".into(), GlobalValue::Module(ModuleKind::Numpy)),
        ],
        options: Options::default(),
    }
}

fn build(source: &str, name: &str, sigs: &[&str], layout: &str) -> CompiledUfunc {
    compile_with(source, name, sigs, layout, &[], true)
}

fn compile_with(
    source: &str,
    name: &str,
    sigs: &[&str],
    layout: &str,
    writable: &[usize],
    boundscheck: bool,
) -> CompiledUfunc {
    compile_gufunc(&spec(source, name, sigs), layout, writable, boundscheck)
        .unwrap_or_else(|e| panic!("{name}: {}: {}\n{}", e.message, e.lineno, e.snippet))
}

fn compile_err(source: &str, sigs: &[&str], layout: &str, writable: &[usize]) -> CompileError {
    match compile_gufunc(&spec(source, "f", sigs), layout, writable, true) {
        Ok(_) => panic!("{sigs:?} with {layout:?} compiled"),
        Err(e) => e,
    }
}

/// Calls loop `i` of `u` with raw pointers, `dimensions` and `steps` (bytes).
fn call(u: &CompiledUfunc, i: usize, ptrs: &[*mut u8], dims: &[isize], steps: &[isize]) {
    let mut args = ptrs.to_vec();
    // SAFETY: each test builds buffers that cover every element the dims and steps address.
    unsafe {
        (u.loops[i].func)(
            args.as_mut_ptr(),
            dims.as_ptr(),
            steps.as_ptr(),
            std::ptr::null_mut(),
        )
    };
}

fn p<T>(v: &[T]) -> *mut u8 {
    v.as_ptr() as *mut u8
}

fn pm<T>(v: &mut [T]) -> *mut u8 {
    v.as_mut_ptr() as *mut u8
}

const DOT: &str = "\
@guvectorize(['void(float64[:], float64[:], float64[:])'], '(n),(n)->()')
def dot(a, b, out):
    acc = 0.0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    out[0] = acc
";

#[test]
fn dot_rows_contiguous_and_broadcast() {
    let u = build(DOT, "dot", &["void(float64[:], float64[:], float64[:])"], "(n),(n)->()");
    let l = &u.loops[0];
    assert_eq!(l.inputs, vec![ufuncgen::Scalar::F64; 2]);
    assert_eq!(l.outputs, vec![ufuncgen::Scalar::F64]);
    let (rows, n) = (7usize, 5usize);
    let a: Vec<f64> = (0..rows * n).map(|i| i as f64 * 0.5 - 3.0).collect();
    let b: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
    let mut out = vec![f64::NAN; rows];
    // b is broadcast: outer step 0.
    call(&u, 0, &[p(&a), p(&b), pm(&mut out)], &[rows as isize, n as isize], &[
        (n * 8) as isize, 0, 8, 8, 8,
    ]);
    for r in 0..rows {
        let want: f64 = (0..n).map(|i| a[r * n + i] * b[i]).sum();
        assert_eq!(out[r], want, "row {r}");
    }
    assert_eq!(take_runtime_error(), None);
}
