//! Loops for lazy (signature-less) kernels: the signature of one loop is made from the dtypes a
//! call brings, then compiled like a written one. One function per kind of kernel compiles one
//! such loop (`compile_lazy_ufunc`, `compile_lazy_gufunc`), so a cache can sit in one place.

use crate::cache::Cache;
use crate::diag::{CompileError, ErrorKind};
use crate::lower;
use crate::parse;
use crate::spec::gufunc;
use crate::spec::layout::Layout;
use crate::spec::signature::{ArrayType, Contiguity};
use crate::spec::{ArgType, KernelSpec, Signature};
use crate::types::{promote, Scalar};
use crate::{compile_gufunc_cached, compile_ufunc_cached, CompiledUfunc};

/// Rounds of output-dtype inference before giving up on a fixed point (a kernel whose stores
/// depend on what it reads back from its outputs needs a second round, rarely a third).
const OUTPUT_ROUNDS: usize = 8;

/// `float64(int8, float64)`: the spelling of a vectorize loop in `inspect_llvm` keys.
pub fn vectorize_signature(inputs: &[Scalar], ret: Option<Scalar>) -> String {
    let args: Vec<&str> = inputs.iter().map(|s| s.name()).collect();
    format!("{}({})", ret.map_or("", Scalar::name), args.join(", "))
}

/// `void(float64[:], int64, float64[:, :])`: the spelling of a gufunc loop.
pub fn gufunc_signature(args: &[ArgType]) -> String {
    let args: Vec<String> = args.iter().map(|a| arg_text(*a)).collect();
    format!("void({})", args.join(", "))
}

fn arg_text(arg: ArgType) -> String {
    match arg {
        ArgType::Scalar(s) => s.name().to_string(),
        ArgType::Array(a) => {
            let dims = vec![":"; a.ndim as usize].join(", ");
            format!("{}[{dims}]", a.dtype.name())
        }
    }
}

fn array(dtype: Scalar, ndim: usize) -> ArgType {
    ArgType::Array(ArrayType {
        dtype,
        ndim: ndim.max(1) as u32,
        contiguity: Contiguity::Any,
    })
}

/// Compiles one `vectorize` loop for these input dtypes; `ret` fixes the output dtype (NumPy's
/// `dtype=`), else the kernel's typing decides it. The loop's signature is the canonical
/// spelling with the return type filled in. With a `cache`, the loop comes from or goes to it
/// (its warnings are returned).
pub fn compile_lazy_ufunc(
    base: &KernelSpec,
    inputs: &[Scalar],
    ret: Option<Scalar>,
    cache: Option<&Cache>,
) -> Result<(CompiledUfunc, Vec<String>), CompileError> {
    let spec = KernelSpec {
        signatures: vec![vectorize_signature(inputs, ret)],
        ..base.clone()
    };
    let (mut compiled, warnings) = compile_ufunc_cached(&spec, cache)?;
    for l in &mut compiled.loops {
        l.signature = vectorize_signature(&l.inputs, Some(l.output));
    }
    Ok((compiled, warnings))
}

/// Compiles one `guvectorize` loop for these input dtypes. Outputs take the dtype in
/// `outputs` where given, else the one the kernel's stores into them have
/// (`gufunc_output_types`). A `()` input is passed as a scalar, or, when the kernel only
/// compiles that way, as a 1-element array (Numba's `x[0]` spelling). `cache` as for
/// `compile_lazy_ufunc`.
#[allow(clippy::too_many_arguments)] // the lazy gufunc's parameters, passed through
pub fn compile_lazy_gufunc(
    base: &KernelSpec,
    layout: &str,
    inputs: &[Scalar],
    outputs: &[Option<Scalar>],
    writable_args: &[usize],
    boundscheck: bool,
    cache: Option<&Cache>,
) -> Result<(CompiledUfunc, Vec<String>), CompileError> {
    let signature_error =
        |m: String| CompileError::general(ErrorKind::Signature, m, &base.name, &base.source);
    let parsed = Layout::parse(layout).map_err(signature_error)?;
    if inputs.len() != parsed.inputs.len() || outputs.len() != parsed.outputs.len() {
        return Err(signature_error(format!(
            "the layout \"{parsed}\" has {} inputs and {} outputs, the call {} and {}",
            parsed.inputs.len(),
            parsed.outputs.len(),
            inputs.len(),
            outputs.len()
        )));
    }
    let scalar_cores = parsed.inputs.iter().any(|c| c.is_empty());
    let first = compile_gufunc_as(
        base,
        &parsed,
        layout,
        inputs,
        outputs,
        false,
        writable_args,
        boundscheck,
        cache,
    );
    match first {
        Err(e) if scalar_cores => compile_gufunc_as(
            base,
            &parsed,
            layout,
            inputs,
            outputs,
            true,
            writable_args,
            boundscheck,
            cache,
        )
        .map_err(|_| e),
        other => other,
    }
}

