//! The C ABI ahead-of-time modules call (`aot-runtime/ufuncgen_aot.c`): the JIT's own
//! [`ParallelLoop`], pool and cost model, made and run through plain pointers, all reached
//! through one table, [`UFG_PAR_API`]. Built only into the copy of this crate that
//! `ufuncgen/build.rs` turns into the pool object of the AOT runtime archive; every module
//! links its own copy, so each has its own pool, as it has its own error slot.

use std::ffi::{c_int, c_void};

use crate::parallel::{self, ParallelLoop, MAX_THREADS};
use crate::LoopFn;

/// Reads `n` values from `ptr` (none when `n` is 0, whatever `ptr` is).
///
/// # Safety
/// `ptr` must point at `n` readable values when `n > 0`.
unsafe fn slice<'a, T>(ptr: *const T, n: usize) -> &'a [T] {
    if n == 0 || ptr.is_null() {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, n)
    }
}

/// A parallel element-wise loop over `serial`, whose `nargs` operands (the first `nin` inputs)
/// have the item sizes `itemsizes`; NULL when `serial` is NULL. Never freed (a module's ufuncs
/// live as long as the process).
///
/// # Safety
/// `itemsizes` must point at `nargs` values; `serial` must follow NumPy's loop ABI.
pub unsafe extern "C" fn ufg_par_elementwise(
    serial: Option<LoopFn>,
    nin: usize,
    nargs: usize,
    itemsizes: *const usize,
) -> *mut ParallelLoop {
    let Some(serial) = serial else {
        return std::ptr::null_mut();
    };
    let sizes = slice(itemsizes, nargs).to_vec();
    Box::into_raw(Box::new(ParallelLoop::elementwise(serial, nin, sizes)))
}

/// A parallel generalized loop (see [`ParallelLoop::generalized`]): operand `i` has
/// `naxes[i]` core axes, listed one operand after the other in `axes`. An operand the loop
/// may write (any input NumPy passes read-write) makes the caller pass `nin` 0. NULL on
/// arguments `ParallelLoop::generalized` refuses.
///
/// # Safety
/// `itemsizes` and `naxes` must point at `nargs` values, `axes` at their sum; `serial` must
/// follow NumPy's generalized loop ABI.
pub unsafe extern "C" fn ufg_par_generalized(
    serial: Option<LoopFn>,
    nin: usize,
    nargs: usize,
    itemsizes: *const usize,
    naxes: *const usize,
    axes: *const usize,
    split_anywhere: c_int,
) -> *mut ParallelLoop {
    let Some(serial) = serial else {
        return std::ptr::null_mut();
    };
    let sizes = slice(itemsizes, nargs).to_vec();
    let counts = slice(naxes, nargs);
    let flat = slice(axes, counts.iter().sum());
    let mut core_axes = Vec::with_capacity(nargs);
    let mut at = 0;
    for &n in counts {
        core_axes.push(flat[at..at + n].to_vec());
        at += n;
    }
    match ParallelLoop::generalized(serial, nin, sizes, core_axes, split_anywhere != 0) {
        Ok(pl) => Box::into_raw(Box::new(pl)),
        Err(_) => std::ptr::null_mut(),
    }
}

/// The NumPy loop of a parallel ufunc; `data` is what `ufg_par_elementwise` or
/// `ufg_par_generalized` returned.
///
/// # Safety
/// NumPy's inner-loop contract, with `data` a live `ParallelLoop`.
pub unsafe extern "C" fn ufg_par_loop(
    args: *mut *mut u8,
    dims: *const isize,
    steps: *const isize,
    data: *mut c_void,
) {
    parallel::parallel_loop_entry(args, dims, steps, data)
}

/// Sets the threads this module's parallel ufuncs use (0: back to the default); -1 above
/// `MAX_THREADS`.
pub extern "C" fn ufg_par_set_num_threads(n: usize) -> c_int {
    if n > MAX_THREADS {
        return -1;
    }
    parallel::set_num_threads(n);
    0
}

/// The threads this module's parallel ufuncs use now.
pub extern "C" fn ufg_par_num_threads() -> usize {
    parallel::num_threads()
}

/// Tests only: see [`parallel::force_chunking`].
pub extern "C" fn ufg_par_force_chunking(on: c_int) {
    parallel::force_chunking(on != 0);
}

/// Writes `(ns per iteration, chunked calls, hand-off ns, ns per iteration of chunks)` of
/// `pl` to `out` (as `_native._parallel_stats` returns them).
///
/// # Safety
/// `pl` must be a live `ParallelLoop` and `out` must have room for 4 values.
pub unsafe extern "C" fn ufg_par_stats(pl: *const ParallelLoop, out: *mut f64) {
    let s = (*pl).stats();
    let values = [
        s.cost_ns,
        s.chunked_calls as f64,
        s.overhead_ns,
        s.chunked_cost_ns,
    ];
    std::ptr::copy_nonoverlapping(values.as_ptr(), out, values.len());
}

