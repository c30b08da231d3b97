//! Deciding how one loop call is split across threads: pure arithmetic, unit-tested.

use std::ops::Range;

/// One operand of a loop call: where its first iteration starts, how far each outer
/// iteration moves it, and the bytes one iteration touches relative to its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operand {
    pub ptr: usize,
    pub step: isize,
    /// An iteration at address `p` touches `[p + lo, p + hi)`.
    pub lo: isize,
    pub hi: isize,
}

impl Operand {
    /// An element-wise operand: one item of `itemsize` bytes per iteration.
    pub fn item(ptr: usize, step: isize, itemsize: usize) -> Operand {
        Operand {
            ptr,
            step,
            lo: 0,
            hi: itemsize as isize,
        }
    }

    /// An operand whose iteration at `p` touches `[p + lo, p + hi)`: a gufunc's core block.
    pub fn block(ptr: usize, step: isize, lo: isize, hi: isize) -> Operand {
        Operand { ptr, step, lo, hi }
    }

    /// The byte range all `n` iterations touch together.
    fn extent(&self, n: usize) -> (i128, i128) {
        let last = self.step as i128 * (n as i128 - 1);
        let base = self.ptr as i128;
        (
            base + last.min(0) + self.lo as i128,
            base + last.max(0) + self.hi as i128,
        )
    }
}

/// What one call does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Run the serial loop on the calling thread.
    Serial,
    /// Run these index ranges concurrently; together they cover `0..n` in order.
    Chunks(Vec<Range<usize>>),
}

/// The knobs of planning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Threads available, the calling thread included.
    pub threads: usize,
    /// Chunk lengths are multiples of this many elements: a multiple of every vector width
    /// times interleave count, so each chunk splits into vector body and scalar remainder
    /// exactly where the whole call would.
    pub grain: usize,
    /// At most this many chunks per thread: threads that finish early (or a caller whose
    /// workers wake late) take the remaining chunks, so one slow thread delays little.
    pub chunks_per_thread: usize,
    /// Chunks are not made shorter than this much estimated work (ns), beyond one per thread.
    pub min_chunk_ns: f64,
    /// When the first output spans enough of these (bytes) for two chunks per thread, chunk
    /// boundaries fall on them (0: never). The kernel zeroes a fresh output's pages on first
    /// touch a transparent huge page (2 MiB) at a time, and threads whose chunks share one
    /// wait for each other or zero it twice.
    pub page_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            threads: 1,
            grain: 64,
            chunks_per_thread: 1,
            min_chunk_ns: 0.0,
            page_bytes: 0,
        }
    }
}

/// True when running iterations of one call concurrently could give a different answer
/// than running them in order: an output written by every iteration (step 0, as `reduce`
/// passes it), or an output that overlaps another operand other than exactly (same address,
/// same step) aliasing an input, as `accumulate` and overlapping `out=` arguments do.
pub fn may_race(n: usize, operands: &[Operand], nin: usize) -> bool {
    if n < 2 {
        return false;
    }
    for (o, out) in operands.iter().enumerate().skip(nin) {
        if out.step == 0 {
            return true;
        }
        let (olo, ohi) = out.extent(n);
        for (a, other) in operands.iter().enumerate() {
            if a == o {
                continue;
            }
            let (alo, ahi) = other.extent(n);
            let overlaps = alo < ohi && olo < ahi;
            let same_walk = a < nin
                && other.ptr == out.ptr
                && other.step == out.step
                && other.lo == out.lo
                && other.hi == out.hi;
            if overlaps && !same_walk {
                return true;
            }
        }
    }
    false
}

/// Splits a call of `n` iterations, given the loop's measured serial cost per iteration.
pub fn plan(n: usize, operands: &[Operand], nin: usize, ns_per_iter: f64, limits: &Limits) -> Plan {
    let threads = limits.threads.max(1);
    let grain = limits.grain.max(1);
    if threads == 1 || n < 2 * grain {
        return Plan::Serial;
    }
    if may_race(n, operands, nin) {
        return Plan::Serial;
    }
    // Chunks start at multiples of the grain counted from the call's first iteration, not
    // at cache-line boundaries: the serial loop runs its vector body from iteration 0 and its
    // scalar remainder at the end, and vector and scalar math may differ in the last bit, so
    // only boundaries on the same vector grid keep results bit-identical to the serial loop.
    let work = n as f64 * ns_per_iter;
    let by_work = if limits.min_chunk_ns > 0.0 {
        (work / limits.min_chunk_ns) as usize
    } else {
        usize::MAX
    };
    let most = threads.saturating_mul(limits.chunks_per_thread.max(1));
    let nchunks = by_work.clamp(threads, most.max(threads));
    let fine = n.div_ceil(nchunks).div_ceil(grain) * grain;
    let mut chunk = fine;
    let mut bounds = vec![0];
    let mut next = chunk;
    let pages = page_grid(n, operands.get(nin), threads, grain, limits.page_bytes);
    if let Some(pages) = pages {
        chunk = chunk.div_ceil(pages.iters) * pages.iters;
        if pages.first > 0 {
            bounds.push(pages.first);
        }
        next = pages.first + chunk;
    }
    while next < n {
        bounds.push(next);
        next += chunk;
    }
    bounds.push(n);
    if pages.is_some() && chunk > fine {
        // The last chunk per thread is split finely again: the threads then end together
        // (within a fine chunk, not a page), at the price of sharing those last pages.
        let cut = bounds.len().saturating_sub(threads + 1);
        let mut tail = vec![];
        for w in bounds[cut..].windows(2) {
            let mut b = w[0] + fine;
            while b < w[1] {
                tail.push(b);
                b += fine;
            }
        }
        bounds.extend(tail);
        bounds.sort_unstable();
    }
    let chunks: Vec<Range<usize>> = bounds
        .windows(2)
        .map(|w| w[0]..w[1])
        .filter(|r| !r.is_empty())
        .collect();
    if chunks.len() < 2 {
        Plan::Serial
    } else {
        Plan::Chunks(chunks)
    }
}

