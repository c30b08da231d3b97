//! `for i, v in enumerate(a)` and `for x, y in zip(a, b)` over 1-d arrays, and the loop
//! variables read after their loop: defined when the loop ran, else a read raises
//! `UnboundLocalError` at run time, as in Python.

use super::val::stmt;
use super::val::{mk, Val};
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, CmpOp, Const, Exception, ExprKind, Local, MathFn, StmtKind};
use crate::spec::GlobalValue;
use crate::types::Scalar;
use ruff_python_ast::{self as ast, Expr, Operator};
use ruff_text_size::{Ranged, TextRange};

/// The hidden flags of the loop variables one loop may leave unbound: (name, flag).
pub(super) type Guards = Vec<(String, Local)>;

fn flag_value(v: bool, range: TextRange) -> ir::Expr {
    mk(ExprKind::Const(Const::Bool(v)), Scalar::Bool, range)
}

impl Lowerer<'_> {
    /// True when `func` names the builtin `name` (not shadowed by a local or a global).
    pub(super) fn is_builtin(&self, func: &Expr, name: &str) -> bool {
        let Expr::Name(n) = func else { return false };
        let id = n.id.as_str();
        if self.scope.is_local(id) {
            return false;
        }
        match self.spec.global(id) {
            None => id == name,
            Some(GlobalValue::Callable(q)) => q.strip_prefix("builtins.") == Some(name),
            Some(_) => false,
        }
    }

    /// `for ... in enumerate(a[, start])` / `for ... in zip(a, b, ...)` (`None`: the loop is
    /// something else).
    pub(super) fn for_items(
        &mut self,
        f: &ast::StmtFor,
        out: &mut ir::Block,
    ) -> Result<Option<()>, CompileError> {
        let Expr::Call(c) = &*f.iter else {
            return Ok(None);
        };
        let enumerate = self.is_builtin(&c.func, "enumerate");
        if !enumerate && !self.is_builtin(&c.func, "zip") {
            return Ok(None);
        }
        let what = if enumerate { "enumerate" } else { "zip" };
        let strict = !enumerate && self.zip_strict(c)?;
        let args = if enumerate {
            self.positional(c)?
        } else {
            self.no_star(c)?;
            c.arguments.args.iter().collect()
        };
        let arrays: &[&Expr] = if enumerate {
            match &args[..] {
                [a] | [a, _] => std::slice::from_ref(a),
                _ => {
                    return Err(self.typing(
                        format!("enumerate() takes 1 or 2 arguments ({} given)", args.len()),
                        c.range(),
                    ))
                }
            }
        } else {
            &args[..]
        };
        if arrays.is_empty() {
            return Err(self.unsupported("zip() needs at least one array in kernels", c.range()));
        }
        let want = if enumerate { 2 } else { arrays.len() };
        let targets: Vec<&Expr> = match &*f.target {
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. })
                if elts.len() == want =>
            {
                elts.iter().collect()
            }
            other => {
                return Err(self.unsupported(
                    format!(
                        "a loop over {what}(...) in a kernel unpacks each item into {want} names"
                    ),
                    other.range(),
                ))
            }
        };
        let mut items = Vec::with_capacity(arrays.len());
        let mut len: Option<ir::Expr> = None;
        for a in arrays {
            let Some((id, n)) = self.array_iter(a)? else {
                return Err(
                    self.unsupported(format!("{what}() in kernels takes 1-d arrays"), a.range())
                );
            };
            items.push((id, a.range()));
            if let (true, Some(first)) = (strict, &len) {
                // zip(..., strict=True): arrays of another length are Python's ValueError.
                let differ = mk(
                    ExprKind::Compare(CmpOp::Ne, Box::new(first.clone()), Box::new(n.clone())),
                    Scalar::Bool,
                    a.range(),
                );
                let message = format!(
                    "zip() argument {} has another length than argument 1",
                    items.len()
                );
                let raise = StmtKind::Raise {
                    exception: Exception::ValueError,
                    message,
                };
                let check = StmtKind::If {
                    cond: differ,
                    then_body: vec![stmt(raise, a.range())],
                    else_body: Vec::new(),
                };
                out.push(stmt(check, a.range()));
            }
            // zip stops at the shortest array (with strict=True they are all as long).
            len = Some(match len {
                None => n,
                Some(m) => mk(
                    ExprKind::Call(MathFn::PyMin, vec![m, n]),
                    Scalar::I64,
                    c.range(),
                ),
            });
        }
        let start = match (enumerate, args.get(1)) {
            (true, Some(s)) => {
                let v = self.expr(s)?;
                if v.kind() > crate::types::Kind::Int {
                    return Err(self.typing(
                        format!("enumerate() start must be an integer, not {}", v.ty),
                        s.range(),
                    ));
                }
                Some(v)
            }
            _ => None,
        };
        let names = target_names(&targets);
        let guards = self.loop_guards(&names);
        let before = self.flow.snapshot();
        let k = self.scope.temp("k", Scalar::I64);
        let range = f.iter.range();
        let mut body = Vec::new();
        let mut values = Vec::with_capacity(want);
        if enumerate {
            let index = Val::local(k, Scalar::I64, range);
            values.push(match start {
                Some(s) => self.binary(Operator::Add, index, s, range)?,
                None => index,
            });
        }
        for (id, r) in items {
            values.push(self.element(id, k, r));
        }
        for (t, v) in targets.iter().zip(values) {
            self.assign_to(t, v, f.target.range(), &mut body)?;
        }
        let konst = |v: i128| mk(ExprKind::Const(Const::Int(v)), Scalar::I64, range);
        let stop = len.unwrap_or_else(|| konst(0));
        self.finish_for(
            f,
            out,
            before,
            (k, konst(0), stop, konst(1)),
            &mut body,
            guards,
        )?;
        Ok(Some(()))
    }

    /// The `strict=` of a `zip` call: a constant bool (no other keyword is accepted).
    fn zip_strict(&mut self, c: &ast::ExprCall) -> Result<bool, CompileError> {
        let mut strict = false;
        for k in c.arguments.keywords.iter() {
            if k.arg.as_ref().map(|a| a.id.as_str()) != Some("strict") {
                return Err(self.typing("zip() takes only the keyword argument 'strict'", k.range));
            }
            let v = self.expr(&k.value)?;
            strict = match v.as_const() {
                Some(Const::Bool(b)) => b,
                _ => {
                    return Err(self.unsupported(
                        "zip(strict=...) needs a constant True or False in kernels",
                        k.value.range(),
                    ))
                }
            };
        }
        Ok(strict)
    }

    /// Flags for the loop variables in `names` that nothing bound before the loop and that are
    /// read after it (an earlier pass saw the read): each flag is false at function entry and
    /// set by every assignment to its variable, so the read can tell whether the loop ran.
    /// The other such variables are recorded: a read of one asks the next pass for its flag.
    pub(super) fn loop_guards(&mut self, names: &[&str]) -> Guards {
        let mut guards = Vec::new();
        for &name in names {
            if let Some(flag) = self.guard_of(name) {
                // An earlier loop's variable: this loop binds it too.
                guards.push((name.to_string(), flag));
                continue;
            }
            if self.scope.slot(name).is_some() {
                continue;
            }
            if !self.state.wants_guard(name) {
                self.loop_bound.push(name.to_string());
                continue;
            }
            let flag = self.scope.temp(&format!("bound_{name}_"), Scalar::Bool);
            self.entry_inits.push(stmt(
                StmtKind::Assign {
                    dst: flag,
                    value: flag_value(false, TextRange::default()),
                },
                TextRange::default(),
            ));
            guards.push((name.to_string(), flag));
        }
        guards
    }

    /// `flag = True` for each guard, the first statements of the loop body.
    pub(super) fn guard_sets(guards: &Guards, range: TextRange) -> ir::Block {
        guards
            .iter()
            .map(|&(_, flag)| {
                stmt(
                    StmtKind::Assign {
                        dst: flag,
                        value: flag_value(true, range),
                    },
                    range,
                )
            })
            .collect()
    }

    /// After a loop: its guarded variables count as assigned, reads check their flags.
    pub(super) fn activate_guards(&mut self, guards: Guards) {
        for (name, flag) in guards {
            self.flow.assign(&name);
            self.guards.push((name, flag));
        }
    }

    /// The flag of a variable a loop may have left unbound.
    pub(super) fn guard_of(&self, name: &str) -> Option<Local> {
        self.guards
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, flag)| flag)
    }

    /// A read of `name` (local `l`), checked when a loop may have left it unbound.
    pub(super) fn guarded_read(&self, name: &str, v: Val, range: TextRange) -> Val {
        let Some(flag) = self.guard_of(name) else {
            return v;
        };
        let value = v.expr;
        let t = value.ty;
        let e = mk(
            ExprKind::Guarded {
                ok: Box::new(mk(ExprKind::Local(flag), Scalar::Bool, range)),
                exception: Exception::UnboundLocalError,
                message: format!(
                    "cannot access local variable '{name}' where it is not associated with a \
                     value (the loop that assigns it ran zero times)"
                ),
                value: Box::new(value),
            },
            t,
            range,
        );
        Val::strong(e)
    }

    /// `name = value` for a guarded name also sets its flag (`None`: `name` has no flag).
    pub(super) fn guard_set(&self, name: &str, range: TextRange) -> Option<ir::Stmt> {
        self.guard_of(name).map(|flag| {
            stmt(
                StmtKind::Assign {
                    dst: flag,
                    value: flag_value(true, range),
                },
                range,
            )
        })
    }
}

/// The plain names among loop targets.
pub(super) fn target_names<'e>(targets: &[&'e Expr]) -> Vec<&'e str> {
    targets
        .iter()
        .filter_map(|t| match t {
            Expr::Name(n) => Some(n.id.as_str()),
            _ => None,
        })
        .collect()
}
