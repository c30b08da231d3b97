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
        .unwrap_or_else(|e| panic!("{name}: {}: {}\n{}", e.message, e.lineno, e.snippet()))
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
    let u = build(
        DOT,
        "dot",
        &["void(float64[:], float64[:], float64[:])"],
        "(n),(n)->()",
    );
    let l = &u.loops[0];
    assert_eq!(l.inputs, vec![ufuncgen::Scalar::F64; 2]);
    assert_eq!(l.outputs, vec![ufuncgen::Scalar::F64]);
    let (rows, n) = (7usize, 5usize);
    let a: Vec<f64> = (0..rows * n).map(|i| i as f64 * 0.5 - 3.0).collect();
    let b: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
    let mut out = vec![f64::NAN; rows];
    // b is broadcast: outer step 0.
    call(
        &u,
        0,
        &[p(&a), p(&b), pm(&mut out)],
        &[rows as isize, n as isize],
        &[(n * 8) as isize, 0, 8, 8, 8],
    );
    for r in 0..rows {
        let want: f64 = (0..n).map(|i| a[r * n + i] * b[i]).sum();
        assert_eq!(out[r], want, "row {r}");
    }
    assert_eq!(take_runtime_error(), None);
}

#[test]
fn dot_with_non_contiguous_core_strides_and_zero_lengths() {
    let u = build(DOT, "dot", &["f8[:], f8[:], f8[:]"], "(n),(n)->()");
    // Every other element of a, b reversed through a negative core stride.
    let (rows, n) = (3usize, 4usize);
    let a: Vec<f64> = (0..rows * n * 2).map(|i| i as f64).collect();
    let b: Vec<f64> = vec![1.0, 10.0, 100.0, 1000.0];
    let mut out = vec![0.0f64; rows];
    let b_last = unsafe { b.as_ptr().add(n - 1) } as *mut u8;
    call(
        &u,
        0,
        &[p(&a), b_last, pm(&mut out)],
        &[rows as isize, n as isize],
        &[(n * 16) as isize, 0, 8, 16, -8],
    );
    for r in 0..rows {
        let want: f64 = (0..n).map(|i| a[r * n * 2 + 2 * i] * b[n - 1 - i]).sum();
        assert_eq!(out[r], want, "row {r}");
    }
    // Zero-length core: the sum of nothing.
    let mut out = vec![f64::NAN; 2];
    call(
        &u,
        0,
        &[p(&a), p(&b), pm(&mut out)],
        &[2, 0],
        &[0, 0, 8, 8, 8],
    );
    assert_eq!(out, vec![0.0, 0.0]);
    // Zero outer iterations: nothing is touched.
    let mut out = vec![f64::NAN; 1];
    call(
        &u,
        0,
        &[p(&a), p(&b), pm(&mut out)],
        &[0, 4],
        &[32, 0, 8, 8, 8],
    );
    assert!(out[0].is_nan());
    assert_eq!(take_runtime_error(), None);
}

const MATMUL: &str = "\
def matmul(a, b, out):
    m, n = a.shape
    p = b.shape[1]
    for i in range(m):
        for j in range(p):
            acc = 0.0
            for k in range(n):
                acc += a[i, k] * b[k, j]
            out[i, j] = acc
";

#[test]
fn matmul_contiguous_and_transposed() {
    let u = build(
        MATMUL,
        "matmul",
        &["void(float64[:, :], float64[:, :], float64[:, :])"],
        "(m,n),(n,p)->(m,p)",
    );
    let (outer, m, n, pp) = (2usize, 2usize, 3usize, 4usize);
    let a: Vec<f64> = (0..outer * m * n).map(|i| (i as f64) - 5.0).collect();
    let b: Vec<f64> = (0..n * pp).map(|i| (i as f64) * 0.25).collect();
    let want = |a_at: &dyn Fn(usize, usize, usize) -> f64| -> Vec<f64> {
        let mut w = vec![0.0; outer * m * pp];
        for o in 0..outer {
            for i in 0..m {
                for j in 0..pp {
                    w[o * m * pp + i * pp + j] =
                        (0..n).map(|k| a_at(o, i, k) * b[k * pp + j]).sum();
                }
            }
        }
        w
    };
    let mut out = vec![0.0f64; outer * m * pp];
    let dims = [outer as isize, m as isize, n as isize, pp as isize];
    let steps = [
        (m * n * 8) as isize,
        0,
        (m * pp * 8) as isize,
        (n * 8) as isize, // a: (m, n) rows
        8,
        (pp * 8) as isize, // b: (n, p)
        8,
        (pp * 8) as isize, // out: (m, p)
        8,
    ];
    call(&u, 0, &[p(&a), p(&b), pm(&mut out)], &dims, &steps);
    assert_eq!(out, want(&|o, i, k| a[o * m * n + i * n + k]));
    // The same a read as stored transposed (column-major cores): strides swap.
    let mut out = vec![0.0f64; outer * m * pp];
    let mut steps_t = steps;
    steps_t[3] = 8;
    steps_t[4] = (m * 8) as isize;
    call(&u, 0, &[p(&a), p(&b), pm(&mut out)], &dims, &steps_t);
    assert_eq!(out, want(&|o, i, k| a[o * m * n + k * m + i]));
}

