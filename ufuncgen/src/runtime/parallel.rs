//! `target="parallel"`: one serial NumPy loop run over chunks of the outer dimension on a
//! process-wide thread pool, with the workers' FP flags carried back to the caller.

use super::plan::{plan, Limits, Operand, Plan};
use super::{errors, fpflags};
use crate::LoopFn;
use std::ffi::c_void;
use std::ops::Range;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Longest `dimensions` array a loop may read: the outer length plus core dimensions.
const MAX_DIMS: usize = 32;

/// A serial loop plus what the planner needs to know about its operands.
pub struct ParallelLoop {
    serial: LoopFn,
    nin: usize,
    itemsizes: Vec<usize>,
    ndims: usize,
    /// Measured serial cost per outer iteration in ns (an `f64`'s bits).
    cost: AtomicU64,
}

/// Raw loop arguments made shareable: every chunk reads them, none writes them.
#[derive(Clone, Copy)]
struct Call {
    args: *mut *mut u8,
    dims: *const isize,
    steps: *const isize,
    data: *mut c_void,
}

// SAFETY: the pointers are only read while the scope that spawned the workers is alive,
// and the chunks they address are disjoint (checked by `plan::may_race`).
unsafe impl Send for Call {}
unsafe impl Sync for Call {}

impl ParallelLoop {
    /// Wraps an element-wise loop whose operands (inputs then outputs) have these item sizes.
    pub fn elementwise(serial: LoopFn, nin: usize, itemsizes: Vec<usize>) -> ParallelLoop {
        ParallelLoop {
            serial,
            nin,
            itemsizes,
            ndims: 1,
            cost: AtomicU64::new(1.0f64.to_bits()),
        }
    }

    fn cost(&self) -> f64 {
        f64::from_bits(self.cost.load(Ordering::Relaxed))
    }

    fn record_cost(&self, ns: f64, n: usize) {
        if n >= 4096 && ns.is_finite() && ns > 0.0 {
            let measured = ns / n as f64;
            let blended = 0.7 * self.cost() + 0.3 * measured;
            self.cost.store(blended.to_bits(), Ordering::Relaxed);
        }
    }

    /// Runs one NumPy loop call, chunked across threads when that is safe and pays off.
    ///
    /// # Safety
    /// `args`, `dims` and `steps` must be a valid NumPy inner-loop call for `self.serial`.
    pub unsafe fn run(
        &self,
        args: *mut *mut u8,
        dims: *const isize,
        steps: *const isize,
        data: *mut c_void,
    ) {
        let n = usize::try_from(*dims).unwrap_or(0);
        let threads = num_threads();
        let nargs = self.itemsizes.len();
        let operands: Vec<Operand> = (0..nargs)
            .map(|i| Operand::item(*args.add(i) as usize, *steps.add(i), self.itemsizes[i]))
            .collect();
        let limits = Limits {
            threads,
            ..Limits::default()
        };
        let call = Call {
            args,
            dims,
            steps,
            data,
        };
        match plan(n, &operands, self.nin, self.cost(), &limits) {
            Plan::Serial => {
                let t0 = Instant::now();
                (self.serial)(args, dims, steps, data);
                self.record_cost(t0.elapsed().as_nanos() as f64, n);
            }
            Plan::Chunks(chunks) => match pool() {
                Some(pool) => {
                    let t0 = Instant::now();
                    self.run_chunks(&pool, call, &chunks);
                    self.record_cost(t0.elapsed().as_nanos() as f64 * chunks.len() as f64, n);
                }
                None => (self.serial)(args, dims, steps, data),
            },
        }
    }

