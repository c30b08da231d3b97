//! Expressions: literals, names, attributes, `and`/`or`, `x if c else y`, chained comparisons.
//! Operators live in `ops`, calls in `builtins`.

use super::val::{materialize, mk, Val};
use super::Lowerer;
use crate::diag::{CompileError, ErrorKind};
use crate::ir::{self, Const, ExprKind, LogicalOp, UnaryOp};
use crate::types::{promote_ty, Kind, Scalar, Ty};
use ruff_python_ast::{self as ast, BoolOp, CmpOp, Expr, Number};
use ruff_text_size::{Ranged, TextRange};

impl Lowerer<'_> {
    /// Lowers and types one expression.
    pub(super) fn expr(&mut self, e: &Expr) -> Result<Val, CompileError> {
        if self.elementwise.is_some() {
            if let Some(v) = self.elementwise_leaf(e)? {
                return Ok(v);
            }
        }
        match e {
            Expr::NumberLiteral(n) => self.number(&n.value, n.range),
            Expr::BooleanLiteral(b) => Ok(Val::literal(Const::Bool(b.value), b.range)),
            Expr::Name(n) => self.load_name(n.id.as_str(), n.range),
            Expr::BinOp(b) => {
                let l = self.expr(&b.left)?;
                let r = self.expr(&b.right)?;
                self.binary(b.op, l, r, b.range)
            }
            Expr::UnaryOp(u) => {
                let v = self.expr(&u.operand)?;
                self.unary(u.op, v, u.range)
            }
            Expr::Compare(c) => {
                if let Some(op) = c.ops.iter().find(|op| super::ops::cmp_op(**op).is_none()) {
                    let msg = format!("the '{}' operator is not supported in kernels", op.as_str());
                    return Err(self.unsupported(msg, c.range));
                }
                let first = self.expr(&c.left)?;
                Ok(Val::strong(self.compare_chain(
                    first,
                    &c.ops,
                    &c.comparators,
                )?))
            }
            Expr::BoolOp(b) => self.logical(b),
            Expr::If(i) => self.select(i),
            Expr::Call(c) => match self.array_len(c)? {
                Some(v) => Ok(v),
                None => self.call(c),
            },
            Expr::Attribute(a) => match self.table_named(&a.value) {
                Some(t) => self.table_attribute(t, a),
                None => match self.array_of(&a.value)? {
                    Some(arr) => self.array_attribute(arr, a),
                    None => self.attribute(a),
                },
            },
            Expr::Subscript(s) => self.subscript(s),
            _ => Err(self.unsupported(unsupported_expr(e), e.range())),
        }
    }

    fn number(&self, n: &Number, range: TextRange) -> Result<Val, CompileError> {
        let c = match n {
            Number::Int(i) => match i.as_u64() {
                Some(v) => Const::Int(i128::from(v)),
                // Beyond uint64: exact while it fits 128 bits (an integer dtype refuses it
                // when coerced, a float takes it rounded, as NumPy does); beyond that only a
                // float can hold it, and one that overflows even float64 is refused, as
                // Python's float(int) raises OverflowError.
                None => match big_int_literal(self.text(range)) {
                    Some(c) => c,
                    None => {
                        return Err(self.typing(
                            format!(
                                "integer literal {} is too large to convert to a float",
                                self.text(range)
                            ),
                            range,
                        ))
                    }
                },
            },
            Number::Float(x) => Const::Float(*x),
            Number::Complex { real, imag } => Const::Complex(*real, *imag),
        };
        Ok(Val::literal(c, range))
    }

    /// A frozen global or closure constant: weak when it is a Python scalar.
    pub(super) fn global_const(
        &self,
        name: &str,
        value: Const,
        dtype: Option<Scalar>,
        range: TextRange,
    ) -> Result<Val, CompileError> {
        let Some(t) = dtype else {
            return Ok(Val::literal(value, range));
        };
        match materialize(value, t) {
            Ok(c) => Ok(Val::constant(c, Ty::Strong(t), range)),
            Err(_) => Err(self.error(
                ErrorKind::Compile,
                format!("global '{name}' holds {value:?}, which is not a valid {t}"),
                crate::parse::span(range),
            )),
        }
    }

    /// `a and b and ...` / `a or b or ...`: Python's value semantics in the promoted type.
    fn logical(&mut self, b: &ast::ExprBoolOp) -> Result<Val, CompileError> {
        let op = match b.op {
            BoolOp::And => LogicalOp::And,
            BoolOp::Or => LogicalOp::Or,
        };
        let vals = b
            .values
            .iter()
            .map(|e| self.expr(e))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(ty) = vals.iter().map(|v| v.ty).reduce(promote_ty) else {
            return Err(self.typing("empty boolean operation", b.range));
        };
        let t = ty.concrete();
        let mut acc: Option<ir::Expr> = None;
        for v in vals {
            let e = self.coerce(v, t)?;
            acc = Some(match acc {
                None => e,
                Some(a) => mk(ExprKind::Logical(op, Box::new(a), Box::new(e)), t, b.range),
            });
        }
        let expr = acc.ok_or_else(|| self.typing("empty boolean operation", b.range))?;
        Ok(Val { expr, ty })
    }

    /// `then if test else otherwise`: both arms in their promoted type.
    fn select(&mut self, i: &ast::ExprIf) -> Result<Val, CompileError> {
        let c = self.expr(&i.test)?;
        let cond = self.truth(c)?;
        let a = self.expr(&i.body)?;
        let b = self.expr(&i.orelse)?;
        let ty = promote_ty(a.ty, b.ty);
        let t = ty.concrete();
        let then = self.coerce(a, t)?;
        let otherwise = self.coerce(b, t)?;
        let kind = ExprKind::Select {
            cond: Box::new(cond),
            then: Box::new(then),
            otherwise: Box::new(otherwise),
        };
        Ok(Val {
            expr: mk(kind, t, i.range),
            ty,
        })
    }

    /// `a < b < c`: `(a < b) and (b < c)` with `b` evaluated once (bound by a `Let`).
    fn compare_chain(
        &mut self,
        left: Val,
        ops: &[CmpOp],
        rest: &[Expr],
    ) -> Result<ir::Expr, CompileError> {
        let (Some(&op), Some(next)) = (ops.first(), rest.first()) else {
            return Err(self.typing("empty comparison", left.range()));
        };
        let right = self.expr(next)?;
        let pair = TextRange::new(left.range().start(), right.range().end());
        if ops.len() == 1 {
            return self.compare(op, left, right, pair);
        }
        let simple = matches!(right.expr.kind, ExprKind::Local(_) | ExprKind::Const(_));
        let (shared, binding) = if simple {
            (right, None)
        } else {
            let t = right.ty.concrete();
            let local = self.scope.temp("cmp", t);
            let range = right.range();
            let value = self.coerce(right, t)?;
            (Val::local(local, t, range), Some((local, value)))
        };
        let head = self.compare(op, left, shared.clone(), pair)?;
        let tail = self.compare_chain(shared, &ops[1..], &rest[1..])?;
        let whole = TextRange::new(pair.start(), rest.last().map_or(pair.end(), |e| e.end()));
        let both = mk(
            ExprKind::Logical(LogicalOp::And, Box::new(head), Box::new(tail)),
            Scalar::Bool,
            whole,
        );
        Ok(match binding {
            None => both,
            Some((local, value)) => mk(
                ExprKind::Let {
                    local,
                    value: Box::new(value),
                    body: Box::new(both),
                },
                Scalar::Bool,
                whole,
            ),
        })
    }

    /// `math.pi`, `np.nan`, `z.real`, `z.imag`.
    fn attribute(&mut self, a: &ast::ExprAttribute) -> Result<Val, CompileError> {
        let attr = a.attr.id.as_str();
        if let Some(module) = self.module_of(&a.value) {
            let q = format!("{}.{attr}", super::builtins::module_name(module));
            if let Some(c) = super::builtins::constant(&q) {
                return Ok(Val::literal(c, a.range));
            }
            let shown = self.text(a.range).to_string();
            if super::builtins::lookup(&q).is_some() {
                return Err(self.unsupported(
                    format!("function '{shown}' cannot be used as a value in kernels; call it"),
                    a.range,
                ));
            }
            return Err(self.unsupported(format!("'{shown}' is not supported in kernels"), a.range));
        }
        let v = self.expr(&a.value)?;
        match attr {
            "real" => self.part(v, false, a.range),
            "imag" => self.part(v, true, a.range),
            _ => Err(self.typing(format!("{} has no attribute '{attr}'", v.ty), a.range)),
        }
    }

    /// `v.real` / `v.imag` (of a real number: itself / zero).
    pub(super) fn part(
        &mut self,
        v: Val,
        imag: bool,
        range: TextRange,
    ) -> Result<Val, CompileError> {
        match (v.kind(), v.as_const()) {
            (Kind::Complex, Some(Const::Complex(r, i))) if v.is_weak() => {
                Ok(Val::literal(Const::Float(if imag { i } else { r }), range))
            }
            (Kind::Complex, _) => {
                let t = v.scalar().real_part();
                let op = if imag { UnaryOp::Imag } else { UnaryOp::Real };
                let e = self.coerce(v.clone(), v.scalar())?;
                Ok(Val::strong(mk(ExprKind::Unary(op, Box::new(e)), t, range)))
            }
            // A bool's parts are the integers of Python's `True.real`.
            (Kind::Bool, _) if imag => Ok(Val::literal(Const::Int(0), range)),
            (Kind::Bool, _) => Ok(Val::strong(self.coerce(v, Scalar::I64)?)),
            (_, _) if imag => {
                let z = super::val::zero(v.scalar());
                Ok(Val::constant(z, v.ty, range))
            }
            _ => Ok(v),
        }
    }

    /// The module a name refers to, when it is a global module (not shadowed by a local).
    pub(super) fn module_of(&self, e: &Expr) -> Option<crate::spec::ModuleKind> {
        let Expr::Name(n) = e else { return None };
        if self.scope.is_local(n.id.as_str()) {
            return None;
        }
        match self.spec.global(n.id.as_str()) {
            Some(crate::spec::GlobalValue::Module(m)) => Some(*m),
            _ => None,
        }
    }
}

