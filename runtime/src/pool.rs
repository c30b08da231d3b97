//! The process-wide worker pool of the parallel target: its size, its start, its survival
//! across `fork()`, and the measured cost of handing work to it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use super::handoff::Handoff;

/// Thread counts above this are refused: more threads than that only adds overhead.
pub const MAX_THREADS: usize = 1024;

static REQUESTED_THREADS: AtomicUsize = AtomicUsize::new(0);

/// The measured cost of handing work to the workers, shared by every parallel loop.
pub static HANDOFF: HandoffCost = HandoffCost::new();

struct PoolState {
    /// The process the pool's threads live in (see [`process_epoch`]).
    epoch: u64,
    threads: usize,
    pool: Arc<rayon::ThreadPool>,
}

static POOL: Mutex<Option<PoolState>> = Mutex::new(None);

/// The default thread count: `UFUNCGEN_NUM_THREADS` when it is a positive integer, else the
/// number of CPUs this process may run on. Read once, like Numba's `NUMBA_NUM_THREADS`: the
/// environment is not re-read (or raced with `setenv`) on every call.
pub fn default_num_threads() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        std::env::var("UFUNCGEN_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            })
            .min(MAX_THREADS)
    })
}

/// Threads parallel loops use, the calling thread included.
pub fn num_threads() -> usize {
    match REQUESTED_THREADS.load(Ordering::Relaxed) {
        0 => default_num_threads(),
        n => n,
    }
}

/// The count set by [`set_num_threads`], or 0 when the default applies.
pub fn requested_num_threads() -> usize {
    REQUESTED_THREADS.load(Ordering::Relaxed)
}

/// Sets the number of threads parallel loops use (clamped to `1..=MAX_THREADS`); 0 goes back
/// to the default. The pool is rebuilt on the next parallel call.
pub fn set_num_threads(n: usize) {
    REQUESTED_THREADS.store(n.min(MAX_THREADS), Ordering::Relaxed);
}

/// One measured cost (ns) of handing work to the pool: a running estimate that single
/// outliers move little, and the best value seen, which it decays back to.
pub struct Estimate {
    /// The current estimate (an `f64`'s bits; 0.0 before any pool started).
    estimate: AtomicU64,
    /// The lowest measurement since the current pool started (the start-up one first): what
    /// a hand-off costs at best, when the workers are awake.
    baseline: AtomicU64,
}

impl Estimate {
    /// No measurement yet.
    pub const fn new() -> Estimate {
        Estimate {
            estimate: AtomicU64::new(0),
            baseline: AtomicU64::new(0),
        }
    }

    /// The current estimate in ns (0 before any measurement).
    pub fn get(&self) -> f64 {
        f64::from_bits(self.estimate.load(Ordering::Relaxed))
    }

    /// The best measurement in ns (0 before any measurement).
    pub fn baseline(&self) -> f64 {
        f64::from_bits(self.baseline.load(Ordering::Relaxed))
    }

    fn set(&self, ns: f64) {
        self.estimate.store(ns.to_bits(), Ordering::Relaxed);
    }

    /// Starts over from a fresh start-up measurement.
    pub fn reset(&self, measured_ns: f64) {
        self.set(measured_ns);
        self.baseline
            .store(measured_ns.to_bits(), Ordering::Relaxed);
    }

    /// Folds one measurement into the estimate. Samples are clamped to a few times the
    /// estimate, so one descheduled worker does not make every later call serial.
    pub fn record(&self, sample_ns: f64) {
        if !sample_ns.is_finite() || sample_ns < 0.0 {
            return;
        }
        let old = self.get();
        let sample = sample_ns.min(4.0 * old.max(1_000.0));
        self.set(0.75 * old + 0.25 * sample);
        if sample_ns < self.baseline() {
            self.baseline.store(sample_ns.to_bits(), Ordering::Relaxed);
        }
    }

    /// Moves the estimate a little back towards the best measurement, so a spell of bad
    /// samples wears off while calls stay serial and take none.
    pub fn relax(&self) {
        let (old, base) = (self.get(), self.baseline());
        if old > base {
            self.set(0.95 * old + 0.05 * base);
        }
    }
}

impl Default for Estimate {
    fn default() -> Self {
        Estimate::new()
    }
}

/// What handing a call's chunks to the workers costs, in two parts that scale differently:
/// the workers arrive `delay` ns late (they help with everything after that, so a late worker
/// only saves less), and the caller spends `fixed` ns on other things than chunks (waking the
/// workers, waiting for the last chunk a worker holds, noticing it finished).
pub struct HandoffCost {
    /// Mean delay of a worker's arrival after the caller starts handing out chunks.
    pub delay: Estimate,
    /// The caller's time in a chunked call spent not running chunks.
    pub fixed: Estimate,
}

/// What one call of a loop is predicted to cost (ns): run serially, and split into chunks
/// (the chunks' time on all threads together: more than serially when the threads compete for
/// caches or memory bandwidth).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallCost {
    pub serial: f64,
    pub chunked: f64,
}

