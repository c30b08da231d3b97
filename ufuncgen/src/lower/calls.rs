//! Calls of other kernel-language functions: each callee is lowered on its own (its own
//! source, globals and errors) for the argument types of the call site, and codegen inlines it.

use super::array::ArrayVal;
use super::val::{mk, Val};
use super::{lower_passes, Lowerer, Mode};
use crate::diag::{CompileError, SourceMap};
use crate::ir::{self, CalleeId, ExprKind, StmtKind};
use crate::parse;
use crate::spec::{ArgType, Signature};
use crate::spec::{FunctionSpec, KernelSpec};
use crate::types::{Kind, Scalar, Ty, Weak};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::TextRange;

/// An argument of a call of a kernel-language function.
pub(super) enum CallArg {
    Scalar(Val),
    /// An array or view: the callee works on the same memory.
    Array(ArrayVal),
}

/// A function on the chain of calls being lowered: its identity (name, file, first line) and
/// its name for messages.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    key: String,
    name: String,
}

impl Caller {
    /// The identity of the function `name` whose source is `source`.
    pub fn of(name: &str, source: &SourceMap) -> Caller {
        Caller {
            key: format!("{name}\u{0}{}\u{0}{}", source.filename, source.first_line),
            name: name.to_string(),
        }
    }
}