const MOVING_AVERAGE: &str = "\
def movavg(a, w, out):
    acc = 0.0
    for i in range(len(a)):
        acc += a[i]
        if i >= w:
            acc -= a[i - w]
        out[i] = acc / min(i + 1, w)
";

#[test]
fn moving_average_with_scalar_window() {
    let u = build(
        MOVING_AVERAGE,
        "movavg",
        &["void(float64[:], int64, float64[:])", "(f4[:], i8, f4[:])"],
        "(n),()->(n)",
    );
    assert_eq!(
        u.loops[1].inputs,
        vec![ufuncgen::Scalar::F32, ufuncgen::Scalar::I64]
    );
    let (rows, n) = (2usize, 9usize);
    let a: Vec<f64> = (0..rows * n).map(|i| ((i * 7) % 5) as f64).collect();
    let w: Vec<i64> = vec![3, 4];
    let mut out = vec![0.0f64; rows * n];
    call(
        &u,
        0,
        &[p(&a), p(&w), pm(&mut out)],
        &[rows as isize, n as isize],
        &[(n * 8) as isize, 8, (n * 8) as isize, 8, 8],
    );
    for r in 0..rows {
        let win = w[r] as usize;
        for i in 0..n {
            let lo = (i + 1).saturating_sub(win);
            let s: f64 = a[r * n + lo..=r * n + i].iter().sum();
            let want = s / ((i + 1).min(win) as f64);
            assert!(
                (out[r * n + i] - want).abs() < 1e-12,
                "{r},{i}: {} vs {want}",
                out[r * n + i]
            );
        }
    }
}

#[test]
fn cumsum_iterates_over_the_array() {
    let src = "\
def cumsum(a, out):
    acc = 0
    k = 0
    for v in a:
        acc += v
        out[k] = acc
        k += 1
";
    let u = build(src, "cumsum", &["void(int32[:], int64[:])"], "(n)->(n)");
    let a: Vec<i32> = vec![1, -2, 3, 40, 5, 6];
    let mut out = vec![0i64; 6];
    // two rows of three
    call(&u, 0, &[p(&a), pm(&mut out)], &[2, 3], &[12, 24, 4, 8]);
    assert_eq!(out, vec![1, -1, 2, 40, 45, 51]);
}

#[test]
fn argmax_gives_int64() {
    let src = "\
def argmax(a, out):
    best = 0
    for i in range(1, a.size):
        if a[i] > a[best]:
            best = i
    out[0] = best
";
    let u = build(src, "argmax", &["void(f8[:], i8[:])"], "(n)->()");
    assert_eq!(u.loops[0].outputs, vec![ufuncgen::Scalar::I64]);
    let a: Vec<f64> = vec![1.0, 5.0, 2.0, 9.0, -1.0, 0.5, 0.25, 0.75];
    let mut out = vec![-1i64; 2];
    call(&u, 0, &[p(&a), pm(&mut out)], &[2, 4], &[32, 8, 8]);
    let want: Vec<i64> = a
        .chunks(4)
        .map(|row| (0..4).fold(0, |b, i| if row[i] > row[b] { i } else { b }) as i64)
        .collect();
    assert_eq!(out, want);
    assert_eq!(out, vec![3, 3]);
}

