//! Statements: assignment, `if`, `while`, `for ... in range(...)`, `break`, `continue`,
//! `return`; flow (definite assignment, reachability) is tracked alongside.

use super::val::stmt;
use super::val::{mk, Val};
use super::Lowerer;
use crate::diag::{CompileError, ErrorKind, Span};
use crate::ir::{self, Const, ExprKind, Local, StmtKind};
use crate::parse;
use crate::types::{promote_ty, Kind, Scalar, Ty};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

impl Lowerer<'_> {
    /// Lowers a statement list; statements no path reaches are skipped (like dead code).
    pub(super) fn block(&mut self, stmts: &[Stmt]) -> Result<ir::Block, CompileError> {
        let mut out = Vec::new();
        self.depth += 1;
        let result = (|| {
            for s in stmts {
                if !self.flow.reachable() {
                    break;
                }
                self.statement(s, &mut out)?;
            }
            Ok(())
        })();
        self.depth -= 1;
        result.map(|()| out)
    }

    fn statement(&mut self, s: &Stmt, out: &mut ir::Block) -> Result<(), CompileError> {
        let range = s.range();
        match s {
            Stmt::Assign(a) => self.assign(a, out),
            Stmt::AugAssign(a) => {
                if let Expr::Subscript(t) = &*a.target {
                    if self.table_named(&t.value).is_some() {
                        return Err(self.frozen_store(t));
                    }
                    return self.aug_store_item(t, a.op, &a.value, range, out);
                }
                let Expr::Name(n) = &*a.target else {
                    return Err(self.unsupported(target_message(&a.target), a.target.range()));
                };
                let current = self.load_name(n.id.as_str(), n.range)?;
                let value = self.expr(&a.value)?;
                let result = self.binary(a.op, current, value, range)?;
                out.push(self.store(n.id.as_str(), result, range)?);
                Ok(())
            }
            Stmt::AnnAssign(a) => {
                let Expr::Name(n) = &*a.target else {
                    return Err(self.unsupported(target_message(&a.target), a.target.range()));
                };
                if let Some(v) = &a.value {
                    let value = self.expr(v)?;
                    out.push(self.store(n.id.as_str(), value, range)?);
                }
                Ok(())
            }
            Stmt::If(i) => {
                let s = self.if_stmt(&i.test, &i.body, &i.elif_else_clauses, range)?;
                out.push(s);
                Ok(())
            }
            Stmt::While(w) => self.while_stmt(w, out),
            Stmt::For(f) => self.for_stmt(f, out),
            Stmt::Break(_) => {
                if !self.flow.brk() {
                    return Err(self.error(
                        ErrorKind::Compile,
                        "'break' outside loop",
                        parse::span(range),
                    ));
                }
                out.push(stmt(StmtKind::Break, range));
                Ok(())
            }
            Stmt::Continue(_) => {
                if !self.flow.in_loop() {
                    return Err(self.error(
                        ErrorKind::Compile,
                        "'continue' not properly in loop",
                        parse::span(range),
                    ));
                }
                self.flow.terminate();
                out.push(stmt(StmtKind::Continue, range));
                Ok(())
            }
            Stmt::Return(r) => {
                let Some(v) = &r.value else {
                    if self.is_gufunc() {
                        self.flow.terminate();
                        out.push(stmt(StmtKind::ReturnVoid, range));
                        return Ok(());
                    }
                    return Err(self.typing(
                        "a kernel must return a value ('return' alone returns None)",
                        range,
                    ));
                };
                if let Expr::Tuple(t) = &**v {
                    out.push(self.return_tuple(&t.elts, range)?);
                    return Ok(());
                }
                let value = self.expr(v)?;
                let s = self.return_stmt(value, parse::span(range))?;
                out.push(s);
                Ok(())
            }
            Stmt::Expr(e) => match &*e.value {
                // A bare string is a comment; `...` is a placeholder.
                Expr::StringLiteral(_) | Expr::EllipsisLiteral(_) => Ok(()),
                // A helper may store into arrays it is given: the call stays.
                Expr::Call(c) if self.is_user_call(c) => self.call_stmt(c, out),
                Expr::Call(c) if self.sort_in_place(c, out)?.is_some() => Ok(()),
                // No other expression has side effects: type-check it and drop it.
                other => self.expr(other).map(drop),
            },
            Stmt::Pass(_) => Ok(()),
            Stmt::Assert(a) => {
                out.push(self.assert_stmt(a)?);
                Ok(())
            }
            Stmt::Raise(r) => {
                out.push(self.raise_stmt(r)?);
                Ok(())
            }
            _ => Err(self.unsupported(unsupported_stmt(s), range)),
        }
    }

    fn assign(&mut self, a: &ast::StmtAssign, out: &mut ir::Block) -> Result<(), CompileError> {
        if self.array_assign(a, out)?.is_some() {
            return Ok(());
        }
        if let [Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. })] =
            &a.targets[..]
        {
            let names: Vec<&Expr> = elts.iter().collect();
            return self.unpack_assign(&names, &a.value, a.range, out);
        }
        let mut targets = Vec::with_capacity(a.targets.len());
        for t in &a.targets {
            match t {
                Expr::Name(_) => targets.push(t),
                Expr::Subscript(s) if self.table_named(&s.value).is_some() => {
                    return Err(self.frozen_store(s));
                }
                Expr::Subscript(_) => targets.push(t),
                other => return Err(self.unsupported(target_message(other), other.range())),
            }
        }
        let value = self.expr(&a.value)?;
        let shared = if targets.len() > 1 && value.as_const().is_none() {
            // `a = b = f(x)` evaluates `f(x)` once.
            let t = value.ty.concrete();
            let tmp = self.scope.temp("t", t);
            let range = value.range();
            let e = self.coerce(value, t)?;
            out.push(stmt(StmtKind::Assign { dst: tmp, value: e }, a.range));
            Val::local(tmp, t, range)
        } else {
            value
        };
        for t in targets {
            self.assign_to(t, shared.clone(), a.range, out)?;
        }
        Ok(())
    }

    /// `target = v` for one name or array element.
    pub(super) fn assign_to(
        &mut self,
        target: &Expr,
        v: Val,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        match target {
            Expr::Name(n) => out.push(self.store(n.id.as_str(), v, range)?),
            Expr::Subscript(s) if self.table_named(&s.value).is_some() => {
                return Err(self.frozen_store(s));
            }
            Expr::Subscript(s) if !self.arrays.is_empty() => {
                out.push(self.store_item(s, v, range)?)
            }
            other => return Err(self.unsupported(target_message(other), other.range())),
        }
        Ok(())
    }

    /// Widens variable `name` to hold values of type `ty` and returns its IR local.
    fn declare(&mut self, name: &str, ty: Ty) -> Local {
        self.state.join_var(name, ty);
        let t = self.state.var(name).unwrap_or_else(|| ty.concrete());
        match self.scope.slot(name) {
            Some(l) => l,
            None => self.scope.bind(name, t),
        }
    }

    /// `name = value`.
    pub(super) fn store(
        &mut self,
        name: &str,
        value: Val,
        range: TextRange,
    ) -> Result<ir::Stmt, CompileError> {
        self.check_rebind(name, range)?;
        let dst = self.declare(name, value.ty);
        let e = self.coerce(value, self.scope.ty(dst))?;
        self.flow.assign(name);
        let assign = stmt(StmtKind::Assign { dst, value: e }, range);
        // A variable a loop may have left unbound is bound now: its flag is set with it.
        Ok(match self.guard_set(name, range) {
            Some(set) => stmt(
                StmtKind::If {
                    cond: mk(ExprKind::Const(Const::Bool(true)), Scalar::Bool, range),
                    then_body: vec![assign, set],
                    else_body: Vec::new(),
                },
                range,
            ),
            None => assign,
        })
    }

    fn if_stmt(
        &mut self,
        test: &Expr,
        body: &[Stmt],
        rest: &[ast::ElifElseClause],
        range: TextRange,
    ) -> Result<ir::Stmt, CompileError> {
        let c = self.expr(test)?;
        let cond = self.truth(c)?;
        let before = self.flow.snapshot();
        let then_body = self.block(body)?;
        let after_then = self.flow.snapshot();
        self.flow.restore(before);
        let else_body = match rest.split_first() {
            None => Vec::new(),
            Some((clause, more)) => match &clause.test {
                None => self.block(&clause.body)?,
                Some(t) => {
                    let r = TextRange::new(clause.range.start(), range.end());
                    vec![self.if_stmt(t, &clause.body, more, r)?]
                }
            },
        };
        self.flow.merge(after_then);
        Ok(stmt(
            StmtKind::If {
                cond,
                then_body,
                else_body,
            },
            range,
        ))
    }

    fn while_stmt(&mut self, w: &ast::StmtWhile, out: &mut ir::Block) -> Result<(), CompileError> {
        let c = self.expr(&w.test)?;
        let cond = self.truth(c)?;
        let forever = matches!(cond.kind, ExprKind::Const(Const::Bool(true)));
        let before = self.flow.snapshot();
        self.flow.enter_loop();
        let body = self.block(&w.body)?;
        let breaks = self.flow.exit_loop();
        // The loop ends normally when the condition is false: at the latest, before any
        // iteration has assigned anything.
        self.flow.restore(before);
        let orelse = self.block(&w.orelse)?;
        if forever {
            self.flow.terminate();
        }
        self.flow.merge(breaks);
        out.push(stmt(StmtKind::While { cond, body, orelse }, w.range));
        Ok(())
    }

    fn for_stmt(&mut self, f: &ast::StmtFor, out: &mut ir::Block) -> Result<(), CompileError> {
        if f.is_async {
            return Err(self.unsupported("async for is not supported in kernels", f.range));
        }
        if self.for_items(f, out)?.is_some() {
            return Ok(());
        }
        let Expr::Name(var) = &*f.target else {
            return Err(self.unsupported(
                "for loops in kernels need a single loop variable",
                f.target.range(),
            ));
        };
        let name = var.id.as_str();
        self.check_rebind(name, var.range)?;
        let guards = self.loop_guards(&[name]);
        if let Some((arr, len)) = self.array_iter(&f.iter)? {
            // `for v in a`: a hidden index runs over the array, `v = a[k]` starts each pass.
            let before = self.flow.snapshot();
            let k = self.scope.temp("k", Scalar::I64);
            let konst = |v: i128| mk(ExprKind::Const(Const::Int(v)), Scalar::I64, f.iter.range());
            let element = self.element(arr, k, f.iter.range());
            let mut body = vec![self.store(name, element, var.range)?];
            return self.finish_for(
                f,
                out,
                before,
                (k, konst(0), len, konst(1)),
                &mut body,
                guards,
            );
        }
        let (start, stop, step, t) = self.range_call(&f.iter)?;
        let before = self.flow.snapshot();
        // The loop variable takes the range's type unless other assignments widened it; then
        // a hidden counter of the range's type feeds it at the top of each iteration.
        let dst = self.declare(name, Ty::Strong(t));
        self.flow.assign(name);
        let (loop_local, mut body) = if self.scope.ty(dst) == t {
            (dst, Vec::new())
        } else {
            let hidden = self.scope.temp("i", t);
            let value = mk(ExprKind::Local(hidden), t, var.range);
            let value = super::val::cast(value, self.scope.ty(dst));
            (
                hidden,
                vec![stmt(StmtKind::Assign { dst, value }, var.range)],
            )
        };
        self.finish_for(
            f,
            out,
            before,
            (loop_local, start, stop, step),
            &mut body,
            guards,
        )
    }

    /// The body, `else` and flow of a `for` loop whose counter and bounds are known; `guards`
    /// flag the loop variables the loop may leave unbound.
    pub(super) fn finish_for(
        &mut self,
        f: &ast::StmtFor,
        out: &mut ir::Block,
        before: super::flow::Assigned,
        (loop_local, start, stop, step): (Local, ir::Expr, ir::Expr, ir::Expr),
        body: &mut ir::Block,
        guards: super::iterate::Guards,
    ) -> Result<(), CompileError> {
        let sets = Self::guard_sets(&guards, f.target.range());
        body.splice(0..0, sets);
        self.flow.enter_loop();
        body.extend(self.block(&f.body)?);
        let breaks = self.flow.exit_loop();
        self.flow.restore(before);
        self.activate_guards(guards);
        let orelse = self.block(&f.orelse)?;
        self.flow.merge(breaks);
        out.push(stmt(
            StmtKind::ForRange {
                var: loop_local,
                start,
                stop,
                step,
                body: std::mem::take(body),
                orelse,
            },
            f.range,
        ));
        Ok(())
    }

    /// `range(stop)`, `range(start, stop)`, `range(start, stop, step)`: the bounds in one integer
    /// type (int64, or uint64 when the bounds are uint64) and that type.
    fn range_call(
        &mut self,
        iter: &Expr,
    ) -> Result<(ir::Expr, ir::Expr, ir::Expr, Scalar), CompileError> {
        let not_range = || {
            self.unsupported(
                "for loops in vectorize kernels can only iterate over range(...)",
                iter.range(),
            )
        };
        let Expr::Call(call) = iter else {
            return Err(not_range());
        };
        let is_range = match &*call.func {
            Expr::Name(n) if !self.scope.is_local(n.id.as_str()) => {
                match self.spec.global(n.id.as_str()) {
                    None => n.id.as_str() == "range",
                    Some(crate::spec::GlobalValue::Callable(q)) => q == "builtins.range",
                    Some(_) => false,
                }
            }
            f => self.qualified(f).as_deref() == Some("numba.prange"),
        };
        if !is_range {
            return Err(not_range());
        }
        if let Some(k) = call.arguments.keywords.first() {
            return Err(self.unsupported(
                "keyword arguments are not supported in kernel calls",
                k.range,
            ));
        }
        let n = call.arguments.args.len();
        if !(1..=3).contains(&n) {
            return Err(self.typing(
                format!("range() takes 1 to 3 arguments ({n} given)"),
                call.range(),
            ));
        }
        let mut vals = Vec::with_capacity(3);
        for a in call.arguments.args.iter() {
            let v = self.expr(a)?;
            if v.kind() > Kind::Int {
                return Err(self.typing(
                    format!("range() arguments must be integers, not {}", v.ty),
                    a.range(),
                ));
            }
            vals.push(v);
        }
        let joined = vals
            .iter()
            .map(|v| v.ty)
            .reduce(promote_ty)
            .unwrap_or(Ty::Strong(Scalar::I64));
        // Python's range counts in unbounded ints; int64 is that here (uint64 bounds keep
        // their type, since int64 cannot hold them).
        let t = if joined == Ty::Strong(Scalar::U64) {
            Scalar::U64
        } else {
            Scalar::I64
        };
        let at = call.range();
        let konst = |v: i128| Val::constant(Const::Int(v), Ty::Strong(t), at);
        let mut it = vals.into_iter();
        let (start, stop, step) = match n {
            1 => (konst(0), it.next(), konst(1)),
            2 => (it.next().unwrap_or_else(|| konst(0)), it.next(), konst(1)),
            _ => (
                it.next().unwrap_or_else(|| konst(0)),
                it.next(),
                it.next().unwrap_or_else(|| konst(1)),
            ),
        };
        let stop = stop.unwrap_or_else(|| konst(0));
        let step_range = step.range();
        let (start, stop, step) = (
            self.coerce(start, t)?,
            self.coerce(stop, t)?,
            self.coerce(step, t)?,
        );
        if matches!(step.kind, ExprKind::Const(Const::Int(0))) {
            return Err(self.error(
                ErrorKind::Compile,
                "range() arg 3 must not be zero",
                parse::span(step_range),
            ));
        }
        Ok((start, stop, step, t))
    }

    /// `return value`, converted to the declared return type (NumPy's same-kind rule) or
    /// joined into the inferred one.
    pub(super) fn return_stmt(&mut self, value: Val, span: Span) -> Result<ir::Stmt, CompileError> {
        if self.is_gufunc() {
            return Err(self.error(
                ErrorKind::Typing,
                "a guvectorize kernel returns nothing: write its results into the output \
                 arguments (out[0] = ...)",
                value.expr.span,
            ));
        }
        if self.ret_arity.is_some() {
            return Err(self.error(
                ErrorKind::Typing,
                "every 'return' of a function must give the same number of values",
                span,
            ));
        }
        let ret = match self.declared_ret {
            Some(t) => {
                if value.kind() > t.kind() {
                    return Err(self.error(
                        ErrorKind::Typing,
                        format!(
                            "cannot return {} from a function declared to return {t}",
                            value.ty
                        ),
                        value.expr.span,
                    ));
                }
                t
            }
            None => {
                self.state.join_ret(value.ty);
                self.state.ret().unwrap_or_else(|| value.ty.concrete())
            }
        };
        let e = self.coerce(value, ret)?;
        self.flow.terminate();
        Ok(ir::Stmt {
            kind: StmtKind::Return(e),
            span,
        })
    }
}

