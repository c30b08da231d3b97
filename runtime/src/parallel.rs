//! `target="parallel"`: one serial NumPy loop run over chunks of the outer dimension on a
//! process-wide thread pool, with the workers' FP flags carried back to the caller.
//!
//! The caller and the workers take chunks from one counter, so a worker that wakes late (or
//! not at all, on a busy machine) costs little: the caller works through the chunks itself.

use super::chunks::{run_range, Call, Job};
use super::plan::{may_race, plan, Limits, Operand, Plan};
use super::pool::{self, CallCost, Verdict, HANDOFF};
use super::{errors, fpflags};
use crate::LoopFn;
use std::ffi::c_void;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

pub use super::pool::{
    default_num_threads, num_threads, requested_num_threads, set_num_threads, MAX_THREADS,
};

pub use super::chunks::MAX_DIMS;

/// Chunk lengths are multiples of this many iterations: at least a vector body's step (width
/// times interleave) for every item size, so chunks split where the whole call would. Loops
/// that give the same bits however they are split (`ParallelLoop::generalized`) may use 1.
const GRAIN: usize = 256;

/// What one more chunk costs beyond its work (ns): an atomic add on a line the threads share,
/// and the serial loop's entry and exit.
const CHUNK_COST_NS: f64 = 150.0;

/// Chunks are not made shorter than this (ns of estimated work).
const MIN_CHUNK_NS: f64 = 2_000.0;

/// The chunk length (ns of work) for a call of `work_ns` on `threads` threads. A thread ends
/// about half a chunk after the others, and `work / chunk` chunks cost `CHUNK_COST_NS` each,
/// spread over the threads: the sum of the two is least at `sqrt(2 work CHUNK_COST_NS / t)`
/// (6 us for 265 us of work on two threads, 60 us for 26 ms).
fn chunk_ns(work_ns: f64, threads: usize) -> f64 {
    (2.0 * work_ns * CHUNK_COST_NS / threads as f64)
        .sqrt()
        .max(MIN_CHUNK_NS)
}

/// A transparent huge page on x86-64 and most aarch64 kernels: NumPy asks for them
/// (`madvise`) on arrays of 4 MiB and up.
const HUGE_PAGE: usize = 2 << 20;

/// One in this many times the thread count calls that the cost model splits runs serially,
/// to measure the serial cost again.
const PROBE_EVERY: u64 = 64;

/// Iterations the first large call of a loop times before deciding the rest.
const PREFIX: usize = 4096;

/// Calls of less work than this (ns) are not timed: two clock reads would cost more than
/// they tell.
const MIN_TIMED_NS: f64 = 10_000.0;

/// Tests set this to chunk every call that can be chunked safely, whatever it costs.
static FORCE_CHUNKING: AtomicBool = AtomicBool::new(false);

/// Makes every race-free call of two grains or more run chunked (for tests: the cost model
/// would keep their small inputs serial), or goes back to the cost model.
pub fn force_chunking(on: bool) {
    FORCE_CHUNKING.store(on, Ordering::Relaxed);
}

/// A serial loop plus what the planner needs to know about its operands.
pub struct ParallelLoop {
    serial: LoopFn,
    nin: usize,
    itemsizes: Vec<usize>,
    /// Per operand, the indices into `dimensions` of its core axes (empty when element-wise);
    /// their steps follow the outer steps in `steps`, operand by operand.
    core_axes: Vec<Vec<usize>>,
    ndims: usize,
    /// Chunk boundaries fall on multiples of this many outer iterations (see `GRAIN`).
    grain: usize,
    /// Measured serial cost per outer iteration in ns (an `f64`'s bits; 0.0 = not measured).
    cost: AtomicU64,
    /// Measured cost per outer iteration of chunks in split calls, all threads' time together
    /// (as `cost`; 0.0 = never split yet). Higher than `cost` when threads compete for caches
    /// or memory bandwidth; a call whose data sits in one core's cache can lose by splitting.
    chunked_cost: AtomicU64,
    /// Calls that ran chunked (for tests and tuning).
    chunked_calls: AtomicU64,
    /// Calls the cost model split (see `PROBE_EVERY`).
    splits: AtomicU64,
}

