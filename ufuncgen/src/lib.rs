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

pub mod aot;
pub mod cache;
pub mod codegen;
pub mod diag;
pub mod ir;
pub mod jit;
pub mod lazy;
pub mod lower;
pub mod math_functions;
pub mod parse;
/// The run-time side (parallel pool, errors, FP flags): its own crate, which AOT modules link.
pub use ufuncgen_runtime as runtime;
pub mod spec;
pub mod types;
pub mod vecmath;
pub mod writes;

pub use diag::{CompileError, ErrorKind, SourceMap, Span};
pub use runtime::errors::take_runtime_error;
pub use spec::{ArgType, FunctionSpec, GlobalValue, KernelSpec, ModuleKind, Options, Signature};
pub use types::Scalar;

use std::sync::atomic::{AtomicU64, Ordering};

pub use ufuncgen_runtime::LoopFn;

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
    compile_ufunc_cached(spec, None).map(|(compiled, _)| compiled)
}

/// `compile_ufunc` through an on-disk cache: each signature's loop is loaded from `cache` when
/// it is there (no lowering, no LLVM passes) and stored after compiling otherwise. Cache
/// trouble never fails the compile: it comes back as warnings.
pub fn compile_ufunc_cached(
    spec: &KernelSpec,
    cache: Option<&cache::Cache>,
) -> Result<(CompiledUfunc, Vec<String>), CompileError> {
    let unique = UNIQUE.fetch_add(1, Ordering::Relaxed);
    let target = codegen::Target::host();
    let (objects, warnings) = vectorize_objects(spec, cache, &target, Naming::Jit(unique))?;
    Ok((link(spec, objects, cache.is_some())?, warnings))
}

/// How loop symbols are named: per process for the JIT (unique, or content-derived when
/// cached), deterministic per CPU level for ahead-of-time modules.
#[derive(Debug, Clone, Copy)]
pub enum Naming<'a> {
    /// JIT: the process-unique number of this compile.
    Jit(u64),
    /// Ahead of time: the CPU level's tag (`"v3"`), so one module holds every level's loops.
    Level(&'a str),
}

impl Naming<'_> {
    fn symbol(self, spec: &KernelSpec, func: &ir::Function, i: usize, tag: Option<u64>) -> String {
        match self {
            Naming::Jit(unique) => codegen::loop_symbol(
                &spec.name,
                func,
                Some(tag.unwrap_or(unique * 1000 + i as u64)),
            ),
            Naming::Level(level) => {
                codegen::loop_symbol(&format!("{}.{level}", spec.name), func, None)
            }
        }
    }
}

/// Every signature's loop of a `vectorize` kernel as an object file for `target`.
pub fn vectorize_objects(
    spec: &KernelSpec,
    cache: Option<&cache::Cache>,
    target: &codegen::Target,
    naming: Naming<'_>,
) -> Result<(Vec<cache::CachedLoop>, Vec<String>), CompileError> {
    let sigs = parse_signatures(spec)?;
    let mut warnings = Vec::new();
    let mut objects = Vec::with_capacity(sigs.len());
    for (i, (sig, text)) in sigs.iter().zip(&spec.signatures).enumerate() {
        let kind = cache::LoopKind::Vectorize;
        objects.push(cached_or_compiled(
            spec,
            text,
            kind,
            cache,
            &mut warnings,
            |tag| {
                let func = lower::lower_kernel(spec, sig)
                    .map_err(|e| parse::at_decorator_string(e, &spec.source, text))?;
                let symbol = naming.symbol(spec, &func, i, tag);
                let code = codegen::compile_loop(&func, &symbol, spec.options, target)
                    .map_err(|e| codegen_error(spec, &func, e))?;
                let inputs = (0..func.params as usize)
                    .map(|i| func.locals[i].ty)
                    .collect();
                Ok(loop_object(
                    spec,
                    text,
                    code,
                    inputs,
                    vec![func.ret],
                    Vec::new(),
                ))
            },
        )?);
    }
    Ok((objects, warnings))
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
    compile_gufunc_cached(spec, layout, writable_args, boundscheck, None).map(|(c, _)| c)
}

