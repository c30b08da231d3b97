//! AST → typed IR: names resolved, types inferred (NEP 50), casts made explicit.
//!
//! One `Lowerer` pass walks the body in source order, typing every expression with the current
//! variable types and emitting IR. Assignments widen the variable types in `infer::TypeState`;
//! when a pass widened anything, its IR is discarded and the body is lowered again, so the IR of
//! the last pass uses the final (unified) types everywhere.
//!
//! Where to change what (front end, then the codegen file that lowers the resulting IR):
//!
//! | construct | lowered in | emitted by |
//! |---|---|---|
//! | `x = ...`, `if`, `while`, `for ... in range`, `return` | `stmt.rs` | `codegen/kernel.rs` |
//! | operators, NumPy promotion, constant folding | `ops.rs` (types in `crate::types`) | `codegen/arith.rs` |
//! | literals, names, attributes, `and`/`or`, `x if c else y` | `expr.rs`, `scope.rs` | `codegen/kernel.rs` |
//! | a conversion between dtypes | `val.rs` | `codegen/cast.rs` |
//! | `math.*`, `np.*`, `cmath.*`, builtins | `builtins.rs` (the call table), `complex.rs` | `codegen/math.rs` |
//! | calls of other kernel-language functions | `calls.rs` | `codegen/kernel.rs` (callees) |
//! | `a[i]`, `a.shape`, array stores (gufuncs) | `array.rs` | `codegen/array_access.rs` |
//! | frozen module-level arrays | `tables.rs` | `codegen/value.rs` (`const_table`), `codegen/array_access.rs` |
//! | `assert`, `raise` | `exceptions.rs` | `codegen/kernel.rs` (`fail_if`) |
//! | `q, r = divmod(a, b)` | `unpack.rs` | (plain IR) |
//! | `for ... in enumerate(a)` / `zip(a, b)`, loop variables read after their loop | `iterate.rs` | `codegen/kernel.rs` |
//! | NumPy ufuncs written in the kernel language (`np.logaddexp`, `np.heaviside`, ...) | `ufunc_src.rs` | as user helpers |
//! | variable types across passes, definite assignment | `infer.rs`, `flow.rs` | — |
//!
//! A new IR node also needs `ir::verify` (its invariants) and the printer in `ir.rs`.

mod array;
mod array_fns;
mod array_src;
mod builtins;
mod calls;
mod complex;
mod elementwise;
mod exceptions;
mod expr;
mod flow;
mod infer;
mod iterate;
mod ops;
mod scope;
mod stmt;
mod tables;
mod ufunc_src;
mod unpack;
mod val;

use crate::diag::{CompileError, ErrorKind, Span};
use crate::ir;
use crate::parse::{self, Body, Kernel};
use crate::spec::gufunc::GuArg;
use crate::spec::{ArgType, KernelSpec, Signature};
use crate::types::{Scalar, Ty};
use flow::Flow;
use infer::TypeState;
use ruff_text_size::TextRange;
use scope::Scope;

/// Upper bound on lowering passes; each pass that continues widened some type, and types widen
/// only a few times, so this is never reached by a real kernel.
const MAX_PASSES: usize = 64;

/// Lowers the kernel in `spec` to typed IR for one signature.
pub fn lower_kernel(spec: &KernelSpec, sig: &Signature) -> Result<ir::Function, CompileError> {
    let kernel = parse::parse_kernel(&spec.name, &spec.source)?;
    lower_parsed(spec, &kernel, sig)
}

/// Lowers an already parsed kernel (parse once, lower once per signature).
pub fn lower_parsed(
    spec: &KernelSpec,
    kernel: &Kernel,
    sig: &Signature,
) -> Result<ir::Function, CompileError> {
    check_arity(spec, kernel, sig)?;
    let mut param_types = Vec::with_capacity(sig.args.len());
    for a in &sig.args {
        match a {
            ArgType::Scalar(s) => param_types.push(*s),
            ArgType::Array(_) => {
                return Err(CompileError::general(
                    ErrorKind::Signature,
                    "array arguments need guvectorize",
                    &spec.name,
                    &spec.source,
                ))
            }
        }
    }
    let callers = [calls::Caller::of(&spec.name, &spec.source)];
    let mode = Mode {
        declared_ret: sig.ret,
        arrays: &[],
        void: false,
        boundscheck: true,
        callers: &callers,
    };
    lower_passes(spec, kernel, &param_types, mode)
}

/// Lowers a gufunc kernel for one signature, its arguments already matched with the layout
/// (`spec::gufunc::bind`). Any input may be stored into; which inputs NumPy must pass
/// read-write (those stored into, found by `crate::writes`, and `writable_args`) is decided
/// by the caller.
pub fn lower_gufunc(
    spec: &KernelSpec,
    kernel: &Kernel,
    sig: &Signature,
    args: &[GuArg],
    boundscheck: bool,
) -> Result<ir::Function, CompileError> {
    lower_gufunc_stores(spec, kernel, sig, args, boundscheck).0
}

