//! ufuncgen's compiler: typed Python kernels → LLVM → NumPy ufunc inner loops.
//!
//! The data path reads top to bottom: `spec` (what Python hands over) → `parse` (Python source
//! to AST with spans) → `lower` (names resolved, types inferred, typed `ir`) → `codegen` (LLVM
//! module with the NumPy loop ABI, optimized, emitted as an object) → `jit` (loaded into an ORC
//! JIT; freed when its owner drops). This crate knows nothing of Python objects.
//!
//! `compile_ufunc` builds `vectorize` loops; `compile_gufunc` builds `guvectorize` loops (array
//! parameters, NumPy's generalized loop ABI). Loops that hit a run-time error (an index out of
//! range, `int ** negative int`) record it and return; `take_runtime_error` fetches it.

pub mod codegen;
pub mod diag;
pub mod ir;
pub mod jit;
pub mod lower;
pub mod parse;
pub mod runtime;
pub mod spec;
pub mod types;
pub mod vecmath;
pub mod writes;

pub use diag::{CompileError, ErrorKind, SourceMap, Span};
pub use runtime::errors::take_runtime_error;
pub use spec::{ArgType, FunctionSpec, GlobalValue, KernelSpec, ModuleKind, Options, Signature};
pub use types::Scalar;

use std::sync::atomic::{AtomicU64, Ordering};

/// The NumPy inner-loop ABI: `void loop(char **args, npy_intp const *dimensions,
/// npy_intp const *steps, void *data)`.
pub type LoopFn =
    unsafe extern "C" fn(*mut *mut u8, *const isize, *const isize, *mut std::ffi::c_void);

/// One compiled loop of a ufunc, for one signature.
pub struct CompiledLoop {
    /// The signature as the user wrote it (the key of `inspect_llvm`).
    pub signature: String,
    /// Input dtypes, in order.
    pub inputs: Vec<Scalar>,
    /// The first output's dtype (the only one for `vectorize`).
    pub output: Scalar,
    /// Output dtypes, in order.
    pub outputs: Vec<Scalar>,
    /// Entry point, valid while the owning `CompiledUfunc::code` lives.
    pub func: LoopFn,
    /// Optimized LLVM IR of this loop's module.
    pub llvm_ir: String,
    /// See [`codegen::LoopCode::split_anywhere`].
    pub split_anywhere: bool,
    /// Inputs NumPy must pass read-write (the kernel stores into them, see [`writes`], or
    /// `writable_args` lists them); empty for `vectorize`.
    pub read_write_inputs: Vec<usize>,
}

