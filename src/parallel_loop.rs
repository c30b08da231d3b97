//! `target="parallel"` in the binding: wraps registered loops in the runtime's `ParallelLoop`
//! and exposes the thread count to Python.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use ufuncgen::runtime::parallel::{self, ParallelLoop, MAX_THREADS};

use crate::register::LoopEntry;

/// Item sizes of a loop's operands, inputs then outputs.
fn itemsizes(entry: &LoopEntry) -> Vec<usize> {
    entry
        .inputs
        .iter()
        .chain(&entry.outputs)
        .map(|s| s.size())
        .collect()
}

/// Turns an element-wise loop into its parallel form: NumPy calls `parallel_loop_entry` with
/// `data` pointing at the `ParallelLoop`, which the ufunc's owner keeps alive.
pub fn elementwise(entry: LoopEntry) -> LoopEntry {
    let itemsizes = itemsizes(&entry);
    let pl = ParallelLoop::elementwise(entry.func, entry.inputs.len(), itemsizes);
    LoopEntry {
        func: parallel::parallel_loop_entry,
        data: Some(Arc::new(pl)),
        ..entry
    }
}

/// Turns a gufunc loop into its parallel form. `core_axes` are the layout's core axes per
/// operand (`ufuncgen::layout_core_axes`); `split_anywhere` is the compiled loop's (see
/// `ufuncgen::CompiledLoop::split_anywhere`). An input NumPy passes read-write (stored into or
/// listed in `writable_args`)
/// is an output for the race check, so with any of them every operand counts as one.
pub fn generalized(
    entry: LoopEntry,
    core_axes: &[Vec<usize>],
    writes_inputs: bool,
    split_anywhere: bool,
) -> PyResult<LoopEntry> {
    let itemsizes = itemsizes(&entry);
    let nin = if writes_inputs { 0 } else { entry.inputs.len() };
    let pl = ParallelLoop::generalized(
        entry.func,
        nin,
        itemsizes,
        core_axes.to_vec(),
        split_anywhere,
    )
    .map_err(PyValueError::new_err)?;
    Ok(LoopEntry {
        func: parallel::parallel_loop_entry,
        data: Some(Arc::new(pl)),
        ..entry
    })
}

/// Sets the threads parallel ufuncs use, the calling thread included (0: back to the default).
#[pyfunction]
pub fn set_num_threads(n: usize) -> PyResult<()> {
    if n > MAX_THREADS {
        return Err(PyValueError::new_err(format!(
            "at most {MAX_THREADS} threads, not {n}"
        )));
    }
    parallel::set_num_threads(n);
    Ok(())
}

/// The threads parallel ufuncs use now.
#[pyfunction]
pub fn get_num_threads() -> usize {
    parallel::num_threads()
}

/// The count given to `set_num_threads`, or 0 while the default applies.
#[pyfunction]
pub fn requested_num_threads() -> usize {
    parallel::requested_num_threads()
}

/// `[(ns per iteration, chunked calls, hand-off overhead ns, ns per iteration of chunks)]` per parallel loop of a ufunc,
/// in loop order (empty for a serial ufunc): lets tests see that a call really was chunked.
#[pyfunction]
pub fn _parallel_stats(ufunc: &Bound<'_, PyAny>) -> PyResult<Vec<(f64, u64, f64, f64)>> {
    let Some(owner) = crate::owner::owner_of(ufunc)? else {
        return Ok(Vec::new());
    };
    Ok(owner
        .get()
        .loop_data()
        .iter()
        .map(|l| {
            let s = l.stats();
            (s.cost_ns, s.chunked_calls, s.overhead_ns, s.chunked_cost_ns)
        })
        .collect())
}

/// Tests only: chunk every call that can be chunked safely (`True`), or use the cost model.
#[pyfunction]
pub fn _force_chunking(on: bool) {
    parallel::force_chunking(on);
}
