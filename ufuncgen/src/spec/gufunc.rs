//! Matching a `guvectorize` signature with its layout: which arguments are arrays and with how
//! many dimensions, which are inputs and which outputs.

use super::layout::{CoreDim, CoreShape, Layout};
use super::signature::{ArgType, Signature};

/// One argument of a gufunc kernel, as the signature declares it and the layout shapes it.
#[derive(Debug, Clone, PartialEq)]
pub struct GuArg {
    pub ty: ArgType,
    /// Its core dimensions in the layout (`()` is empty).
    pub core: CoreShape,
    /// True for the trailing (output) arguments.
    pub output: bool,
}

impl GuArg {
    /// True when the kernel receives this argument as an array (a `()` core declared as a 1-d
    /// array is a 1-element array, as in Numba).
    pub fn is_array(&self) -> bool {
        matches!(self.ty, ArgType::Array(_))
    }
}

/// Pairs each signature argument with its layout core shape; the error explains a mismatch.
pub fn bind(sig: &Signature, layout: &Layout) -> Result<Vec<GuArg>, String> {
    let (nin, nout) = (layout.inputs.len(), layout.outputs.len());
    if sig.args.len() != nin + nout {
        return Err(format!(
            "the signature has {} argument{} but the layout \"{layout}\" has {nin} input{} and \
             {nout} output{}",
            sig.args.len(),
            plural(sig.args.len()),
            plural(nin),
            plural(nout)
        ));
    }
    let cores = layout.inputs.iter().chain(&layout.outputs);
    let mut args = Vec::with_capacity(sig.args.len());
    for (i, (ty, core)) in sig.args.iter().zip(cores).enumerate() {
        let output = i >= nin;
        let which = if output {
            format!("output {} (argument {i})", i - nin)
        } else {
            format!("input {i}")
        };
        let shown = core_text(core);
        match ty {
            ArgType::Scalar(s) if output => {
                return Err(format!(
                    "{which} is the scalar {s}, but outputs must be arrays (like {s}[:]) \
                     that the kernel writes into"
                ))
            }
            ArgType::Scalar(s) if !core.is_empty() => {
                return Err(format!(
                    "{which} is the scalar {s}, but the layout gives it core dimensions {shown}"
                ))
            }
            ArgType::Array(a)
                if a.ndim as usize != core.len() && !(a.ndim == 1 && core.is_empty()) =>
            {
                return Err(format!(
                    "{which} is a {}-d array, but the layout gives it {} core dimension{} {shown}",
                    a.ndim,
                    core.len(),
                    plural(core.len())
                ))
            }
            _ => {}
        }
        args.push(GuArg {
            ty: *ty,
            core: core.clone(),
            output,
        });
    }
    Ok(args)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn core_text(core: &CoreShape) -> String {
    let dims: Vec<String> = core.iter().map(|d| d.to_string()).collect();
    format!("({})", dims.join(","))
}

/// The distinct core dimensions in NumPy's order of first appearance: the order of the core
/// sizes in a gufunc loop's `dimensions` (frozen sizes count, once per distinct size).
pub fn dimension_order(layout: &Layout) -> Vec<CoreDim> {
    let mut order: Vec<CoreDim> = Vec::new();
    for d in layout.inputs.iter().chain(&layout.outputs).flatten() {
        let seen = order.iter().any(|o| match (o, d) {
            (CoreDim::Named { name: a, .. }, CoreDim::Named { name: b, .. }) => a == b,
            (CoreDim::Fixed(a), CoreDim::Fixed(b)) => a == b,
            _ => false,
        });
        if !seen {
            order.push(d.clone());
        }
    }
    order
}