impl Lowerer<'_> {
    /// Lowers `f(args)` for a kernel-language function `f`.
    pub(super) fn call_function(
        &mut self,
        f: &FunctionSpec,
        args: Vec<CallArg>,
        range: TextRange,
    ) -> Result<Val, CompileError> {
        let void_ok = std::mem::replace(&mut self.void_call_ok, false);
        let (id, exprs, declared) = self.lower_call(f, args, range)?;
        let callee = &self.callees[id.0 as usize];
        if callee.void && !void_ok {
            return Err(self.typing(
                format!(
                    "{}() returns nothing (None); call it as a statement",
                    f.name
                ),
                range,
            ));
        }
        if !callee.ret_parts.is_empty() {
            let n = callee.ret_parts.len();
            return Err(self.unsupported(
                format!(
                    "{}() returns a tuple of {n} values, which kernels can only unpack: \
                     a, b = {}(...)",
                    f.name, f.name
                ),
                range,
            ));
        }
        let call = mk(ExprKind::CallFunction(id, exprs), callee.ret, range);
        // A typed function returns its signature's type, as the ufunc's loop would.
        match declared {
            Some(t) if t != call.ty => Ok(Val::strong(super::val::cast(call, t))),
            _ => Ok(Val::strong(call)),
        }
    }

    /// The parameter types of the first of `f`'s signatures the arguments reach: an exact
    /// match first, else safe casts (Python literals reach any type of their kind or above),
    /// as NumPy picks a ufunc's loop; and its return type.
    fn pick_signature(
        &self,
        f: &FunctionSpec,
        args: &[&Val],
        range: TextRange,
    ) -> Result<(Vec<Scalar>, Option<Scalar>), CompileError> {
        let scalars = |sig: &Signature| -> Option<Vec<Scalar>> {
            sig.args
                .iter()
                .map(|a| match a {
                    ArgType::Scalar(s) => Some(*s),
                    ArgType::Array(_) => None,
                })
                .collect()
        };
        let candidates: Vec<(Vec<Scalar>, Option<Scalar>)> = f
            .signatures
            .iter()
            .filter_map(|s| scalars(s).map(|p| (p, s.ret)))
            .filter(|(p, _)| p.len() == args.len())
            .collect();
        let exact = candidates.iter().find(|(p, _)| {
            p.iter()
                .zip(args)
                .all(|(&t, a)| matches!(a.ty, Ty::Strong(s) if s == t))
        });
        let reach = |t: Scalar, a: &Val| match a.ty {
            Ty::Strong(s) => s.can_cast_safely(t),
            Ty::Weak(w) => {
                let need = match w {
                    Weak::Int => Kind::Int,
                    Weak::Float => Kind::Float,
                    Weak::Complex => Kind::Complex,
                };
                t.kind() >= need
            }
        };
        let found = exact.or_else(|| {
            candidates
                .iter()
                .find(|(p, _)| p.iter().zip(args).all(|(&t, a)| reach(t, a)))
        });
        found.cloned().ok_or_else(|| {
            let given: Vec<String> = args.iter().map(|a| a.ty.to_string()).collect();
            let have: Vec<String> = f.signatures.iter().map(show_signature).collect();
            self.typing(
                format!(
                    "{}() has no signature for arguments ({}); it has {}",
                    f.name,
                    given.join(", "),
                    have.join(", ")
                ),
                range,
            )
        })
    }

    /// `a, b = f(args)` for a kernel-language function returning a tuple: the call, with its
    /// parts assigned to fresh temporaries, and those temporaries (as values).
    pub(super) fn call_unpack(
        &mut self,
        f: &FunctionSpec,
        args: Vec<CallArg>,
        want: usize,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<Vec<Val>, CompileError> {
        let (id, exprs, _) = self.lower_call(f, args, range)?;
        let parts = self.callees[id.0 as usize].ret_parts.clone();
        if parts.len() != want {
            let what = match parts.len() {
                0 => "one value".to_string(),
                n => format!("a tuple of {n} values"),
            };
            return Err(self.typing(
                format!("{}() returns {what} but {want} names are unpacked", f.name),
                range,
            ));
        }
        let dsts: Vec<_> = parts.iter().map(|&t| self.scope.temp("r", t)).collect();
        let vals = dsts
            .iter()
            .zip(&parts)
            .map(|(&l, &t)| Val::local(l, t, range))
            .collect();
        out.push(ir::Stmt {
            kind: StmtKind::CallUnpack {
                callee: id,
                args: exprs,
                dsts,
            },
            span: parse::span(range),
        });
        Ok(vals)
    }

    /// The callee lowered for the argument types of this call (once per types; for a typed
    /// function, those of the signature they reach), the arguments converted to them, and the
    /// signature's return type.
    fn lower_call(
        &mut self,
        f: &FunctionSpec,
        args: Vec<CallArg>,
        range: TextRange,
    ) -> Result<(CalleeId, Vec<crate::ir::Expr>, Option<Scalar>), CompileError> {
        let me = Caller::of(&f.name, &f.source);
        if let Some(pos) = self.callers.iter().position(|c| c.key == me.key) {
            let cycle: Vec<&str> = self.callers[pos..]
                .iter()
                .map(|c| c.name.as_str())
                .chain([f.name.as_str()])
                .collect();
            return Err(self.unsupported(
                format!(
                    "recursion is not supported in kernels: {}",
                    cycle.join(" -> ")
                ),
                range,
            ));
        }
        let scalars: Option<Vec<&Val>> = args
            .iter()
            .map(|a| match a {
                CallArg::Scalar(v) => Some(v),
                CallArg::Array(_) => None,
            })
            .collect();
        // A typed function (njit signature, ufuncgen ufunc) takes scalars only.
        let (types, declared) = match scalars {
            Some(vals) if !f.signatures.is_empty() => self.pick_signature(f, &vals, range)?,
            _ => (
                args.iter()
                    .map(|a| match a {
                        CallArg::Scalar(v) => v.ty.concrete(),
                        CallArg::Array(a) => a.dtype,
                    })
                    .collect(),
                None,
            ),
        };
        // Array parameters: (position, dtype, ndim, writable); part of the specialisation.
        let arrays: Vec<ir::ArrayDecl> = args
            .iter()
            .enumerate()
            .filter_map(|(i, a)| match a {
                CallArg::Array(a) => Some(ir::ArrayDecl {
                    param: Some(ir::Local(i as u32)),
                    name: String::new(),
                    dtype: a.dtype,
                    ndim: a.ndim,
                    writable: a.writable,
                }),
                CallArg::Scalar(_) => None,
            })
            .collect();
        let mut key_text = me.key.clone();
        for a in &arrays {
            let p = a.param.map_or(0, |l| l.0);
            key_text.push_str(&format!("\u{0}{p}:{}:{}:{}", a.dtype, a.ndim, a.writable));
        }
        let key = (key_text, types.clone());
        let id = match self.callee_keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                let func = self.lower_callee(f, me, &types, arrays, args.len(), range)?;
                self.callees.push(func);
                self.callee_keys.push(key);
                self.callees.len() - 1
            }
        };
        let exprs = args
            .into_iter()
            .zip(&types)
            .map(|(a, &t)| match a {
                CallArg::Scalar(v) => self.coerce(v, t),
                CallArg::Array(a) => Ok(mk(ExprKind::Array(a.expr), a.dtype, range)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((CalleeId(id as u32), exprs, declared))
    }

    /// An argument of a call of a kernel-language function.
    pub(super) fn call_arg(&mut self, e: &Expr) -> Result<CallArg, CompileError> {
        if self.elementwise.is_some() {
            // An array operand of a ufunc applied element by element: its element.
            if let Some(v) = self.elementwise_leaf(e)? {
                return Ok(CallArg::Scalar(v));
            }
        }
        Ok(match self.array_of(e)? {
            Some(a) => CallArg::Array(a),
            None => CallArg::Scalar(self.expr(e)?),
        })
    }

    /// True when `c` calls a kernel-language function.
    pub(super) fn is_user_call(&self, c: &ast::ExprCall) -> bool {
        self.user_function(&c.func).is_some()
    }

    /// `f(args)` as a statement: kept for what it stores into arrays (its value is dropped).
    pub(super) fn call_stmt(
        &mut self,
        c: &ast::ExprCall,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        let range = ruff_text_size::Ranged::range(c);
        self.void_call_stmt(|this| this.expr(&Expr::Call(c.clone())), range, out)
    }

    /// A call (lowered by `call`, which may return nothing) as a statement: its value goes to
    /// a temporary nobody reads, so the call stays for what it stores.
    pub(super) fn void_call_stmt(
        &mut self,
        call: impl FnOnce(&mut Self) -> Result<Val, CompileError>,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        self.void_call_ok = true;
        let v = call(self);
        self.void_call_ok = false;
        let v = v?;
        let t = v.ty.concrete();
        let tmp = self.scope.temp("call", t);
        let value = self.coerce(v, t)?;
        out.push(ir::Stmt {
            kind: ir::StmtKind::Assign { dst: tmp, value },
            span: parse::span(range),
        });
        Ok(())
    }

    /// The callee's typed IR for parameter types `types`.
    fn lower_callee(
        &self,
        f: &FunctionSpec,
        me: Caller,
        types: &[Scalar],
        mut arrays: Vec<ir::ArrayDecl>,
        given: usize,
        range: TextRange,
    ) -> Result<crate::ir::Function, CompileError> {
        let spec = KernelSpec {
            name: f.name.clone(),
            source: f.source.clone(),
            signatures: Vec::new(),
            globals: f.globals.clone(),
            options: self.spec.options,
        };
        let kernel = parse::parse_kernel(&spec.name, &spec.source)?;
        if kernel.params.len() != given {
            let want = kernel.params.len();
            let s = if want == 1 { "" } else { "s" };
            return Err(self.typing(
                format!("{}() takes {want} argument{s} ({given} given)", f.name),
                range,
            ));
        }
        for a in arrays.iter_mut() {
            let i = a.param.map_or(0, |l| l.0 as usize);
            a.name = kernel
                .params
                .get(i)
                .map_or(String::new(), |p| p.name.clone());
        }
        let callers: Vec<Caller> = self.callers.iter().cloned().chain([me]).collect();
        let void = match &kernel.body {
            parse::Body::Def(stmts) => !returns_value(stmts),
            parse::Body::Lambda(_) => false,
        };
        let mode = Mode {
            declared_ret: None,
            arrays: &arrays,
            void,
            boundscheck: self.boundscheck,
            callers: &callers,
        };
        lower_passes(&spec, &kernel, types, mode)
    }
}

/// Whether any `return value` occurs in a statement list (a function without one returns None).
fn returns_value(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Return(r) => r.value.is_some(),
        Stmt::If(i) => {
            returns_value(&i.body) || i.elif_else_clauses.iter().any(|c| returns_value(&c.body))
        }
        Stmt::For(f) => returns_value(&f.body) || returns_value(&f.orelse),
        Stmt::While(w) => returns_value(&w.body) || returns_value(&w.orelse),
        _ => false,
    })
}

/// `ret(args)` as a user writes a signature.
fn show_signature(s: &Signature) -> String {
    let args: Vec<String> = s
        .args
        .iter()
        .map(|a| match a {
            ArgType::Scalar(t) => t.to_string(),
            ArgType::Array(a) => format!("{}[{}]", a.dtype, vec![":"; a.ndim as usize].join(", ")),
        })
        .collect();
    let ret = s.ret.map(|t| t.to_string()).unwrap_or_default();
    format!("'{ret}({})'", args.join(", "))
}