/// `compile_gufunc` through an on-disk cache, as `compile_ufunc_cached`.
pub fn compile_gufunc_cached(
    spec: &KernelSpec,
    layout: &str,
    writable_args: &[usize],
    boundscheck: bool,
    cache: Option<&cache::Cache>,
) -> Result<(CompiledUfunc, Vec<String>), CompileError> {
    let unique = UNIQUE.fetch_add(1, Ordering::Relaxed);
    let target = codegen::Target::host();
    let (objects, warnings) = gufunc_objects(
        spec,
        layout,
        writable_args,
        boundscheck,
        cache,
        &target,
        Naming::Jit(unique),
    )?;
    Ok((link(spec, objects, cache.is_some())?, warnings))
}

/// Every signature's loop of a `guvectorize` kernel as an object file for `target`.
pub fn gufunc_objects(
    spec: &KernelSpec,
    layout: &str,
    writable_args: &[usize],
    boundscheck: bool,
    cache: Option<&cache::Cache>,
    target: &codegen::Target,
    naming: Naming<'_>,
) -> Result<(Vec<cache::CachedLoop>, Vec<String>), CompileError> {
    let signature_error =
        |m: String| CompileError::general(ErrorKind::Signature, m, &spec.name, &spec.source);
    // Each error points at the decorator's string it is about (the layout or one signature).
    let about = |text: &str, e: CompileError| parse::at_decorator_string(e, &spec.source, text);
    let parsed = spec::layout::Layout::parse(layout)
        .map_err(signature_error)
        .map_err(|e| about(layout, e))?;
    let nargs = parsed.inputs.len() + parsed.outputs.len();
    if let Some(&bad) = writable_args.iter().find(|&&i| i >= nargs) {
        return Err(about(
            layout,
            signature_error(format!(
                "writable_args names argument {bad}, but the layout \"{parsed}\" has {nargs} arguments"
            )),
        ));
    }
    if spec.signatures.is_empty() {
        return Err(signature_error("at least one signature is required".into()));
    }
    // Parsed on the first cache miss only.
    let kernel = std::cell::OnceCell::new();
    let order = spec::gufunc::dimension_order(&parsed);
    let kind = cache::LoopKind::Gufunc {
        layout,
        writable: writable_args,
        boundscheck,
    };
    let mut warnings = Vec::new();
    let mut objects = Vec::with_capacity(spec.signatures.len());
    for (i, text) in spec.signatures.iter().enumerate() {
        let sig = Signature::parse_gufunc(text)
            .map_err(|m| signature_error(format!("invalid signature {text:?}: {m}")))
            .map_err(|e| about(text, e))?;
        let args = spec::gufunc::bind(&sig, &parsed)
            .map_err(|m| {
                signature_error(format!("signature {text:?} does not fit the layout: {m}"))
            })
            .map_err(|e| about(text, e))?;
        objects.push(cached_or_compiled(
            spec,
            text,
            kind,
            cache,
            &mut warnings,
            |tag| {
                let kernel = match kernel.get() {
                    Some(k) => k,
                    None => {
                        let parsed = parse::parse_kernel(&spec.name, &spec.source)?;
                        kernel.get_or_init(|| parsed)
                    }
                };
                let func = lower::lower_gufunc(spec, kernel, &sig, &args, boundscheck)
                    .map_err(|e| about(text, e))?;
                let cores = core_args(&args, &order);
                let symbol = naming.symbol(spec, &func, i, tag);
                let code =
                    codegen::compile_gufunc_loop(&func, &cores, &symbol, spec.options, target)
                        .map_err(|e| codegen_error(spec, &func, e))?;
                let nin = parsed.inputs.len();
                let dtypes: Vec<Scalar> = cores.iter().map(|c| c.dtype).collect();
                // Inputs NumPy passes read-write: listed in writable_args or stored into.
                let stored = writes::stored_arrays(&func)
                    .into_iter()
                    .filter_map(|id| func.arrays[id.0 as usize].param)
                    .map(|l| l.0 as usize);
                let read_write: std::collections::BTreeSet<usize> = stored
                    .chain(writable_args.iter().copied())
                    .filter(|&i| i < nin)
                    .collect();
                Ok(loop_object(
                    spec,
                    text,
                    code,
                    dtypes[..nin].to_vec(),
                    dtypes[nin..].to_vec(),
                    read_write.into_iter().collect(),
                ))
            },
        )?);
    }
    Ok((objects, warnings))
}

/// A compiled loop as the cache stores it.
fn loop_object(
    spec: &KernelSpec,
    signature: &str,
    code: codegen::LoopCode,
    inputs: Vec<Scalar>,
    outputs: Vec<Scalar>,
    read_write_inputs: Vec<usize>,
) -> cache::CachedLoop {
    cache::CachedLoop {
        kernel: spec.name.clone(),
        filename: spec.source.filename.clone(),
        signature: signature.to_string(),
        symbol: code.symbol,
        inputs,
        outputs,
        read_write_inputs,
        split_anywhere: code.split_anywhere,
        llvm_ir: code.llvm_ir,
        object: code.object,
    }
}

