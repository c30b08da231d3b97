//! Complex-number helpers of the call table: `cmath.phase`/`np.angle`, complex `isnan` and
//! friends, and NumPy's `round` with a number of digits.

use super::val::{cast, mk, Val};
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, BinaryOp, Const, ExprKind, LogicalOp, MathFn, UnaryOp};
use crate::types::{Kind, Scalar};
use ruff_text_size::TextRange;

/// `10**n` the way NumPy's `round` computes it (exact up to 1e22, then by repeated products).
fn power_of_ten(n: u64) -> f64 {
    let mut p = 1.0;
    for _ in 0..n.min(400) {
        p *= 10.0;
    }
    p
}

impl Lowerer<'_> {
    /// Evaluates `e` once and hands `build` an expression that reads its value.
    pub(super) fn share(
        &mut self,
        e: ir::Expr,
        build: impl FnOnce(&ir::Expr) -> ir::Expr,
    ) -> ir::Expr {
        if matches!(e.kind, ExprKind::Local(_) | ExprKind::Const(_)) {
            return build(&e);
        }
        let local = self.scope.temp("z", e.ty);
        let read = ir::Expr {
            kind: ExprKind::Local(local),
            ty: e.ty,
            span: e.span,
        };
        let body = build(&read);
        let (ty, span) = (body.ty, body.span);
        ir::Expr {
            kind: ExprKind::Let {
                local,
                value: Box::new(e),
                body: Box::new(body),
            },
            ty,
            span,
        }
    }

    /// `cmath.phase(v)` / `np.angle(v)`: `atan2(imag, real)` (a real `x` is `x + 0j`).
    pub(super) fn phase(&mut self, v: Val, range: TextRange) -> Result<Val, CompileError> {
        let t = v.ty.concrete();
        if t.is_complex() {
            let p = t.real_part();
            let z = self.coerce(v, t)?;
            let e = self.share(z, |z| {
                let part = |op| mk(ExprKind::Unary(op, Box::new(z.clone())), p, range);
                let args = vec![part(UnaryOp::Imag), part(UnaryOp::Real)];
                mk(ExprKind::Call(MathFn::Atan2, args), p, range)
            });
            return Ok(Val::strong(e));
        }
        let t = if v.kind() == Kind::Float {
            t
        } else {
            Scalar::F64
        };
        let x = self.coerce(v, t)?;
        let zero = mk(ExprKind::Const(Const::Float(0.0)), t, range);
        Ok(Val::strong(mk(
            ExprKind::Call(MathFn::Atan2, vec![zero, x]),
            t,
            range,
        )))
    }

    /// `isnan(z)` / `isinf(z)`: either part; `isfinite(z)`: both parts.
    pub(super) fn complex_predicate(
        &mut self,
        f: MathFn,
        v: Val,
        range: TextRange,
    ) -> Result<Val, CompileError> {
        let t = v.ty.concrete();
        let p = t.real_part();
        let z = self.coerce(v, t)?;
        let op = if f == MathFn::IsFinite {
            LogicalOp::And
        } else {
            LogicalOp::Or
        };
        let e = self.share(z, |z| {
            let test = |part| {
                let x = mk(ExprKind::Unary(part, Box::new(z.clone())), p, range);
                mk(ExprKind::Call(f, vec![x]), Scalar::Bool, range)
            };
            let (re, im) = (test(UnaryOp::Real), test(UnaryOp::Imag));
            mk(
                ExprKind::Logical(op, Box::new(re), Box::new(im)),
                Scalar::Bool,
                range,
            )
        });
        Ok(Val::strong(e))
    }

    /// `round(v, n)` (`python`) or `np.round(v, n)`: NumPy's algorithm, half to even: scale by
    /// `10**|n|`, `rint`, scale back. Floats keep their type; integers are unchanged for
    /// `n >= 0` and rounded through float64 otherwise (Python's `round` gives an int64).
    pub(super) fn round_digits(
        &mut self,
        v: Val,
        n: i128,
        python: bool,
        shown: &str,
        range: TextRange,
    ) -> Result<Val, CompileError> {
        if v.kind() == Kind::Complex {
            return Err(self.typing(
                format!("{shown}() does not support {} arguments", v.ty),
                range,
            ));
        }
        let int_to = if python { Scalar::I64 } else { v.ty.concrete() };
        let integer = v.kind() <= Kind::Int;
        if integer && n >= 0 {
            return Ok(Val::strong(self.convert(v, int_to)?));
        }
        let t = if integer {
            Scalar::F64
        } else {
            v.ty.concrete()
        };
        let x = self.coerce(v, t)?;
        let f = power_of_ten(n.unsigned_abs().min(400) as u64);
        let factor = mk(ExprKind::Const(Const::Float(f)), t, range);
        let bin = |op, a: ir::Expr, b: ir::Expr| {
            mk(ExprKind::Binary(op, Box::new(a), Box::new(b)), t, range)
        };
        let rint = |a: ir::Expr| mk(ExprKind::Call(MathFn::Rint, vec![a]), t, range);
        let rounded = match n {
            0 => rint(x),
            n if n > 0 => bin(
                BinaryOp::Div,
                rint(bin(BinaryOp::Mul, x, factor.clone())),
                factor,
            ),
            _ => bin(
                BinaryOp::Mul,
                rint(bin(BinaryOp::Div, x, factor.clone())),
                factor,
            ),
        };
        Ok(Val::strong(if integer {
            cast(rounded, int_to)
        } else {
            rounded
        }))
    }
}
