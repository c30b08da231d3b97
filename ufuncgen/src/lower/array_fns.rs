//! NumPy's functions of 1-d arrays: those giving a scalar (`np.argmin`, `np.var`,
//! `np.searchsorted`, `np.dot`, `np.interp`, `np.linalg.norm`, ...) anywhere in an expression,
//! those giving an array (`np.cumsum`, `np.sort`, `np.argsort`, `np.arange`, `np.linspace`,
//! `np.convolve`, the window functions) as the value bound to a name, which becomes a local
//! array, and `a.sort()` in place. Each inlines a helper written in the kernel language
//! (`array_src`); what NumPy checks before it starts (an empty array, lengths that differ, a
//! zero step) is a guard at the call, so the error names the kernel's line.

use super::array::ArrayVal;
use super::array_src::*;
use super::calls::CallArg;
use super::val::int;
use super::val::{mk, Val};
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, ArrayExpr, BinaryOp, CmpOp, Const, Exception, ExprKind, StmtKind};
use crate::parse;
use crate::spec::{FunctionSpec, GlobalValue};
use crate::types::{promote, Kind, Scalar};
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextRange};

/// A call's arguments by parameter name, after matching positions and keywords.
struct Args<'e> {
    slots: Vec<Option<&'e Expr>>,
}

impl<'e> Args<'e> {
    fn get(&self, i: usize) -> Option<&'e Expr> {
        self.slots.get(i).copied().flatten()
    }
}

/// The helper `name` written as `text`, which may call the helpers `callees`.
fn helper(name: &str, text: &str, callees: &[(&str, &str)]) -> FunctionSpec {
    let mut spec = super::ufunc_src::spec(name, text);
    for &(n, t) in callees {
        spec.globals.push((
            n.to_string(),
            GlobalValue::Function(Box::new(super::ufunc_src::spec(n, t))),
        ));
    }
    spec
}

fn cmp(op: CmpOp, a: ir::Expr, b: ir::Expr, range: TextRange) -> ir::Expr {
    mk(
        ExprKind::Compare(op, Box::new(a), Box::new(b)),
        Scalar::Bool,
        range,
    )
}

/// `value`, after raising `exception(message)` unless `ok`.
pub(super) fn guarded(
    ok: ir::Expr,
    exception: Exception,
    message: &str,
    value: ir::Expr,
) -> ir::Expr {
    let (ty, span) = (value.ty, value.span);
    ir::Expr {
        kind: ExprKind::Guarded {
            ok: Box::new(ok),
            exception,
            message: message.to_string(),
            value: Box::new(value),
        },
        ty,
        span,
    }
}

/// The type NumPy computes a mean or variance of `t` in.
fn inexact(t: Scalar) -> Scalar {
    match t.kind() {
        Kind::Float | Kind::Complex => t,
        _ => Scalar::F64,
    }
}

/// The type of NumPy's `cumsum`/`cumprod` of `t`: small integers and bools accumulate in
/// int64 (uint64 for unsigned), floats and complex in their own type.
fn accumulated(t: Scalar) -> Scalar {
    match t.kind() {
        Kind::Bool => Scalar::I64,
        Kind::Int if t.is_unsigned() => Scalar::U64,
        Kind::Int => Scalar::I64,
        _ => t,
    }
}

