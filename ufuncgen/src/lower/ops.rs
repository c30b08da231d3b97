//! Operators: which dtype each is computed in (NumPy promotion, NEP 50) and constant folding of
//! Python literals (which stay weak, as in Python: `2.0 * 3` is still a Python float).

use super::val::{mk, Val};
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{BinaryOp, CmpOp, Const, ExprKind, UnaryOp};
use crate::types::{promote_ty, Kind, Scalar, Ty, Weak};
use ruff_python_ast::{CmpOp as PyCmp, Operator, UnaryOp as PyUnary};
use ruff_text_size::TextRange;

/// The IR operator and Python spelling of a binary operator (None: `@`).
fn binary_op(op: Operator) -> Option<BinaryOp> {
    Some(match op {
        Operator::Add => BinaryOp::Add,
        Operator::Sub => BinaryOp::Sub,
        Operator::Mult => BinaryOp::Mul,
        Operator::Div => BinaryOp::Div,
        Operator::FloorDiv => BinaryOp::FloorDiv,
        Operator::Mod => BinaryOp::Mod,
        Operator::Pow => BinaryOp::Pow,
        Operator::BitAnd => BinaryOp::BitAnd,
        Operator::BitOr => BinaryOp::BitOr,
        Operator::BitXor => BinaryOp::BitXor,
        Operator::LShift => BinaryOp::Shl,
        Operator::RShift => BinaryOp::Shr,
        Operator::MatMult => return None,
    })
}

/// The IR comparison of a Python comparison operator (None: `is`, `in` and their negations).
pub(super) fn cmp_op(op: PyCmp) -> Option<CmpOp> {
    Some(match op {
        PyCmp::Eq => CmpOp::Eq,
        PyCmp::NotEq => CmpOp::Ne,
        PyCmp::Lt => CmpOp::Lt,
        PyCmp::LtE => CmpOp::Le,
        PyCmp::Gt => CmpOp::Gt,
        PyCmp::GtE => CmpOp::Ge,
        PyCmp::Is | PyCmp::IsNot | PyCmp::In | PyCmp::NotIn => return None,
    })
}

fn is_arithmetic(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(op, Add | Sub | Mul | Div | FloorDiv | Mod | Pow)
}

