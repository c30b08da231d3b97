//! The IR verifier: checks the contract between the front end (`lower`) and `codegen`.
//!
//! Codegen trusts these invariants and never re-derives types, so a lowering bug that breaks
//! one would otherwise surface as a confusing LLVM error or as wrong code. The verifier runs
//! before codegen in debug builds and whenever `UFUNCGEN_VERIFY_IR` is set (the test targets
//! set it), and every golden case passes through it.
//!
//! Invariants checked, per function and recursively for every callee:
//! 1. Locals: at least `params` of them; every `Local`, `ArrayId`, `TableId` and `CalleeId`
//!    refers to an existing entry.
//! 2. Types: an assignment or `let` stores a value of the local's type; `Binary` and `Compare`
//!    operands share one type; `Binary`'s result is that type and never integer `Div`;
//!    `Compare`, conditions, `not` and predicates are `Bool`; `Select` arms have the result type;
//!    `Return` returns `Function::ret`; a bare `return` only appears in a gufunc kernel.
//! 3. Constants fit their type (integers within the dtype's range, float constants typed float).
//! 4. Casts change the type and never drop an imaginary part (complex to a real number; complex
//!    to bool is the non-zero test).
//! 5. Arrays: views index at most their base's dimensions with int64 indices and bounds and
//!    keep at least one; loads and stores give one int64 index per remaining dimension; a
//!    store (element or slice) targets a writable array with a value of its dtype; a bound or
//!    allocated array variable matches its declaration; `Shape` names an existing axis; an
//!    array value appears only as an argument of a call whose parameter is that array.
//! 6. Calls: math calls take arguments of one type and return what the function returns for
//!    it; kernel-language calls pass their callee's parameter types and return its `ret`.
//! 7. Loops: a `range` variable is an integer and its bounds have its type.

use std::fmt;

use super::{
    ArrayExpr, Block, Const, Expr, ExprKind, Function, MathFn, StmtKind, UnaryOp, ViewDim,
};
use crate::diag::Span;
use crate::types::{Kind, Scalar};

/// One broken invariant: where (the statement or expression's span, in the function named) and
/// what.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifierError {
    /// The function (kernel or callee) whose IR is broken.
    pub function: String,
    pub span: Span,
    pub message: String,
}

impl fmt::Display for VerifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.function, self.message)
    }
}

/// Every broken invariant of one function (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq)]
pub struct VerifierErrors(pub Vec<VerifierError>);

impl fmt::Display for VerifierErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for VerifierErrors {}

/// Checks `f` and its callees against the invariants above, collecting every violation.
pub fn verify(f: &Function) -> Result<(), VerifierErrors> {
    let mut errors = Vec::new();
    verify_into(f, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(VerifierErrors(errors))
    }
}

/// Whether codegen should verify its input: debug builds always, release builds when the
/// environment variable `UFUNCGEN_VERIFY_IR` is set to anything but `0` (read once).
pub fn enabled() -> bool {
    use std::sync::OnceLock;
    static ON: OnceLock<bool> = OnceLock::new();
    cfg!(debug_assertions)
        || *ON.get_or_init(|| {
            std::env::var_os("UFUNCGEN_VERIFY_IR").is_some_and(|v| !v.is_empty() && v != "0")
        })
}

fn verify_into(f: &Function, errors: &mut Vec<VerifierError>) {
    let mut v = Verifier { f, errors };
    if f.locals.len() < f.params as usize {
        v.fail(Span::default(), "fewer locals than parameters".into());
    }
    for callee in &f.callees {
        verify_into(callee, v.errors);
    }
    v.block(&f.body);
}

struct Verifier<'a, 'e> {
    f: &'a Function,
    errors: &'e mut Vec<VerifierError>,
}

impl Verifier<'_, '_> {
    fn fail(&mut self, span: Span, message: String) {
        self.errors.push(VerifierError {
            function: self.f.name.clone(),
            span,
            message,
        });
    }

    fn same(&mut self, span: Span, want: Scalar, got: Scalar, what: &str) {
        if want != got {
            self.fail(span, format!("{what}: expected {want}, found {got}"));
        }
    }

