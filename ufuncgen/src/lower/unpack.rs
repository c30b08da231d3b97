//! Tuples, which exist only where they are unpacked: `a, b = x, y`, `q, r = divmod(a, b)`,
//! `s, c = helper(x)` and `return s, c` in a helper. Every right-hand value is computed into a
//! temporary before any target is assigned, as in Python (`a, b = b, a` swaps).

use super::builtins::{round_back, Callee};
use super::val::Val;
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, StmtKind};
use crate::parse;
use ruff_python_ast::{self as ast, Expr, Operator};
use ruff_text_size::{Ranged, TextRange};

impl Lowerer<'_> {
    /// `targets = value` for a tuple of targets (names or array elements).
    pub(super) fn unpack_assign(
        &mut self,
        targets: &[&Expr],
        value: &Expr,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        if self.unpack_shape(targets, value, range, out)?.is_some() {
            return Ok(());
        }
        let values = self.tuple_values(value, targets.len(), range, out)?;
        for (t, v) in targets.iter().zip(values) {
            self.assign_to(t, v, range, out)?;
        }
        Ok(())
    }

    /// The `n` values of a tuple-valued expression, each already evaluated (a constant or a
    /// temporary assigned in `out`).
    pub(super) fn tuple_values(
        &mut self,
        value: &Expr,
        n: usize,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<Vec<Val>, CompileError> {
        match value {
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                if let Some(s) = elts.iter().find(|e| e.is_starred_expr()) {
                    return Err(self.unsupported(
                        "star expressions are not supported in kernel tuples",
                        s.range(),
                    ));
                }
                if elts.len() != n {
                    return Err(self.typing(
                        format!("cannot unpack {} values into {n} names", elts.len()),
                        range,
                    ));
                }
                let mut vals = Vec::with_capacity(n);
                for e in elts {
                    let v = self.expr(e)?;
                    vals.push(self.evaluate_once(v, out)?);
                }
                Ok(vals)
            }
            Expr::Call(c) => {
                if let Some(f) = self.user_function(&c.func) {
                    let args = self.call_args(f, c)?;
                    return self.call_unpack(f, args, n, c.range(), out);
                }
                match self.tuple_callee(&c.func) {
                    Some(Callee::Divmod) => self.divmod_values(c, n, range, out),
                    Some(source @ Callee::Source { .. }) => {
                        let shown = self.text(c.func.range()).to_string();
                        let args = self.bind_arguments(&shown, &[], c)?;
                        let (spec, args, t) = self.source_args(source, &shown, args, c.range())?;
                        let vals = self.call_unpack(&spec, args, n, c.range(), out)?;
                        Ok(vals.into_iter().map(|v| round_back(v, t)).collect())
                    }
                    _ => Err(self.unsupported(
                        "kernels can unpack a tuple, divmod(...), np.modf/np.frexp, an \
                         array's shape or a helper function returning a tuple",
                        value.range(),
                    )),
                }
            }
            _ => Err(self.unsupported(
                "kernels can unpack a tuple, divmod(...), an array's shape or a helper \
                 function returning a tuple",
                value.range(),
            )),
        }
    }

    /// The quotient and remainder of `divmod(a, b)` / `np.divmod(a, b)`, `a` and `b`
    /// evaluated once.
    fn divmod_values(
        &mut self,
        c: &ast::ExprCall,
        n: usize,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<Vec<Val>, CompileError> {
        let [a, b] = &self.positional(c)?[..] else {
            return Err(self.typing(
                format!(
                    "divmod() takes 2 arguments ({} given)",
                    c.arguments.args.len()
                ),
                c.range(),
            ));
        };
        if n != 2 {
            return Err(self.typing(
                format!("divmod() gives 2 values but {n} names are unpacked"),
                range,
            ));
        }
        let a = self.expr(a)?;
        let b = self.expr(b)?;
        let a = self.evaluate_once(a, out)?;
        let b = self.evaluate_once(b, out)?;
        let q = self.binary(Operator::FloorDiv, a.clone(), b.clone(), c.range())?;
        let r = self.binary(Operator::Mod, a, b, c.range())?;
        Ok(vec![
            self.evaluate_once(q, out)?,
            self.evaluate_once(r, out)?,
        ])
    }

    /// `return a, b` in a helper function.
    pub(super) fn return_tuple(
        &mut self,
        elts: &[Expr],
        range: TextRange,
    ) -> Result<ir::Stmt, CompileError> {
        if self.is_gufunc() || self.callers.len() <= 1 {
            return Err(self.unsupported(
                "a kernel returns one value; a tuple can only be returned from a helper \
                 function (several outputs need guvectorize)",
                range,
            ));
        }
        if self.state.ret().is_some() || self.ret_arity.is_some_and(|k| k != elts.len()) {
            return Err(self.typing(
                "every 'return' of a function must give the same number of values",
                range,
            ));
        }
        self.ret_arity = Some(elts.len());
        let mut parts = Vec::with_capacity(elts.len());
        for (j, e) in elts.iter().enumerate() {
            if e.is_starred_expr() {
                return Err(self.unsupported(
                    "star expressions are not supported in kernel tuples",
                    e.range(),
                ));
            }
            let v = self.expr(e)?;
            let name = ret_part_name(j);
            self.state.join_var(&name, v.ty);
            let t = self.state.var(&name).unwrap_or_else(|| v.ty.concrete());
            parts.push(self.coerce(v, t)?);
        }
        self.flow.terminate();
        Ok(ir::Stmt {
            kind: StmtKind::ReturnTuple(parts),
            span: parse::span(range),
        })
    }

    /// The part types of the tuple this function returns (empty when it returns one value).
    pub(super) fn ret_part_types(&self) -> Vec<crate::types::Scalar> {
        (0..self.ret_arity.unwrap_or(0))
            .map(|j| {
                self.state
                    .var(&ret_part_name(j))
                    .unwrap_or(crate::types::Scalar::F64)
            })
            .collect()
    }

    /// `v` itself when it is a constant, else a temporary assigned `v` here.
    pub(super) fn evaluate_once(
        &mut self,
        v: Val,
        out: &mut ir::Block,
    ) -> Result<Val, CompileError> {
        if v.as_const().is_some() {
            return Ok(v);
        }
        let t = v.ty.concrete();
        let range = v.range();
        let tmp = self.scope.temp("t", t);
        let e = self.coerce(v, t)?;
        out.push(ir::Stmt {
            kind: StmtKind::Assign { dst: tmp, value: e },
            span: parse::span(range),
        });
        Ok(Val::local(tmp, t, range))
    }
}

/// The type-state name of part `j` of the returned tuple (no Python name can collide with it).
fn ret_part_name(j: usize) -> String {
    format!("\u{0}ret{j}")
}