impl Lowerer<'_> {
    /// The function a call names, as `numpy.<name>` / `numpy.linalg.<name>`, or a method of an
    /// array value (then the array is the call's first argument).
    pub(super) fn array_callee<'e>(
        &mut self,
        c: &'e ast::ExprCall,
    ) -> Result<Option<(String, Vec<&'e Expr>)>, CompileError> {
        let args: Vec<&Expr> = c.arguments.args.iter().collect();
        if let Expr::Attribute(a) = &*c.func {
            if let Expr::Attribute(inner) = &*a.value {
                if inner.attr.id.as_str() == "linalg"
                    && self.module_of(&inner.value) == Some(crate::spec::ModuleKind::Numpy)
                {
                    return Ok(Some((format!("numpy.linalg.{}", a.attr.id), args)));
                }
            }
            if self.module_of(&a.value).is_none() && self.array_of(&a.value)?.is_some() {
                let mut with_self = vec![&*a.value];
                with_self.extend(args);
                return Ok(Some((format!("method.{}", a.attr.id), with_self)));
            }
        }
        Ok(self.qualified(&c.func).map(|q| (q, args)))
    }

    /// Matches positional and keyword arguments to `params`; `required` leading ones must be
    /// given; anything else is refused by name.
    fn array_fn_args<'e>(
        &self,
        shown: &str,
        params: &[&str],
        required: usize,
        positional: Vec<&'e Expr>,
        c: &'e ast::ExprCall,
    ) -> Result<Args<'e>, CompileError> {
        if positional.len() > params.len() {
            return Err(self.unsupported(
                format!("{shown}() takes only {} in kernels", params.join(", ")),
                c.range(),
            ));
        }
        let mut slots: Vec<Option<&Expr>> = vec![None; params.len()];
        for (slot, e) in slots.iter_mut().zip(positional) {
            *slot = Some(e);
        }
        for k in c.arguments.keywords.iter() {
            let name = k.arg.as_ref().map(|a| a.as_str()).unwrap_or("**");
            let Some(i) = params.iter().position(|p| *p == name) else {
                return Err(self.unsupported(
                    format!(
                        "{shown}() takes only {} in kernels, not '{name}'",
                        params.join(", ")
                    ),
                    k.range,
                ));
            };
            if slots[i].replace(&k.value).is_some() {
                return Err(self.typing(
                    format!("{shown}() got multiple values for argument '{name}'"),
                    k.range,
                ));
            }
        }
        if let Some(missing) = (0..required).find(|&i| slots[i].is_none()) {
            return Err(self.typing(
                format!("{shown}() missing required argument '{}'", params[missing]),
                c.range(),
            ));
        }
        Ok(Args { slots })
    }

    /// A 1-d array argument.
    fn vector_arg(&mut self, shown: &str, e: &Expr, what: &str) -> Result<ArrayVal, CompileError> {
        let Some(a) = self.array_of(e)? else {
            return Err(self.typing(
                format!("{shown}() needs an array for '{what}' in kernels"),
                e.range(),
            ));
        };
        if a.ndim != 1 {
            return Err(self.unsupported(
                format!(
                    "{shown}() of a {}-d array is not supported in kernels: pass 1-d arrays \
                     (a row such as a[i] is one)",
                    a.ndim
                ),
                e.range(),
            ));
        }
        Ok(a)
    }

    fn no_complex_array(
        &self,
        shown: &str,
        a: &ArrayVal,
        range: TextRange,
    ) -> Result<(), CompileError> {
        if a.dtype.is_complex() {
            return Err(self.unsupported(
                format!("{shown}() of a complex array is not supported in kernels"),
                range,
            ));
        }
        Ok(())
    }

    /// A constant string argument (`side="right"`).
    fn const_str<'e>(&self, shown: &str, e: &'e Expr) -> Result<&'e str, CompileError> {
        match e {
            Expr::StringLiteral(s) => Ok(s.value.to_str()),
            _ => Err(self.unsupported(
                format!("{shown}() needs a constant string here in kernels"),
                e.range(),
            )),
        }
    }

    /// A constant bool argument (`endpoint=False`).
    fn const_bool(&mut self, shown: &str, e: &Expr) -> Result<bool, CompileError> {
        let v = self.expr(e)?;
        match v.as_const() {
            Some(Const::Bool(b)) => Ok(b),
            Some(Const::Int(i)) => Ok(i != 0),
            _ => Err(self.unsupported(
                format!("{shown}() needs a constant True or False here in kernels"),
                e.range(),
            )),
        }
    }

    /// An integer argument as int64.
    fn int_arg(&mut self, shown: &str, e: &Expr) -> Result<ir::Expr, CompileError> {
        let v = self.expr(e)?;
        if v.kind() > Kind::Int {
            return Err(self.typing(
                format!("{shown}() needs an integer here, not {}", v.ty),
                e.range(),
            ));
        }
        self.coerce(v, Scalar::I64)
    }

    fn len_of(&self, a: &ArrayVal, range: TextRange) -> ir::Expr {
        mk(ExprKind::Shape(a.expr.clone(), 0), Scalar::I64, range)
    }

    fn zero_of(&self, t: Scalar, range: TextRange) -> CallArg {
        CallArg::Scalar(Val::strong(mk(
            ExprKind::Const(super::val::zero(t)),
            t,
            range,
        )))
    }

    /// `np.argmin(a)` and the other functions of arrays that give a scalar (`None`: the call
    /// is something else).
    pub(super) fn array_function(
        &mut self,
        c: &ast::ExprCall,
    ) -> Result<Option<Val>, CompileError> {
        let Some((name, positional)) = self.array_callee(c)? else {
            return Ok(None);
        };
        let range = c.range();
        let short = name.rsplit('.').next().unwrap_or(&name).to_string();
        let shown = if name.starts_with("method.") {
            format!("a.{short}")
        } else {
            format!("np.{}", name.trim_start_matches("numpy."))
        };
        match name.as_str() {
            "numpy.argmin" | "numpy.argmax" | "numpy.nanargmin" | "numpy.nanargmax"
            | "method.argmin" | "method.argmax" => {
                let args = self.array_fn_args(&shown, &["a"], 1, positional, c)?;
                let a = self.vector_arg(&shown, args.get(0).unwrap_or(&c.func), "a")?;
                self.no_complex_array(&shown, &a, range)?;
                let nan = short.starts_with("nan") && a.dtype.is_float();
                let (fname, text) = match (short.trim_start_matches("nan"), nan) {
                    ("argmin", false) => ("argmin", ARGMIN),
                    ("argmax", false) => ("argmax", ARGMAX),
                    ("argmin", true) => ("nanargmin", NANARGMIN),
                    _ => ("nanargmax", NANARGMAX),
                };
                let call = self.call_function(
                    &helper(fname, text, &[]),
                    vec![CallArg::Array(a.clone())],
                    range,
                )?;
                let mut value = call.expr;
                if nan {
                    let k = self.scope.temp("argk", Scalar::I64);
                    let read = mk(ExprKind::Local(k), Scalar::I64, range);
                    let ok = cmp(CmpOp::Ge, read.clone(), int(0, range), range);
                    let body =
                        guarded(ok, Exception::ValueError, "All-NaN slice encountered", read);
                    value = mk(
                        ExprKind::Let {
                            local: k,
                            value: Box::new(value),
                            body: Box::new(body),
                        },
                        Scalar::I64,
                        range,
                    );
                }
                let base = short.trim_start_matches("nan");
                let nonempty = cmp(CmpOp::Gt, self.len_of(&a, range), int(0, range), range);
                let message = format!("attempt to get {base} of an empty sequence");
                Ok(Some(Val::strong(guarded(
                    nonempty,
                    Exception::ValueError,
                    &message,
                    value,
                ))))
            }
            "numpy.var" | "numpy.std" | "numpy.nanvar" | "numpy.nanstd" | "method.var"
            | "method.std" => {
                // `np.var(a, axis)`: the second position is NumPy's axis.
                if positional.len() > 1 {
                    return Err(self.unsupported(
                        format!("{shown}() takes only the array and ddof= in kernels (no axis)"),
                        range,
                    ));
                }
                let args = self.array_fn_args(&shown, &["a", "ddof"], 1, positional, c)?;
                let a = self.vector_arg(&shown, args.get(0).unwrap_or(&c.func), "a")?;
                if a.dtype.is_complex() {
                    return Err(self.unsupported(
                        format!("{shown}() of a complex array is not supported in kernels"),
                        range,
                    ));
                }
                let t = inexact(a.dtype);
                let ddof = match args.get(1) {
                    Some(e) => {
                        let v = self.expr(e)?;
                        if v.kind() > Kind::Float {
                            return Err(self.typing(
                                format!("{shown}() needs a real ddof, not {}", v.ty),
                                e.range(),
                            ));
                        }
                        Val::strong(self.coerce(v, t)?)
                    }
                    None => Val::strong(mk(ExprKind::Const(super::val::zero(t)), t, range)),
                };
                let root =
                    CallArg::Scalar(Val::literal(Const::Bool(short.ends_with("std")), range));
                let v = if short.starts_with("nan") && a.dtype.is_float() {
                    let zero = self.zero_of(t, range);
                    self.call_function(
                        &helper("nanvar", NANVAR, &[]),
                        vec![CallArg::Array(a), zero, CallArg::Scalar(ddof), root],
                        range,
                    )?
                } else {
                    let cnt = Val::strong(super::val::cast(self.len_of(&a, range), t));
                    self.call_function(
                        &helper("var", VAR, &[]),
                        vec![
                            CallArg::Array(a),
                            CallArg::Scalar(cnt),
                            CallArg::Scalar(ddof),
                            root,
                        ],
                        range,
                    )?
                };
                Ok(Some(v))
            }
            "numpy.searchsorted" | "method.searchsorted" => {
                let args = self.array_fn_args(&shown, &["a", "v", "side"], 2, positional, c)?;
                let a = self.vector_arg(&shown, args.get(0).unwrap_or(&c.func), "a")?;
                self.no_complex_array(&shown, &a, range)?;
                let v_expr = args.get(1).unwrap_or(&c.func);
                if self.array_of(v_expr)?.is_some() {
                    return Err(self.unsupported(
                        format!(
                            "{shown}() of an array of values is not supported in kernels: \
                             call it for each value"
                        ),
                        v_expr.range(),
                    ));
                }
                let v = self.expr(v_expr)?;
                if v.kind() == Kind::Complex {
                    return Err(self.typing(
                        format!("{shown}() needs a real value, not {}", v.ty),
                        v_expr.range(),
                    ));
                }
                let (hname, text) =
                    match args.get(2).map(|e| self.const_str(&shown, e)).transpose()? {
                        None | Some("left") => ("searchsorted_left", SEARCHSORTED_LEFT),
                        Some("right") => ("searchsorted_right", SEARCHSORTED_RIGHT),
                        Some(other) => {
                            return Err(self.typing(
                                format!("{shown}(): side must be 'left' or 'right', not '{other}'"),
                                args.get(2).map(|e| e.range()).unwrap_or(range),
                            ))
                        }
                    };
                let v = self.call_function(
                    &helper(hname, text, &[]),
                    vec![CallArg::Array(a), CallArg::Scalar(v)],
                    range,
                )?;
                Ok(Some(v))
            }
            "numpy.dot" | "numpy.inner" | "numpy.vdot" | "method.dot" => {
                let args = self.array_fn_args(&shown, &["a", "b"], 2, positional, c)?;
                let a = self.vector_arg(&shown, args.get(0).unwrap_or(&c.func), "a")?;
                let b = self.vector_arg(&shown, args.get(1).unwrap_or(&c.func), "b")?;
                if a.dtype == Scalar::Bool || b.dtype == Scalar::Bool {
                    return Err(self.unsupported(
                        format!("{shown}() of bool arrays is not supported in kernels"),
                        range,
                    ));
                }
                if short == "vdot" && (a.dtype.is_complex() || b.dtype.is_complex()) {
                    return Err(self.unsupported(
                        "np.vdot() of complex arrays is not supported in kernels",
                        range,
                    ));
                }
                let t = promote(a.dtype, b.dtype);
                let same = cmp(
                    CmpOp::Eq,
                    self.len_of(&a, range),
                    self.len_of(&b, range),
                    range,
                );
                let zero = self.zero_of(t, range);
                let v = self.call_function(
                    &helper("dot", DOT, &[]),
                    vec![CallArg::Array(a), CallArg::Array(b), zero],
                    range,
                )?;
                Ok(Some(Val::strong(guarded(
                    same,
                    Exception::ValueError,
                    "shapes not aligned: the 1-d arrays have different lengths",
                    v.expr,
                ))))
            }
            "numpy.linalg.norm" => {
                let args = self.array_fn_args(&shown, &["x", "ord"], 1, positional, c)?;
                let x = self.vector_arg(&shown, args.get(0).unwrap_or(&c.func), "x")?;
                let t = inexact(x.dtype).real_part();
                let order = match args.get(1) {
                    None => None,
                    Some(Expr::NoneLiteral(_)) => None,
                    Some(e) => match self.expr(e)?.as_const() {
                        Some(Const::Int(i)) => Some(i as f64),
                        Some(Const::Float(f)) => Some(f),
                        _ => {
                            return Err(self.unsupported(
                                format!("{shown}() needs a constant ord in kernels"),
                                e.range(),
                            ))
                        }
                    },
                };
                let (hname, text, nonempty) = match order {
                    None | Some(2.0) if x.dtype.is_complex() => {
                        ("norm2_complex", NORM2_COMPLEX, false)
                    }
                    None | Some(2.0) => ("norm2", NORM2, false),
                    Some(1.0) => ("norm1", NORM1, false),
                    Some(f) if f == f64::INFINITY => ("norm_inf", NORM_INF, true),
                    Some(f) if f == f64::NEG_INFINITY => ("norm_neg_inf", NORM_NEG_INF, true),
                    Some(f) => {
                        return Err(self.unsupported(
                            format!(
                                "{shown}() with ord={f} is not supported in kernels (None, 1, \
                                 2, np.inf and -np.inf are)"
                            ),
                            range,
                        ))
                    }
                };
                let len = self.len_of(&x, range);
                let zero = self.zero_of(t, range);
                let v = self.call_function(
                    &helper(hname, text, &[]),
                    vec![CallArg::Array(x), zero],
                    range,
                )?;
                if !nonempty {
                    return Ok(Some(v));
                }
                let ok = cmp(CmpOp::Gt, len, int(0, range), range);
                Ok(Some(Val::strong(guarded(
                    ok,
                    Exception::ValueError,
                    "zero-size array to reduction operation which has no identity",
                    v.expr,
                ))))
            }
            "numpy.interp" => {
                let args = self.array_fn_args(
                    &shown,
                    &["x", "xp", "fp", "left", "right"],
                    3,
                    positional,
                    c,
                )?;
                let x_expr = args.get(0).unwrap_or(&c.func);
                if self.array_of(x_expr)?.is_some() {
                    return Err(self.unsupported(
                        "np.interp() of an array of points gives an array: bind it to a name \
                         (y = np.interp(x, xp, fp)) or call it for each point",
                        x_expr.range(),
                    ));
                }
                let x = self.expr(x_expr)?;
                if x.kind() == Kind::Complex {
                    return Err(self.typing("np.interp() needs a real x", x_expr.range()));
                }
                let x = Val::strong(self.coerce(x, Scalar::F64)?);
                let (mut call_args, checks) = self.interp_tables(&shown, &args, c)?;
                call_args.insert(0, CallArg::Scalar(x));
                let v = self.call_function(&helper("interp", INTERP, &[]), call_args, range)?;
                Ok(Some(Val::strong(checks(v.expr))))
            }
            _ => Ok(None),
        }
    }

    /// `xp`, `fp`, `left`, `right` of `np.interp` as helper arguments, and the guards NumPy's
    /// checks become (applied to the call's value).
    #[allow(clippy::type_complexity)]
    fn interp_tables(
        &mut self,
        shown: &str,
        args: &Args,
        c: &ast::ExprCall,
    ) -> Result<(Vec<CallArg>, Box<dyn Fn(ir::Expr) -> ir::Expr>), CompileError> {
        let range = c.range();
        let xp = self.vector_arg(shown, args.get(1).unwrap_or(&c.func), "xp")?;
        let fp = self.vector_arg(shown, args.get(2).unwrap_or(&c.func), "fp")?;
        for a in [&xp, &fp] {
            self.no_complex_array(shown, a, range)?;
        }
        let mut out = vec![CallArg::Array(xp.clone()), CallArg::Array(fp.clone())];
        for k in [3, 4] {
            let (has, v) = match args.get(k) {
                None | Some(Expr::NoneLiteral(_)) => {
                    (false, Val::literal(Const::Float(0.0), range))
                }
                Some(e) => {
                    let v = self.expr(e)?;
                    if v.kind() == Kind::Complex {
                        return Err(self
                            .typing(format!("{shown}() needs real left/right values"), e.range()));
                    }
                    (true, v)
                }
            };
            let v = Val::strong(self.coerce(v, Scalar::F64)?);
            out.push(CallArg::Scalar(Val::literal(Const::Bool(has), range)));
            out.push(CallArg::Scalar(v));
        }
        let nxp = self.len_of(&xp, range);
        let nfp = self.len_of(&fp, range);
        let checks = move |value: ir::Expr| {
            let same = cmp(CmpOp::Eq, nxp.clone(), nfp.clone(), range);
            let value = guarded(
                same,
                Exception::ValueError,
                "fp and xp are not of the same length.",
                value,
            );
            let nonempty = cmp(CmpOp::Gt, nxp.clone(), int(0, range), range);
            guarded(
                nonempty,
                Exception::ValueError,
                "array of sample points is empty",
                value,
            )
        };
        Ok((out, Box::new(checks)))
    }

    /// `name = np.cumsum(a)` and the other functions that give a new 1-d array: a local array
    /// filled by a helper (`None`: the value is something else).
    pub(super) fn array_function_assign(
        &mut self,
        name: &str,
        value: &Expr,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<Option<()>, CompileError> {
        if let Expr::Subscript(sub) = value {
            if let Some(c) = self.histogram_call(&sub.value) {
                let which = match self.expr(&sub.slice)?.as_const() {
                    Some(Const::Int(k @ -2..=1)) => k.rem_euclid(2),
                    _ => {
                        return Err(self.unsupported(
                            "np.histogram(...) gives (counts, edges): take [0] or [1], or \
                             unpack both",
                            sub.slice.range(),
                        ))
                    }
                };
                let names = if which == 0 {
                    [Some(name), None]
                } else {
                    [None, Some(name)]
                };
                self.histogram(c, names, range, out)?;
                return Ok(Some(()));
            }
        }
        let Expr::Call(c) = value else {
            return Ok(None);
        };
        let Some((fname, positional)) = self.array_callee(c)? else {
            return Ok(None);
        };
        let short = fname.rsplit('.').next().unwrap_or(&fname).to_string();
        let shown = if fname.starts_with("method.") {
            format!("a.{short}")
        } else {
            format!("np.{short}")
        };
        let cr = c.range();
        // (dtype, length, helper, its arguments before the new array, scratch int64 arrays)
        let (dtype, len, spec, mut args, scratch) = match fname.as_str() {
            "numpy.cumsum" | "numpy.cumprod" | "method.cumsum" | "method.cumprod" => {
                let p = self.array_fn_args(&shown, &["a"], 1, positional, c)?;
                let a = self.vector_arg(&shown, p.get(0).unwrap_or(&c.func), "a")?;
                let spec = if short == "cumsum" {
                    helper("cumsum", CUMSUM, &[])
                } else {
                    helper("cumprod", CUMPROD, &[])
                };
                let len = self.len_of(&a, cr);
                (accumulated(a.dtype), len, spec, vec![CallArg::Array(a)], 0)
            }
            "numpy.sort" => {
                let p = self.array_fn_args(&shown, &["a"], 1, positional, c)?;
                let a = self.vector_arg(&shown, p.get(0).unwrap_or(&c.func), "a")?;
                self.no_complex_array(&shown, &a, cr)?;
                let len = self.len_of(&a, cr);
                let spec = helper("sorted_copy", SORTED, &[("sort", SORT)]);
                (a.dtype, len, spec, vec![CallArg::Array(a)], 0)
            }
            "numpy.argsort" | "method.argsort" => {
                let p = self.array_fn_args(&shown, &["a", "kind"], 1, positional, c)?;
                let a = self.vector_arg(&shown, p.get(0).unwrap_or(&c.func), "a")?;
                self.no_complex_array(&shown, &a, cr)?;
                if let Some(k) = p.get(1) {
                    let kind = self.const_str(&shown, k)?;
                    if !matches!(kind, "stable" | "mergesort" | "quicksort" | "heapsort") {
                        return Err(self
                            .typing(format!("{shown}(): unknown sort kind '{kind}'"), k.range()));
                    }
                }
                let len = self.len_of(&a, cr);
                let spec = helper("argsort", ARGSORT, &[]);
                (Scalar::I64, len, spec, vec![CallArg::Array(a)], 1)
            }
            "numpy.arange" => {
                let (t, start, stop, step) = self.arange_bounds(c)?;
                let len = self.arange_len(start.clone(), stop, step.clone(), t, cr);
                let spec = helper("arange", ARANGE, &[]);
                let args = vec![
                    CallArg::Scalar(Val::strong(start)),
                    CallArg::Scalar(Val::strong(step)),
                ];
                (t, len, spec, args, 0)
            }
            "numpy.linspace" => {
                let p = self.array_fn_args(
                    &shown,
                    &["start", "stop", "num", "endpoint"],
                    2,
                    positional,
                    c,
                )?;
                let mut ends = Vec::new();
                for e in [p.get(0), p.get(1)].into_iter().flatten() {
                    let v = self.expr(e)?;
                    if v.kind() == Kind::Complex {
                        return Err(self.unsupported(
                            "np.linspace() of complex numbers is not supported in kernels",
                            e.range(),
                        ));
                    }
                    ends.push(Val::strong(self.coerce(v, Scalar::F64)?));
                }
                let num = match p.get(2) {
                    Some(e) => self.int_arg(&shown, e)?,
                    None => int(50, cr),
                };
                let endpoint = match p.get(3) {
                    Some(e) => self.const_bool(&shown, e)?,
                    None => true,
                };
                let ok = cmp(CmpOp::Ge, num.clone(), int(0, cr), cr);
                let len = guarded(
                    ok,
                    Exception::ValueError,
                    "Number of samples must be non-negative.",
                    num,
                );
                let mut args: Vec<CallArg> = ends.into_iter().map(CallArg::Scalar).collect();
                args.push(CallArg::Scalar(Val::literal(Const::Bool(endpoint), cr)));
                (Scalar::F64, len, helper("linspace", LINSPACE, &[]), args, 0)
            }
            "numpy.hanning" | "numpy.hamming" | "numpy.blackman" | "numpy.bartlett" => {
                let p = self.array_fn_args(&shown, &["M"], 1, positional, c)?;
                let m = self.int_arg(&shown, p.get(0).unwrap_or(&c.func))?;
                let len = mk(
                    ExprKind::Call(ir::MathFn::Maximum, vec![m, int(0, cr)]),
                    Scalar::I64,
                    cr,
                );
                let f = |v: f64| CallArg::Scalar(Val::literal(Const::Float(v), cr));
                match short.as_str() {
                    // NumPy's 0.5 + 0.5 cos and 0.54 + 0.46 cos.
                    "hanning" | "hamming" => {
                        let (a0, a1) = if short == "hanning" {
                            (0.5, 0.5)
                        } else {
                            (0.54, 0.46)
                        };
                        let spec = helper("cosine_window", COSINE_WINDOW, &[]);
                        (Scalar::F64, len, spec, vec![f(a0), f(a1)], 0)
                    }
                    "blackman" => (
                        Scalar::F64,
                        len,
                        helper("blackman", BLACKMAN, &[]),
                        vec![],
                        0,
                    ),
                    _ => (
                        Scalar::F64,
                        len,
                        helper("bartlett", BARTLETT, &[]),
                        vec![],
                        0,
                    ),
                }
            }
            "numpy.convolve" => {
                let p = self.array_fn_args(&shown, &["a", "v", "mode"], 2, positional, c)?;
                let a = self.vector_arg(&shown, p.get(0).unwrap_or(&c.func), "a")?;
                let v = self.vector_arg(&shown, p.get(1).unwrap_or(&c.func), "v")?;
                if a.dtype == Scalar::Bool || v.dtype == Scalar::Bool {
                    return Err(self.unsupported(
                        "np.convolve() of bool arrays is not supported in kernels",
                        cr,
                    ));
                }
                let mode = match p.get(2) {
                    Some(e) => self.const_str(&shown, e)?,
                    None => "full",
                };
                let t = promote(a.dtype, v.dtype);
                self.convolve(a, v, mode, t, name, range, out)?;
                return Ok(Some(()));
            }
            "numpy.interp" => {
                let p = self.array_fn_args(
                    &shown,
                    &["x", "xp", "fp", "left", "right"],
                    3,
                    positional,
                    c,
                )?;
                let x_expr = p.get(0).unwrap_or(&c.func);
                if self.array_of(x_expr)?.is_none() {
                    return Ok(None);
                }
                let xs = self.vector_arg(&shown, x_expr, "x")?;
                self.no_complex_array(&shown, &xs, cr)?;
                let (mut call_args, checks) = self.interp_tables(&shown, &p, c)?;
                call_args.insert(0, CallArg::Array(xs.clone()));
                let len = checks(self.len_of(&xs, cr));
                let spec = helper("interp_array", INTERP_ARRAY, &[("interp", INTERP)]);
                (Scalar::F64, len, spec, call_args, 0)
            }
            _ => return Ok(None),
        };
        let dst = self.local_array(name, dtype, vec![len.clone()], range, out)?;
        args.push(CallArg::Array(dst));
        for k in 0..scratch {
            let tmp = format!("${short}{k}");
            let t = self.local_array(&tmp, Scalar::I64, vec![len.clone()], range, out)?;
            args.push(CallArg::Array(t));
        }
        self.helper_stmt(&spec, args, range, out)?;
        Ok(Some(()))
    }

    /// `np.arange(stop)`, `(start, stop)`, `(start, stop, step)`: the type (int64, or
    /// float64 when any is a float) and the three bounds in it.
    pub(super) fn arange_bounds(
        &mut self,
        c: &ast::ExprCall,
    ) -> Result<(Scalar, ir::Expr, ir::Expr, ir::Expr), CompileError> {
        let cr = c.range();
        let positional: Vec<&Expr> = c.arguments.args.iter().collect();
        let p = self.array_fn_args("np.arange", &["start", "stop", "step"], 1, positional, c)?;
        let mut parts = Vec::new();
        for e in [p.get(0), p.get(1), p.get(2)].into_iter().flatten() {
            let v = self.expr(e)?;
            if v.kind() == Kind::Complex {
                return Err(self.unsupported(
                    "np.arange() of complex numbers is not supported in kernels",
                    e.range(),
                ));
            }
            parts.push(v);
        }
        let float = parts.iter().any(|v| v.kind() == Kind::Float);
        let t = if float { Scalar::F64 } else { Scalar::I64 };
        let mut exprs = parts
            .into_iter()
            .map(|v| self.coerce(v, t))
            .collect::<Result<Vec<_>, _>>()?;
        let one = mk(
            ExprKind::Const(if float {
                Const::Float(1.0)
            } else {
                Const::Int(1)
            }),
            t,
            cr,
        );
        let zero = mk(ExprKind::Const(super::val::zero(t)), t, cr);
        Ok(match exprs.len() {
            1 => (t, zero, exprs.remove(0), one),
            2 => {
                let stop = exprs.remove(1);
                (t, exprs.remove(0), stop, one)
            }
            _ => {
                let step = exprs.remove(2);
                let stop = exprs.remove(1);
                (t, exprs.remove(0), stop, step)
            }
        })
    }

    /// `ceil((stop - start) / step)` elements, at least 0, as NumPy's `arange` counts them (in
    /// float64); a zero step raises ZeroDivisionError.
    pub(super) fn arange_len(
        &self,
        start: ir::Expr,
        stop: ir::Expr,
        step: ir::Expr,
        t: Scalar,
        range: TextRange,
    ) -> ir::Expr {
        let f = |e: ir::Expr| super::val::cast(e, Scalar::F64);
        let span = f(mk(
            ExprKind::Binary(BinaryOp::Sub, Box::new(stop), Box::new(start)),
            t,
            range,
        ));
        let quotient = mk(
            ExprKind::Binary(BinaryOp::Div, Box::new(span), Box::new(f(step.clone()))),
            Scalar::F64,
            range,
        );
        let ceil = mk(
            ExprKind::Call(ir::MathFn::Ceil, vec![quotient]),
            Scalar::F64,
            range,
        );
        let clamped = mk(
            ExprKind::Call(
                ir::MathFn::Maximum,
                vec![
                    ceil,
                    mk(ExprKind::Const(Const::Float(0.0)), Scalar::F64, range),
                ],
            ),
            Scalar::F64,
            range,
        );
        let zero = mk(ExprKind::Const(super::val::zero(t)), t, range);
        guarded(
            cmp(CmpOp::Ne, step, zero, range),
            Exception::ZeroDivisionError,
            "division by zero",
            super::val::cast(clamped, Scalar::I64),
        )
    }

    /// `name = np.convolve(a, v, mode)`.
    #[allow(clippy::too_many_arguments)]
    fn convolve(
        &mut self,
        a: ArrayVal,
        v: ArrayVal,
        mode: &str,
        t: Scalar,
        name: &str,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        let (n, m) = (self.len_of(&a, range), self.len_of(&v, range));
        let max =
            |x: ir::Expr, y: ir::Expr, f| mk(ExprKind::Call(f, vec![x, y]), Scalar::I64, range);
        let long = max(n.clone(), m.clone(), ir::MathFn::Maximum);
        let short = max(n.clone(), m.clone(), ir::MathFn::Minimum);
        let sub = |x: ir::Expr, y: ir::Expr| {
            mk(
                ExprKind::Binary(BinaryOp::Sub, Box::new(x), Box::new(y)),
                Scalar::I64,
                range,
            )
        };
        let add = |x: ir::Expr, y: ir::Expr| {
            mk(
                ExprKind::Binary(BinaryOp::Add, Box::new(x), Box::new(y)),
                Scalar::I64,
                range,
            )
        };
        let (len, first) = match mode {
            "full" => (
                sub(add(long.clone(), short.clone()), int(1, range)),
                int(0, range),
            ),
            "same" => (
                long.clone(),
                mk(
                    ExprKind::Binary(
                        BinaryOp::FloorDiv,
                        Box::new(sub(short.clone(), int(1, range))),
                        Box::new(int(2, range)),
                    ),
                    Scalar::I64,
                    range,
                ),
            ),
            "valid" => (
                add(sub(long.clone(), short.clone()), int(1, range)),
                sub(short.clone(), int(1, range)),
            ),
            other => {
                return Err(self.typing(
                    format!("np.convolve(): mode must be 'full', 'same' or 'valid', not '{other}'"),
                    range,
                ))
            }
        };
        let len = guarded(
            cmp(CmpOp::Gt, m.clone(), int(0, range), range),
            Exception::ValueError,
            "v cannot be empty",
            len,
        );
        let len = guarded(
            cmp(CmpOp::Gt, n.clone(), int(0, range), range),
            Exception::ValueError,
            "a cannot be empty",
            len,
        );
        let dst = self.local_array(name, t, vec![len], range, out)?;
        let spec = helper("convolve", CONVOLVE, &[]);
        // The longer array first, as NumPy swaps them.
        let swap = cmp(CmpOp::Gt, m, n, range);
        let call = |this: &mut Self,
                    x: ArrayVal,
                    y: ArrayVal,
                    first: ir::Expr|
         -> Result<ir::Block, CompileError> {
            let mut block = Vec::new();
            let args = vec![
                CallArg::Array(x),
                CallArg::Array(y),
                CallArg::Scalar(Val::strong(first)),
                this.zero_of(t, range),
                CallArg::Array(dst.clone()),
            ];
            this.helper_stmt(&spec, args, range, &mut block)?;
            Ok(block)
        };
        let then_body = call(self, v.clone(), a.clone(), first.clone())?;
        let else_body = call(self, a, v, first)?;
        out.push(ir::Stmt {
            kind: StmtKind::If {
                cond: swap,
                then_body,
                else_body,
            },
            span: parse::span(range),
        });
        Ok(())
    }

    /// A new local 1-d (or n-d) array `name` of `shape`, bound to the name.
    pub(super) fn local_array(
        &mut self,
        name: &str,
        dtype: Scalar,
        shape: Vec<ir::Expr>,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<ArrayVal, CompileError> {
        let ndim = shape.len() as u32;
        let dst = self.array_var(name, dtype, ndim, true);
        self.array_vars.insert(name.to_string(), dst);
        self.flow.assign(name);
        out.push(ir::Stmt {
            kind: StmtKind::Alloc {
                dst,
                shape,
                fill: None,
            },
            span: parse::span(range),
        });
        Ok(ArrayVal {
            expr: ArrayExpr::Var(dst),
            dtype,
            ndim,
            writable: true,
            name: name.to_string(),
        })
    }

    /// A call of a helper that returns nothing, as a statement.
    fn helper_stmt(
        &mut self,
        spec: &FunctionSpec,
        args: Vec<CallArg>,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        self.void_call_stmt(|this| this.call_function(spec, args, range), range, out)
    }

    /// `counts, edges = np.histogram(a, bins, range)` (`names`: the two names bound; `None`
    /// for one taken by `[0]`/`[1]` and not kept).
    pub(super) fn histogram(
        &mut self,
        c: &ast::ExprCall,
        names: [Option<&str>; 2],
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        let shown = "np.histogram";
        let positional: Vec<&Expr> = c.arguments.args.iter().collect();
        let p = self.array_fn_args(shown, &["a", "bins", "range"], 1, positional, c)?;
        let cr = c.range();
        let a = self.vector_arg(shown, p.get(0).unwrap_or(&c.func), "a")?;
        if a.dtype.kind() == Kind::Complex || a.dtype == Scalar::Bool || a.dtype == Scalar::F32 {
            return Err(self.unsupported(
                format!(
                    "np.histogram() of {} data is not supported in kernels (float64 and \
                     integer data are)",
                    a.dtype
                ),
                cr,
            ));
        }
        let counts_name = names[0].map_or("$histogram.counts".to_string(), str::to_string);
        let edges_name = names[1].map_or("$histogram.edges".to_string(), str::to_string);
        let bins = p.get(1);
        if let Some(b) = bins {
            if self.array_of(b)?.is_some() {
                if p.get(2).is_some() {
                    return Err(self.unsupported(
                        "np.histogram() with both an array of bins and range= is not supported \
                         in kernels",
                        cr,
                    ));
                }
                let e = self.vector_arg(shown, b, "bins")?;
                if e.dtype.kind() == Kind::Complex {
                    return Err(self.typing("np.histogram(): complex bins", b.range()));
                }
                let n = self.len_of(&e, cr);
                let monotonic = self.call_function(
                    &helper("increasing", INCREASING, &[]),
                    vec![CallArg::Array(e.clone())],
                    cr,
                )?;
                let n = guarded(
                    monotonic.expr,
                    Exception::ValueError,
                    "`bins` must increase monotonically, when an array",
                    n,
                );
                let n = guarded(
                    cmp(CmpOp::Gt, self.len_of(&e, cr), int(0, cr), cr),
                    Exception::ValueError,
                    "`bins` must have at least one edge",
                    n,
                );
                let nb = self.scope.temp("edges", Scalar::I64);
                out.push(ir::Stmt {
                    kind: StmtKind::Assign { dst: nb, value: n },
                    span: parse::span(cr),
                });
                let nb = mk(ExprKind::Local(nb), Scalar::I64, cr);
                let counts_len = mk(
                    ExprKind::Binary(BinaryOp::Sub, Box::new(nb.clone()), Box::new(int(1, cr))),
                    Scalar::I64,
                    cr,
                );
                let counts =
                    self.local_array(&counts_name, Scalar::I64, vec![counts_len], range, out)?;
                let edges = self.local_array(&edges_name, e.dtype, vec![nb], range, out)?;
                let spec = helper("histogram_edges", HISTOGRAM_EDGES, &[]);
                let args = vec![
                    CallArg::Array(a),
                    CallArg::Array(e),
                    CallArg::Array(counts),
                    CallArg::Array(edges),
                ];
                return self.helper_stmt(&spec, args, range, out);
            }
        }
        let nbins = match bins {
            Some(b) => self.int_arg(shown, b)?,
            None => int(10, cr),
        };
        let nbins = guarded(
            cmp(CmpOp::Gt, nbins.clone(), int(0, cr), cr),
            Exception::ValueError,
            "`bins` must be positive, when an integer",
            nbins,
        );
        let f64c = |v: f64| mk(ExprKind::Const(Const::Float(v)), Scalar::F64, cr);
        let (first, last, message) = match p.get(2) {
            Some(Expr::Tuple(t)) if t.elts.len() == 2 => {
                let mut ends = Vec::new();
                for e in t.elts.iter() {
                    let v = self.expr(e)?;
                    if v.kind() == Kind::Complex {
                        return Err(self.typing("np.histogram(): complex range", e.range()));
                    }
                    ends.push(self.coerce(v, Scalar::F64)?);
                }
                let last = ends.remove(1);
                (
                    ends.remove(0),
                    last,
                    "supplied range of the histogram is not finite",
                )
            }
            Some(Expr::NoneLiteral(_)) | None => {
                let nonempty = cmp(CmpOp::Gt, self.len_of(&a, cr), int(0, cr), cr);
                let reduce = |r, a: &ArrayVal| {
                    super::val::cast(
                        mk(ExprKind::Reduce(r, a.expr.clone()), a.dtype, cr),
                        Scalar::F64,
                    )
                };
                let pick = |then, otherwise| {
                    mk(
                        ExprKind::Select {
                            cond: Box::new(nonempty.clone()),
                            then: Box::new(then),
                            otherwise: Box::new(otherwise),
                        },
                        Scalar::F64,
                        cr,
                    )
                };
                (
                    pick(reduce(ir::Reduction::Min, &a), f64c(0.0)),
                    pick(reduce(ir::Reduction::Max, &a), f64c(1.0)),
                    "autodetected range of the histogram is not finite",
                )
            }
            Some(other) => {
                return Err(self.unsupported(
                    "np.histogram() needs range=(low, high) as a tuple in kernels",
                    other.range(),
                ))
            }
        };
        let mut ends = Vec::new();
        for v in [first, last] {
            let l = self.scope.temp("histogram_edge", Scalar::F64);
            out.push(ir::Stmt {
                kind: StmtKind::Assign { dst: l, value: v },
                span: parse::span(cr),
            });
            ends.push(mk(ExprKind::Local(l), Scalar::F64, cr));
        }
        let finite = |e: &ir::Expr| {
            mk(
                ExprKind::Call(ir::MathFn::IsFinite, vec![e.clone()]),
                Scalar::Bool,
                cr,
            )
        };
        let ok = mk(
            ExprKind::Logical(
                ir::LogicalOp::And,
                Box::new(finite(&ends[0])),
                Box::new(finite(&ends[1])),
            ),
            Scalar::Bool,
            cr,
        );
        // NumPy checks a supplied range's order first (NaN passes `>`), then finiteness.
        let reversed = cmp(CmpOp::Gt, ends[0].clone(), ends[1].clone(), cr);
        let ordered = self.not(Val::strong(reversed))?;
        let nbins = guarded(
            ordered,
            Exception::ValueError,
            "max must be larger than min in range parameter.",
            guarded(ok, Exception::ValueError, message, nbins),
        );
        let n = self.scope.temp("bins", Scalar::I64);
        out.push(ir::Stmt {
            kind: StmtKind::Assign {
                dst: n,
                value: nbins,
            },
            span: parse::span(cr),
        });
        let n = mk(ExprKind::Local(n), Scalar::I64, cr);
        let edges_len = mk(
            ExprKind::Binary(BinaryOp::Add, Box::new(n.clone()), Box::new(int(1, cr))),
            Scalar::I64,
            cr,
        );
        let counts = self.local_array(&counts_name, Scalar::I64, vec![n.clone()], range, out)?;
        let edges = self.local_array(&edges_name, Scalar::F64, vec![edges_len], range, out)?;
        let spec = helper(
            "histogram_uniform",
            HISTOGRAM_UNIFORM,
            &[("linspace", LINSPACE)],
        );
        let mut ends = ends.into_iter().map(|e| CallArg::Scalar(Val::strong(e)));
        let (Some(first), Some(last)) = (ends.next(), ends.next()) else {
            return Err(self.typing("np.histogram(): no range", cr));
        };
        let args = vec![
            CallArg::Array(a),
            first,
            last,
            CallArg::Scalar(Val::strong(super::val::cast(n, Scalar::F64))),
            self.zero_of(Scalar::F64, cr),
            CallArg::Array(counts),
            CallArg::Array(edges),
        ];
        self.helper_stmt(&spec, args, range, out)
    }

    /// The `np.histogram(...)` call `e` is, if it is one.
    pub(super) fn histogram_call<'e>(&self, e: &'e Expr) -> Option<&'e ast::ExprCall> {
        let Expr::Call(c) = e else { return None };
        (self.qualified(&c.func).as_deref() == Some("numpy.histogram")).then_some(c)
    }

    /// `a.sort()` as a statement: sorts the array in place (`None`: something else).
    pub(super) fn sort_in_place(
        &mut self,
        c: &ast::ExprCall,
        out: &mut ir::Block,
    ) -> Result<Option<()>, CompileError> {
        let Expr::Attribute(attr) = &*c.func else {
            return Ok(None);
        };
        if attr.attr.id.as_str() != "sort" || self.module_of(&attr.value).is_some() {
            return Ok(None);
        }
        let Some(_) = self.array_of(&attr.value)? else {
            return Ok(None);
        };
        let a = self.vector_arg("a.sort", &attr.value, "a")?;
        if !c.arguments.args.is_empty() || !c.arguments.keywords.is_empty() {
            return Err(self.unsupported("a.sort() takes no arguments in kernels", c.range()));
        }
        self.no_complex_array("a.sort", &a, c.range())?;
        self.check_writable(&a, attr.value.range())?;
        let spec = helper("sort", SORT, &[]);
        self.helper_stmt(&spec, vec![CallArg::Array(a)], c.range(), out)?;
        Ok(Some(()))
    }
}