/// What a `ParallelLoop` has learnt so far (for tests and tuning).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoopStats {
    /// Estimated serial ns per outer iteration (0 before the first large call).
    pub cost_ns: f64,
    /// Calls that ran chunked across threads.
    pub chunked_calls: u64,
    /// Estimated ns one hand-off to the workers costs, worker delay plus the caller's own
    /// (process-wide).
    pub overhead_ns: f64,
    /// Measured ns per outer iteration of chunks, all threads together (0 before a split).
    pub chunked_cost_ns: f64,
}

impl ParallelLoop {
    /// Wraps an element-wise loop whose operands (inputs then outputs) have these item sizes.
    pub fn elementwise(serial: LoopFn, nin: usize, itemsizes: Vec<usize>) -> ParallelLoop {
        let nargs = itemsizes.len();
        ParallelLoop {
            serial,
            nin,
            itemsizes,
            core_axes: vec![Vec::new(); nargs],
            ndims: 1,
            grain: GRAIN,
            cost: AtomicU64::new(0),
            chunked_cost: AtomicU64::new(0),
            chunked_calls: AtomicU64::new(0),
            splits: AtomicU64::new(1),
        }
    }

    /// Wraps a generalized (gufunc) loop. `core_axes[i]` lists, in order, the indices into
    /// `dimensions` (1 and up) of operand `i`'s core axes, as NumPy's loop ABI lays them out.
    /// `split_anywhere`: the loop gives the same bits on any split of its outer range (see
    /// `codegen::LoopCode::split_anywhere`), so chunks may hold any number of outer
    /// iterations: a gufunc's are often heavy, and 100 rows can be worth splitting.
    pub fn generalized(
        serial: LoopFn,
        nin: usize,
        itemsizes: Vec<usize>,
        core_axes: Vec<Vec<usize>>,
        split_anywhere: bool,
    ) -> Result<ParallelLoop, String> {
        if core_axes.len() != itemsizes.len() {
            return Err(format!(
                "{} operands but core axes for {}",
                itemsizes.len(),
                core_axes.len()
            ));
        }
        let ndims = 1 + core_axes.iter().flatten().copied().max().unwrap_or(0);
        if core_axes.iter().flatten().any(|&a| a == 0) || ndims > MAX_DIMS {
            return Err(format!(
                "core axes must index dimensions 1..{MAX_DIMS}, got {core_axes:?}"
            ));
        }
        Ok(ParallelLoop {
            serial,
            nin,
            itemsizes,
            core_axes,
            ndims,
            grain: if split_anywhere { 1 } else { GRAIN },
            cost: AtomicU64::new(0),
            chunked_cost: AtomicU64::new(0),
            chunked_calls: AtomicU64::new(0),
            splits: AtomicU64::new(1),
        })
    }

    /// The serial loop this one splits.
    pub fn serial(&self) -> LoopFn {
        self.serial
    }

    /// What this loop has measured so far.
    pub fn stats(&self) -> LoopStats {
        LoopStats {
            cost_ns: self.cost(),
            chunked_calls: self.chunked_calls.load(Ordering::Relaxed),
            overhead_ns: HANDOFF.total(),
            chunked_cost_ns: self.chunked_cost(),
        }
    }

    fn cost(&self) -> f64 {
        f64::from_bits(self.cost.load(Ordering::Relaxed))
    }

    fn chunked_cost(&self) -> f64 {
        f64::from_bits(self.chunked_cost.load(Ordering::Relaxed))
    }

    fn record_cost(&self, ns: f64, n: usize) {
        blend(&self.cost, ns, n);
    }

    /// What a call of `n` iterations is predicted to cost, serially and split (chunks that
    /// were never measured are assumed as fast as the serial loop).
    fn call_cost(&self, n: usize) -> CallCost {
        let (serial, chunked) = (self.cost(), self.chunked_cost());
        let n = n as f64;
        CallCost {
            serial: n * serial,
            chunked: n * if chunked > 0.0 { chunked } else { serial },
        }
    }

