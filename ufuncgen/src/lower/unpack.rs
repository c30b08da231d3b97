//! `q, r = divmod(a, b)`: the one tuple-valued call, unpacked into two names.

use super::val::Val;
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, StmtKind};
use crate::parse;
use crate::spec::GlobalValue;
use ruff_python_ast::{Expr, Operator};
use ruff_text_size::{Ranged, TextRange};

impl Lowerer<'_> {
    /// True when `func` names the builtin `divmod` (not shadowed).
    fn is_divmod(&self, func: &Expr) -> bool {
        let Expr::Name(n) = func else { return false };
        let name = n.id.as_str();
        if self.scope.is_local(name) {
            return false;
        }
        match self.spec.global(name) {
            None => name == "divmod",
            Some(GlobalValue::Callable(q)) => q == "builtins.divmod",
            Some(_) => false,
        }
    }

    /// `q, r = divmod(a, b)` as `q = a // b; r = a % b` with `a` and `b` evaluated once and
    /// before either name is assigned (`None`: the value is not a `divmod` call).
    pub(super) fn unpack_divmod(
        &mut self,
        names: &[&Expr],
        value: &Expr,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<Option<()>, CompileError> {
        let Expr::Call(c) = value else {
            return Ok(None);
        };
        if !self.is_divmod(&c.func) {
            return Ok(None);
        }
        if let Some(k) = c.arguments.keywords.first() {
            return Err(self.unsupported(
                "keyword arguments are not supported in kernel calls",
                k.range,
            ));
        }
        let [a, b] = &c.arguments.args[..] else {
            return Err(self.typing(
                format!(
                    "divmod() takes 2 arguments ({} given)",
                    c.arguments.args.len()
                ),
                c.range(),
            ));
        };
        if names.len() != 2 {
            return Err(self.typing(
                format!(
                    "divmod() gives 2 values but {} names are unpacked",
                    names.len()
                ),
                range,
            ));
        }
        let mut targets = Vec::with_capacity(2);
        for t in names {
            let Expr::Name(n) = t else {
                return Err(self.unsupported("only names can be unpacked from divmod()", t.range()));
            };
            targets.push(n.id.as_str());
        }
        let a = self.expr(a)?;
        let b = self.expr(b)?;
        let a = self.evaluate_once(a, out)?;
        let b = self.evaluate_once(b, out)?;
        let q = self.binary(Operator::FloorDiv, a.clone(), b.clone(), c.range())?;
        let r = self.binary(Operator::Mod, a, b, c.range())?;
        let q = self.evaluate_once(q, out)?;
        out.push(self.store(targets[0], q, range)?);
        out.push(self.store(targets[1], r, range)?);
        Ok(Some(()))
    }

    /// `v` itself when it is a constant, else a temporary assigned `v` here.
    fn evaluate_once(&mut self, v: Val, out: &mut ir::Block) -> Result<Val, CompileError> {
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
