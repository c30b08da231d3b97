//! ufuncgen's compiler: typed Python kernels → LLVM → NumPy ufunc inner loops.
//!
//! The data path reads top to bottom: `spec` (what Python hands over) → `parse` (Python source
//! to AST with spans) → `lower` (names resolved, types inferred, typed `ir`) → `codegen` (LLVM
//! module with the NumPy loop ABI, optimized, emitted as an object) → `jit` (loaded into an ORC
//! JIT; freed when its owner drops). This crate knows nothing of Python objects.

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

pub use diag::{CompileError, ErrorKind, SourceMap, Span};
pub use spec::{GlobalValue, KernelSpec, ModuleKind, Options, Signature};
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
    /// Output dtype.
    pub output: Scalar,
    /// Entry point, valid while the owning `CompiledUfunc::code` lives.
    pub func: LoopFn,
    /// Optimized LLVM IR of this loop's module.
    pub llvm_ir: String,
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
            func: func_ptr,
            llvm_ir: obj.llvm_ir,
        });
    }
    Ok(CompiledUfunc { loops, code })
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