/// All loops of one ufunc and the JIT'ed code they live in.
pub struct CompiledUfunc {
    pub loops: Vec<CompiledLoop>,
    /// Owns the machine code; dropping it frees the code, so keep it as long as the ufunc.
    pub code: jit::JitCode,
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

/// Compiles every signature of a `vectorize` kernel and loads the loops into the JIT.
pub fn compile_ufunc(spec: &KernelSpec) -> Result<CompiledUfunc, CompileError> {
    let sigs = parse_signatures(spec)?;
    let mut functions = Vec::with_capacity(sigs.len());
    for sig in &sigs {
        functions.push(lower::lower_kernel(spec, sig)?);
    }
    let unique = UNIQUE.fetch_add(1, Ordering::Relaxed);
    let mut objects = Vec::with_capacity(functions.len());
    for (i, func) in functions.iter().enumerate() {
        let symbol = codegen::loop_symbol(&spec.name, func, Some(unique * 1000 + i as u64));
        let code = codegen::compile_loop(func, &symbol, spec.options, &codegen::Target::host())
            .map_err(|m| CompileError::general(ErrorKind::Compile, m, &spec.name, &spec.source))?;
        objects.push(code);
    }
    let code = jit::JitCode::load(objects.iter().map(|o| o.object.as_slice()))
        .map_err(|m| CompileError::general(ErrorKind::Compile, m, &spec.name, &spec.source))?;
    let mut loops = Vec::with_capacity(objects.len());
    for ((text, func), obj) in spec.signatures.iter().zip(&functions).zip(objects) {
        let addr = code
            .lookup(&obj.symbol)
            .map_err(|m| CompileError::general(ErrorKind::Compile, m, &spec.name, &spec.source))?;
        // SAFETY: the symbol was emitted by `codegen::compile_loop` with exactly the LoopFn ABI.
        let func_ptr: LoopFn = unsafe { std::mem::transmute::<usize, LoopFn>(addr) };
        loops.push(CompiledLoop {
            signature: text.clone(),
            inputs: (0..func.params as usize)
                .map(|i| func.locals[i].ty)
                .collect(),
            output: func.ret,
            outputs: vec![func.ret],
            func: func_ptr,
            llvm_ir: obj.llvm_ir,
            split_anywhere: obj.split_anywhere,
            read_write_inputs: Vec::new(),
        });
    }
    Ok(CompiledUfunc { loops, code })
}

/// Compiles every signature of a `guvectorize` kernel with its layout (`"(m,n),(n)->(m)"`).
/// `writable_args` are parameter indices of inputs NumPy passes read-write even when the kernel
/// does not store into them (Numba's option; stored-into inputs are read-write anyway); `boundscheck`
/// makes out-of-range indices raise IndexError (else they are the caller's promise).
/// Each loop has NumPy's generalized loop ABI.
pub fn compile_gufunc(
    spec: &KernelSpec,
    layout: &str,
    writable_args: &[usize],
    boundscheck: bool,
) -> Result<CompiledUfunc, CompileError> {
    let signature_error =
        |m: String| CompileError::general(ErrorKind::Signature, m, &spec.name, &spec.source);
    let parsed = spec::layout::Layout::parse(layout).map_err(signature_error)?;
    let nargs = parsed.inputs.len() + parsed.outputs.len();
    if let Some(&bad) = writable_args.iter().find(|&&i| i >= nargs) {
        return Err(signature_error(format!(
            "writable_args names argument {bad}, but the layout \"{parsed}\" has {nargs} arguments"
        )));
    }
    if spec.signatures.is_empty() {
        return Err(signature_error("at least one signature is required".into()));
    }
    let kernel = parse::parse_kernel(&spec.name, &spec.source)?;
    let order = spec::gufunc::dimension_order(&parsed);
    let unique = UNIQUE.fetch_add(1, Ordering::Relaxed);
    let mut compiled = Vec::with_capacity(spec.signatures.len());
    for (i, text) in spec.signatures.iter().enumerate() {
        let sig = Signature::parse_gufunc(text)
            .map_err(|m| signature_error(format!("invalid signature {text:?}: {m}")))?;
        let args = spec::gufunc::bind(&sig, &parsed).map_err(|m| {
            signature_error(format!("signature {text:?} does not fit the layout: {m}"))
        })?;
        let func = lower::lower_gufunc(spec, &kernel, &sig, &args, writable_args, boundscheck)?;
        let cores = core_args(&args, &order);
        let symbol = codegen::loop_symbol(&spec.name, &func, Some(unique * 1000 + i as u64));
        let code = codegen::compile_gufunc_loop(
            &func,
            &cores,
            &symbol,
            spec.options,
            &codegen::Target::host(),
        )
        .map_err(|m| CompileError::general(ErrorKind::Compile, m, &spec.name, &spec.source))?;
        let dtypes: Vec<Scalar> = cores.iter().map(|c| c.dtype).collect();
        let nin = parsed.inputs.len();
        let read_write: Vec<usize> = func
            .arrays
            .iter()
            .filter(|a| a.writable && (a.param.0 as usize) < nin)
            .map(|a| a.param.0 as usize)
            .collect();
        compiled.push((text.clone(), dtypes, nin, read_write, code));
    }
    let code = jit::JitCode::load(compiled.iter().map(|c| c.4.object.as_slice()))
        .map_err(|m| CompileError::general(ErrorKind::Compile, m, &spec.name, &spec.source))?;
    let mut loops = Vec::with_capacity(compiled.len());
    for (signature, dtypes, nin, read_write_inputs, obj) in compiled {
        let addr = code
            .lookup(&obj.symbol)
            .map_err(|m| CompileError::general(ErrorKind::Compile, m, &spec.name, &spec.source))?;
        // SAFETY: the symbol was emitted by `codegen::compile_gufunc_loop` with the LoopFn ABI.
        let func: LoopFn = unsafe { std::mem::transmute::<usize, LoopFn>(addr) };
        let outputs = dtypes[nin..].to_vec();
        loops.push(CompiledLoop {
            signature,
            inputs: dtypes[..nin].to_vec(),
            output: outputs.first().copied().unwrap_or(Scalar::Bool),
            outputs,
            func,
            llvm_ir: obj.llvm_ir,
            split_anywhere: obj.split_anywhere,
            read_write_inputs,
        });
    }
    Ok(CompiledUfunc { loops, code })
}

/// How the loop finds each argument's core sizes (indices into `dimensions[1..]`, in NumPy's
/// order of first appearance) and whether it passes the argument as an array.
/// For each operand of a gufunc layout (inputs, then outputs), the indices into the loop's
/// `dimensions` (1 and up) of its core axes, in order: what the parallel target needs to know
/// which bytes one outer iteration touches.
pub fn layout_core_axes(layout: &str) -> Result<Vec<Vec<usize>>, String> {
    let parsed = spec::layout::Layout::parse(layout)?;
    let order = spec::gufunc::dimension_order(&parsed);
    parsed
        .inputs
        .iter()
        .chain(&parsed.outputs)
        .map(|shape| {
            shape
                .iter()
                .map(|d| {
                    order
                        .iter()
                        .position(|o| o == d)
                        .map(|k| k + 1)
                        .ok_or_else(|| format!("core dimension {d} missing from {parsed}"))
                })
                .collect()
        })
        .collect()
}

fn core_args(
    args: &[spec::gufunc::GuArg],
    order: &[spec::layout::CoreDim],
) -> Vec<codegen::CoreArg> {
    use spec::layout::CoreDim;
    args.iter()
        .map(|a| {
            let dims = a
                .core
                .iter()
                .map(|d| match d {
                    CoreDim::Fixed(n) => codegen::CoreSize::Fixed(*n as u64),
                    CoreDim::Named { name, .. } => {
                        let k = order
                            .iter()
                            .position(|o| matches!(o, CoreDim::Named { name: m, .. } if m == name))
                            .unwrap_or(0);
                        codegen::CoreSize::Dim(k)
                    }
                })
                .collect();
            let (dtype, array) = match a.ty {
                ArgType::Scalar(s) => (s, false),
                ArgType::Array(t) => (t.dtype, true),
            };
            codegen::CoreArg { dtype, dims, array }
        })
        .collect()
}

/// NumPy's normalized form of a layout, as `ufunc.signature` reports it (`"(m,n),(n)->(m)"`);
/// an unparsable layout comes back without its whitespace.
pub fn layout_signature(layout: &str) -> String {
    match spec::layout::Layout::parse(layout) {
        Ok(l) => l.to_string(),
        Err(_) => layout.chars().filter(|c| !c.is_whitespace()).collect(),
    }
}

/// Parses every signature string, mapping failures to `SignatureError`s that name the function.
pub fn parse_signatures(spec: &KernelSpec) -> Result<Vec<Signature>, CompileError> {
    if spec.signatures.is_empty() {
        return Err(CompileError::general(
            ErrorKind::Signature,
            "at least one signature is required",
            &spec.name,
            &spec.source,
        ));
    }
    spec.signatures
        .iter()
        .map(|s| {
            Signature::parse(s).map_err(|m| {
                CompileError::general(
                    ErrorKind::Signature,
                    format!("invalid signature {s:?}: {m}"),
                    &spec.name,
                    &spec.source,
                )
            })
        })
        .collect()
}
