//! Waiting for a known number of pieces of work done on other threads: the caller spins
//! briefly (pieces finish close together), then sleeps until the last piece wakes it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::Thread;
use std::time::Instant;

/// Counts finished pieces; the thread that created it is the one that waits.
pub struct Handoff {
    total: usize,
    done: AtomicUsize,
    caller: Thread,
}

impl Handoff {
    /// A hand-off of `total` pieces, awaited by the current thread.
    pub fn new(total: usize) -> Handoff {
        Handoff {
            total,
            done: AtomicUsize::new(0),
            caller: std::thread::current(),
        }
    }

    /// Marks `pieces` more pieces finished: everything they wrote is visible to the caller
    /// after `wait`. `wake` is false on the caller's own thread, which never sleeps while it
    /// works.
    pub fn finish(&self, pieces: usize, wake: bool) {
        if pieces == 0 {
            return;
        }
        if self.done.fetch_add(pieces, Ordering::AcqRel) + pieces == self.total && wake {
            self.caller.unpark();
        }
    }

    fn finished(&self) -> bool {
        self.done.load(Ordering::Acquire) >= self.total
    }

    /// Returns once all pieces are finished, spinning for up to `spin_ns` before sleeping.
    pub fn wait(&self, spin_ns: f64) {
        if self.finished() {
            return;
        }
        let t0 = Instant::now();
        while (t0.elapsed().as_nanos() as f64) < spin_ns {
            for _ in 0..64 {
                if self.finished() {
                    return;
                }
                std::hint::spin_loop();
            }
        }
        // `park` may return spuriously (or for a stale token from an earlier hand-off):
        // the count is the only truth.
        while !self.finished() {
            std::thread::park();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn waits_for_every_piece_from_other_threads() {
        for spin in [0.0, 1e6] {
            let h = Arc::new(Handoff::new(3));
            let slots: Arc<Vec<AtomicUsize>> =
                Arc::new((0..3).map(|_| AtomicUsize::new(0)).collect());
            let threads: Vec<_> = (0..3)
                .map(|i| {
                    let (h, slots) = (h.clone(), slots.clone());
                    std::thread::spawn(move || {
                        std::thread::sleep(std::time::Duration::from_millis(5 * i as u64));
                        slots[i].store(i + 1, Ordering::Relaxed);
                        h.finish(1, true);
                    })
                })
                .collect();
            h.wait(spin);
            let seen: Vec<usize> = slots.iter().map(|s| s.load(Ordering::Relaxed)).collect();
            assert_eq!(seen, vec![1, 2, 3]);
            for t in threads {
                t.join().ok();
            }
        }
    }
}