    /// True when a call of `n` iterations runs serially (see [`pool::HandoffCost::verdict`]).
    fn stays_serial(&self, n: usize, threads: usize) -> bool {
        if FORCE_CHUNKING.load(Ordering::Relaxed) {
            return false;
        }
        let cost = self.call_cost(n);
        let long = cost.serial >= MIN_TIMED_NS;
        match HANDOFF.verdict(cost, threads, long) {
            // Now and then a call that would be split runs serially instead, timed: the serial
            // cost is otherwise measured only by calls that stay serial, and could stay stale
            // (taken at another size, in another cache) for good. The probes cost about
            // 1/PROBE_EVERY of the time saved.
            Verdict::Split => {
                long && self
                    .splits
                    .fetch_add(1, Ordering::Relaxed)
                    .is_multiple_of(PROBE_EVERY * threads as u64)
            }
            Verdict::Serial => true,
            Verdict::SerialRelaxed => {
                // The chunk cost, measured in other conditions, wears off like the hand-off
                // estimates: towards the serial cost, so that a later call measures it again.
                let (serial, chunked) = (self.cost(), self.chunked_cost());
                if chunked > serial {
                    let relaxed = 0.95 * chunked + 0.05 * serial;
                    self.chunked_cost
                        .store(relaxed.to_bits(), Ordering::Relaxed);
                }
                true
            }
        }
    }

    /// What each operand touches over iterations `start..`: its address, step and core block.
    ///
    /// # Safety
    /// `call` must be a valid NumPy inner-loop call for `self.serial` with `start` at most its
    /// length (only its pointers, steps and dimensions are read).
    unsafe fn operands(&self, call: Call, start: usize) -> Vec<Operand> {
        let nargs = self.itemsizes.len();
        let mut core_step = nargs;
        (0..nargs)
            .map(|i| {
                let step = *call.steps.add(i);
                let ptr = (*call.args.add(i)).wrapping_offset(step * start as isize) as usize;
                let (mut lo, mut hi) = (0isize, self.itemsizes[i] as isize);
                for &axis in &self.core_axes[i] {
                    let extent = *call.dims.add(axis);
                    let s = *call.steps.add(core_step);
                    core_step += 1;
                    if extent <= 0 {
                        (lo, hi) = (0, 0);
                    } else if lo < hi {
                        let span = (extent - 1).saturating_mul(s);
                        if span < 0 {
                            lo = lo.saturating_add(span);
                        } else {
                            hi = hi.saturating_add(span);
                        }
                    }
                }
                Operand::block(ptr, step, lo, hi)
            })
            .collect()
    }