#[test]
fn two_outputs_and_one_element_array_inputs() {
    let src = "\
def minmax(a, scale, lo, hi):
    lo[0] = a[0] * scale[0]
    hi[0] = a[0] * scale[0]
    for i in range(a.shape[0]):
        x = a[i] * scale[0]
        lo[0] = min(lo[0], x)
        hi[0] = max(hi[0], x)
";
    let u = build(
        src,
        "minmax",
        &["void(f8[:], f8[:], f8[:], f8[:])"],
        "(n),()->(),()",
    );
    assert_eq!(u.loops[0].inputs.len(), 2);
    assert_eq!(u.loops[0].outputs.len(), 2);
    let a: Vec<f64> = vec![3.0, -1.0, 4.0, 1.0, -5.0, 9.0];
    let s: Vec<f64> = vec![2.0, -1.0];
    let (mut lo, mut hi) = (vec![0.0f64; 2], vec![0.0f64; 2]);
    call(
        &u,
        0,
        &[p(&a), p(&s), pm(&mut lo), pm(&mut hi)],
        &[2, 3],
        &[24, 8, 8, 8, 8],
    );
    assert_eq!(lo, vec![-2.0, -9.0]);
    assert_eq!(hi, vec![8.0, 5.0]);
}

#[test]
fn while_break_continue_and_negative_indices() {
    let src = "\
def first_above(a, t, out):
    i = 0
    out[0] = -1
    while True:
        if i >= len(a):
            break
        if a[i] <= t:
            i += 1
            continue
        out[0] = i
        return
    out[1] = a[-1]
";
    let u = build(
        src,
        "first_above",
        &["void(i8[:], i8, i8[:])"],
        "(n),()->(m)",
    );
    let a: Vec<i64> = vec![1, 2, 7, 3, 1, 1, 1, 1];
    let t: Vec<i64> = vec![5, 5];
    let mut out = vec![99i64; 4];
    call(
        &u,
        0,
        &[p(&a), p(&t), pm(&mut out)],
        &[2, 4, 2],
        &[32, 8, 16, 8, 8],
    );
    // Row 0 finds index 2 and returns before out[1]; row 1 finds nothing, stores a[-1].
    assert_eq!(out, vec![2, 99, -1, 1]);
}

#[test]
fn out_of_bounds_index_raises_index_error_without_touching_memory() {
    let src = "\
def shift(a, out):
    for i in range(a.shape[0]):
        out[i] = a[i + 1]
";
    let u = build(src, "shift", &["void(f8[:], f8[:])"], "(n)->(n)");
    // a has a guard element after each row that must never be read into out.
    let a: Vec<f64> = vec![1.0, 2.0, 3.0, 4.0, 5.0, -777.0];
    let mut out = vec![0.0f64; 10];
    call(&u, 0, &[p(&a), pm(&mut out)], &[2, 5], &[0, 40, 8, 8]);
    let (kind, msg) = take_runtime_error().expect("IndexError recorded");
    assert_eq!(kind, 1);
    assert_eq!(
        msg,
        "index 5 is out of bounds for axis 0 with size 5 in 'shift' (kernels.py, line 12)"
    );
    assert_eq!(out[..4], [2.0, 3.0, 4.0, 5.0]);
    assert!(
        out[4..].iter().all(|&x| x == 0.0),
        "stopped at once: {out:?}"
    );
    assert_eq!(take_runtime_error(), None, "taking clears the slot");
    // Far out of range, negative side too.
    let src = "\
def far(a, k, out):
    out[0] = a[k]
";
    let u = build(src, "far", &["void(f8[:], i8, f8[:])"], "(n),()->()");
    let a: Vec<f64> = vec![1.0, 2.0, 3.0];
    for (k, ok) in [
        (-3i64, true),
        (2, true),
        (-4, false),
        (1 << 40, false),
        (i64::MIN, false),
    ] {
        let ks = vec![k];
        let mut out = vec![0.0f64];
        call(
            &u,
            0,
            &[p(&a), p(&ks), pm(&mut out)],
            &[1, 3],
            &[0, 0, 0, 8],
        );
        let err = take_runtime_error();
        assert_eq!(err.is_none(), ok, "k = {k}: {err:?}");
        if ok {
            assert_eq!(out[0], a[k.rem_euclid(3) as usize]);
        } else {
            assert_eq!(out[0], 0.0);
        }
    }
}

