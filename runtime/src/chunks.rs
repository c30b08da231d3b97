//! One chunked loop call: the chunks, the counter the caller and the workers take them from,
//! and what they measure and raise while running them.

use super::handoff::Handoff;
use super::{errors, fpflags};
use crate::LoopFn;
use std::ffi::c_void;
use std::ops::Range;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Longest `dimensions` array a loop may read: the outer length plus core dimensions.
pub const MAX_DIMS: usize = 32;

/// Raw loop arguments made shareable: every chunk reads them, none writes them.
#[derive(Clone, Copy)]
pub struct Call {
    pub args: *mut *mut u8,
    pub dims: *const isize,
    pub steps: *const isize,
    pub data: *mut c_void,
}

/// One parallel call's chunks, shared by the caller and the workers it woke.
pub struct Job {
    serial: LoopFn,
    call: Call,
    nargs: usize,
    ndims: usize,
    chunks: Vec<Range<usize>>,
    next: AtomicUsize,
    busy_ns: AtomicU64,
    flags: AtomicI32,
    handoff: Handoff,
    /// When the caller started handing out the chunks.
    t0: Instant,
    /// Workers that arrived, and the sum of their delays after `t0` (ns).
    arrived: AtomicUsize,
    delay_ns: AtomicU64,
    /// Time the caller spent running chunks (ns).
    caller_busy_ns: AtomicU64,
    /// The run-time error of the earliest chunk that recorded one (chunk index, kind, text):
    /// errors are per thread, and serially the first one wins.
    error: Mutex<Option<(usize, i32, String)>>,
}

// SAFETY: `call` points into the caller's loop arguments. They are dereferenced only while
// running a chunk taken from `next`, and the caller returns only after every chunk taken has
// finished (`handoff`); a worker that arrives later finds no chunk and touches nothing. The
// chunks are disjoint ranges of a call `plan` found race-free.
unsafe impl Send for Job {}
// SAFETY: as above; everything else is atomics or read-only.
unsafe impl Sync for Job {}

impl Job {
    /// A call's chunks (absolute iteration ranges), handed out from `t0` on.
    pub fn new(
        serial: LoopFn,
        call: Call,
        nargs: usize,
        ndims: usize,
        chunks: Vec<Range<usize>>,
        t0: Instant,
    ) -> Job {
        let total = chunks.len();
        Job {
            serial,
            call,
            nargs,
            ndims,
            chunks,
            next: AtomicUsize::new(0),
            busy_ns: AtomicU64::new(0),
            flags: AtomicI32::new(0),
            handoff: Handoff::new(total),
            t0,
            arrived: AtomicUsize::new(0),
            delay_ns: AtomicU64::new(0),
            caller_busy_ns: AtomicU64::new(0),
            error: Mutex::new(None),
        }
    }

    /// Hands the earliest chunk's run-time error to the calling thread (where the loop's
    /// caller looks for it); call it on the caller after `wait`.
    pub fn restore_error(&self) {
        let slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, kind, message)) = slot.as_ref() {
            errors::restore_runtime_error(*kind, message);
        }
    }

    fn record_error(&self, chunk: usize) {
        if let Some((kind, message)) = errors::take_runtime_error() {
            let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
            if slot.as_ref().is_none_or(|(k, _, _)| chunk < *k) {
                *slot = Some((chunk, kind, message));
            }
        }
    }

    /// Total ns spent in chunks, over all threads.
    pub fn busy_ns(&self) -> f64 {
        self.busy_ns.load(Ordering::Relaxed) as f64
    }

    /// The FP flags any chunk raised.
    pub fn flags(&self) -> i32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// Waits until every chunk has finished (see `Handoff::wait`).
    pub fn wait(&self, spin_ns: f64) {
        self.handoff.wait(spin_ns);
    }

    /// Takes chunks until none are left, collecting the FP flags the chunks raised (the
    /// caller too: its own flags are restored by `run`). Chunks are timed, counted and their
    /// flags gathered per thread, not per chunk: a chunk then costs one shared atomic add,
    /// so chunks can be short.
    pub fn work(&self, worker: bool) {
        if worker {
            self.delay_ns
                .fetch_add(self.t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
            self.arrived.fetch_add(1, Ordering::Relaxed);
        }
        fpflags::clear();
        let t0 = Instant::now();
        let mut done = 0;
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(range) = self.chunks.get(i) else {
                break;
            };
            // SAFETY: see `unsafe impl Send for Job`.
            unsafe {
                run_range(
                    self.serial,
                    self.call,
                    self.nargs,
                    self.ndims,
                    range.clone(),
                )
            };
            self.record_error(i);
            done += 1;
        }
        if done > 0 {
            let took = t0.elapsed().as_nanos() as u64;
            self.busy_ns.fetch_add(took, Ordering::Relaxed);
            if !worker {
                self.caller_busy_ns.fetch_add(took, Ordering::Relaxed);
            }
            self.flags.fetch_or(fpflags::test(), Ordering::Relaxed);
        }
        self.handoff.finish(done, worker);
    }
}

impl Job {
    /// What the hand-off cost this call, measured after the caller's wait, as (the workers'
    /// mean delay in arriving, the caller's time spent not running chunks). A worker that
    /// never arrived counts the whole call as its delay.
    pub fn handoff_ns(&self, helpers: usize, wall_ns: f64) -> (f64, f64) {
        if helpers == 0 {
            return (0.0, 0.0);
        }
        let arrived = self.arrived.load(Ordering::Relaxed).min(helpers);
        let delays =
            self.delay_ns.load(Ordering::Relaxed) as f64 + (helpers - arrived) as f64 * wall_ns;
        let caller_busy = self.caller_busy_ns.load(Ordering::Relaxed) as f64;
        (delays / helpers as f64, (wall_ns - caller_busy).max(0.0))
    }
}

/// Calls `serial` on iterations `range` of `call`: the same steps, pointers and length moved.
///
/// # Safety
/// `call` must be a live NumPy loop call for `serial` with `nargs` operands and at least `ndims`
/// dimensions, and `range` within its outer length.
pub unsafe fn run_range(
    serial: LoopFn,
    call: Call,
    nargs: usize,
    ndims: usize,
    range: Range<usize>,
) {
    if range.is_empty() {
        return;
    }
    // NumPy passes at most 64 operands (NPY_MAXARGS); more would need the heap.
    const MAX_ARGS: usize = 64;
    let mut on_stack = [std::ptr::null_mut::<u8>(); MAX_ARGS];
    let mut on_heap = Vec::new();
    let args: &mut [*mut u8] = if nargs <= MAX_ARGS {
        &mut on_stack[..nargs]
    } else {
        on_heap.resize(nargs, std::ptr::null_mut());
        &mut on_heap
    };
    for (i, arg) in args.iter_mut().enumerate() {
        *arg = (*call.args.add(i)).wrapping_offset(*call.steps.add(i) * range.start as isize);
    }
    let mut dims = [0isize; MAX_DIMS];
    std::ptr::copy_nonoverlapping(call.dims, dims.as_mut_ptr(), ndims.min(MAX_DIMS));
    dims[0] = range.len() as isize;
    serial(args.as_mut_ptr(), dims.as_ptr(), call.steps, call.data);
}
