//! Which array parameters a kernel stores into: the one place that decides which gufunc inputs
//! NumPy must hand over read-write (`NPY_ITER_READWRITE | NPY_ITER_UPDATEIFCOPY`), so that a
//! cast copy is written back and a read-only array is refused.
//!
//! A store reaches the array at the root of its target (a view writes its base); a name bound
//! to a view (`w = a[1:]`) passes its stores on to the array it views; an array passed to a
//! helper receives the stores the helper makes into that parameter. Rebinding is followed
//! conservatively: any array a variable was ever bound to receives its stores.
//!
//! The walk matches every statement and expression kind without a catch-all, so a new IR
//! construct that can alias an array must say here how its stores reach a parameter before
//! the crate compiles.

use std::collections::BTreeSet;

use crate::ir::{
    ArrayExpr, ArrayId, Block, Expr, ExprKind, Function, SliceValue, StmtKind, ViewDim,
};

/// The arrays of `func` (indices into `Function::arrays`) that some path of it stores into,
/// directly, through a view bound to a name, or through a function it calls.
pub fn stored_arrays(func: &Function) -> BTreeSet<ArrayId> {
    let mut w = Walk {
        func,
        stored: BTreeSet::new(),
        aliases: Vec::new(),
    };
    w.block(&func.body);
    // A store into a variable bound to a view of another array reaches that array too.
    let mut stored = w.stored;
    loop {
        let before = stored.len();
        for &(dst, src) in &w.aliases {
            if stored.contains(&dst) {
                stored.insert(src);
            }
        }
        if stored.len() == before {
            return stored;
        }
    }
}

struct Walk<'f> {
    func: &'f Function,
    stored: BTreeSet<ArrayId>,
    /// `(dst, src)`: variable `dst` was bound to a view of variable `src`.
    aliases: Vec<(ArrayId, ArrayId)>,
}

/// The array variable at the root of a view chain (None for a frozen table).
fn root_var(a: &ArrayExpr) -> Option<ArrayId> {
    match a.root() {
        ArrayExpr::Var(id) => Some(*id),
        _ => None,
    }
}

impl Walk<'_> {
    fn block(&mut self, body: &Block) {
        for s in body {
            match &s.kind {
                StmtKind::Assign { value, .. } | StmtKind::Return(value) => self.expr(value),
                StmtKind::ReturnTuple(parts) => self.exprs(parts),
                StmtKind::If {
                    cond,
                    then_body,
                    else_body,
                } => {
                    self.expr(cond);
                    self.block(then_body);
                    self.block(else_body);
                }
                StmtKind::While { cond, body, orelse } => {
                    self.expr(cond);
                    self.block(body);
                    self.block(orelse);
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
                        self.expr(e);
                    }
                    self.block(body);
                    self.block(orelse);
                }
                StmtKind::Store {
                    array,
                    index,
                    value,
                } => {
                    self.store_target(array);
                    self.exprs(index);
                    self.expr(value);
                }
                StmtKind::StoreSlice { array, value } => {
                    self.store_target(array);
                    match value {
                        SliceValue::Scalar(e) => self.expr(e),
                        SliceValue::Array(a) => self.array(a),
                    }
                }
                StmtKind::BindArray { dst, value } => {
                    self.array(value);
                    if let Some(src) = root_var(value) {
                        if src != *dst {
                            self.aliases.push((*dst, src));
                        }
                    }
                }
                StmtKind::Alloc { shape, fill, .. } => {
                    self.exprs(shape);
                    if let Some(f) = fill {
                        self.expr(f);
                    }
                }
                StmtKind::CallUnpack { callee, args, .. } => self.call(*callee, args),
                StmtKind::Break
                | StmtKind::Continue
                | StmtKind::ReturnVoid
                | StmtKind::Raise { .. } => {}
            }
        }
    }

    fn store_target(&mut self, a: &ArrayExpr) {
        self.array(a);
        if let Some(id) = root_var(a) {
            self.stored.insert(id);
        }
    }

    /// The expressions inside an array value (view indices and bounds).
    fn array(&mut self, a: &ArrayExpr) {
        match a {
            ArrayExpr::Var(_) | ArrayExpr::Table(_) => {}
            ArrayExpr::View { base, dims, .. } => {
                self.array(base);
                for d in dims {
                    match d {
                        ViewDim::Index(e) => self.expr(e),
                        ViewDim::Slice { start, stop, step } => {
                            for e in [start, stop, step].into_iter().flatten() {
                                self.expr(e);
                            }
                        }
                    }
                }
            }
        }
    }

    fn exprs(&mut self, es: &[Expr]) {
        for e in es {
            self.expr(e);
        }
    }

    /// A call's arguments, and the stores the callee makes into its array parameters, which
    /// reach the arrays passed for them.
    fn call(&mut self, callee: crate::ir::CalleeId, args: &[Expr]) {
        self.exprs(args);
        let Some(c) = self.func.callees.get(callee.0 as usize) else {
            return;
        };
        for written in stored_arrays(c) {
            let Some(param) = c.arrays[written.0 as usize].param else {
                continue; // a local array of the callee
            };
            if let Some(ExprKind::Array(a)) = args.get(param.0 as usize).map(|e| &e.kind) {
                if let Some(id) = root_var(a) {
                    self.stored.insert(id);
                }
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Const(_) | ExprKind::Local(_) => {}
            ExprKind::Cast(a) | ExprKind::Unary(_, a) => self.expr(a),
            ExprKind::Binary(_, a, b)
            | ExprKind::Compare(_, a, b)
            | ExprKind::Logical(_, a, b)
            | ExprKind::MakeComplex(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Select {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                self.expr(then);
                self.expr(otherwise);
            }
            ExprKind::Call(_, args) => self.exprs(args),
            ExprKind::Let { value, body, .. } => {
                self.expr(value);
                self.expr(body);
            }
            ExprKind::Guarded { ok, value, .. } => {
                self.expr(ok);
                self.expr(value);
            }
            ExprKind::Load { array, index } => {
                self.array(array);
                self.exprs(index);
            }
            ExprKind::Shape(array, _) | ExprKind::Reduce(_, array) | ExprKind::Array(array) => {
                self.array(array)
            }
            ExprKind::CallFunction(callee, args) => self.call(*callee, args),
        }
    }
}