    /// Runs one NumPy loop call, chunked across threads when that is safe and pays off.
    ///
    /// NumPy reads the caller's FP flags after the loop, so nothing here may raise one that
    /// the loop did not: the quick serial path does no arithmetic that can (LLVM may compute
    /// both sides of a branch, so a guarded division is not enough), and the planning path
    /// puts the flags back to what the loops raised.
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
        let call = Call {
            args,
            dims,
            steps,
            data,
        };
        let n = usize::try_from(*dims).unwrap_or(0);
        let threads = if n >= 2 * self.grain {
            num_threads()
        } else {
            1
        };
        let forced = FORCE_CHUNKING.load(Ordering::Relaxed);
        let measured = self.cost() > 0.0;
        if threads < 2 || measured && self.stays_serial(n, threads) {
            return self.run_whole_timed(call, n, false);
        }
        if !measured && !forced && n < 2 * PREFIX {
            // The first call is too short for a timed prefix to say much: it runs serially
            // and timed whole (once: from then on the loop has a cost).
            return self.run_whole_timed(call, n, true);
        }
        // `reduce` passes its output with step 0 on every call: that race is seen without
        // building the operand list (an allocation that costs a short reduce ~10%).
        let reduces = (self.nin..self.itemsizes.len()).any(|i| *steps.add(i) == 0);
        if reduces || may_race(n, &self.operands(call, 0), self.nin) {
            return (self.serial)(args, dims, steps, data);
        }
        let entry_flags = fpflags::test();
        let loop_flags = self.run_planned(call, n, threads);
        fpflags::clear();
        fpflags::raise(entry_flags | loop_flags);
    }

    /// Measures the loop if needed, plans the call and runs it; returns the FP flags the loop
    /// raised on any thread.
    ///
    /// # Safety
    /// `call` must be a valid NumPy inner-loop call of length `n` for `self.serial`.
    unsafe fn run_planned(&self, call: Call, n: usize, threads: usize) -> i32 {
        let Some(pool) = pool::pool() else {
            return self.run_flagged(call, 0..n);
        };
        let forced = FORCE_CHUNKING.load(Ordering::Relaxed);
        let mut start = 0;
        let mut flags = 0;
        if self.cost() <= 0.0 && !forced {
            // The first large call measures the loop on a prefix before deciding the rest.
            // Its first grain pays for cold code and data (and lazily bound libraries), which
            // later calls do not: it is run but not timed. (Forced, for tests, every call is
            // chunked whole and no cost is needed.)
            start = (GRAIN + PREFIX).min(n);
            let warm = GRAIN.min(start);
            for (timed, range) in [(false, 0..warm), (true, warm..start)] {
                let len = range.len();
                let t0 = Instant::now();
                flags |= self.run_flagged(call, range);
                if timed && len > 0 {
                    let per_iter = t0.elapsed().as_nanos() as f64 / len as f64;
                    self.cost
                        .store(per_iter.max(0.01).to_bits(), Ordering::Relaxed);
                }
                if let Some((kind, message)) = errors::take_runtime_error() {
                    // The loop stopped at a run-time error, as it would have serially.
                    errors::restore_runtime_error(kind, &message);
                    return flags;
                }
            }
        }
        let limits = Limits {
            threads,
            grain: self.grain,
            // Many short chunks: a worker descheduled while it holds one delays the call by
            // that chunk only.
            chunks_per_thread: 64,
            min_chunk_ns: if forced {
                0.0
            } else {
                chunk_ns((n - start) as f64 * self.cost(), threads)
            },
            page_bytes: HUGE_PAGE,
        };
        if start > 0 && self.stays_serial(n - start, threads) {
            // The first call, measured on its prefix, is too short to split after all.
            let t0 = Instant::now();
            flags |= self.run_flagged(call, start..n);
            self.record_cost(t0.elapsed().as_nanos() as f64, n - start);
            return flags;
        }
        let plan = plan(
            n - start,
            &self.operands(call, start),
            self.nin,
            self.cost(),
            &limits,
        );
        flags
            | match plan {
                Plan::Serial => {
                    let t0 = Instant::now();
                    let f = self.run_flagged(call, start..n);
                    self.record_cost(t0.elapsed().as_nanos() as f64, n - start);
                    f
                }
                Plan::Chunks(chunks) => self.run_chunks(&pool, call, start, &chunks, threads),
            }
    }

    /// Runs `range` on this thread and returns the FP flags it raised.
    ///
    /// # Safety
    /// `range` must lie within the length of `call`, a valid NumPy inner-loop call.
    unsafe fn run_flagged(&self, call: Call, range: Range<usize>) -> i32 {
        fpflags::clear();
        self.run_range(call, range);
        fpflags::test()
    }

    /// The serial loop on the call as NumPy made it, timed when that is worth it.
    /// `first`: the loop's first measurement, taken whatever the length.
    ///
    /// # Safety
    /// `call` must be a valid NumPy inner-loop call of length `n` for `self.serial`.
    unsafe fn run_whole_timed(&self, call: Call, n: usize, first: bool) {
        let timed = first || n as f64 * self.cost() >= MIN_TIMED_NS;
        let t0 = timed.then(Instant::now);
        (self.serial)(call.args, call.dims, call.steps, call.data);
        if let Some(t0) = t0 {
            let ns = t0.elapsed().as_nanos() as f64;
            if first {
                let per_iter = (ns / n.max(1) as f64).max(0.01);
                self.cost.store(per_iter.to_bits(), Ordering::Relaxed);
            } else {
                self.record_cost(ns, n);
            }
        }
    }

    /// Runs `chunks` (relative to `start`) on the caller and up to `threads - 1` workers;
    /// returns the FP flags they raised.
    ///
    /// # Safety
    /// `call` must be a valid NumPy inner-loop call whose iterations `start..` cover `chunks`,
    /// and those chunks must not race (`plan::may_race` said no): workers write them at once.
    unsafe fn run_chunks(
        &self,
        pool: &rayon::ThreadPool,
        call: Call,
        start: usize,
        chunks: &[Range<usize>],
        threads: usize,
    ) -> i32 {
        let t0 = Instant::now();
        self.chunked_calls.fetch_add(1, Ordering::Relaxed);
        let helpers = (threads - 1).min(chunks.len() - 1);
        let absolute = chunks
            .iter()
            .map(|c| c.start + start..c.end + start)
            .collect();
        let job = Arc::new(Job::new(
            self.serial,
            call,
            self.itemsizes.len(),
            self.ndims,
            absolute,
            t0,
        ));
        for _ in 0..helpers {
            let job = job.clone();
            pool.spawn(move || job.work(true));
        }
        job.work(false);
        let busy = job.busy_ns();
        let per_chunk = busy / chunks.len() as f64;
        job.wait(per_chunk.min(50_000.0));
        let wall = t0.elapsed().as_nanos() as f64;
        let len: usize = chunks.iter().map(|c| c.len()).sum();
        blend(&self.chunked_cost, job.busy_ns(), len);
        let (delay, fixed) = job.handoff_ns(helpers, wall);
        HANDOFF.record(delay, fixed);
        job.restore_error();
        job.flags()
    }

    /// Runs iterations `range` of `call` through the serial loop on this thread.
    ///
    /// # Safety
    /// `range` must lie within the length of `call`, a valid NumPy inner-loop call.
    unsafe fn run_range(&self, call: Call, range: Range<usize>) {
        run_range(self.serial, call, self.itemsizes.len(), self.ndims, range);
    }
}