#[test]
fn boundscheck_false_removes_the_checks() {
    let src = "\
def gather(a, idx, out):
    for i in range(idx.shape[0]):
        out[i] = a[idx[i]]
";
    let sigs = ["void(f8[:], i8[:], f8[:])"];
    let checked = compile_with(src, "gather", &sigs, "(n),(m)->(m)", &[], true);
    let unchecked = compile_with(src, "gather", &sigs, "(n),(m)->(m)", &[], false);
    assert!(checked.loops[0].llvm_ir.contains("ufg_index_error"));
    assert!(!unchecked.loops[0].llvm_ir.contains("ufg_index_error"));
    assert!(!unchecked.loops[0].llvm_ir.contains("ufg_set_error"));
    let a: Vec<f64> = vec![10.0, 20.0, 30.0];
    let idx: Vec<i64> = vec![2, -3, 1];
    for u in [&checked, &unchecked] {
        let mut out = vec![0.0f64; 3];
        call(
            u,
            0,
            &[p(&a), p(&idx), pm(&mut out)],
            &[1, 3, 3],
            &[0, 0, 0, 8, 8, 8],
        );
        assert_eq!(out, vec![30.0, 10.0, 20.0]);
    }
}

#[test]
fn in_range_loops_need_no_check_in_the_optimized_code() {
    let u = build(
        DOT,
        "dot",
        &["void(float64[:], float64[:], float64[:])"],
        "(n),(n)->()",
    );
    let ir = &u.loops[0].llvm_ir;
    // a[i] and b[i] for i in range(a.shape[0]): both have the core size n, so LLVM proves
    // every index in range and drops the checks.
    let calls = ir.matches("call void @ufg_index_error").count();
    assert_eq!(calls, 0, "{calls} index checks left:\n{ir}");
}

#[test]
fn writable_args_and_store_casts() {
    let src = "\
def scale(a, k, out):
    for i in range(len(a)):
        a[i] *= k
        out[i] = i
";
    let sigs = ["void(f8[:], f8, f8[:])"];
    // Storing into an unlisted input is allowed and makes it read-write for NumPy.
    let unlisted = compile_with(src, "scale", &sigs, "(n),()->(n)", &[], true);
    assert_eq!(unlisted.loops[0].read_write_inputs, vec![0]);
    let u = compile_with(src, "scale", &sigs, "(n),()->(n)", &[0], true);
    assert_eq!(u.loops[0].read_write_inputs, vec![0]);
    // A listed input the kernel never stores into is read-write too (Numba's writable_args).
    let listed = compile_with(
        "def f(a, b, out):\n    out[0] = a[0] + b[0]\n",
        "f",
        &["void(f8[:], f8[:], f8[:])"],
        "(n),(n)->()",
        &[1],
        true,
    );
    assert_eq!(listed.loops[0].read_write_inputs, vec![1]);
    let none = compile_with(
        "def f(a, b, out):\n    out[0] = a[0] + b[0]\n",
        "f",
        &["void(f8[:], f8[:], f8[:])"],
        "(n),(n)->()",
        &[],
        true,
    );
    assert!(none.loops[0].read_write_inputs.is_empty());
    // Stores nested in branches and loops count; loads and shapes do not.
    let nested = compile_with(
        "def f(a, b, c, out):\n    for i in range(len(a)):\n        if b[i] > 0:\n            \
         while c[0] < 0:\n                c[0] += 1.0\n    out[0] = a.shape[0]\n",
        "f",
        &["void(f8[:], f8[:], f8[:], f8[:])"],
        "(n),(n),(m)->()",
        &[],
        true,
    );
    assert_eq!(nested.loops[0].read_write_inputs, vec![2]);
    let mut a: Vec<f64> = vec![1.0, 2.0, 3.0];
    let k = vec![2.5f64];
    let mut out = vec![0.0f64; 3];
    call(
        &u,
        0,
        &[pm(&mut a), p(&k), pm(&mut out)],
        &[1, 3],
        &[0, 0, 0, 8, 8],
    );
    assert_eq!(a, vec![2.5, 5.0, 7.5]);
    assert_eq!(out, vec![0.0, 1.0, 2.0], "int stored into a float array");
    // A float stored into an int array truncates, as NumPy's __setitem__ does.
    let u = build(
        "def f(a, out):\n    out[0] = a[0] * 0.5\n    out[1] = -2.7\n",
        "f",
        &["void(i8[:], i8[:])"],
        "(n)->(n)",
    );
    let a = vec![7i64, 0];
    let mut out = vec![0i64; 2];
    call(&u, 0, &[p(&a), pm(&mut out)], &[1, 2], &[0, 0, 8, 8]);
    assert_eq!(out, vec![3, -2]);
    // Complex into a real array and an out-of-range literal stay errors.
    let e = compile_err(
        "def f(a, out):\n    out[0] = 1j\n",
        &["void(f8[:], f8[:])"],
        "(n)->()",
        &[],
    );
    assert_eq!(e.kind, ErrorKind::Typing);
    let e = compile_err(
        "def f(a, out):\n    out[0] = 300\n",
        &["void(i1[:], i1[:])"],
        "(n)->()",
        &[],
    );
    assert_eq!(e.kind, ErrorKind::Typing);
    // writable_args out of range.
    let e = compile_err(src, &sigs, "(n),()->(n)", &[3]);
    assert_eq!(e.kind, ErrorKind::Signature);
}