impl Lowerer<'_> {
    /// `l op r` with NumPy's result type.
    pub(super) fn binary(
        &mut self,
        op: Operator,
        l: Val,
        r: Val,
        range: TextRange,
    ) -> Result<Val, CompileError> {
        let sym = op.as_str();
        let Some(bop) = binary_op(op) else {
            return Err(self.unsupported("the '@' operator is not supported in kernels", range));
        };
        if l.is_weak() && r.is_weak() {
            if let (Some(a), Some(b)) = (l.as_const(), r.as_const()) {
                if let Some(c) = fold_binary(bop, a, b) {
                    return Ok(Val::literal(c, range));
                }
                if let Some(x) = int_overflow_as_float(bop, a, b) {
                    // Python's int is exact where i128 overflows (`10 ** 400`): only a float
                    // can stand for it, and one beyond float64 cannot (OverflowError there).
                    if !x.is_finite() {
                        return Err(self.typing(
                            format!(
                                "integer constant {} is too large to convert to a float",
                                self.text(range)
                            ),
                            range,
                        ));
                    }
                    return Ok(Val::literal(Const::Float(x), range));
                }
            }
        }
        let mut ty = promote_ty(l.ty, r.ty);
        let bad = || {
            self.typing(
                format!("unsupported operand types for {sym}: {} and {}", l.ty, r.ty),
                range,
            )
        };
        match bop {
            // Python/Numba semantics: bools in arithmetic are the integers 0 and 1 (NumPy would
            // keep `True + True` a bool, which no Python user expects).
            _ if is_arithmetic(bop) && ty == Ty::Strong(Scalar::Bool) => {
                ty = Ty::Strong(Scalar::I64)
            }
            BinaryOp::Shl | BinaryOp::Shr if ty == Ty::Strong(Scalar::Bool) => {
                ty = Ty::Strong(Scalar::I64)
            }
            _ => {}
        }
        match bop {
            // True division of integers happens in float64, as NumPy's true_divide does.
            BinaryOp::Div if ty.kind() <= Kind::Int => {
                ty = match ty {
                    Ty::Weak(_) => Ty::Weak(Weak::Float),
                    Ty::Strong(_) => Ty::Strong(Scalar::F64),
                }
            }
            BinaryOp::FloorDiv | BinaryOp::Mod if ty.kind() == Kind::Complex => return Err(bad()),
            BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor if ty.kind() > Kind::Int => {
                return Err(bad())
            }
            BinaryOp::Shl | BinaryOp::Shr if ty.kind() > Kind::Int => return Err(bad()),
            _ => {}
        }
        let t = ty.concrete();
        let a = self.coerce(l, t)?;
        let b = self.coerce(r, t)?;
        let expr = mk(ExprKind::Binary(bop, Box::new(a), Box::new(b)), t, range);
        Ok(Val { expr, ty })
    }

    /// `op v` for `- + ~ not`.
    pub(super) fn unary(
        &mut self,
        op: PyUnary,
        v: Val,
        range: TextRange,
    ) -> Result<Val, CompileError> {
        if op == PyUnary::Not {
            return Ok(Val::strong(self.not(v)?));
        }
        if v.is_weak() {
            if let Some(c) = v.as_const().and_then(|c| fold_unary(op, c)) {
                return Ok(Val::literal(c, range));
            }
        }
        let mut ty = v.ty;
        if ty == Ty::Strong(Scalar::Bool) && op != PyUnary::Invert {
            // `-True` and `+True` are the integers -1 and 1 in Python.
            ty = Ty::Strong(Scalar::I64);
        }
        let t = ty.concrete();
        let uop = match op {
            PyUnary::UAdd => {
                let e = self.coerce(v, t)?;
                return Ok(Val {
                    expr: super::val::cast(e, t),
                    ty,
                });
            }
            PyUnary::USub => UnaryOp::Neg,
            PyUnary::Invert if ty.kind() > Kind::Int => {
                return Err(self.typing(format!("bad operand type for unary ~: {}", v.ty), range))
            }
            // On bool, `~` is logical not (NumPy's invert; Python would give -2).
            PyUnary::Invert | PyUnary::Not => UnaryOp::Invert,
        };
        let e = self.coerce(v, t)?;
        Ok(Val {
            expr: mk(ExprKind::Unary(uop, Box::new(e)), t, range),
            ty,
        })
    }

    /// One comparison `l op r` (both already lowered) as a bool expression.
    pub(super) fn compare(
        &mut self,
        op: PyCmp,
        l: Val,
        r: Val,
        range: TextRange,
    ) -> Result<crate::ir::Expr, CompileError> {
        let Some(cop) = cmp_op(op) else {
            return Err(self.unsupported(
                format!("the '{}' operator is not supported in kernels", op.as_str()),
                range,
            ));
        };
        let mut t = promote_ty(l.ty, r.ty).concrete();
        if t.is_complex() && !matches!(cop, CmpOp::Eq | CmpOp::Ne) {
            return Err(self.typing(
                format!(
                    "'{}' is not supported between {} and {} (complex numbers are not ordered)",
                    op.as_str(),
                    l.ty,
                    r.ty
                ),
                range,
            ));
        }
        // NumPy 2 compares a Python int outside the other operand's range exactly, rather than
        // raising: compare in a type that holds both.
        for v in [&l, &r] {
            if let (true, Some(Const::Int(i)), true) = (v.is_weak(), v.as_const(), t.is_int()) {
                let (lo, hi) = super::val::int_range(t);
                if !(lo..=hi).contains(&i) {
                    t = crate::types::promote(t, Scalar::I64);
                    if t == Scalar::I64 && (i < i128::from(i64::MIN) || i > i128::from(i64::MAX)) {
                        t = Scalar::F64;
                    }
                }
            }
        }
        let a = self.coerce(l, t)?;
        let b = self.coerce(r, t)?;
        Ok(mk(
            ExprKind::Compare(cop, Box::new(a), Box::new(b)),
            Scalar::Bool,
            range,
        ))
    }
}

/// Python's `~`, `-`, `+` on a literal.
fn fold_unary(op: PyUnary, c: Const) -> Option<Const> {
    Some(match (op, c) {
        (PyUnary::USub, Const::Int(v)) => Const::Int(v.checked_neg()?),
        (PyUnary::USub, Const::Float(x)) => Const::Float(-x),
        (PyUnary::USub, Const::Complex(r, i)) => Const::Complex(-r, -i),
        (PyUnary::UAdd, c @ (Const::Int(_) | Const::Float(_) | Const::Complex(..))) => c,
        (PyUnary::Invert, Const::Int(v)) => Const::Int(!v),
        _ => return None,
    })
}