/// The argument types for these dtypes: inputs with the layout's dimensions (a `()` input a
/// scalar unless `scalar_cores_as_arrays`), outputs always arrays.
fn gufunc_args(
    layout: &Layout,
    inputs: &[Scalar],
    outputs: &[Scalar],
    scalar_cores_as_arrays: bool,
) -> Vec<ArgType> {
    let ins = layout.inputs.iter().zip(inputs).map(|(core, &dtype)| {
        if core.is_empty() && !scalar_cores_as_arrays {
            ArgType::Scalar(dtype)
        } else {
            array(dtype, core.len())
        }
    });
    let outs = layout
        .outputs
        .iter()
        .zip(outputs)
        .map(|(core, &dtype)| array(dtype, core.len()));
    ins.chain(outs).collect()
}

#[allow(clippy::too_many_arguments)] // the lazy gufunc's parameters, passed through
fn compile_gufunc_as(
    base: &KernelSpec,
    layout: &Layout,
    layout_text: &str,
    inputs: &[Scalar],
    outputs: &[Option<Scalar>],
    scalar_cores_as_arrays: bool,
    writable_args: &[usize],
    boundscheck: bool,
    cache: Option<&Cache>,
) -> Result<(CompiledUfunc, Vec<String>), CompileError> {
    let inferred = gufunc_output_types(
        base,
        layout,
        inputs,
        outputs,
        scalar_cores_as_arrays,
        boundscheck,
    )?;
    let args = gufunc_args(layout, inputs, &inferred, scalar_cores_as_arrays);
    let spec = KernelSpec {
        signatures: vec![gufunc_signature(&args)],
        ..base.clone()
    };
    compile_gufunc_cached(&spec, layout_text, writable_args, boundscheck, cache)
}