/// Lowers a gufunc kernel like `lower_gufunc`, and also returns, per argument, the type of the
/// values the kernel stores into it (None: no element store seen), also when lowering failed:
/// a lazy gufunc infers its outputs' dtypes from them.
pub fn lower_gufunc_stores(
    spec: &KernelSpec,
    kernel: &Kernel,
    sig: &Signature,
    args: &[GuArg],
    boundscheck: bool,
) -> (Result<ir::Function, CompileError>, Vec<Option<Ty>>) {
    let mut stores = vec![None; args.len()];
    if let Err(e) = check_arity(spec, kernel, sig) {
        return (Err(e), stores);
    }
    let mut param_types = Vec::with_capacity(args.len());
    let mut arrays = Vec::new();
    for (i, a) in args.iter().enumerate() {
        match a.ty {
            ArgType::Scalar(s) => param_types.push(s),
            ArgType::Array(t) => {
                param_types.push(t.dtype);
                arrays.push(ir::ArrayDecl {
                    param: Some(ir::Local(i as u32)),
                    name: kernel.params[i].name.clone(),
                    dtype: t.dtype,
                    ndim: t.ndim,
                    // Any input may be stored into (API.md); which ones NumPy must hand over
                    // read-write is decided after lowering (`crate::writes`).
                    writable: true,
                });
            }
        }
    }
    let callers = [calls::Caller::of(&spec.name, &spec.source)];
    let mode = Mode {
        declared_ret: None,
        arrays: &arrays,
        void: true,
        boundscheck,
        callers: &callers,
    };
    let mut state = type_state(kernel, &param_types);
    let result = lower_passes_with(spec, kernel, &param_types, mode, &mut state);
    for (i, slot) in stores.iter_mut().enumerate() {
        *slot = state.stored(i as u32);
    }
    (result, stores)
}

/// A signature must give one type per kernel parameter.
fn check_arity(spec: &KernelSpec, kernel: &Kernel, sig: &Signature) -> Result<(), CompileError> {
    if kernel.params.len() == sig.args.len() {
        return Ok(());
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    Err(CompileError::general(
        ErrorKind::Signature,
        format!(
            "function '{}' takes {} argument{} but the signature gives {}",
            spec.name,
            kernel.params.len(),
            plural(kernel.params.len()),
            sig.args.len()
        ),
        &spec.name,
        &spec.source,
    ))
}

/// What kind of kernel is lowered.
#[derive(Clone, Copy)]
struct Mode<'a> {
    /// The return type the signature declares, if any (`vectorize`).
    declared_ret: Option<Scalar>,
    /// Array parameters.
    arrays: &'a [ir::ArrayDecl],
    /// True for gufunc kernels (results go through output arrays; nothing is returned).
    void: bool,
    boundscheck: bool,
    /// The functions being lowered, outermost first, ending with this one (recursion check).
    callers: &'a [calls::Caller],
}

/// Lowers the body again until the variable types stop widening.
fn lower_passes(
    spec: &KernelSpec,
    kernel: &Kernel,
    param_types: &[Scalar],
    mode: Mode<'_>,
) -> Result<ir::Function, CompileError> {
    let mut state = type_state(kernel, param_types);
    lower_passes_with(spec, kernel, param_types, mode, &mut state)
}

fn type_state(kernel: &Kernel, param_types: &[Scalar]) -> TypeState {
    TypeState::new(
        kernel
            .params
            .iter()
            .map(|p| p.name.as_str())
            .zip(param_types.iter().copied()),
    )
}

fn lower_passes_with(
    spec: &KernelSpec,
    kernel: &Kernel,
    param_types: &[Scalar],
    mode: Mode<'_>,
    state: &mut TypeState,
) -> Result<ir::Function, CompileError> {
    for _ in 0..MAX_PASSES {
        let result = Lowerer::new(spec, kernel, param_types, mode, state).run();
        // An error seen while types were still changing may vanish with the final types.
        if !state.finish_pass(result.is_ok()) {
            return result;
        }
    }
    Err(CompileError::at(
        ErrorKind::Compile,
        "type inference did not converge",
        &spec.name,
        &spec.source,
        kernel.head,
    ))
}