/// Folds `ns` measured over `n` iterations into the per-iteration cost in `slot` (an `f64`'s
/// bits; 0.0 = none yet). Calls too short to time well are left out; a sample is clamped to
/// four times the estimate, so one call during which the host took a core away for some
/// milliseconds does not decide the next hundred.
fn blend(slot: &AtomicU64, ns: f64, n: usize) {
    if n > 0 && ns >= MIN_TIMED_NS && ns.is_finite() {
        let measured = ns / n as f64;
        let old = f64::from_bits(slot.load(Ordering::Relaxed));
        let blended = if old > 0.0 {
            0.7 * old + 0.3 * measured.min(4.0 * old)
        } else {
            measured
        };
        slot.store(blended.to_bits(), Ordering::Relaxed);
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
#[cfg(test)]
mod tests {
    use super::*;

    /// out[i] = a[i] * 3 + b[i], strided, as a NumPy loop would be.
    ///
    /// # Safety
    /// NumPy's inner-loop contract: 3 f64 operands' pointers and steps, valid for `dims[0]`
    /// elements.
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
    fn chunks_grow_with_the_square_root_of_the_work() {
        let short = chunk_ns(265_000.0, 2);
        assert!((short - 6_305.0).abs() < 10.0, "{short}");
        // 100x the work: 10x the chunk, 10x as many chunks.
        assert!((chunk_ns(26_500_000.0, 2) / short - 10.0).abs() < 0.01);
        assert_eq!(chunk_ns(1_000.0, 2), MIN_CHUNK_NS);
        assert!(
            chunk_ns(265_000.0, 16) < short,
            "more threads, shorter chunks"
        );
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
    fn the_earliest_chunks_error_reaches_the_caller() {
        set_num_threads(3);
        let pl = ParallelLoop::elementwise(muladd, 2, vec![8, 8, 8]);
        pl.cost.store(100.0f64.to_bits(), Ordering::Relaxed);
        let n = 200_003;
        for _ in 0..5 {
            let mut a: Vec<f64> = vec![1.0; n];
            let mut b: Vec<f64> = vec![1.0; n];
            // Two chunks fail; whichever thread runs them, the earlier one's error wins.
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

    /// Row sums, gufunc style `(n)->()`: dims = [outer, n], steps = [outer a, outer out, core a].
    ///
    /// # Safety
    /// NumPy's gufunc loop contract for `(n)->()` over f64, valid for `dims[0]` rows of
    /// `dims[1]` elements.
    unsafe extern "C" fn row_sum(
        args: *mut *mut u8,
        dims: *const isize,
        steps: *const isize,
        _: *mut c_void,
    ) {
        let (outer, n) = (*dims, *dims.add(1));
        let (a, o) = (*args, *args.add(1));
        let (sa, so, core) = (*steps, *steps.add(1), *steps.add(2));
        for i in 0..outer {
            let mut acc = 0.0;
            for j in 0..n {
                acc += *(a.offset(i * sa + j * core) as *const f64);
            }
            *(o.offset(i * so) as *mut f64) = acc;
        }
    }

    #[test]
    fn generalized_loops_chunk_the_outer_dimension_only() {
        set_num_threads(2);
        let pl = ParallelLoop::generalized(row_sum, 1, vec![8, 8], vec![vec![1], vec![]], false)
            .unwrap_or_else(|e| panic!("{e}"));
        let (rows, cols) = (20_000usize, 16usize);
        let mut a: Vec<f64> = (0..rows * cols).map(|i| (i % 97) as f64).collect();
        let mut out = vec![0.0f64; rows];
        let mut args = [a.as_mut_ptr() as *mut u8, out.as_mut_ptr() as *mut u8];
        let dims = [rows as isize, cols as isize];
        let steps = [(cols * 8) as isize, 8, 8];
        for _ in 0..3 {
            out.iter_mut().for_each(|v| *v = -1.0);
            unsafe {
                pl.run(
                    args.as_mut_ptr(),
                    dims.as_ptr(),
                    steps.as_ptr(),
                    std::ptr::null_mut(),
                )
            };
            for (r, v) in out.iter().enumerate() {
                let want: f64 = a[r * cols..(r + 1) * cols].iter().sum();
                assert_eq!(*v, want, "row {r}");
            }
        }
        assert!(pl.cost() > 0.0, "the first call measured the loop");
        // The input walks a whole row per iteration: its block spans the core axis.
        let ops = unsafe {
            pl.operands(
                Call {
                    args: args.as_mut_ptr(),
                    dims: dims.as_ptr(),
                    steps: steps.as_ptr(),
                    data: std::ptr::null_mut(),
                },
                0,
            )
        };
        assert_eq!(ops[0].hi, (cols * 8) as isize);
        assert!(
            ParallelLoop::generalized(row_sum, 1, vec![8, 8], vec![vec![0], vec![]], true).is_err()
        );
        assert!(ParallelLoop::generalized(row_sum, 1, vec![8, 8], vec![vec![1]], true).is_err());
    }

    #[test]
    fn concurrent_callers_each_get_their_own_answer() {
        set_num_threads(2);
        let pl = Arc::new(ParallelLoop::elementwise(muladd, 2, vec![8, 8, 8]));
        pl.cost.store(50.0f64.to_bits(), Ordering::Relaxed);
        let callers: Vec<_> = (0..4)
            .map(|t| {
                let pl = pl.clone();
                std::thread::spawn(move || {
                    let n = 50_000 + t * 1_001;
                    let mut a: Vec<f64> = (0..n).map(|i| (i + t) as f64).collect();
                    let mut b = vec![t as f64; n];
                    let mut out = vec![0.0; n];
                    for _ in 0..20 {
                        call(&pl, &mut a, &mut b, out.as_mut_ptr(), n, 8);
                        for i in 0..n {
                            if out[i] != a[i] * 3.0 + b[i] {
                                return Err(format!("caller {t}: wrong at {i}"));
                            }
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for c in callers {
            c.join()
                .unwrap_or_else(|_| Err("caller panicked".into()))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
