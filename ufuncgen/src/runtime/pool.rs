//! The process-wide worker pool of the parallel target: its size, its start, its survival
//! across `fork()`, and the measured cost of handing work to it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use super::handoff::Handoff;

/// Thread counts above this are refused: more threads than that only adds overhead.
pub const MAX_THREADS: usize = 1024;

static REQUESTED_THREADS: AtomicUsize = AtomicUsize::new(0);

/// The measured cost of one hand-off to the workers, shared by every parallel loop.
pub static OVERHEAD: OverheadEstimate = OverheadEstimate::new();

struct PoolState {
    pid: u32,
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

/// Wall time (ns) that one hand-off to the workers and the wait for them costs the caller
/// beyond the work itself: measured when a pool starts, refined by every parallel call.
pub struct OverheadEstimate {
    /// The current estimate (an `f64`'s bits; 0.0 before any pool started).
    estimate: AtomicU64,
    /// The measurement taken when the current pool started: estimates decay back to it.
    baseline: AtomicU64,
}

impl OverheadEstimate {
    /// No measurement yet.
    pub const fn new() -> OverheadEstimate {
        OverheadEstimate {
            estimate: AtomicU64::new(0),
            baseline: AtomicU64::new(0),
        }
    }

    /// The current estimate in ns (0 before any measurement).
    pub fn get(&self) -> f64 {
        f64::from_bits(self.estimate.load(Ordering::Relaxed))
    }

    /// The start-up measurement in ns (0 before any measurement).
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

    /// Folds one measured overhead into the estimate. Samples are clamped to a few times the
    /// estimate, so one descheduled worker does not make every later call serial.
    pub fn record(&self, sample_ns: f64) {
        if !sample_ns.is_finite() || sample_ns < 0.0 {
            return;
        }
        let old = self.get();
        let sample = sample_ns.min(4.0 * old.max(1_000.0));
        self.set(0.75 * old + 0.25 * sample);
    }

    /// Moves the estimate a little back towards the start-up measurement: called when a call
    /// stayed serial only because of the estimate, so a spell of bad samples wears off.
    pub fn relax(&self) {
        let (old, base) = (self.get(), self.baseline());
        if old > base {
            self.set(0.95 * old + 0.05 * base);
        }
    }
}

impl Default for OverheadEstimate {
    fn default() -> Self {
        OverheadEstimate::new()
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
    let pool = Arc::new(built);
    let measured = measure_overhead(&pool, threads - 1);
    OVERHEAD.reset(measured);
    let fresh = PoolState {
        pid,
        threads,
        pool: pool.clone(),
    };
    if let Some(old) = guard.replace(fresh) {
        if old.pid != pid {
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
                pool.spawn(move || h.finish_one(true));
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
    fn overhead_estimate_resists_outliers_and_relaxes() {
        let est = OverheadEstimate::new();
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
    }
}