/// Where an output's pages start, in iterations of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageGrid {
    /// Iterations per page.
    iters: usize,
    /// The first iteration (on the grain) at or below the output's first page boundary.
    first: usize,
}

/// The page grid of `out` over `n` iterations, when boundaries on it keep to the grain and the
/// output spans at least two pages per thread; `None` otherwise.
fn page_grid(
    n: usize,
    out: Option<&Operand>,
    threads: usize,
    grain: usize,
    page_bytes: usize,
) -> Option<PageGrid> {
    let out = out?;
    let step = usize::try_from(out.step).ok().filter(|&s| s > 0)?;
    if page_bytes == 0 || !page_bytes.is_multiple_of(step) {
        return None;
    }
    let iters = page_bytes / step;
    if !iters.is_multiple_of(grain) || n / iters < 2 * threads {
        return None;
    }
    let to_boundary = (page_bytes - out.ptr % page_bytes) % page_bytes;
    Some(PageGrid {
        iters,
        first: to_boundary / step / grain * grain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(threads: usize) -> Limits {
        Limits {
            threads,
            ..Limits::default()
        }
    }

    fn binary(a: usize, b: usize, out: usize, step: isize) -> Vec<Operand> {
        vec![
            Operand::item(a, step, 8),
            Operand::item(b, step, 8),
            Operand::item(out, step, 8),
        ]
    }

    #[test]
    fn one_thread_or_fewer_than_two_grains_stay_serial() {
        // Whether a call pays for splitting is the cost model's decision (`pool::HandoffCost`).
        let ops = binary(0x1000_0000, 0x2000_0000, 0x3000_0000, 8);
        assert_eq!(plan(100, &ops, 2, 1.0, &limits(2)), Plan::Serial);
        assert_eq!(plan(1_000_000, &ops, 2, 1.0, &limits(1)), Plan::Serial);
        assert!(matches!(
            plan(1_000_000, &ops, 2, 1.0, &limits(2)),
            Plan::Chunks(_)
        ));
    }

    #[test]
    fn chunks_cover_everything_in_order_on_grain_boundaries() {
        for threads in [2, 3, 8, 16] {
            for n in [10_000usize, 100_003, 1_000_000] {
                // Output base 24 bytes past a cache line: boundaries still on the index grain.
                let ops = binary(0x10_0000, 0x90_0000, 0x1_2000_0018, 8);
                let Plan::Chunks(chunks) = plan(n, &ops, 2, 100.0, &limits(threads)) else {
                    panic!("expected chunks for n={n}");
                };
                assert_eq!(chunks.first().map(|c| c.start), Some(0));
                assert_eq!(chunks.last().map(|c| c.end), Some(n));
                for w in chunks.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                    assert_eq!(w[1].start % 64, 0, "boundary {} off the grain", w[1].start);
                }
                assert!(
                    chunks.len() <= threads + 1,
                    "{} chunks for {threads} threads",
                    chunks.len()
                );
            }
        }
    }

    #[test]
    fn more_chunks_per_thread_only_when_the_work_pays_for_them() {
        let ops = binary(0x10_0000, 0x90_0000, 0x1_2000_0000, 8);
        let limits = Limits {
            threads: 2,
            chunks_per_thread: 4,
            min_chunk_ns: 50_000.0,
            ..Limits::default()
        };
        // 1e6 iterations at 10 ns: 10 ms of work, enough for 8 chunks of >= 50 us.
        let Plan::Chunks(many) = plan(1_000_000, &ops, 2, 10.0, &limits) else {
            panic!("expected chunks");
        };
        assert_eq!(many.len(), 8);
        // 1e5 iterations at 1 ns: 100 us, two chunks of 50 us.
        let Plan::Chunks(few) = plan(100_000, &ops, 2, 1.0, &limits) else {
            panic!("expected chunks");
        };
        assert_eq!(few.len(), 2);
        let lens: Vec<usize> = few.iter().map(|c| c.len()).collect();
        assert!(lens[0].abs_diff(lens[1]) <= 2 * 64, "unbalanced {lens:?}");
    }

    #[test]
    fn large_outputs_split_on_their_pages() {
        const PAGE: usize = 2 << 20;
        let limits = Limits {
            threads: 2,
            grain: 256,
            chunks_per_thread: 64,
            min_chunk_ns: 50_000.0,
            page_bytes: PAGE,
        };
        // Output 4 KiB + 64 bytes past a page boundary; 1e7 doubles span 38 pages.
        let out = 0x7f00_0000_0000 + 4096 + 64;
        let ops = binary(0x10_0000, 0x9000_0000, out, 8);
        let n = 10_000_000;
        let Plan::Chunks(chunks) = plan(n, &ops, 2, 1.0, &limits) else {
            panic!("expected chunks");
        };
        assert_eq!(chunks.first().map(|c| c.start), Some(0));
        assert_eq!(chunks.last().map(|c| c.end), Some(n));
        let page_iters = PAGE / 8;
        for w in chunks.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            let b = w[1].start;
            assert_eq!(b % 256, 0, "boundary {b} off the grain");
            if w[1].len() < page_iters && w[1].end != n
                || w[0].len() < page_iters && w[0].start != 0
            {
                continue; // the finely split tail
            }
            // Within one grain (2 KiB of doubles) below a page boundary of the output.
            let to_page = (PAGE - (out + 8 * b) % PAGE) % PAGE;
            assert!(
                to_page <= 8 * 256,
                "boundary {b} is {to_page} bytes before a page"
            );
        }
        assert!(chunks.len() >= 4, "{} chunks", chunks.len());
        // Whole pages, except the last one per thread, which is split finely again so the
        // threads end together.
        let whole = chunks.iter().filter(|c| c.len() == page_iters).count();
        assert!(whole >= 30, "{whole} whole-page chunks");
        let last = &chunks[chunks.len() - 3..];
        assert!(
            last.iter().all(|c| c.len() < page_iters / 2),
            "tail {last:?}"
        );
        // Too small an output for two pages per thread: the plain grid.
        let Plan::Chunks(small) = plan(500_000, &ops, 2, 1.0, &limits) else {
            panic!("expected chunks");
        };
        assert!(small.iter().all(|c| c.start % 256 == 0));
        assert!(small.len() > 4, "{} chunks", small.len());
        // A step that does not divide the page: the plain grid too.
        let odd = binary(0x10_0000, 0x9000_0000, out, 24);
        assert!(page_grid(n, odd.get(2), 2, 256, PAGE).is_none());
        assert!(page_grid(n, ops.get(2), 2, 256, 0).is_none());
    }

    #[test]
    fn core_blocks_that_overlap_race() {
        // Two gufunc outputs of 4 doubles per iteration, written 16 bytes apart: overlap.
        let ops = vec![
            Operand::item(0x10_0000, 8, 8),
            Operand::block(0x20_0000, 32, 0, 32),
            Operand::block(0x20_0010, 32, 0, 32),
        ];
        assert!(may_race(100, &ops, 1));
        // Rows of 4 doubles, one after the other: no overlap.
        let ok = vec![
            Operand::block(0x10_0000, 32, 0, 32),
            Operand::block(0x20_0000, 32, 0, 32),
        ];
        assert!(!may_race(100, &ok, 1));
        // A core axis walked backwards extends the block below its start.
        let back = vec![
            Operand::block(0x10_0000, 32, 0, 32),
            Operand::block(0x10_0000 + 100 * 32 + 16, 32, -24, 8),
        ];
        assert!(may_race(100, &back, 1));
    }

    #[test]
    fn reduce_accumulate_and_overlap_are_serial() {
        // reduce: output step 0 aliased to the first input
        let reduce = vec![
            Operand::item(0x1000, 0, 8),
            Operand::item(0x8000, 8, 8),
            Operand::item(0x1000, 0, 8),
        ];
        assert!(may_race(1000, &reduce, 2));
        // accumulate: output one element past an input
        let acc = vec![
            Operand::item(0x1000, 8, 8),
            Operand::item(0x9000, 8, 8),
            Operand::item(0x1008, 8, 8),
        ];
        assert!(may_race(1000, &acc, 2));
        assert_eq!(plan(1_000_000, &acc, 2, 100.0, &limits(4)), Plan::Serial);
        // in place: exactly the same walk is safe
        let inplace = binary(0x1000, 0x100000, 0x1000, 8);
        assert!(!may_race(1000, &inplace, 2));
        // reversed view of the output as input: overlapping with another step
        let reversed = vec![
            Operand::item(0x1000 + 999 * 8, -8, 8),
            Operand::item(0x1000, 8, 8),
        ];
        assert!(may_race(1000, &reversed, 1));
        // disjoint arrays
        assert!(!may_race(1000, &binary(0x1000, 0x10000, 0x20000, 8), 2));
        // two outputs writing the same memory
        let two_out = vec![
            Operand::item(0x1000, 8, 8),
            Operand::item(0x9000, 8, 8),
            Operand::item(0x9000, 8, 8),
        ];
        assert!(may_race(1000, &two_out, 1));
    }
}