/// The dtype of each output: the one given, else the promotion of every value the kernel stores
/// into it, found as a fixed point from bool (a kernel may read its outputs back); an output
/// the kernel never stores into element by element gets the inputs' promoted dtype.
#[allow(clippy::too_many_arguments)] // the lazy gufunc's parameters, passed through
fn gufunc_output_types(
    base: &KernelSpec,
    layout: &Layout,
    inputs: &[Scalar],
    fixed: &[Option<Scalar>],
    scalar_cores_as_arrays: bool,
    boundscheck: bool,
) -> Result<Vec<Scalar>, CompileError> {
    let fallback = inputs
        .iter()
        .copied()
        .reduce(promote)
        .unwrap_or(Scalar::F64);
    let mut outs: Vec<Scalar> = fixed.iter().map(|f| f.unwrap_or(Scalar::Bool)).collect();
    if fixed.iter().all(Option::is_some) {
        return Ok(outs);
    }
    let kernel = parse::parse_kernel(&base.name, &base.source)?;
    let nin = inputs.len();
    for _ in 0..OUTPUT_ROUNDS {
        let args = gufunc_args(layout, inputs, &outs, scalar_cores_as_arrays);
        let sig = Signature {
            ret: None,
            args: args.clone(),
        };
        let bound = gufunc::bind(&sig, layout).map_err(|m| {
            CompileError::general(ErrorKind::Signature, m, &base.name, &base.source)
        })?;
        let (_, stores) = lower::lower_gufunc_stores(base, &kernel, &sig, &bound, boundscheck);
        let next: Vec<Scalar> = fixed
            .iter()
            .enumerate()
            .map(|(k, f)| match f {
                Some(t) => *t,
                None => stores
                    .get(nin + k)
                    .copied()
                    .flatten()
                    .map_or(fallback, |t| t.concrete()),
            })
            .collect();
        if next == outs {
            break;
        }
        outs = next;
    }
    Ok(outs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(source: &str) -> KernelSpec {
        KernelSpec::for_tests(source)
    }

    fn outputs(source: &str, layout: &str, inputs: &[Scalar]) -> Vec<Scalar> {
        let parsed = Layout::parse(layout).unwrap();
        let fixed = vec![None; parsed.outputs.len()];
        gufunc_output_types(&spec(source), &parsed, inputs, &fixed, false, true).unwrap()
    }

    #[test]
    fn signature_spellings() {
        assert_eq!(
            vectorize_signature(&[Scalar::I8, Scalar::F64], None),
            "(int8, float64)"
        );
        assert_eq!(
            vectorize_signature(&[Scalar::F32], Some(Scalar::F32)),
            "float32(float32)"
        );
        let args = [
            array(Scalar::F64, 1),
            ArgType::Scalar(Scalar::I64),
            array(Scalar::F32, 2),
        ];
        assert_eq!(
            gufunc_signature(&args),
            "void(float64[:], int64, float32[:, :])"
        );
        assert!(Signature::parse_gufunc(&gufunc_signature(&args)).is_ok());
    }

    #[test]
    fn outputs_follow_the_stores() {
        let sum = "def k(a, out):\n    acc = 0\n    for i in range(a.shape[0]):\n        acc += a[i]\n    out[0] = acc\n";
        // `acc = 0` is an int64 local (as in Numba), so the sum widens.
        assert_eq!(outputs(sum, "(n)->()", &[Scalar::I8]), vec![Scalar::I64]);
        assert_eq!(outputs(sum, "(n)->()", &[Scalar::F32]), vec![Scalar::F64]);
        let first = "def k(a, out):\n    out[0] = a[0]\n    for i in range(a.shape[0]):\n        out[0] += a[i]\n";
        assert_eq!(outputs(first, "(n)->()", &[Scalar::I8]), vec![Scalar::I8]);
        assert_eq!(outputs(first, "(n)->()", &[Scalar::F32]), vec![Scalar::F32]);
        let mean = "def k(a, out):\n    out[0] = 0\n    for i in range(a.shape[0]):\n        out[0] += a[i] / a.shape[0]\n";
        assert_eq!(outputs(mean, "(n)->()", &[Scalar::I16]), vec![Scalar::F64]);
        let flag = "def k(a, out):\n    out[0] = a[0] > 0\n";
        assert_eq!(outputs(flag, "(n)->()", &[Scalar::F32]), vec![Scalar::Bool]);
        let two = "def k(a, lo, hi):\n    lo[0] = a[0]\n    hi[0] = len(a)\n";
        assert_eq!(
            outputs(two, "(n)->(),()", &[Scalar::U8]),
            vec![Scalar::U8, Scalar::I64]
        );
    }

    #[test]
    fn outputs_without_stores_take_the_inputs_type() {
        let none = "def k(a, b, out):\n    pass\n";
        assert_eq!(
            outputs(none, "(n),()->(n)", &[Scalar::I32, Scalar::F32]),
            vec![Scalar::F64]
        );
    }

    #[test]
    fn scalar_cores_fall_back_to_arrays() {
        let indexed =
            "def k(a, x, out):\n    for i in range(a.shape[0]):\n        out[i] = a[i] * x[0]\n";
        let c = compile_lazy_gufunc(
            &spec(indexed),
            "(n),()->(n)",
            &[Scalar::F64, Scalar::F32],
            &[None],
            &[],
            true,
            None,
        )
        .unwrap()
        .0;
        assert_eq!(
            c.loops[0].signature,
            "void(float64[:], float32[:], float64[:])"
        );
        let plain =
            "def k(a, x, out):\n    for i in range(a.shape[0]):\n        out[i] = a[i] * x\n";
        let c = compile_lazy_gufunc(
            &spec(plain),
            "(n),()->(n)",
            &[Scalar::F32, Scalar::I8],
            &[None],
            &[],
            true,
            None,
        )
        .unwrap()
        .0;
        assert_eq!(c.loops[0].signature, "void(float32[:], int8, float32[:])");
        assert_eq!(c.loops[0].outputs, vec![Scalar::F32]);
    }

    #[test]
    fn fixed_outputs_win() {
        let sum = "def k(a, out):\n    out[0] = a[0]\n";
        let c = compile_lazy_gufunc(
            &spec(sum),
            "(n)->()",
            &[Scalar::I8],
            &[Some(Scalar::F64)],
            &[],
            true,
            None,
        )
        .unwrap()
        .0;
        assert_eq!(c.loops[0].outputs, vec![Scalar::F64]);
    }

    #[test]
    fn lazy_vectorize_names_the_return_type() {
        let add = "def k(a, b):\n    return a + b\n";
        let c = compile_lazy_ufunc(&spec(add), &[Scalar::I8, Scalar::F64], None, None)
            .unwrap()
            .0;
        assert_eq!(c.loops[0].signature, "float64(int8, float64)");
        assert_eq!(c.loops[0].outputs, vec![Scalar::F64]);
        let c = compile_lazy_ufunc(
            &spec(add),
            &[Scalar::I8, Scalar::I8],
            Some(Scalar::F32),
            None,
        )
        .unwrap()
        .0;
        assert_eq!(c.loops[0].signature, "float32(int8, int8)");
        let bad = "def k(a, b):\n    return a & b\n";
        let e = compile_lazy_ufunc(&spec(bad), &[Scalar::F64, Scalar::F64], None, None)
            .err()
            .unwrap();
        assert_eq!(e.lineno, 2);
    }
}