    fn run_chunks(&self, pool: &rayon::ThreadPool, call: Call, chunks: &[Range<usize>]) {
        let flags = AtomicI32::new(0);
        // Run-time errors are per thread too; the one of the earliest chunk wins, as serially.
        let errors = std::sync::Mutex::new(Vec::new());
        pool.in_place_scope(|scope| {
            for (k, chunk) in chunks.iter().enumerate().skip(1) {
                let (flags, errors) = (&flags, &errors);
                scope.spawn(move |_| {
                    // Flags are per thread: start clean, hand back what this chunk raised.
                    fpflags::clear();
                    // SAFETY: chunks are disjoint ranges of a call `plan` found race-free.
                    unsafe { self.run_chunk(call, chunk.clone()) };
                    flags.fetch_or(fpflags::test(), Ordering::Relaxed);
                    if let Some(e) = errors::take_runtime_error() {
                        errors
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((k, e));
                    }
                });
            }
            // SAFETY: as above; the caller's own flags are NumPy's to read afterwards.
            unsafe { self.run_chunk(call, chunks[0].clone()) };
        });
        fpflags::raise(flags.load(Ordering::Relaxed));
        let errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some((_, (kind, message))) = errors.iter().min_by_key(|(k, _)| *k) {
            errors::restore_runtime_error(*kind, message);
        }
    }

    unsafe fn run_chunk(&self, call: Call, range: Range<usize>) {
        let nargs = self.itemsizes.len();
        let mut args: Vec<*mut u8> = (0..nargs)
            .map(|i| (*call.args.add(i)).wrapping_offset(*call.steps.add(i) * range.start as isize))
            .collect();
        let mut dims = [0isize; MAX_DIMS];
        let ndims = self.ndims.min(MAX_DIMS);
        std::ptr::copy_nonoverlapping(call.dims, dims.as_mut_ptr(), ndims);
        dims[0] = (range.end - range.start) as isize;
        (self.serial)(args.as_mut_ptr(), dims.as_ptr(), call.steps, call.data);
    }
}

/// The NumPy loop entry of a parallel ufunc; `data` points at its `ParallelLoop`.
///
/// # Safety
/// NumPy's inner-loop contract, with `data` a live `ParallelLoop` that the ufunc owns.
pub unsafe extern "C" fn parallel_loop_entry(
    args: *mut *mut u8,
    dims: *const isize,
    steps: *const isize,
    data: *mut c_void,
) {
    let pl = &*(data as *const ParallelLoop);
    pl.run(args, dims, steps, std::ptr::null_mut());
}

static REQUESTED_THREADS: AtomicUsize = AtomicUsize::new(0);

struct PoolState {
    pid: u32,
    threads: usize,
    pool: Arc<rayon::ThreadPool>,
}

static POOL: Mutex<Option<PoolState>> = Mutex::new(None);