#[test]
fn array_kernel_language_errors() {
    let cases: &[(&str, &str, ErrorKind, &str)] = &[
        (
            "def f(a, out):\n    out[0] = a\n",
            "(n)->()",
            ErrorKind::Typing,
            "into one element",
        ),
        (
            "def f(a, out):\n    out[0] = a[0, 1]\n",
            "(n)->()",
            ErrorKind::Typing,
            "too many indices",
        ),
        (
            "def f(a, out):\n    out[0] = a[1.5]\n",
            "(n)->()",
            ErrorKind::Typing,
            "must be integers",
        ),
        (
            "def f(a, out):\n    out[0] = a[0:2]\n",
            "(n)->()",
            ErrorKind::Typing,
            "into one element",
        ),
        (
            "def f(a, out):\n    out[0] = a[0:2] + 1\n",
            "(n)->()",
            ErrorKind::Typing,
            "array view, not a number",
        ),
        (
            "def f(a, out):\n    out[0] = a[::0][0]\n",
            "(n)->()",
            ErrorKind::Compile,
            "step cannot be zero",
        ),
        (
            "def f(a, out):\n    if out[0] > 0:\n        a = 1.0\n    out[0] = a\n",
            "(n)->()",
            ErrorKind::Unsupported,
            "inside a branch or loop",
        ),
        (
            "def f(a, out):\n    x = 1.0\n    for i in range(2):\n        x = a[1:]\n",
            "(n)->()",
            ErrorKind::Unsupported,
            "inside a branch or loop",
        ),
        (
            "def f(a, out):\n    out[:] = a[None]\n",
            "(n)->()",
            ErrorKind::Unsupported,
            "newaxis",
        ),
        (
            "def f(a, out):\n    out[0] = a.shape[1]\n",
            "(n)->()",
            ErrorKind::Typing,
            "out of range",
        ),
        (
            "def f(a, out):\n    out[0] = a.strides[0]\n",
            "(n)->()",
            ErrorKind::Unsupported,
            "no attribute",
        ),
        (
            "def f(a, out):\n    return a[0]\n",
            "(n)->()",
            ErrorKind::Typing,
            "returns nothing",
        ),
        (
            "def f(a, out):\n    m, n = a.shape\n",
            "(n)->()",
            ErrorKind::Typing,
            "1 dimension",
        ),
        (
            "def f(a, out):\n    x = 1.0\n    out[0] = x[0]\n",
            "(n)->()",
            ErrorKind::Typing,
            "cannot be indexed",
        ),
    ];
    for (src, layout, kind, want) in cases {
        let e = compile_err(src, &["void(f8[:], f8[:])"], layout, &[]);
        assert_eq!(e.kind, *kind, "{src}: {}", e.message);
        assert!(
            e.message.contains(want),
            "{src}: {:?} lacks {want:?}",
            e.message
        );
    }
}