fn target_message(t: &Expr) -> &'static str {
    match t {
        Expr::Tuple(_) | Expr::List(_) => "nested tuples cannot be unpacked in kernels",
        Expr::Subscript(_) => {
            "item assignment is not supported in vectorize kernels (arrays come with guvectorize)"
        }
        Expr::Attribute(_) => "attribute assignment is not supported in kernels",
        Expr::Starred(_) => "star assignment is not supported in kernels",
        _ => "this assignment target is not supported in kernels",
    }
}

fn unsupported_stmt(s: &Stmt) -> &'static str {
    match s {
        Stmt::FunctionDef(_) => "nested functions are not supported in kernels",
        Stmt::ClassDef(_) => "classes are not supported in kernels",
        Stmt::Delete(_) => "'del' is not supported in kernels",
        Stmt::TypeAlias(_) => "type aliases are not supported in kernels",
        Stmt::With(_) => "'with' is not supported in kernels",
        Stmt::Match(_) => "'match' is not supported in kernels",
        Stmt::Try(_) => "'try' is not supported in kernels",
        Stmt::Import(_) | Stmt::ImportFrom(_) => "'import' is not supported in kernels",
        Stmt::Global(_) => "'global' is not supported in kernels",
        Stmt::Nonlocal(_) => "'nonlocal' is not supported in kernels",
        _ => "this statement is not supported in kernels",
    }
}