/// The default thread count: `UFUNCGEN_NUM_THREADS` when it is a positive integer, else the
/// number of CPUs this process may run on.
pub fn default_num_threads() -> usize {
    std::env::var("UFUNCGEN_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

/// Threads parallel loops use, the calling thread included.
pub fn num_threads() -> usize {
    match REQUESTED_THREADS.load(Ordering::Relaxed) {
        0 => default_num_threads(),
        n => n,
    }
}

/// Sets the number of threads parallel loops use (at least 1); the pool is rebuilt lazily.
pub fn set_num_threads(n: usize) {
    REQUESTED_THREADS.store(n.max(1), Ordering::Relaxed);
}

/// The pool for this process and thread count, started on first use and reused after.
///
/// A forked child inherits the parent's pool object but none of its threads, so waiting on
/// it would hang: the child builds its own pool and leaks the dead one instead of joining it.
fn pool() -> Option<Arc<rayon::ThreadPool>> {
    let threads = num_threads();
    if threads < 2 {
        return None;
    }
    let pid = std::process::id();
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(state) = guard.as_ref() {
        if state.pid == pid && state.threads == threads {
            return Some(state.pool.clone());
        }
    }
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(threads - 1)
        .thread_name(|i| format!("ufuncgen-{i}"))
        .build()
        .ok()?;
    let fresh = PoolState {
        pid,
        threads,
        pool: Arc::new(built),
    };
    if let Some(old) = guard.replace(fresh) {
        if old.pid != pid {
            std::mem::forget(old);
        }
    }
    guard.as_ref().map(|s| s.pool.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// out[i] = a[i] * 3 + b[i], strided, as a NumPy loop would be.
    unsafe extern "C" fn muladd(
        args: *mut *mut u8,
        dims: *const isize,
        steps: *const isize,
        _: *mut c_void,
    ) {
        let n = *dims;
        let (a, b, o) = (*args, *args.add(1), *args.add(2));
        for i in 0..n {
            let x = *(a.offset(i * *steps) as *const f64);
            let y = *(b.offset(i * *steps.add(1)) as *const f64);
            let r = x * 3.0 + y;
            if r.is_infinite() {
                fpflags::raise(8);
            }
            if r.is_nan() {
                // A run-time error, as generated code records one: stop at once.
                let msg = if x.is_nan() { "NaN in a" } else { "NaN in b" };
                errors::restore_runtime_error(errors::kind::VALUE, msg);
                return;
            }
            *(o.offset(i * *steps.add(2)) as *mut f64) = r;
        }
    }

    fn call(
        pl: &ParallelLoop,
        a: &mut [f64],
        b: &mut [f64],
        out: *mut f64,
        n: usize,
        out_step: isize,
    ) {
        let mut args = [
            a.as_mut_ptr() as *mut u8,
            b.as_mut_ptr() as *mut u8,
            out as *mut u8,
        ];
        let dims = [n as isize];
        let steps = [8isize, 8, out_step];
        unsafe {
            pl.run(
                args.as_mut_ptr(),
                dims.as_ptr(),
                steps.as_ptr(),
                std::ptr::null_mut(),
            )
        };
    }

    #[test]
    fn parallel_result_equals_serial_and_flags_come_back() {
        set_num_threads(3);
        let pl = ParallelLoop::elementwise(muladd, 2, vec![8, 8, 8]);
        pl.cost.store(100.0f64.to_bits(), Ordering::Relaxed);
        let n = 200_003;
        let mut a: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let mut b: Vec<f64> = (0..n).map(|i| (i as f64).cos()).collect();
        a[n - 5] = f64::MAX; // only the last chunk (a worker's) overflows
        let mut out = vec![0.0; n];
        fpflags::clear();
        call(&pl, &mut a, &mut b, out.as_mut_ptr(), n, 8);
        assert_eq!(
            fpflags::test() & 8,
            8,
            "worker's overflow flag reached the caller"
        );
        fpflags::clear();
        for i in 0..n {
            assert_eq!(out[i].to_bits(), (a[i] * 3.0 + b[i]).to_bits(), "at {i}");
        }
    }

    #[test]
    fn the_earliest_workers_error_reaches_the_caller() {
        set_num_threads(3);
        let pl = ParallelLoop::elementwise(muladd, 2, vec![8, 8, 8]);
        pl.cost.store(100.0f64.to_bits(), Ordering::Relaxed);
        let n = 200_003;
        let mut a: Vec<f64> = vec![1.0; n];
        let mut b: Vec<f64> = vec![1.0; n];
        // Two workers' chunks fail; the caller's own chunk (the first) does not.
        b[n - 3] = f64::NAN;
        a[n / 2 + 7] = f64::NAN;
        let mut out = vec![0.0; n];
        assert_eq!(errors::take_runtime_error(), None);
        call(&pl, &mut a, &mut b, out.as_mut_ptr(), n, 8);
        assert_eq!(
            errors::take_runtime_error(),
            Some((errors::kind::VALUE, "NaN in a".into()))
        );
        assert_eq!(out[0], 4.0);
    }

    #[test]
    fn accumulate_style_overlap_runs_in_order() {
        set_num_threads(4);
        let pl = ParallelLoop::elementwise(muladd, 2, vec![8, 8, 8]);
        pl.cost.store(100.0f64.to_bits(), Ordering::Relaxed);
        let n = 100_000;
        // out[i] = a[i]*3 + b[i] where a is out shifted back by one: sequential dependency.
        let mut buf = vec![1.0f64; n + 1];
        let mut b = vec![1.0f64; n];
        let base = buf.as_mut_ptr();
        let mut args = [
            base as *mut u8,
            b.as_mut_ptr() as *mut u8,
            unsafe { base.add(1) } as *mut u8,
        ];
        let dims = [n as isize];
        let steps = [8isize, 8, 8];
        unsafe {
            pl.run(
                args.as_mut_ptr(),
                dims.as_ptr(),
                steps.as_ptr(),
                std::ptr::null_mut(),
            )
        };
        let mut expect = 1.0f64;
        for (i, v) in buf.iter().enumerate().skip(1).take(20) {
            expect = expect * 3.0 + 1.0;
            assert_eq!(*v, expect, "at {i}");
        }
    }
}