/// An integer literal's source text (any radix, underscores allowed) as an exact `Int` when it
/// fits 128 bits, else as the nearest finite float; None when it overflows float64.
fn big_int_literal(text: &str) -> Option<Const> {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = match lower.get(..2) {
        Some("0x") => (16, &lower[2..]),
        Some("0o") => (8, &lower[2..]),
        Some("0b") => (2, &lower[2..]),
        _ => (10, lower.as_str()),
    };
    if let Ok(v) = i128::from_str_radix(body, radix) {
        return Some(Const::Int(v));
    }
    let x = if radix == 10 {
        body.parse::<f64>().ok()?
    } else {
        body.chars().try_fold(0f64, |acc, c| {
            Some(acc * f64::from(radix) + f64::from(c.to_digit(radix)?))
        })?
    };
    x.is_finite().then_some(Const::Float(x))
}

/// The message for an expression outside the kernel language.
fn unsupported_expr(e: &Expr) -> &'static str {
    match e {
        Expr::StringLiteral(_) | Expr::BytesLiteral(_) => "strings are not supported in kernels",
        Expr::FString(_) | Expr::TString(_) => "f-strings are not supported in kernels",
        Expr::NoneLiteral(_) => "None is not supported in kernels",
        Expr::EllipsisLiteral(_) => "'...' is not supported in kernels",
        Expr::List(_) => "lists are not supported in kernels",
        Expr::Tuple(_) => "tuples are not supported in kernels",
        Expr::Dict(_) => "dicts are not supported in kernels",
        Expr::Set(_) => "sets are not supported in kernels",
        Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) => {
            "comprehensions are not supported in kernels"
        }
        Expr::Generator(_) => "generator expressions are not supported in kernels",
        Expr::Lambda(_) => "lambdas inside kernels are not supported",
        Expr::Named(_) => "assignment expressions (:=) are not supported in kernels",
        Expr::Subscript(_) => {
            "subscripts are not supported in vectorize kernels (array arguments need guvectorize)"
        }
        Expr::Starred(_) => "star expressions are not supported in kernels",
        Expr::Slice(_) => "slices are not supported in kernels",
        Expr::Await(_) => "await is not supported in kernels",
        Expr::Yield(_) | Expr::YieldFrom(_) => "generators (yield) are not supported in kernels",
        _ => "this expression is not supported in kernels",
    }
}