/// Python arithmetic on two literals, where it is exact and cannot raise.
fn fold_binary(op: BinaryOp, a: Const, b: Const) -> Option<Const> {
    use BinaryOp::*;
    if let (Const::Int(x), Const::Int(y)) = (a, b) {
        return Some(match op {
            Add => Const::Int(x.checked_add(y)?),
            Sub => Const::Int(x.checked_sub(y)?),
            Mul => Const::Int(x.checked_mul(y)?),
            FloorDiv => Const::Int(floor_div(x, y)?),
            Mod => Const::Int(x.checked_sub(y.checked_mul(floor_div(x, y)?)?)?),
            Pow if y >= 0 => Const::Int(x.checked_pow(u32::try_from(y).ok()?)?),
            // Python: an int to a negative int power is a float (`2 ** -1 == 0.5`).
            Pow if x != 0 => Const::Float((x as f64).powf(y as f64)),
            Div if y != 0 => Const::Float(x as f64 / y as f64),
            BitAnd => Const::Int(x & y),
            BitOr => Const::Int(x | y),
            BitXor => Const::Int(x ^ y),
            _ => return None,
        });
    }
    let real = |c: Const| match c {
        Const::Int(v) => Some(v as f64),
        Const::Float(x) => Some(x),
        _ => None,
    };
    if let (Some(x), Some(y)) = (real(a), real(b)) {
        return Some(Const::Float(match op {
            Add => x + y,
            Sub => x - y,
            Mul => x * y,
            Div if y != 0.0 => x / y,
            _ => return None,
        }));
    }
    let parts = |c: Const| match c {
        Const::Int(v) => Some((v as f64, 0.0)),
        Const::Float(x) => Some((x, 0.0)),
        Const::Complex(r, i) => Some((r, i)),
        Const::Bool(_) => None,
    };
    let ((ar, ai), (br, bi)) = (parts(a)?, parts(b)?);
    Some(match op {
        Add => Const::Complex(ar + br, ai + bi),
        Sub => Const::Complex(ar - br, ai - bi),
        Mul => Const::Complex(ar * br - ai * bi, ar * bi + ai * br),
        _ => return None,
    })
}

/// The float value of `x op y` on two integer literals whose exact result overflows i128
/// (`+ - *` and `**` by a non-negative power); None for anything else.
fn int_overflow_as_float(op: BinaryOp, a: Const, b: Const) -> Option<f64> {
    use BinaryOp::*;
    let (Const::Int(x), Const::Int(y)) = (a, b) else {
        return None;
    };
    let (fx, fy) = (x as f64, y as f64);
    Some(match op {
        Add if x.checked_add(y).is_none() => fx + fy,
        Sub if x.checked_sub(y).is_none() => fx - fy,
        Mul if x.checked_mul(y).is_none() => fx * fy,
        Pow if y >= 0
            && u32::try_from(y)
                .ok()
                .and_then(|e| x.checked_pow(e))
                .is_none() =>
        {
            fx.powf(fy)
        }
        _ => return None,
    })
}

/// Python's `x // y` (rounds toward negative infinity); None for a zero divisor or overflow.
fn floor_div(x: i128, y: i128) -> Option<i128> {
    let q = x.checked_div(y)?;
    if x.checked_rem(y)? != 0 && ((x < 0) != (y < 0)) {
        Some(q - 1)
    } else {
        Some(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_floor_semantics_for_literals() {
        let fd = |x, y| fold_binary(BinaryOp::FloorDiv, Const::Int(x), Const::Int(y));
        let md = |x, y| fold_binary(BinaryOp::Mod, Const::Int(x), Const::Int(y));
        assert_eq!(fd(7, 2), Some(Const::Int(3)));
        assert_eq!(fd(-7, 2), Some(Const::Int(-4)));
        assert_eq!(fd(7, -2), Some(Const::Int(-4)));
        assert_eq!(fd(-7, -2), Some(Const::Int(3)));
        assert_eq!(md(-7, 2), Some(Const::Int(1)));
        assert_eq!(md(7, -2), Some(Const::Int(-1)));
        assert_eq!(md(-7, -2), Some(Const::Int(-1)));
        assert_eq!(fd(1, 0), None);
        assert_eq!(
            fold_binary(BinaryOp::Pow, Const::Int(2), Const::Int(-1)),
            Some(Const::Float(0.5))
        );
        assert_eq!(
            fold_binary(BinaryOp::Pow, Const::Int(0), Const::Int(-1)),
            None
        );
        assert_eq!(
            fold_binary(BinaryOp::Div, Const::Int(1), Const::Int(4)),
            Some(Const::Float(0.25))
        );
    }
}