/// What [`HandoffCost::verdict`] decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Split the call into chunks.
    Split,
    /// Run it serially.
    Serial,
    /// Run it serially; the hand-off estimates were relaxed, and the loop should relax its
    /// chunk cost towards its serial cost too.
    SerialRelaxed,
}

/// Calls of less serial work than this (ns) are never split, whatever the estimates say:
/// a hand-off costs about a microsecond at best (waking a thread, the caller's wait), and
/// the estimates of a process whose workers happen to be awake can undercut that.
const MIN_SPLIT_NS: f64 = 5_000.0;

/// A chunked call must be predicted to take at most this share of the serial time: a call a
/// little above the break-even point gains little, and a prediction that is off by some
/// percent must not make it slower than serial.
const MAX_SHARE: f64 = 0.9;

impl HandoffCost {
    /// No measurement yet.
    pub const fn new() -> HandoffCost {
        HandoffCost {
            delay: Estimate::new(),
            fixed: Estimate::new(),
        }
    }

    /// (delay, caller's own time): the current estimates or the best ones.
    fn figures(&self, best: bool) -> (f64, f64) {
        if best {
            (self.delay.baseline(), self.fixed.baseline())
        } else {
            (self.delay.get(), self.fixed.get())
        }
    }

    /// True when splitting `call` across `threads` threads would not save enough, at the
    /// current estimates or at the best ones. With `t` threads of which `t - 1` arrive `d`
    /// late, chunks that take `b` on all threads together finish after `(b + d (t - 1)) / t`,
    /// plus the caller's own `c`; that must be at most `MAX_SHARE` of the serial time.
    /// Written without division: the caller's FP flags are NumPy's, and this runs on every
    /// call of a parallel loop.
    pub fn too_small(&self, call: CallCost, threads: usize, best: bool) -> bool {
        let (d, c) = self.figures(best);
        let t = threads as f64;
        threads < 2
            || call.serial < MIN_SPLIT_NS
            || call.chunked + d * (t - 1.0) + c * t > MAX_SHARE * t * call.serial
    }

    /// Whether `call` runs serially, and whether it should wear the estimates down: a call
    /// that stays serial only because of later samples (it would be split at the best
    /// figures, with chunks as fast as the serial loop) moves the estimates, and its loop's
    /// chunk cost, a little back towards those when it is `long` enough to be timed itself.
    /// Short calls must not, or they would end in hand-offs that cost more than such a call
    /// can save.
    pub fn verdict(&self, call: CallCost, threads: usize, long: bool) -> Verdict {
        if !self.too_small(call, threads, false) {
            return Verdict::Split;
        }
        let at_best = CallCost {
            serial: call.serial,
            chunked: call.serial,
        };
        if long && !self.too_small(at_best, threads, true) {
            self.relax();
            Verdict::SerialRelaxed
        } else {
            Verdict::Serial
        }
    }

    /// Starts over from a start-up measurement of an empty hand-off.
    pub fn reset(&self, measured_ns: f64) {
        self.delay.reset(measured_ns);
        self.fixed.reset(measured_ns);
    }

    /// Folds in what one chunked call measured.
    pub fn record(&self, delay_ns: f64, fixed_ns: f64) {
        self.delay.record(delay_ns);
        self.fixed.record(fixed_ns);
    }

    /// See [`Estimate::relax`].
    pub fn relax(&self) {
        self.delay.relax();
        self.fixed.relax();
    }

    /// The two estimates together (for tests and tuning).
    pub fn total(&self) -> f64 {
        self.delay.get() + self.fixed.get()
    }
}

impl Default for HandoffCost {
    fn default() -> Self {
        HandoffCost::new()
    }
}

/// Forks since the handler below was registered, counted in each child.
static FORKS: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_fork_in_child() {
    // Async-signal-safe, as a child of a threaded process requires.
    FORKS.fetch_add(1, Ordering::Relaxed);
}

extern "C" {
    fn pthread_atfork(
        prepare: Option<extern "C" fn()>,
        parent: Option<extern "C" fn()>,
        child: Option<extern "C" fn()>,
    ) -> std::ffi::c_int;
}

/// Which process this is, as far as the pool cares: it changes in a child after `fork()`.
/// Counted by an at-fork handler rather than read with `getpid`, a system call (~140 ns here)
/// that every parallel call would pay; the pid serves if the handler cannot be registered.
fn process_epoch() -> u64 {
    static WATCHING: OnceLock<bool> = OnceLock::new();
    // SAFETY: registers a handler that only increments an atomic.
    let watching = *WATCHING
        .get_or_init(|| unsafe { pthread_atfork(None, None, Some(count_fork_in_child)) } == 0);
    if watching {
        FORKS.load(Ordering::Relaxed)
    } else {
        (1 << 63) | u64::from(std::process::id())
    }
}