/// One signature's loop: from `cache` when it holds it, else `compile(symbol tag)` (the tag
/// makes cached symbols content-derived, so two processes agree on them) and stored.
fn cached_or_compiled(
    spec: &KernelSpec,
    signature: &str,
    kind: cache::LoopKind<'_>,
    cache: Option<&cache::Cache>,
    warnings: &mut Vec<String>,
    compile: impl FnOnce(Option<u64>) -> Result<cache::CachedLoop, CompileError>,
) -> Result<cache::CachedLoop, CompileError> {
    let Some(cache) = cache else {
        return compile(None);
    };
    let key = cache.key(spec, signature, kind);
    match cache.load(&key) {
        Ok(Some(hit)) => return Ok(hit),
        Ok(None) => {}
        Err(unusable) => warnings.push(unusable.to_string()),
    }
    let fresh = compile(Some(key.symbol_tag()))?;
    if let Err(e) = cache.store(&key, &fresh) {
        warnings.push(format!("{e}; the loop is not cached"));
    }
    Ok(fresh)
}

/// Loads the loops' objects into the JIT and finds their entry points. Objects with
/// content-derived symbols (`shared`: cache on) share code already loaded for them.
fn link(
    spec: &KernelSpec,
    objects: Vec<cache::CachedLoop>,
    shared: bool,
) -> Result<CompiledUfunc, CompileError> {
    let jit_error =
        |m: String| CompileError::general(ErrorKind::Compile, m, &spec.name, &spec.source);
    let code = if shared {
        let parts = objects
            .iter()
            .map(|o| jit::JitCode::load_shared(&o.symbol, &o.object))
            .collect::<Result<Vec<_>, _>>()
            .map_err(jit_error)?;
        jit::JitCode::merge(parts)
    } else {
        jit::JitCode::load(objects.iter().map(|o| o.object.as_slice())).map_err(jit_error)?
    };
    let mut loops = Vec::with_capacity(objects.len());
    for obj in objects {
        let addr = code.lookup(&obj.symbol).map_err(jit_error)?;
        // SAFETY: every loop symbol is emitted by `codegen::compile_loop` or
        // `compile_gufunc_loop` (now or, for a cached one, when it was stored), both with
        // exactly the LoopFn ABI.
        let func: LoopFn = unsafe { std::mem::transmute::<usize, LoopFn>(addr) };
        loops.push(CompiledLoop {
            signature: obj.signature,
            inputs: obj.inputs,
            output: obj.outputs.first().copied().unwrap_or(Scalar::Bool),
            outputs: obj.outputs,
            read_write_inputs: obj.read_write_inputs,
            func,
            llvm_ir: obj.llvm_ir,
            split_anywhere: obj.split_anywhere,
        });
    }
    Ok(CompiledUfunc { loops, code })
}

/// A codegen failure as a `CompileError`: an IR verifier error points at the construct whose
/// IR is broken (in the kernel or the callee it belongs to); other failures name the kernel.
fn codegen_error(spec: &KernelSpec, func: &ir::Function, e: codegen::CodegenError) -> CompileError {
    fn find<'f>(f: &'f ir::Function, name: &str) -> Option<&'f ir::Function> {
        if f.name == name {
            return Some(f);
        }
        f.callees.iter().find_map(|c| find(c, name))
    }
    if let codegen::CodegenError::Verifier(errors) = &e {
        if let Some(first) = errors.0.first() {
            let owner = find(func, &first.function).unwrap_or(func);
            return CompileError::at(
                ErrorKind::Compile,
                e.to_string(),
                &owner.name,
                &owner.origin,
                first.span,
            );
        }
    }
    CompileError::general(ErrorKind::Compile, e.to_string(), &spec.name, &spec.source)
}

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

/// How the loop finds each argument's core sizes (indices into `dimensions[1..]`, in NumPy's
/// order of first appearance) and whether it passes the argument as an array.
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
                let e = CompileError::general(
                    ErrorKind::Signature,
                    format!("invalid signature {s:?}: {m}"),
                    &spec.name,
                    &spec.source,
                );
                parse::at_decorator_string(e, &spec.source, s)
            })
        })
        .collect()
}
