//! Typed values during lowering and the one place that converts them between dtypes.
//!
//! A `Val` is an IR expression plus its inference type. Weak types (Python literals, NEP 50)
//! have IR in their default dtype; `coerce` re-materialises a weak constant directly in the
//! target dtype (`float32 * 2.0` multiplies by a float32 `2.0`) and casts everything else.

use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, CmpOp, Const, Expr, ExprKind, Local, UnaryOp};
use crate::parse;
use crate::types::{Kind, Scalar, Ty, Weak};
use ruff_text_size::TextRange;

/// A lowered expression with its inference type (`expr.ty == ty.concrete()`).
#[derive(Debug, Clone)]
pub(super) struct Val {
    pub expr: Expr,
    pub ty: Ty,
}

/// Builds an IR expression.
pub(super) fn mk(kind: ExprKind, ty: Scalar, range: TextRange) -> Expr {
    Expr {
        kind,
        ty,
        span: parse::span(range),
    }
}

/// Builds an IR statement.
pub(super) fn stmt(kind: ir::StmtKind, range: TextRange) -> ir::Stmt {
    ir::Stmt {
        kind,
        span: parse::span(range),
    }
}

/// An int64 constant.
pub(super) fn int(v: i128, range: TextRange) -> Expr {
    mk(ExprKind::Const(Const::Int(v)), Scalar::I64, range)
}

impl Val {
    /// A value of a concrete dtype.
    pub fn strong(expr: Expr) -> Val {
        let ty = Ty::Strong(expr.ty);
        Val { expr, ty }
    }

    /// A read of an IR local.
    pub fn local(l: Local, ty: Scalar, range: TextRange) -> Val {
        Val::strong(mk(ExprKind::Local(l), ty, range))
    }

    /// A constant; `weak` for Python literals.
    pub fn constant(c: Const, ty: Ty, range: TextRange) -> Val {
        Val {
            expr: mk(ExprKind::Const(c), ty.concrete(), range),
            ty,
        }
    }

    /// A weak Python literal of the kind matching `c`.
    pub fn literal(c: Const, range: TextRange) -> Val {
        let ty = match c {
            Const::Bool(_) => Ty::Strong(Scalar::Bool),
            Const::Int(_) => Ty::Weak(Weak::Int),
            Const::Float(_) => Ty::Weak(Weak::Float),
            Const::Complex(..) => Ty::Weak(Weak::Complex),
        };
        Val::constant(c, ty, range)
    }

    pub fn scalar(&self) -> Scalar {
        self.expr.ty
    }

    pub fn kind(&self) -> Kind {
        self.ty.kind()
    }

    pub fn is_weak(&self) -> bool {
        matches!(self.ty, Ty::Weak(_))
    }

    /// The constant, if this value is one.
    pub fn as_const(&self) -> Option<Const> {
        match self.expr.kind {
            ExprKind::Const(c) => Some(c),
            _ => None,
        }
    }

    /// The source range of the expression.
    pub fn range(&self) -> TextRange {
        TextRange::new(self.expr.span.start.into(), self.expr.span.end.into())
    }
}

/// Why a constant could not be written in a dtype.
pub(super) enum NoConst {
    /// A Python integer outside the dtype's range (NumPy 2 raises OverflowError).
    OutOfBounds(i128),
    /// Not representable without a real conversion (float to int, complex to real).
    NeedsCast,
}