#[test]
fn signature_and_layout_mismatches_are_signature_errors() {
    let src = "def f(a, b, out):\n    out[0] = 0\n";
    let cases: &[(&str, &str)] = &[
        ("void(f8[:], f8[:])", "(n),(n)->()"),
        ("void(f8[:], f8[:], f8[:], f8[:])", "(n),(n)->()"),
        ("void(f8[:, :], f8[:], f8[:])", "(n),(n)->()"),
        ("void(f8[:], f8[:, :], f8[:])", "(n),(n)->()"),
        ("void(f8[:], f8[:], f8)", "(n),(n)->()"),
        ("void(f8, f8[:], f8[:])", "(n),(n)->()"),
        ("void(f8[:], f8[:], f8[:, :])", "(n),(n)->()"),
        ("f8(f8[:], f8[:], f8[:])", "(n),(n)->()"),
        ("void(f8[:], f8[:], f8[:])", "(n),(n)"),
        ("void(f8[:], f8[:], f8[:])", "(n),(n)->(),()"),
        ("void(f8[:], f8[:], f8[:])", "(n,),(n)->()"),
        ("void(f8[:], f8[:], f8[:])", "(n)(n)->()"),
        ("void(f8[:], f8[:], f8[:])", "(n),(n)->(n?)"),
        ("void(f8[::2], f8[:], f8[:])", "(n),(n)->()"),
        ("void(f8[:], f9[:], f8[:])", "(n),(n)->()"),
        ("void(f8[:], f8[:])", "(n)->()"),
        ("void(f8[:], f8[:], f8[:], f8)", "(n),(n),()->()"),
        ("void(f8[:], f8[:], f8[:])", "(m,n),(n)->(m)"),
        ("", "(n),(n)->()"),
    ];
    for (sig, layout) in cases {
        let e = compile_err(src, &[sig], layout, &[]);
        assert_eq!(
            e.kind,
            ErrorKind::Signature,
            "{sig} / {layout}: {}",
            e.message
        );
        assert_eq!(e.function, "f");
    }
    assert!(cases.len() >= 15);
}

#[test]
fn layout_signature_is_numpys_normal_form() {
    assert_eq!(
        ufuncgen::layout_signature("(m, n), (n) -> (m)"),
        "(m,n),(n)->(m)"
    );
    assert_eq!(ufuncgen::layout_signature("(n?),(3)->()"), "(n?),(3)->()");
}

#[test]
fn frozen_dimensions_take_their_slot_in_dimensions() {
    // (3) is the first core dimension NumPy numbers, n the second.
    let src = "\
def f(v, a, out):
    for i in range(a.shape[0]):
        out[i] = a[i] * (v[0] + v[1] + v[2])
";
    let u = build(src, "f", &["void(f8[:], f8[:], f8[:])"], "(3),(n)->(n)");
    let v: Vec<f64> = vec![1.0, 2.0, 3.0];
    let a: Vec<f64> = vec![1.0, 2.0];
    let mut out = vec![0.0f64; 2];
    call(
        &u,
        0,
        &[p(&v), p(&a), pm(&mut out)],
        &[1, 3, 2],
        &[0, 0, 0, 8, 8, 8],
    );
    assert_eq!(out, vec![6.0, 12.0]);
}

#[test]
fn bool_and_complex_arrays() {
    let src = "\
def f(z, m, out, flags):
    for i in range(len(z)):
        out[i] = z[i] * z[i].conjugate() if m[i] else z[i]
        flags[i] = m[i] and z[i].real > 0
";
    let u = build(
        src,
        "f",
        &["void(c16[:], b1[:], c16[:], b1[:])"],
        "(n),(n)->(n),(n)",
    );
    let z: Vec<[f64; 2]> = vec![[1.0, 2.0], [-3.0, 1.0], [0.5, 0.0]];
    let m: Vec<u8> = vec![1, 0, 1];
    let mut out = vec![[0.0f64; 2]; 3];
    let mut flags = vec![7u8; 3];
    call(
        &u,
        0,
        &[p(&z), p(&m), pm(&mut out), pm(&mut flags)],
        &[1, 3],
        &[0, 0, 0, 0, 16, 1, 16, 1],
    );
    assert_eq!(out, vec![[5.0, 0.0], [-3.0, 1.0], [0.25, 0.0]]);
    assert_eq!(flags, vec![1, 0, 1]);
}