/// The table a module's C runtime calls the pool through (`struct ufg_par_api` in
/// `aot-runtime/ufuncgen_aot.c`; keep the two in step). A module references it only when it
/// has parallel kernels, so only those modules link the pool.
#[repr(C)]
pub struct ParApi {
    /// Bumped when the table changes.
    pub version: u32,
    pub elementwise:
        unsafe extern "C" fn(Option<LoopFn>, usize, usize, *const usize) -> *mut ParallelLoop,
    pub generalized: unsafe extern "C" fn(
        Option<LoopFn>,
        usize,
        usize,
        *const usize,
        *const usize,
        *const usize,
        c_int,
    ) -> *mut ParallelLoop,
    pub run: LoopFn,
    pub set_num_threads: extern "C" fn(usize) -> c_int,
    pub num_threads: extern "C" fn() -> usize,
    pub force_chunking: extern "C" fn(c_int),
    pub stats: unsafe extern "C" fn(*const ParallelLoop, *mut f64),
}

/// The pool's entry points, for `aot-runtime/ufuncgen_aot.c`.
#[no_mangle]
pub static UFG_PAR_API: ParApi = ParApi {
    version: 1,
    elementwise: ufg_par_elementwise,
    generalized: ufg_par_generalized,
    run: ufg_par_loop,
    set_num_threads: ufg_par_set_num_threads,
    num_threads: ufg_par_num_threads,
    force_chunking: ufg_par_force_chunking,
    stats: ufg_par_stats,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// out[i] = 2 * a[i] + 1, strided (an element-wise NumPy loop).
    unsafe extern "C" fn affine(
        args: *mut *mut u8,
        dims: *const isize,
        steps: *const isize,
        _: *mut c_void,
    ) {
        for i in 0..*dims {
            let x = *((*args).offset(i * *steps) as *const f64);
            *((*args.add(1)).offset(i * *steps.add(1)) as *mut f64) = 2.0 * x + 1.0;
        }
    }

    #[test]
    fn the_table_builds_and_runs_a_parallel_loop() {
        let api = &UFG_PAR_API;
        assert_eq!(api.version, 1);
        assert_eq!((api.set_num_threads)(MAX_THREADS + 1), -1);
        // Other tests of this binary set the count too: only the refusal is checked here.
        assert!((api.num_threads)() >= 1);
        let sizes = [8usize, 8];
        // SAFETY: two item sizes for two operands.
        let pl = unsafe { (api.elementwise)(Some(affine), 1, 2, sizes.as_ptr()) };
        assert!(!pl.is_null());
        let n = 100_000;
        let a: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        let mut out = vec![0.0f64; n];
        let mut args = [a.as_ptr() as *mut u8, out.as_mut_ptr() as *mut u8];
        let (dims, steps) = ([n as isize], [8isize, 8]);
        // Forcing chunks (`force_chunking`) would change what the other tests of this binary
        // measure: the cost model decides here, and the first call measures the loop.
        // SAFETY: a valid element-wise call of `n` iterations; `pl` came from the table.
        unsafe { (api.run)(args.as_mut_ptr(), dims.as_ptr(), steps.as_ptr(), pl.cast()) };
        assert!(out.iter().zip(&a).all(|(o, x)| *o == 2.0 * x + 1.0));
        let mut stats = [0.0f64; 4];
        // SAFETY: `pl` is live; four slots.
        unsafe { (api.stats)(pl, stats.as_mut_ptr()) };
        assert!(
            stats[0] > 0.0,
            "the first call measured the loop: {stats:?}"
        );
        // SAFETY: made by `Box::into_raw` above; nothing uses it after this.
        drop(unsafe { Box::from_raw(pl) });
    }

    #[test]
    fn bad_descriptions_give_null() {
        let sizes = [8usize, 8];
        let naxes = [1usize, 0];
        let axes = [0usize]; // axis 0 is the outer loop, never a core axis
                             // SAFETY: the arrays are as long as the counts say.
        let pl = unsafe {
            ufg_par_generalized(
                Some(affine),
                1,
                2,
                sizes.as_ptr(),
                naxes.as_ptr(),
                axes.as_ptr(),
                0,
            )
        };
        assert!(pl.is_null());
        // SAFETY: as above.
        assert!(unsafe { ufg_par_elementwise(None, 1, 2, sizes.as_ptr()) }.is_null());
    }
}