/// The pool for this process and thread count, started on first use and reused after; `None`
/// with one thread or when no thread can be started.
///
/// A forked child inherits the parent's pool object but none of its threads, so waiting on
/// it would hang: the child builds its own pool and leaks the dead one instead of touching it.
pub fn pool() -> Option<Arc<rayon::ThreadPool>> {
    let threads = num_threads();
    if threads < 2 {
        return None;
    }
    let epoch = process_epoch();
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(state) = guard.as_ref() {
        if state.epoch == epoch && state.threads == threads {
            return Some(state.pool.clone());
        }
    }
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(threads - 1)
        .thread_name(|i| format!("ufuncgen-{i}"))
        .build()
        .ok()?;
    let pool = Arc::new(built);
    let measured = measure_overhead(&pool, threads - 1);
    HANDOFF.reset(measured);
    let fresh = PoolState {
        epoch,
        threads,
        pool: pool.clone(),
    };
    if let Some(old) = guard.replace(fresh) {
        if old.epoch != epoch {
            std::mem::forget(old);
        }
    }
    Some(pool)
}

/// Median wall time of a few empty hand-offs to every worker: what a parallel call pays
/// before any work gets done. The first rounds also wait for the threads to start.
fn measure_overhead(pool: &rayon::ThreadPool, workers: usize) -> f64 {
    let mut samples: Vec<f64> = (0..7)
        .map(|_| {
            let handoff = Arc::new(Handoff::new(workers));
            let t0 = Instant::now();
            for _ in 0..workers {
                let h = handoff.clone();
                pool.spawn(move || h.finish(1, true));
            }
            handoff.wait(0.0);
            t0.elapsed().as_nanos() as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_resists_outliers_and_relaxes() {
        let est = Estimate::new();
        est.reset(5_000.0);
        est.record(10_000_000.0);
        let after = est.get();
        assert!(
            after > 5_000.0 && after <= 5_000.0 * 1.75 + 1.0,
            "one outlier moved the estimate to {after}"
        );
        for _ in 0..200 {
            est.relax();
        }
        assert!(est.get() < 5_100.0, "relaxed to {}", est.get());
        est.record(f64::NAN);
        est.record(-3.0);
        assert!(est.get() > 4_900.0 && est.get() < 5_100.0);
        est.record(1_000.0);
        assert!(est.get() < 5_000.0, "a cheaper sample lowers the estimate");
        assert_eq!(
            est.baseline(),
            1_000.0,
            "the best value follows the lowest sample"
        );
    }

    /// Estimates that started at `start_ns` and then saw workers 60 us late, with 5 us of the
    /// caller's own time, many times over.
    fn late_workers(start_ns: f64) -> HandoffCost {
        let cost = HandoffCost::new();
        cost.reset(start_ns);
        for _ in 0..40 {
            cost.record(60_000.0, 5_000.0);
        }
        cost
    }

    /// A call of `us` microseconds, its chunks as fast as the serial loop times `spread`.
    fn call(us: f64, spread: f64) -> CallCost {
        CallCost {
            serial: us * 1e3,
            chunked: us * 1e3 * spread,
        }
    }

    #[test]
    fn a_late_worker_raises_the_break_even_point_by_about_its_delay() {
        // 2 threads pay off from (60 + 2 * 5) / 0.8 = 87.5 us of work, not from some
        // multiple of the delay.
        let cost = late_workers(2_000.0);
        assert!(cost.too_small(call(86.0, 1.0), 2, false));
        assert!(!cost.too_small(call(89.0, 1.0), 2, false));
        // The best figures stay as they were.
        assert!(!cost.too_small(call(20.0, 1.0), 2, true));
        // However cheap the hand-off, a few microseconds of work stay serial.
        let cheap = late_workers(10.0);
        for _ in 0..40 {
            cheap.record(10.0, 10.0);
        }
        assert!(!cheap.too_small(call(6.0, 1.0), 2, false));
        assert!(cheap.too_small(call(4.0, 1.0), 2, false));
        assert!(cost.too_small(call(1e6, 1.0), 1, false));
    }

    #[test]
    fn chunks_slower_than_the_serial_loop_need_more_work_or_stay_serial() {
        let cost = late_workers(2_000.0);
        // Chunks 50% slower (threads sharing a cache): 1.5 w + 70 <= 1.8 w from 233 us.
        assert!(cost.too_small(call(200.0, 1.5), 2, false));
        assert!(!cost.too_small(call(250.0, 1.5), 2, false));
        // Chunks 80% slower than serial on two threads never pay.
        assert!(cost.too_small(call(1e6, 1.8), 2, false));
    }

    #[test]
    fn only_long_serial_calls_wear_the_estimates_down() {
        let cost = late_workers(1_000.0);
        let high = cost.total();
        // 10 us of work: split at the best figures, serial at the current ones.
        for _ in 0..1_000 {
            assert_eq!(cost.verdict(call(10.0, 1.0), 2, false), Verdict::Serial);
        }
        assert_eq!(cost.total(), high, "short calls moved the estimates");
        let mut calls = 0;
        while cost.verdict(call(10.0, 1.0), 2, true) == Verdict::SerialRelaxed {
            calls += 1;
            assert!(calls < 1_000, "the estimates never wore off");
        }
        assert_eq!(cost.verdict(call(10.0, 1.0), 2, true), Verdict::Split);
        assert!(calls > 10, "wore off after {calls} calls");
    }
}
