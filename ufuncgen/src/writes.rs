//! Which array parameters a kernel stores into: the one place that decides which gufunc inputs
//! NumPy must hand over read-write (`NPY_ITER_READWRITE | NPY_ITER_UPDATEIFCOPY`), so that a
//! cast copy is written back and a read-only array is refused.
//!
//! The walk matches every statement and expression kind without a catch-all, so a new IR
//! construct that can alias an array (a view, an array passed to a helper) must say here how
//! its stores reach a parameter before the crate compiles.

use std::collections::BTreeSet;

use crate::ir::{ArrayId, Block, Expr, ExprKind, Function, StmtKind};

/// The arrays of `func` (indices into `Function::arrays`) that some path of it stores into,
/// directly or through a function it calls.
pub fn stored_arrays(func: &Function) -> BTreeSet<ArrayId> {
    let mut found = BTreeSet::new();
    block(func, &func.body, &mut found);
    found
}

fn block(func: &Function, body: &Block, found: &mut BTreeSet<ArrayId>) {
    for s in body {
        match &s.kind {
            StmtKind::Assign { value, .. } | StmtKind::Return(value) => expr(func, value, found),
            StmtKind::If {
                cond,
                then_body,
                else_body,
            } => {
                expr(func, cond, found);
                block(func, then_body, found);
                block(func, else_body, found);
            }
            StmtKind::While { cond, body, orelse } => {
                expr(func, cond, found);
                block(func, body, found);
                block(func, orelse, found);
            }
            StmtKind::ForRange {
                start,
                stop,
                step,
                body,
                orelse,
                ..
            } => {
                for e in [start, stop, step] {
                    expr(func, e, found);
                }
                block(func, body, found);
                block(func, orelse, found);
            }
            StmtKind::Store {
                array,
                index,
                value,
            } => {
                found.insert(*array);
                exprs(func, index, found);
                expr(func, value, found);
            }
            StmtKind::Break
            | StmtKind::Continue
            | StmtKind::ReturnVoid
            | StmtKind::Raise { .. } => {}
        }
    }
}

fn exprs(func: &Function, es: &[Expr], found: &mut BTreeSet<ArrayId>) {
    for e in es {
        expr(func, e, found);
    }
}

fn expr(func: &Function, e: &Expr, found: &mut BTreeSet<ArrayId>) {
    match &e.kind {
        ExprKind::Const(_) | ExprKind::Local(_) | ExprKind::Shape(..) => {}
        ExprKind::Cast(a) | ExprKind::Unary(_, a) => expr(func, a, found),
        ExprKind::Binary(_, a, b)
        | ExprKind::Compare(_, a, b)
        | ExprKind::Logical(_, a, b)
        | ExprKind::MakeComplex(a, b) => {
            expr(func, a, found);
            expr(func, b, found);
        }
        ExprKind::Select {
            cond,
            then,
            otherwise,
        } => {
            expr(func, cond, found);
            expr(func, then, found);
            expr(func, otherwise, found);
        }
        ExprKind::Call(_, args) => exprs(func, args, found),
        ExprKind::Let { value, body, .. } => {
            expr(func, value, found);
            expr(func, body, found);
        }
        ExprKind::Load { index, .. } => exprs(func, index, found),
        ExprKind::TableLoad { index, .. } => exprs(func, index, found),
        ExprKind::CallFunction(callee, args) => {
            exprs(func, args, found);
            // A helper's stores reach the caller's arrays through its array parameters; the
            // arguments bound to those are the caller's arrays (helpers take scalars today, so
            // a callee has no arrays and this adds nothing yet).
            if let Some(c) = func.callees.get(callee.0 as usize) {
                for written in stored_arrays(c) {
                    let param = c.arrays[written.0 as usize].param;
                    if let Some(a) = args.get(param.0 as usize).and_then(array_argument) {
                        found.insert(a);
                    }
                }
            }
        }
    }
}

/// The caller's array an argument expression denotes, if it denotes one (no expression does
/// yet: views and array arguments extend this).
fn array_argument(e: &Expr) -> Option<ArrayId> {
    match &e.kind {
        ExprKind::Const(_)
        | ExprKind::Local(_)
        | ExprKind::Cast(_)
        | ExprKind::Unary(..)
        | ExprKind::Binary(..)
        | ExprKind::Compare(..)
        | ExprKind::Logical(..)
        | ExprKind::Select { .. }
        | ExprKind::Call(..)
        | ExprKind::Let { .. }
        | ExprKind::MakeComplex(..)
        | ExprKind::Load { .. }
        | ExprKind::Shape(..)
        | ExprKind::TableLoad { .. }
        | ExprKind::CallFunction(..) => None,
    }
}
