//! The contiguity a gufunc signature promises (`float64[::1]`, `float64[:, ::1]`,
//! `float64[::1, :]`), checked on the core strides NumPy passes before each loop runs.

use ufuncgen::spec::gufunc::dimension_order;
use ufuncgen::spec::layout::{CoreDim, Layout};
use ufuncgen::spec::signature::{ArgType, Contiguity, Signature};

/// One array argument that must be contiguous in its core dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContiguityCheck {
    /// `steps` index of each core dimension's stride, in the argument's dimension order.
    stride_index: Vec<usize>,
    /// The size of each core dimension: `dimensions` index.
    size_index: Vec<usize>,
    itemsize: isize,
    order: Contiguity,
    /// What to say when the promise is broken.
    message: String,
}

/// A [`ContiguityCheck`] as plain data (AOT modules run it in C): the `steps` index of each
/// core dimension's stride, their sizes' `dimensions` index, the item size, whether the
/// promise is Fortran order, and the message.
pub type CheckParts = (Vec<usize>, Vec<usize>, isize, bool, String);

impl ContiguityCheck {
    /// This check as plain data.
    pub fn parts(&self) -> CheckParts {
        (
            self.stride_index.clone(),
            self.size_index.clone(),
            self.itemsize,
            self.order == Contiguity::F,
            self.message.clone(),
        )
    }

    /// None when the promise holds for these loop `dimensions`/`steps`, else the message.
    ///
    /// # Safety
    /// `dimensions` and `steps` must be the arrays NumPy passes to the loop this check was
    /// built for (`signature_checks`).
    pub unsafe fn violated(&self, dimensions: *const isize, steps: *const isize) -> Option<&str> {
        let dims = self.stride_index.len();
        // Walk from the fastest-varying dimension; size-1 dimensions constrain nothing.
        let mut expected = self.itemsize;
        for k in 0..dims {
            let d = if self.order == Contiguity::F {
                k
            } else {
                dims - 1 - k
            };
            // SAFETY: the indices were computed from the layout NumPy's arrays follow.
            let (size, stride) = unsafe {
                (
                    *dimensions.add(self.size_index[d]),
                    *steps.add(self.stride_index[d]),
                )
            };
            if size > 1 && stride != expected {
                return Some(&self.message);
            }
            expected = expected.saturating_mul(size.max(1));
        }
        None
    }
}

/// The checks for one gufunc signature with its layout (empty when it promises nothing).
pub fn signature_checks(function: &str, signature: &str, layout: &str) -> Vec<ContiguityCheck> {
    let (Ok(sig), Ok(layout)) = (Signature::parse_gufunc(signature), Layout::parse(layout)) else {
        return Vec::new();
    };
    let order = dimension_order(&layout);
    let cores: Vec<_> = layout.inputs.iter().chain(&layout.outputs).collect();
    let nargs = cores.len();
    let mut checks = Vec::new();
    let mut stride_base = nargs;
    for (arg, (ty, core)) in sig.args.iter().zip(&cores).enumerate() {
        if let ArgType::Array(a) = ty {
            if a.contiguity != Contiguity::Any && !core.is_empty() {
                let size_index = core
                    .iter()
                    .map(|d| 1 + order.iter().position(|o| same_dim(o, d)).unwrap_or(0))
                    .collect();
                let kind = if a.contiguity == Contiguity::C {
                    "C"
                } else {
                    "Fortran"
                };
                checks.push(ContiguityCheck {
                    stride_index: (stride_base..stride_base + core.len()).collect(),
                    size_index,
                    itemsize: a.dtype.size() as isize,
                    order: a.contiguity,
                    message: format!(
                        "argument {arg} of '{function}' is declared {kind}-contiguous in \
                         {signature:?}, but its core dimensions are not"
                    ),
                });
            }
        }
        stride_base += core.len();
    }
    checks
}

fn same_dim(a: &CoreDim, b: &CoreDim) -> bool {
    match (a, b) {
        (CoreDim::Named { name: x, .. }, CoreDim::Named { name: y, .. }) => x == y,
        (CoreDim::Fixed(x), CoreDim::Fixed(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(check: &ContiguityCheck, dims: &[isize], steps: &[isize]) -> bool {
        // SAFETY: the arrays are as long as the layout of the test signature needs.
        unsafe { check.violated(dims.as_ptr(), steps.as_ptr()) }.is_none()
    }

    #[test]
    fn one_dimensional_promise() {
        let checks = signature_checks("f", "void(f8[::1], f8[:])", "(n)->(n)");
        assert_eq!(checks.len(), 1);
        // dims = [outer, n]; steps = [2 outer, a's n stride, out's n stride].
        assert!(run(&checks[0], &[4, 5], &[40, 40, 8, 16]));
        assert!(!run(&checks[0], &[4, 5], &[40, 40, 16, 8]));
        // A single element has no stride to keep.
        assert!(run(&checks[0], &[4, 1], &[40, 40, 16, 8]));
    }

    #[test]
    fn two_dimensional_c_and_f_promises() {
        let c = signature_checks("f", "void(f4[:, ::1], f4[:])", "(m,n)->(m)");
        // dims = [outer, m, n]; a's strides m then n.
        assert!(run(&c[0], &[1, 3, 4], &[0, 0, 16, 4, 4]));
        assert!(!run(&c[0], &[1, 3, 4], &[0, 0, 32, 4, 4]));
        let f = signature_checks("f", "void(f4[::1, :], f4[:])", "(m,n)->(m)");
        assert!(run(&f[0], &[1, 3, 4], &[0, 0, 4, 12, 4]));
        assert!(!run(&f[0], &[1, 3, 4], &[0, 0, 16, 4, 4]));
    }

    #[test]
    fn no_promise_no_check() {
        assert!(signature_checks("f", "void(f8[:], f8[:])", "(n)->(n)").is_empty());
        assert!(signature_checks("f", "void(f8[::1], f8[:])", "()->()").is_empty());
    }
}
