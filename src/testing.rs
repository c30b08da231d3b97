//! Hand-written inner loops that let the tests exercise registration without the compiler.

use std::ops::Add;

use ufuncgen::Scalar;

use crate::register::LoopEntry;

/// `out = a + b` for one element type, with NumPy's loop ABI and any strides.
///
/// # Safety
/// NumPy's inner-loop contract: 3 operand pointers and steps and the length, valid for that
/// many elements of `T`.
unsafe extern "C" fn add_loop<T: Copy + Add<Output = T>>(
    args: *mut *mut u8,
    dimensions: *const isize,
    steps: *const isize,
    _data: *mut std::ffi::c_void,
) {
    // SAFETY: NumPy passes 3 argument pointers, 3 steps and one length, valid for n elements.
    unsafe {
        let n = *dimensions;
        let (a, b, out) = (*args, *args.add(1), *args.add(2));
        let (sa, sb, so) = (*steps, *steps.add(1), *steps.add(2));
        for i in 0..n {
            let x = a.offset(i * sa).cast::<T>().read_unaligned();
            let y = b.offset(i * sb).cast::<T>().read_unaligned();
            out.offset(i * so).cast::<T>().write_unaligned(x + y);
        }
    }
}

/// Two loops, `dd->d` then `ff->f`, in that order.
pub fn add_loops() -> Vec<LoopEntry> {
    vec![
        LoopEntry {
            func: add_loop::<f64>,
            inputs: vec![Scalar::F64, Scalar::F64],
            outputs: vec![Scalar::F64],
            checks: Vec::new(),
            data: None,
        },
        LoopEntry {
            func: add_loop::<f32>,
            inputs: vec![Scalar::F32, Scalar::F32],
            outputs: vec![Scalar::F32],
            checks: Vec::new(),
            data: None,
        },
    ]
}

extern "C" {
    fn ufg_set_error(kind: std::ffi::c_int, message: *const std::ffi::c_char);
}

/// `out = a`, except that a negative `a` records the run-time error of kind `-a` (1 IndexError,
/// 2 ValueError, ...) and stops, as generated code does.
///
/// # Safety
/// NumPy's inner-loop contract for a `d->d` loop: 2 operand pointers and steps and
/// the length, valid for that many elements.
unsafe extern "C" fn raising_loop(
    args: *mut *mut u8,
    dimensions: *const isize,
    steps: *const isize,
    _data: *mut std::ffi::c_void,
) {
    // SAFETY: NumPy passes 2 argument pointers, 2 steps and one length, valid for n elements.
    unsafe {
        let n = *dimensions;
        let (a, out) = (*args, *args.add(1));
        let (sa, so) = (*steps, *steps.add(1));
        for i in 0..n {
            let x = a.offset(i * sa).cast::<f64>().read_unaligned();
            if x < 0.0 {
                ufg_set_error(
                    -x as std::ffi::c_int,
                    c"negative input to the test loop".as_ptr(),
                );
                return;
            }
            out.offset(i * so).cast::<f64>().write_unaligned(x);
        }
    }
}

/// One `d->d` loop that raises on negative input.
pub fn raising_loops() -> Vec<LoopEntry> {
    vec![LoopEntry {
        func: raising_loop,
        inputs: vec![Scalar::F64],
        outputs: vec![Scalar::F64],
        checks: Vec::new(),
        data: None,
    }]
}