/// One lowering pass over a kernel body.
pub(super) struct Lowerer<'a> {
    spec: &'a KernelSpec,
    kernel: &'a Kernel,
    /// The return type the signature declares, if any.
    declared_ret: Option<Scalar>,
    /// Array variables: the parameters, then the views and local arrays bound so far.
    arrays: Vec<ir::ArrayDecl>,
    /// The array variable each name is bound to now (a name rebound to a scalar leaves).
    array_vars: std::collections::HashMap<String, ir::ArrayId>,
    void: bool,
    /// Set while lowering a call statement, whose callee may return nothing.
    void_call_ok: bool,
    /// How many statement lists enclose the statement being lowered (1: the body itself).
    depth: u32,
    boundscheck: bool,
    callers: &'a [calls::Caller],
    state: &'a mut TypeState,
    scope: Scope,
    flow: Flow,
    /// Frozen module-level arrays read so far in this pass.
    tables: Vec<ir::ConstTable>,
    /// Functions called so far in this pass, one per callee and argument types.
    callees: Vec<ir::Function>,
    callee_keys: Vec<(String, Vec<Scalar>)>,
    /// The number of values a `return a, b` of this (helper) function gives.
    ret_arity: Option<usize>,
    /// Loop variables a loop may have left unbound, with their flags (see `iterate`).
    guards: iterate::Guards,
    /// Variables only a loop binds, not (yet) flagged: a read after the loop asks for a flag.
    loop_bound: Vec<String>,
    /// Statements run at function entry (the guards' flags start false).
    entry_inits: ir::Block,
    /// Set while a whole-array expression is lowered for one element (see `elementwise`).
    elementwise: Option<elementwise::Elementwise>,
}

impl<'a> Lowerer<'a> {
    fn new(
        spec: &'a KernelSpec,
        kernel: &'a Kernel,
        params: &[Scalar],
        mode: Mode<'a>,
        state: &'a mut TypeState,
    ) -> Self {
        let scope = Scope::new(kernel, params);
        let flow = Flow::entry(kernel.params.iter().map(|p| p.name.as_str()));
        Lowerer {
            spec,
            kernel,
            declared_ret: mode.declared_ret,
            arrays: mode.arrays.to_vec(),
            array_vars: mode
                .arrays
                .iter()
                .enumerate()
                .map(|(i, a)| (a.name.clone(), ir::ArrayId(i as u32)))
                .collect(),
            void: mode.void,
            void_call_ok: false,
            depth: 0,
            boundscheck: mode.boundscheck,
            callers: mode.callers,
            state,
            scope,
            flow,
            tables: Vec::new(),
            callees: Vec::new(),
            callee_keys: Vec::new(),
            ret_arity: None,
            guards: Vec::new(),
            loop_bound: Vec::new(),
            entry_inits: Vec::new(),
            elementwise: None,
        }
    }

    fn run(mut self) -> Result<ir::Function, CompileError> {
        let mut body = self.bind_params();
        let entry = body.len();
        match &self.kernel.body {
            Body::Def(stmts) => {
                let stmts = match stmts.first() {
                    Some(ruff_python_ast::Stmt::Expr(e)) if e.value.is_string_literal_expr() => {
                        &stmts[1..]
                    }
                    _ => &stmts[..],
                };
                body.extend(self.block(stmts)?);
                if self.flow.reachable() && !self.is_gufunc() {
                    return Err(self.error(
                        ErrorKind::Typing,
                        "function may not return a value (every path must end in 'return')",
                        self.kernel.head,
                    ));
                }
            }
            Body::Lambda(e) => {
                let span = parse::span(ruff_text_size::Ranged::range(e));
                let value = self.expr(e)?;
                body.push(self.return_stmt(value, span)?);
            }
        }
        let inits = std::mem::take(&mut self.entry_inits);
        body.splice(entry..entry, inits);
        let ret_parts = self.ret_part_types();
        let ret = match self.declared_ret.or(self.state.ret()) {
            Some(t) => t,
            None if !ret_parts.is_empty() => Scalar::Bool,
            None if self.is_gufunc() => Scalar::Bool,
            None => {
                return Err(self.error(
                    ErrorKind::Typing,
                    "function never returns a value",
                    self.kernel.head,
                ))
            }
        };
        Ok(ir::Function {
            name: self.spec.name.clone(),
            params: self.kernel.params.len() as u32,
            locals: self.scope.into_locals(),
            ret,
            ret_parts,
            body,
            arrays: self.arrays,
            void: self.void,
            boundscheck: self.boundscheck,
            origin: self.spec.source.clone(),
            tables: self.tables,
            callees: self.callees,
        })
    }

    /// True when lowering a gufunc kernel (it writes outputs through array parameters).
    fn is_gufunc(&self) -> bool {
        self.void
    }

    /// A compile error of `kind` at `span`.
    fn error(&self, kind: ErrorKind, msg: impl Into<String>, span: Span) -> CompileError {
        CompileError::at(kind, msg, &self.spec.name, &self.spec.source, span)
    }

    fn typing(&self, msg: impl Into<String>, range: TextRange) -> CompileError {
        self.error(ErrorKind::Typing, msg, parse::span(range))
    }

    fn unsupported(&self, msg: impl Into<String>, range: TextRange) -> CompileError {
        self.error(ErrorKind::Unsupported, msg, parse::span(range))
    }

    /// The source text of a node, for messages.
    fn text(&self, range: TextRange) -> &str {
        self.spec
            .source
            .source
            .get(usize::from(range.start())..usize::from(range.end()))
            .unwrap_or("?")
    }
}