/// The range of an integer dtype.
pub(super) fn int_range(t: Scalar) -> (i128, i128) {
    let bits = t.bits();
    if t.is_signed() {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// `c` written exactly as a constant of dtype `to`.
pub(super) fn materialize(c: Const, to: Scalar) -> Result<Const, NoConst> {
    let (re, im) = match c {
        Const::Bool(b) => (f64::from(u8::from(b)), 0.0),
        Const::Int(v) => (v as f64, 0.0),
        Const::Float(x) => (x, 0.0),
        Const::Complex(r, i) => (r, i),
    };
    match to.kind() {
        Kind::Bool => match c {
            Const::Bool(b) => Ok(Const::Bool(b)),
            _ => Err(NoConst::NeedsCast),
        },
        Kind::Int => match c {
            Const::Bool(b) => Ok(Const::Int(i128::from(b))),
            Const::Int(v) => {
                let (lo, hi) = int_range(to);
                if (lo..=hi).contains(&v) {
                    Ok(Const::Int(v))
                } else {
                    Err(NoConst::OutOfBounds(v))
                }
            }
            _ => Err(NoConst::NeedsCast),
        },
        Kind::Float if im == 0.0 && !matches!(c, Const::Complex(..)) => Ok(Const::Float(re)),
        Kind::Float => Err(NoConst::NeedsCast),
        Kind::Complex => Ok(Const::Complex(re, im)),
    }
}

/// `c` rounded to the precision of `ty` (only float32 and complex64 are narrower than f64).
fn rounded(c: Const, ty: Scalar) -> Const {
    let r = |x: f64| x as f32 as f64;
    match (c, ty) {
        (Const::Float(x), Scalar::F32) => Const::Float(r(x)),
        (Const::Complex(a, b), Scalar::C64) => Const::Complex(r(a), r(b)),
        _ => c,
    }
}

/// Whether a constant is "true" in Python's sense (non-zero; NaN is true).
pub(super) fn const_truth(c: Const) -> bool {
    match c {
        Const::Bool(b) => b,
        Const::Int(v) => v != 0,
        Const::Float(x) => x != 0.0,
        Const::Complex(r, i) => r != 0.0 || i != 0.0,
    }
}

/// The zero of a dtype.
pub(super) fn zero(t: Scalar) -> Const {
    match t.kind() {
        Kind::Bool => Const::Bool(false),
        Kind::Int => Const::Int(0),
        Kind::Float => Const::Float(0.0),
        Kind::Complex => Const::Complex(0.0, 0.0),
    }
}

impl Lowerer<'_> {
    /// Converts `v` to dtype `to` the way an implicit NumPy conversion does. Complex to real is
    /// refused (callers check explicit conversions first, so this is a typing error).
    pub(super) fn coerce(&self, v: Val, to: Scalar) -> Result<Expr, CompileError> {
        if v.scalar() == to && !v.is_weak() {
            return Ok(v.expr);
        }
        if v.scalar().is_complex() && !to.is_complex() {
            return Err(self.typing(
                format!("cannot convert {} to {to} implicitly", v.ty),
                v.range(),
            ));
        }
        self.convert(v, to)
    }

    /// Like `coerce`, but also allows what an explicit cast allows (complex callers check).
    pub(super) fn convert(&self, v: Val, to: Scalar) -> Result<Expr, CompileError> {
        let range = v.range();
        if let Some(c) = v.as_const() {
            // A float32/complex64 constant keeps its value in f64 until codegen rounds it; a
            // conversion to another type starts from the rounded value, as the cast would.
            let c = if !v.is_weak() && v.scalar() != to {
                rounded(c, v.scalar())
            } else {
                c
            };
            match materialize(c, to) {
                Ok(c) => return Ok(mk(ExprKind::Const(c), to, range)),
                Err(NoConst::OutOfBounds(i)) if v.is_weak() => {
                    return Err(
                        self.typing(format!("Python integer {i} out of bounds for {to}"), range)
                    )
                }
                Err(_) => {}
            }
        }
        if v.scalar() == to {
            return Ok(v.expr);
        }
        if v.is_weak() {
            // Both arms of a weak choice are weak: retarget them instead of casting the result.
            let span = v.expr.span;
            match v.expr.kind {
                ExprKind::Select {
                    cond,
                    then,
                    otherwise,
                } => {
                    let then = self.convert(self.weak_part(*then), to)?;
                    let otherwise = self.convert(self.weak_part(*otherwise), to)?;
                    let kind = ExprKind::Select {
                        cond,
                        then: Box::new(then),
                        otherwise: Box::new(otherwise),
                    };
                    return Ok(Expr { kind, ty: to, span });
                }
                ExprKind::Logical(op, a, b) if to != Scalar::Bool => {
                    let a = self.convert(self.weak_part(*a), to)?;
                    let b = self.convert(self.weak_part(*b), to)?;
                    let kind = ExprKind::Logical(op, Box::new(a), Box::new(b));
                    return Ok(Expr { kind, ty: to, span });
                }
                kind => {
                    let expr = Expr {
                        kind,
                        ty: v.expr.ty,
                        span,
                    };
                    return Ok(cast(expr, to));
                }
            }
        }
        Ok(cast(v.expr, to))
    }

    /// An operand of a weak expression, itself weak of the kind of its default dtype.
    fn weak_part(&self, e: Expr) -> Val {
        let ty = match e.ty.kind() {
            Kind::Bool => Ty::Strong(Scalar::Bool),
            Kind::Int => Ty::Weak(Weak::Int),
            Kind::Float => Ty::Weak(Weak::Float),
            Kind::Complex => Ty::Weak(Weak::Complex),
        };
        Val { expr: e, ty }
    }

    /// Python truthiness: `v != 0` (bool values are used as they are).
    pub(super) fn truth(&self, v: Val) -> Result<Expr, CompileError> {
        let range = v.range();
        if let Some(c) = v.as_const() {
            return Ok(mk(
                ExprKind::Const(Const::Bool(const_truth(c))),
                Scalar::Bool,
                range,
            ));
        }
        let t = v.ty.concrete();
        if t == Scalar::Bool {
            return Ok(v.expr);
        }
        let e = self.coerce(v, t)?;
        let z = mk(ExprKind::Const(zero(t)), t, range);
        Ok(mk(
            ExprKind::Compare(CmpOp::Ne, Box::new(e), Box::new(z)),
            Scalar::Bool,
            range,
        ))
    }

    /// `not v`.
    pub(super) fn not(&self, v: Val) -> Result<Expr, CompileError> {
        let range = v.range();
        let b = self.truth(v)?;
        if let ExprKind::Const(Const::Bool(x)) = b.kind {
            return Ok(mk(ExprKind::Const(Const::Bool(!x)), Scalar::Bool, range));
        }
        Ok(mk(
            ExprKind::Unary(UnaryOp::Not, Box::new(b)),
            Scalar::Bool,
            range,
        ))
    }
}

/// An explicit conversion node (or `e` itself when it already has the type).
pub(super) fn cast(e: Expr, to: Scalar) -> Expr {
    if e.ty == to {
        return e;
    }
    let span = e.span;
    Expr {
        kind: ExprKind::Cast(Box::new(e)),
        ty: to,
        span,
    }
}