    fn local(&mut self, span: Span, l: super::Local) -> Option<Scalar> {
        let ty = self.f.locals.get(l.0 as usize).map(|d| d.ty);
        if ty.is_none() {
            self.fail(span, format!("unknown local {l}"));
        }
        ty
    }

    fn block(&mut self, b: &Block) {
        for s in b {
            let span = s.span;
            match &s.kind {
                StmtKind::Assign { dst, value } => {
                    self.expr(value);
                    if let Some(t) = self.local(span, *dst) {
                        self.same(span, t, value.ty, "assignment");
                    }
                }
                StmtKind::If {
                    cond,
                    then_body,
                    else_body,
                } => {
                    self.condition(cond);
                    self.block(then_body);
                    self.block(else_body);
                }
                StmtKind::While { cond, body, orelse } => {
                    self.condition(cond);
                    self.block(body);
                    self.block(orelse);
                }
                StmtKind::ForRange {
                    var,
                    start,
                    stop,
                    step,
                    body,
                    orelse,
                } => {
                    if let Some(t) = self.local(span, *var) {
                        if !t.is_int() {
                            self.fail(span, format!("range variable of type {t}"));
                        }
                        for e in [start, stop, step] {
                            self.expr(e);
                            self.same(e.span, t, e.ty, "range bound");
                        }
                    }
                    self.block(body);
                    self.block(orelse);
                }
                StmtKind::Break | StmtKind::Continue | StmtKind::Raise { .. } => {}
                StmtKind::Return(e) => {
                    self.expr(e);
                    self.same(span, self.f.ret, e.ty, "return");
                }
                StmtKind::ReturnVoid => {
                    if !self.f.is_gufunc() {
                        self.fail(span, "bare return in a scalar kernel".into());
                    }
                }
                StmtKind::ReturnTuple(parts) => {
                    if parts.len() != self.f.ret_parts.len() || parts.len() < 2 {
                        self.fail(span, format!("{} values returned", parts.len()));
                    }
                    for (e, &t) in parts.iter().zip(&self.f.ret_parts) {
                        self.expr(e);
                        self.same(e.span, t, e.ty, "returned part");
                    }
                }
                StmtKind::CallUnpack { callee, args, dsts } => {
                    let Some(parts) = self
                        .callee(span, *callee, args)
                        .map(|c| c.ret_parts.clone())
                    else {
                        continue;
                    };
                    if parts.len() != dsts.len() {
                        self.fail(
                            span,
                            format!("{} parts unpacked into {}", parts.len(), dsts.len()),
                        );
                    }
                    for (&d, &t) in dsts.iter().zip(&parts) {
                        if let Some(dt) = self.local(span, d) {
                            self.same(span, t, dt, "unpacked part");
                        }
                    }
                }
                StmtKind::Store {
                    array,
                    index,
                    value,
                } => {
                    self.expr(value);
                    if let Some((dtype, ndim, writable)) = self.array_expr(span, array) {
                        if !writable {
                            self.fail(span, format!("store to read-only array {array}"));
                        }
                        self.same(span, dtype, value.ty, "stored value");
                        self.index(span, ndim, index);
                    }
                }
                StmtKind::BindArray { dst, value } => {
                    let bound = self.array_expr(span, value);
                    match (self.f.arrays.get(dst.0 as usize), bound) {
                        (Some(d), Some((dtype, ndim, writable)))
                            if (d.dtype, d.ndim) != (dtype, ndim) || (d.writable && !writable) =>
                        {
                            let msg = format!("array {dst} bound to a {ndim}-d {dtype} value");
                            self.fail(span, msg);
                        }
                        (None, _) => self.fail(span, format!("unknown array {dst}")),
                        _ => {}
                    }
                }
                StmtKind::Alloc { dst, shape, fill } => {
                    let Some(d) = self.f.arrays.get(dst.0 as usize) else {
                        self.fail(span, format!("unknown array {dst}"));
                        continue;
                    };
                    let (dtype, ndim) = (d.dtype, d.ndim);
                    self.index(span, ndim, shape);
                    if let Some(f) = fill {
                        self.expr(f);
                        self.same(f.span, dtype, f.ty, "fill value");
                    }
                }
                StmtKind::StoreSlice { array, value } => {
                    let Some((dtype, ndim, writable)) = self.array_expr(span, array) else {
                        continue;
                    };
                    if !writable {
                        self.fail(span, format!("slice store to read-only array {array}"));
                    }
                    match value {
                        super::SliceValue::Scalar(e) => {
                            self.expr(e);
                            self.same(e.span, dtype, e.ty, "stored value");
                        }
                        super::SliceValue::Array(a) => {
                            if let Some((_, m, _)) = self.array_expr(span, a) {
                                if m > ndim {
                                    let msg = format!("{m}-d array stored into a {ndim}-d view");
                                    self.fail(span, msg);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn condition(&mut self, e: &Expr) {
        self.expr(e);
        self.same(e.span, Scalar::Bool, e.ty, "condition");
    }

    fn constant(&mut self, e: &Expr, c: &Const) {
        match (c, e.ty.kind()) {
            (Const::Bool(_), Kind::Bool)
            | (Const::Float(_), Kind::Float)
            | (Const::Complex(..), Kind::Complex) => {}
            (Const::Int(v), Kind::Int) => {
                let bits = e.ty.bits();
                let (lo, hi) = if e.ty.is_signed() {
                    (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
                } else {
                    (0, (1i128 << bits) - 1)
                };
                if !(lo..=hi).contains(v) {
                    self.fail(e.span, format!("constant {v} out of range for {}", e.ty));
                }
            }
            _ => self.fail(e.span, format!("constant {c:?} typed {}", e.ty)),
        }
    }

    fn expr(&mut self, e: &Expr) {
        let span = e.span;
        match &e.kind {
            ExprKind::Const(c) => self.constant(e, c),
            ExprKind::Local(l) => {
                if let Some(t) = self.local(span, *l) {
                    self.same(span, t, e.ty, "local read");
                }
            }
            ExprKind::Cast(x) => {
                self.expr(x);
                if x.ty == e.ty {
                    self.fail(span, format!("no-op cast to {}", e.ty));
                }
                if x.ty.is_complex() && !e.ty.is_complex() && e.ty != Scalar::Bool {
                    self.fail(span, format!("cast from {} to {}", x.ty, e.ty));
                }
            }
            ExprKind::Unary(op, x) => {
                self.expr(x);
                match op {
                    UnaryOp::Real | UnaryOp::Imag => {
                        if x.ty.is_complex() {
                            self.same(span, x.ty.real_part(), e.ty, "part");
                        } else {
                            self.fail(span, format!("{op:?} of {}", x.ty));
                        }
                    }
                    UnaryOp::Not => {
                        self.same(span, Scalar::Bool, x.ty, "not");
                        self.same(span, Scalar::Bool, e.ty, "not");
                    }
                    _ => self.same(span, x.ty, e.ty, "unary"),
                }
            }
            ExprKind::Binary(op, a, b) => {
                self.expr(a);
                self.expr(b);
                self.same(span, a.ty, b.ty, "binary operands");
                self.same(span, a.ty, e.ty, "binary result");
                if *op == super::BinaryOp::Div && e.ty.kind() <= Kind::Int {
                    self.fail(span, format!("true division in {}", e.ty));
                }
            }
            ExprKind::Compare(_, a, b) => {
                self.expr(a);
                self.expr(b);
                self.same(span, a.ty, b.ty, "compare operands");
                self.same(span, Scalar::Bool, e.ty, "compare result");
            }
            ExprKind::Logical(_, a, b) => {
                self.expr(a);
                self.expr(b);
                self.same(span, a.ty, e.ty, "logical operand");
                self.same(span, b.ty, e.ty, "logical operand");
            }
            ExprKind::Select {
                cond,
                then,
                otherwise,
            } => {
                self.condition(cond);
                self.expr(then);
                self.expr(otherwise);
                self.same(span, then.ty, e.ty, "select arm");
                self.same(span, otherwise.ty, e.ty, "select arm");
            }
            ExprKind::Call(func, args) => {
                for a in args {
                    self.expr(a);
                }
                let Some(first) = args.first() else {
                    self.fail(span, format!("{func:?} called without arguments"));
                    return;
                };
                for a in &args[1..] {
                    self.same(a.span, first.ty, a.ty, "call arguments");
                }
                let want = match func {
                    MathFn::IsNan | MathFn::IsInf | MathFn::IsFinite => Scalar::Bool,
                    MathFn::Abs if first.ty.is_complex() => first.ty.real_part(),
                    _ => first.ty,
                };
                self.same(span, want, e.ty, "call result");
            }
            ExprKind::Let { local, value, body } => {
                self.expr(value);
                self.expr(body);
                if let Some(t) = self.local(span, *local) {
                    self.same(span, t, value.ty, "let binding");
                }
                self.same(span, body.ty, e.ty, "let body");
            }
            ExprKind::MakeComplex(r, i) => {
                self.expr(r);
                self.expr(i);
                if !e.ty.is_complex() {
                    self.fail(span, format!("complex(..) typed {}", e.ty));
                    return;
                }
                self.same(span, e.ty.real_part(), r.ty, "complex part");
                self.same(span, e.ty.real_part(), i.ty, "complex part");
            }
            ExprKind::Load { array, index } => {
                if let Some((dtype, ndim, _)) = self.array_expr(span, array) {
                    self.same(span, dtype, e.ty, "loaded value");
                    self.index(span, ndim, index);
                }
            }
            ExprKind::Shape(array, axis) => {
                if let Some((_, ndim, _)) = self.array_expr(span, array) {
                    if *axis >= ndim {
                        self.fail(span, format!("shape axis {axis} of {array}"));
                    }
                }
                self.same(span, Scalar::I64, e.ty, "shape");
            }
            ExprKind::Array(a) => self.fail(span, format!("array {a} outside a call")),
            ExprKind::Reduce(_, a) => {
                self.array_expr(span, a);
            }
            ExprKind::CallFunction(id, args) => {
                let Some(callee) = self.callee(span, *id, args) else {
                    return;
                };
                let (ret, tuple) = (callee.ret, !callee.ret_parts.is_empty());
                if tuple {
                    self.fail(span, format!("tuple-returning callee {id} used as a value"));
                }
                self.same(span, ret, e.ty, "callee result");
            }
            ExprKind::Guarded { ok, value, .. } => {
                self.condition(ok);
                self.expr(value);
                self.same(span, value.ty, e.ty, "guarded value");
            }
        }
    }

    /// Callee `id` (verified with the other callees), checking `args` against its parameters.
    fn callee(&mut self, span: Span, id: super::CalleeId, args: &[Expr]) -> Option<&Function> {
        let f = self.f;
        let Some(callee) = f.callees.get(id.0 as usize) else {
            for a in args {
                self.expr(a);
            }
            self.fail(span, format!("unknown callee {id}"));
            return None;
        };
        if args.len() != callee.params as usize {
            self.fail(span, format!("{} arguments for callee {id}", args.len()));
        }
        for (i, (a, d)) in args.iter().zip(&callee.locals).enumerate() {
            let param = callee.array_of(super::Local(i as u32));
            match (&a.kind, param) {
                (ExprKind::Array(arr), Some(p)) => {
                    let p = &callee.arrays[p.0 as usize];
                    if let Some((dtype, ndim, writable)) = self.array_expr(a.span, arr) {
                        if (p.dtype, p.ndim) != (dtype, ndim) || (p.writable && !writable) {
                            self.fail(a.span, format!("array argument {i} does not fit {id}"));
                        }
                    }
                }
                (ExprKind::Array(_), None) | (_, Some(_)) => {
                    self.fail(
                        a.span,
                        format!("argument {i} of {id}: array/scalar mismatch"),
                    );
                }
                _ => {
                    self.expr(a);
                    self.same(a.span, d.ty, a.ty, "callee argument");
                }
            }
        }
        Some(callee)
    }

    /// The dtype, dimensions and writability of an array value (views checked on the way).
    fn array_expr(&mut self, span: Span, a: &ArrayExpr) -> Option<(Scalar, u32, bool)> {
        match a {
            ArrayExpr::Var(id) => match self.f.arrays.get(id.0 as usize) {
                Some(d) => Some((d.dtype, d.ndim, d.writable)),
                None => {
                    self.fail(span, format!("unknown array {id}"));
                    None
                }
            },
            ArrayExpr::Table(t) => match self.f.tables.get(t.0 as usize) {
                Some(table) => Some((table.dtype, table.shape.len() as u32, false)),
                None => {
                    self.fail(span, format!("unknown table {t}"));
                    None
                }
            },
            ArrayExpr::View { base, dims, .. } => {
                let (dtype, ndim, writable) = self.array_expr(span, base)?;
                if dims.len() > ndim as usize {
                    let msg = format!("{} view entries for {ndim} dimensions", dims.len());
                    self.fail(span, msg);
                    return None;
                }
                let mut dropped = 0;
                for d in dims {
                    match d {
                        ViewDim::Index(ix) => {
                            dropped += 1;
                            self.expr(ix);
                            self.same(ix.span, Scalar::I64, ix.ty, "index");
                        }
                        ViewDim::Slice { start, stop, step } => {
                            for b in [start, stop, step].into_iter().flatten() {
                                self.expr(b);
                                self.same(b.span, Scalar::I64, b.ty, "slice bound");
                            }
                        }
                    }
                }
                if dropped == ndim {
                    self.fail(span, "a view that indexes every axis".into());
                    return None;
                }
                Some((dtype, ndim - dropped, writable))
            }
        }
    }

    /// One int64 index per dimension.
    fn index(&mut self, span: Span, ndim: u32, index: &[Expr]) {
        if index.len() != ndim as usize {
            self.fail(
                span,
                format!("{} indices for {ndim} dimensions", index.len()),
            );
        }
        for ix in index {
            self.expr(ix);
            self.same(ix.span, Scalar::I64, ix.ty, "index");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceMap;
    use crate::ir::{BinaryOp, LocalDecl, Stmt};

    fn expr(kind: ExprKind, ty: Scalar) -> Expr {
        Expr {
            kind,
            ty,
            span: Span::new(4, 9),
        }
    }

    fn function(body: Block) -> Function {
        Function {
            name: "k".into(),
            params: 1,
            locals: vec![LocalDecl {
                name: "x".into(),
                ty: Scalar::F64,
            }],
            ret: Scalar::F64,
            ret_parts: vec![],
            void: false,
            body,
            arrays: vec![],
            boundscheck: true,
            origin: SourceMap::default(),
            tables: vec![],
            callees: vec![],
        }
    }

    fn ret(e: Expr) -> Stmt {
        Stmt {
            kind: StmtKind::Return(e),
            span: Span::new(0, 10),
        }
    }

    #[test]
    fn a_well_typed_function_passes() {
        let x = expr(ExprKind::Local(super::super::Local(0)), Scalar::F64);
        let sum = expr(
            ExprKind::Binary(BinaryOp::Add, Box::new(x.clone()), Box::new(x)),
            Scalar::F64,
        );
        assert_eq!(verify(&function(vec![ret(sum)])), Ok(()));
    }

    #[test]
    fn every_violation_is_reported_with_its_span() {
        let x = expr(ExprKind::Local(super::super::Local(0)), Scalar::F64);
        let one = expr(ExprKind::Const(Const::Int(1)), Scalar::I64);
        // Mixed operand types, an unknown local, and a return of the wrong type.
        let bad = expr(
            ExprKind::Binary(BinaryOp::Add, Box::new(x), Box::new(one)),
            Scalar::I64,
        );
        let ghost = expr(ExprKind::Local(super::super::Local(7)), Scalar::F64);
        let errs = verify(&function(vec![ret(bad), ret(ghost)])).unwrap_err();
        let text = errs.to_string();
        assert!(
            text.contains("binary operands: expected float64, found int64"),
            "{text}"
        );
        assert!(
            text.contains("return: expected float64, found int64"),
            "{text}"
        );
        assert!(text.contains("unknown local %7"), "{text}");
        assert!(errs.0.iter().all(|e| e.function == "k"));
        assert!(errs.0.iter().any(|e| e.span == Span::new(4, 9)));
    }

    #[test]
    fn integer_true_division_and_out_of_range_constants_are_caught() {
        let big = expr(ExprKind::Const(Const::Int(300)), Scalar::U8);
        let div = expr(
            ExprKind::Binary(BinaryOp::Div, Box::new(big.clone()), Box::new(big)),
            Scalar::U8,
        );
        let mut f = function(vec![ret(div)]);
        f.ret = Scalar::U8;
        let text = verify(&f).unwrap_err().to_string();
        assert!(text.contains("true division in uint8"), "{text}");
        assert!(
            text.contains("constant 300 out of range for uint8"),
            "{text}"
        );
    }
}
