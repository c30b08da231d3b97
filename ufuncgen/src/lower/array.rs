//! Arrays in kernels. Every array value is a strided view (`ir::ArrayExpr`): a parameter, a
//! frozen table, a local array (`np.zeros(n)`), or a view of one (`a[i]`, `g[i, :]`,
//! `p[lo:hi:step]`, `a[::-1]`). Names can be bound to array values (`pw = p[a:b]`) and later
//! rebound to another type (`obs = obs[0]`, each assignment with its own type as in Numba).
//! Element loads and stores, `a.shape[k]`, `len(a)`, `a.size`, `a.ndim`, `m, n = a.shape`,
//! `for v in a` and slice stores (`out[:] = 0`, `out[1:] = a[:-1]`) all take any array value.

use super::val::stmt;
use super::val::{mk, Val};
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{
    self, ArrayExpr, ArrayId, BinaryOp, Const, ExprKind, SliceValue, StmtKind, ViewDim,
};
use crate::parse;
use crate::spec::GlobalValue;
use crate::types::{Kind, Scalar, Ty};
use ruff_python_ast::{self as ast, Expr, Operator};
use ruff_text_size::{Ranged, TextRange};

/// An array value during lowering: its IR and what the front end knows about it.
#[derive(Debug, Clone)]
pub(super) struct ArrayVal {
    pub expr: ArrayExpr,
    pub dtype: Scalar,
    pub ndim: u32,
    /// Whether stores may go through it (outputs, `writable_args`, local arrays, their views).
    pub writable: bool,
    /// The root array's name (messages).
    pub name: String,
}

/// What a subscript of an array selects.
enum Access {
    /// One element: an int64 index per dimension.
    Item(Vec<ir::Expr>),
    /// A view (fewer indices than dimensions, or slices).
    View(Vec<ViewDim>),
}

/// The NumPy functions that make local arrays.
#[derive(Clone, Copy, PartialEq)]
enum Maker {
    Zeros,
    Ones,
    Empty,
    Full,
}

impl Lowerer<'_> {
    /// The array variable a name is bound to now, if any.
    pub(super) fn array_param(&self, name: &str) -> Option<ArrayId> {
        self.array_vars.get(name).copied()
    }

    fn var_val(&self, id: ArrayId) -> ArrayVal {
        let d = &self.arrays[id.0 as usize];
        ArrayVal {
            expr: ArrayExpr::Var(id),
            dtype: d.dtype,
            ndim: d.ndim,
            writable: d.writable,
            name: d.name.clone(),
        }
    }

    /// The array value an expression denotes (`None`: it is not an array).
    pub(super) fn array_of(&mut self, e: &Expr) -> Result<Option<ArrayVal>, CompileError> {
        match e {
            Expr::Name(n) => {
                if let Some(id) = self.array_param(n.id.as_str()) {
                    if !self.flow.is_assigned(n.id.as_str()) {
                        return Err(self.typing(
                            format!("local variable '{}' might be used before assignment", n.id),
                            n.range,
                        ));
                    }
                    return Ok(Some(self.var_val(id)));
                }
                let Some(t) = self.table_named(e) else {
                    return Ok(None);
                };
                let table = &self.tables[t.0 as usize];
                Ok(Some(ArrayVal {
                    expr: ArrayExpr::Table(t),
                    dtype: table.dtype,
                    ndim: table.shape.len() as u32,
                    writable: false,
                    name: table.name.clone(),
                }))
            }
            Expr::Subscript(s) => {
                let Some(base) = self.array_of(&s.value)? else {
                    return Ok(None);
                };
                match self.access(&base, &s.slice)? {
                    Access::Item(_) => Ok(None),
                    Access::View(dims) => Ok(Some(view(base, dims, s.range))),
                }
            }
            _ => Ok(None),
        }
    }

    /// What `base[slice]` selects.
    fn access(&mut self, base: &ArrayVal, slice: &Expr) -> Result<Access, CompileError> {
        let parts: Vec<&Expr> = match slice {
            Expr::Tuple(t) => t.elts.iter().collect(),
            e => vec![e],
        };
        let ndim = base.ndim as usize;
        let ellipses = parts
            .iter()
            .filter(|p| p.is_ellipsis_literal_expr())
            .count();
        if ellipses > 1 {
            return Err(self.typing(
                "an index can only have a single ellipsis ('...')",
                slice.range(),
            ));
        }
        let given = parts.len() - ellipses;
        if given > ndim {
            return Err(self.typing(
                format!(
                    "too many indices for array '{}': array is {ndim}-dimensional, but {given} \
                     were indexed",
                    base.name
                ),
                slice.range(),
            ));
        }
        let mut dims = Vec::with_capacity(ndim);
        let mut all_items = ellipses == 0;
        for p in parts {
            match p {
                Expr::EllipsisLiteral(_) => {
                    for _ in 0..ndim - given {
                        dims.push(whole());
                    }
                }
                Expr::Slice(sl) => {
                    all_items = false;
                    let mut bound = |e: &Option<Box<Expr>>| -> Result<_, CompileError> {
                        e.as_deref().map(|e| self.index_value(e)).transpose()
                    };
                    let (start, stop, step) =
                        (bound(&sl.lower)?, bound(&sl.upper)?, bound(&sl.step)?);
                    if let Some(ExprKind::Const(Const::Int(0))) = step.as_ref().map(|s| &s.kind) {
                        return Err(self.error(
                            crate::diag::ErrorKind::Compile,
                            "slice step cannot be zero",
                            parse::span(sl.range),
                        ));
                    }
                    dims.push(ViewDim::Slice { start, stop, step });
                }
                Expr::NoneLiteral(_) => {
                    return Err(self.unsupported(
                        "np.newaxis (None) in an index is not supported in kernels",
                        p.range(),
                    ))
                }
                e => dims.push(ViewDim::Index(self.index_value(e)?)),
            }
        }
        if all_items && dims.len() == ndim {
            let index = dims
                .into_iter()
                .filter_map(|d| match d {
                    ViewDim::Index(e) => Some(e),
                    ViewDim::Slice { .. } => None,
                })
                .collect();
            return Ok(Access::Item(index));
        }
        Ok(Access::View(dims))
    }

    /// An index (or slice bound) as int64.
    fn index_value(&mut self, p: &Expr) -> Result<ir::Expr, CompileError> {
        let v = self.expr(p)?;
        if v.kind() != Kind::Int {
            return Err(self.typing(
                format!("array indices must be integers, not {}", v.ty),
                p.range(),
            ));
        }
        let v = if v.ty == Ty::Strong(Scalar::U64) {
            // Above int64's range a uint64 index would wrap to a negative one and count
            // from the end; saturated, it stays out of range (IndexError when checked).
            let cap = Val::constant(
                Const::Int(i128::from(i64::MAX)),
                Ty::Strong(Scalar::U64),
                p.range(),
            );
            let cap = self.coerce(cap, Scalar::U64)?;
            Val::strong(mk(
                ExprKind::Call(ir::MathFn::Minimum, vec![v.expr, cap]),
                Scalar::U64,
                p.range(),
            ))
        } else {
            v
        };
        self.coerce(v, Scalar::I64)
    }

    /// `array.shape[axis]` as an int64 expression.
    fn shape(&self, a: &ArrayVal, axis: u32, range: TextRange) -> Val {
        Val::strong(mk(
            ExprKind::Shape(a.expr.clone(), axis),
            Scalar::I64,
            range,
        ))
    }

    /// `x[...]` in an expression.
    pub(super) fn subscript(&mut self, s: &ast::ExprSubscript) -> Result<Val, CompileError> {
        if let Some(v) = self.table_subscript(s)? {
            return Ok(v);
        }
        if let Expr::Attribute(a) = &*s.value {
            if a.attr.id.as_str() == "shape" {
                if let Some(arr) = self.array_of(&a.value)? {
                    let axis = self.shape_axis(&arr, &s.slice)?;
                    return Ok(self.shape(&arr, axis, s.range));
                }
            }
        }
        let base = self.indexed_array(s)?;
        match self.access(&base, &s.slice)? {
            Access::Item(index) => Ok(Val::strong(mk(
                ExprKind::Load {
                    array: base.expr,
                    index,
                },
                base.dtype,
                s.range,
            ))),
            Access::View(_) => Err(self.typing(
                format!(
                    "'{}' is an array view, not a number; bind it to a name, store it into a \
                     slice, pass it to a function or index it further",
                    self.text(s.range)
                ),
                s.range,
            )),
        }
    }

    /// The array a subscript indexes, or why it cannot be indexed.
    fn indexed_array(&mut self, s: &ast::ExprSubscript) -> Result<ArrayVal, CompileError> {
        if let Some(a) = self.array_of(&s.value)? {
            return Ok(a);
        }
        let v = self.expr(&s.value)?;
        // A vectorize kernel has no array parameters: say where arrays come from.
        let hint = if self.arrays.is_empty() {
            " (array arguments need guvectorize)"
        } else {
            ""
        };
        Err(self.typing(
            format!(
                "'{}' is a {} scalar and cannot be indexed{hint}",
                self.text(s.value.range()),
                v.ty
            ),
            s.range,
        ))
    }

    /// A constant axis of `a.shape[axis]` (negative counts from the end).
    fn shape_axis(&mut self, a: &ArrayVal, slice: &Expr) -> Result<u32, CompileError> {
        let ndim = i128::from(a.ndim);
        let v = self.expr(slice)?;
        let Some(Const::Int(k)) = v.as_const() else {
            return Err(self.unsupported(
                "the index of a.shape must be a constant integer",
                slice.range(),
            ));
        };
        let axis = if k < 0 { k + ndim } else { k };
        if !(0..ndim).contains(&axis) {
            return Err(self.typing(
                format!(
                    "shape index {k} is out of range for the {ndim}-d array '{}'",
                    a.name
                ),
                slice.range(),
            ));
        }
        Ok(axis as u32)
    }

    /// `a.size`, `a.ndim`; `a.shape` alone is not a value.
    pub(super) fn array_attribute(
        &mut self,
        arr: ArrayVal,
        a: &ast::ExprAttribute,
    ) -> Result<Val, CompileError> {
        let ndim = arr.ndim;
        match a.attr.id.as_str() {
            "ndim" => Ok(Val::constant(
                Const::Int(i128::from(ndim)),
                Ty::Strong(Scalar::I64),
                a.range,
            )),
            "size" => {
                let mut size = self.shape(&arr, 0, a.range).expr;
                for axis in 1..ndim {
                    let dim = self.shape(&arr, axis, a.range).expr;
                    size = mk(
                        ExprKind::Binary(BinaryOp::Mul, Box::new(size), Box::new(dim)),
                        Scalar::I64,
                        a.range,
                    );
                }
                Ok(Val::strong(size))
            }
            "shape" => Err(self.unsupported(
                "a.shape can only be indexed (a.shape[0]) or unpacked (m, n = a.shape)",
                a.range,
            )),
            attr => Err(self.unsupported(
                format!(
                    "arrays in kernels have no attribute '{attr}' (shape, size and ndim exist)"
                ),
                a.range,
            )),
        }
    }

    /// `len(a)` of an array, or a reduction of one (`None`: not such a call).
    pub(super) fn array_len(&mut self, c: &ast::ExprCall) -> Result<Option<Val>, CompileError> {
        if let Some(v) = self.reduction(c)? {
            return Ok(Some(v));
        }
        if let Some(v) = self.array_function(c)? {
            return Ok(Some(v));
        }
        let Expr::Name(f) = &*c.func else {
            return Ok(None);
        };
        let is_len = !self.scope.is_local(f.id.as_str())
            && match self.spec.global(f.id.as_str()) {
                None => f.id.as_str() == "len",
                Some(GlobalValue::Callable(q)) => q == "builtins.len",
                Some(_) => false,
            };
        let [arg] = &c.arguments.args[..] else {
            return Ok(None);
        };
        if !is_len || !c.arguments.keywords.is_empty() {
            return Ok(None);
        }
        if let Some(t) = self.table_named(arg) {
            return Ok(Some(self.table_dim(t, 0, c.range())));
        }
        match self.array_of(arg)? {
            Some(a) => Ok(Some(self.shape(&a, 0, c.range()))),
            None => Ok(None),
        }
    }

    /// `a.sum()`, `np.sum(a)` and the other reductions of `ir::Reduction` (`None`: the call
    /// is something else).
    fn reduction(&mut self, c: &ast::ExprCall) -> Result<Option<Val>, CompileError> {
        use ir::Reduction::*;
        let Some((callee, args)) = self.array_callee(c)? else {
            return Ok(None);
        };
        let (Some(name), Some(&arr_expr)) = (
            callee
                .strip_prefix("method.")
                .or_else(|| callee.strip_prefix("numpy.")),
            args.first(),
        ) else {
            return Ok(None);
        };
        let (name, extra) = (name.to_string(), args.len() - 1);
        let r = match name.as_str() {
            "sum" => Sum,
            "prod" => Prod,
            "min" | "amin" => Min,
            "max" | "amax" => Max,
            "mean" => Mean,
            "any" => Any,
            "all" => All,
            "nansum" => NanSum,
            "nanmin" => NanMin,
            "nanmax" => NanMax,
            "nanmean" => NanMean,
            _ => return Ok(None),
        };
        let Some(arr) = self.array_of(arr_expr)? else {
            return Ok(None);
        };
        if extra > 0 || !c.arguments.keywords.is_empty() {
            return Err(self.unsupported(
                format!("{name}() of an array takes no axis or other arguments in kernels"),
                c.range(),
            ));
        }
        let t = arr.dtype;
        if t.is_complex() {
            return Err(self.unsupported(
                format!("{name}() of a complex array is not supported in kernels"),
                c.range(),
            ));
        }
        let ty = match r {
            Sum | Prod | NanSum if t.is_float() => t,
            Sum | Prod | NanSum if t.is_unsigned() => Scalar::U64,
            Sum | Prod | NanSum => Scalar::I64,
            Mean | NanMean if t.is_float() => t,
            Mean | NanMean => Scalar::F64,
            Any | All => Scalar::Bool,
            Min | Max | NanMin | NanMax => t,
        };
        Ok(Some(Val::strong(mk(
            ExprKind::Reduce(r, arr.expr),
            ty,
            c.range(),
        ))))
    }

    /// `a[i, j] = value` (same-kind conversion to the array's dtype) or `a[lo:hi] = value`
    /// (the scalar stored into every element of the view).
    pub(super) fn store_item(
        &mut self,
        target: &ast::ExprSubscript,
        value: Val,
        range: TextRange,
    ) -> Result<ir::Stmt, CompileError> {
        let base = self.writable_array(target)?;
        match self.access(&base, &target.slice)? {
            Access::Item(index) => self.item_store(&base, index, value, range),
            Access::View(dims) => {
                let value = self.stored(&base, value, range)?;
                let array = view(base, dims, target.range).expr;
                Ok(stmt(
                    StmtKind::StoreSlice {
                        array,
                        value: SliceValue::Scalar(value),
                    },
                    range,
                ))
            }
        }
    }

    /// The array a store targets, if the kernel may write to it.
    fn writable_array(&mut self, target: &ast::ExprSubscript) -> Result<ArrayVal, CompileError> {
        if self.arrays.is_empty() && self.array_of(&target.value)?.is_none() {
            return Err(self.unsupported(
                "item assignment is not supported in vectorize kernels (arrays come with \
                 guvectorize or local arrays)",
                target.range,
            ));
        }
        let a = self.indexed_array(target)?;
        self.check_writable(&a, target.range)?;
        Ok(a)
    }

    /// Every array but a frozen module-level table may be stored into (gufunc inputs too:
    /// NumPy then passes them read-write, see `crate::writes`).
    pub(super) fn check_writable(
        &self,
        a: &ArrayVal,
        range: TextRange,
    ) -> Result<(), CompileError> {
        if a.writable {
            return Ok(());
        }
        Err(self.typing(
            format!(
                "cannot write to the module-level array '{}': kernels read it as a \
                 constant frozen at compile time",
                a.name
            ),
            range,
        ))
    }

    /// `value` converted for a store into `a`, as NumPy's `__setitem__` casts (unsafely: a
    /// float stored into an int array truncates); only complex into a real array is refused,
    /// and a Python int literal out of the dtype's range stays an error (NumPy 2 raises
    /// OverflowError).
    pub(super) fn stored(
        &mut self,
        a: &ArrayVal,
        value: Val,
        range: TextRange,
    ) -> Result<ir::Expr, CompileError> {
        // Before the check: a lazy gufunc infers its outputs' dtypes from these.
        if let ArrayExpr::Var(id) = a.expr.root() {
            if let Some(param) = self.arrays[id.0 as usize].param {
                self.state.join_store(param.0, value.ty);
            }
        }
        if value.kind() == Kind::Complex && a.dtype.kind() != Kind::Complex {
            return Err(self.typing(
                format!(
                    "cannot store {} into the {} array '{}' (take .real first)",
                    value.ty, a.dtype, a.name
                ),
                range,
            ));
        }
        if value.kind() > a.dtype.kind() {
            self.convert(value, a.dtype)
        } else {
            self.coerce(value, a.dtype)
        }
    }

    fn item_store(
        &mut self,
        a: &ArrayVal,
        index: Vec<ir::Expr>,
        value: Val,
        range: TextRange,
    ) -> Result<ir::Stmt, CompileError> {
        let value = self.stored(a, value, range)?;
        Ok(stmt(
            StmtKind::Store {
                array: a.expr.clone(),
                index,
                value,
            },
            range,
        ))
    }

    /// `a[i] op= value`: the index is evaluated once.
    pub(super) fn aug_store_item(
        &mut self,
        target: &ast::ExprSubscript,
        op: Operator,
        value: &Expr,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        let base = self.writable_array(target)?;
        let Access::Item(mut index) = self.access(&base, &target.slice)? else {
            return Err(self.unsupported(
                "augmented assignment to a slice is not supported in kernels; loop over it",
                range,
            ));
        };
        for ix in index.iter_mut() {
            if !matches!(ix.kind, ExprKind::Local(_) | ExprKind::Const(_)) {
                let tmp = self.scope.temp("ix", Scalar::I64);
                let span = ix.span;
                let e = std::mem::replace(
                    ix,
                    ir::Expr {
                        kind: ExprKind::Local(tmp),
                        ty: Scalar::I64,
                        span,
                    },
                );
                out.push(ir::Stmt {
                    kind: StmtKind::Assign { dst: tmp, value: e },
                    span,
                });
            }
        }
        let current = Val::strong(mk(
            ExprKind::Load {
                array: base.expr.clone(),
                index: index.clone(),
            },
            base.dtype,
            target.range,
        ));
        let v = self.expr(value)?;
        let result = self.binary(op, current, v, range)?;
        out.push(self.item_store(&base, index, result, range)?);
        Ok(())
    }

    /// `m, n = a.shape` (`None`: the value is not an array's shape).
    pub(super) fn unpack_shape(
        &mut self,
        names: &[&Expr],
        value: &Expr,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<Option<()>, CompileError> {
        let Expr::Attribute(a) = value else {
            return Ok(None);
        };
        if a.attr.id.as_str() != "shape" {
            return Ok(None);
        }
        let Some(arr) = self.array_of(&a.value)? else {
            return Ok(None);
        };
        let ndim = arr.ndim as usize;
        if names.len() != ndim {
            return Err(self.typing(
                format!(
                    "'{}' has {ndim} dimension{} but {} names are unpacked from its shape",
                    arr.name,
                    if ndim == 1 { "" } else { "s" },
                    names.len()
                ),
                range,
            ));
        }
        // The shape expressions name the array variable, not the name, so unpacking into
        // the array's own name (`a, n = a.shape`) still reads the array.
        for (axis, target) in names.iter().enumerate() {
            let Expr::Name(n) = target else {
                return Err(
                    self.unsupported("only names can be unpacked from a shape", target.range())
                );
            };
            let v = self.shape(&arr, axis as u32, a.range);
            out.push(self.store(n.id.as_str(), v, range)?);
        }
        Ok(Some(()))
    }

    /// Before `name` is bound to a scalar: it stops naming an array (Numba's SSA rule: each
    /// assignment has its own type).
    pub(super) fn check_rebind(
        &mut self,
        name: &str,
        range: TextRange,
    ) -> Result<(), CompileError> {
        if self.array_vars.contains_key(name) {
            self.kind_change(name, range)?;
        }
        self.array_vars.remove(name);
        Ok(())
    }

    /// A name switching between array and scalar: only in the function's own body, where
    /// source order is execution order (inside a branch or loop the kind after it would
    /// depend on the path taken).
    fn kind_change(&self, name: &str, range: TextRange) -> Result<(), CompileError> {
        if self.depth <= 1 {
            return Ok(());
        }
        Err(self.unsupported(
            format!(
                "'{name}' is rebound between an array and a number inside a branch or loop; \
                 use a new name there"
            ),
            range,
        ))
    }

    /// Before `name` is bound to an array: a name that holds a number must not switch inside
    /// a branch or loop.
    fn check_array_rebind(&self, name: &str, range: TextRange) -> Result<(), CompileError> {
        if !self.array_vars.contains_key(name) && self.scope.slot(name).is_some() {
            self.kind_change(name, range)?;
        }
        Ok(())
    }

    /// `for v in a` over a 1-d array: the array and its length (`None`: not an array).
    pub(super) fn array_iter(
        &mut self,
        iter: &Expr,
    ) -> Result<Option<(ArrayVal, ir::Expr)>, CompileError> {
        let Some(a) = self.array_of(iter)? else {
            return Ok(None);
        };
        if a.ndim != 1 {
            return Err(self.unsupported(
                format!(
                    "iterating over the {}-d array '{}' is not supported; index it instead",
                    a.ndim, a.name
                ),
                iter.range(),
            ));
        }
        let len = self.shape(&a, 0, iter.range()).expr;
        Ok(Some((a, len)))
    }

    /// `a[k]` for a local index `k` (the element of `for v in a`).
    pub(super) fn element(&self, a: ArrayVal, k: ir::Local, range: TextRange) -> Val {
        let index = vec![mk(ExprKind::Local(k), Scalar::I64, range)];
        Val::strong(mk(
            ExprKind::Load {
                array: a.expr,
                index,
            },
            a.dtype,
            range,
        ))
    }

    /// `name = <array>` and `target[...] = <array>` (`None`: the value is not an array, or
    /// the statement is something else).
    pub(super) fn array_assign(
        &mut self,
        a: &ast::StmtAssign,
        out: &mut ir::Block,
    ) -> Result<Option<()>, CompileError> {
        let [target] = &a.targets[..] else {
            return Ok(None);
        };
        if let Expr::Name(n) = target {
            if let Some(()) = self.array_function_assign(n.id.as_str(), &a.value, a.range, out)? {
                return Ok(Some(()));
            }
            if let Some(()) = self.whole_array_assign(n.id.as_str(), &a.value, a.range, out)? {
                return Ok(Some(()));
            }
        }
        if let (Expr::Tuple(t), Some(c)) = (target, self.histogram_call(&a.value)) {
            let names: Vec<Option<&str>> = t
                .elts
                .iter()
                .map(|e| match e {
                    Expr::Name(n) => Some(n.id.as_str()),
                    _ => None,
                })
                .collect();
            let [Some(counts), Some(edges)] = names[..] else {
                return Err(self.unsupported(
                    "np.histogram(...) gives (counts, edges): unpack them into two names",
                    target.range(),
                ));
            };
            self.histogram(c, [Some(counts), Some(edges)], a.range, out)?;
            return Ok(Some(()));
        }
        if let Expr::Subscript(s) = target {
            if let Some(()) = self.mask_store(s, &a.value, a.range, out)? {
                return Ok(Some(()));
            }
            if self.array_of(&a.value)?.is_none() && self.is_whole_array(&a.value)? {
                let base = self.indexed_array(s)?;
                if let Access::View(dims) = self.access(&base, &s.slice)? {
                    let dst = view(base, dims, s.range);
                    self.check_writable(&dst, s.range)?;
                    if let Some(()) = self.whole_array_store(dst, &a.value, a.range, out)? {
                        return Ok(Some(()));
                    }
                }
            }
        }
        if let Some((maker, call)) = self.array_maker(&a.value) {
            let Expr::Name(n) = target else {
                return Err(self.unsupported(
                    "a new local array must be bound to a name (x = np.zeros(n))",
                    target.range(),
                ));
            };
            return self
                .alloc(n.id.as_str(), maker, call, a.range, out)
                .map(Some);
        }
        let value = match target {
            Expr::Name(_) | Expr::Subscript(_) => self.array_of(&a.value)?,
            _ => None,
        };
        let Some(value) = value else {
            return Ok(None);
        };
        match target {
            Expr::Name(n) => {
                self.check_array_rebind(n.id.as_str(), a.range)?;
                out.push(self.bind(n.id.as_str(), value, a.range));
                Ok(Some(()))
            }
            Expr::Subscript(s) => {
                let base = self.indexed_array(s)?;
                let dst = match self.access(&base, &s.slice)? {
                    Access::View(dims) => view(base.clone(), dims, s.range),
                    Access::Item(_) => {
                        return Err(self.typing(
                            format!(
                                "cannot store the array '{}' into one element of '{}'",
                                self.text(a.value.range()),
                                base.name
                            ),
                            a.range,
                        ))
                    }
                };
                self.check_writable(&dst, s.range)?;
                if value.dtype.kind() > dst.dtype.kind() {
                    return Err(self.typing(
                        format!(
                            "cannot store a {} array into the {} array '{}' (NumPy's same-kind \
                             casting)",
                            value.dtype, dst.dtype, dst.name
                        ),
                        a.range,
                    ));
                }
                if value.ndim > dst.ndim {
                    return Err(self.typing(
                        format!(
                            "could not broadcast a {}-d array into a {}-d view",
                            value.ndim, dst.ndim
                        ),
                        a.range,
                    ));
                }
                out.push(stmt(
                    StmtKind::StoreSlice {
                        array: dst.expr,
                        value: SliceValue::Array(value.expr),
                    },
                    a.range,
                ));
                Ok(Some(()))
            }
            _ => Ok(None),
        }
    }

    /// The array variable `name` gets for values like `v` (the one it has when the type
    /// matches, else a new one: a rebinding to another type is a new variable).
    pub(super) fn array_var(
        &mut self,
        name: &str,
        dtype: Scalar,
        ndim: u32,
        writable: bool,
    ) -> ArrayId {
        if let Some(id) = self.array_param(name) {
            let d = &self.arrays[id.0 as usize];
            if d.dtype == dtype && d.ndim == ndim && d.writable == writable {
                return id;
            }
        }
        self.arrays.push(ir::ArrayDecl {
            param: None,
            name: name.to_string(),
            dtype,
            ndim,
            writable,
        });
        let id = ArrayId(self.arrays.len() as u32 - 1);
        self.array_vars.insert(name.to_string(), id);
        id
    }

    /// `name = view`.
    pub(super) fn bind(&mut self, name: &str, v: ArrayVal, range: TextRange) -> ir::Stmt {
        let dst = self.array_var(name, v.dtype, v.ndim, v.writable);
        self.array_vars.insert(name.to_string(), dst);
        self.flow.assign(name);
        stmt(StmtKind::BindArray { dst, value: v.expr }, range)
    }

    /// `np.zeros/ones/empty/full` (by any name that resolves to them) and the call.
    fn array_maker<'e>(&self, e: &'e Expr) -> Option<(Maker, &'e ast::ExprCall)> {
        let Expr::Call(c) = e else { return None };
        let q = self.qualified(&c.func)?;
        let m = match q.as_str() {
            "numpy.zeros" => Maker::Zeros,
            "numpy.ones" => Maker::Ones,
            "numpy.empty" => Maker::Empty,
            "numpy.full" => Maker::Full,
            _ => return None,
        };
        Some((m, c))
    }

    /// The qualified name (`numpy.zeros`) of a module attribute or imported callable.
    pub(super) fn qualified(&self, f: &Expr) -> Option<String> {
        match f {
            Expr::Attribute(a) => {
                let m = self.module_of(&a.value)?;
                Some(format!(
                    "{}.{}",
                    super::builtins::module_name(m),
                    a.attr.id.as_str()
                ))
            }
            Expr::Name(n) if !self.scope.is_local(n.id.as_str()) => {
                match self.spec.global(n.id.as_str()) {
                    Some(GlobalValue::Callable(q)) => Some(q.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The dtype a `dtype=` argument names.
    fn dtype_arg(&self, e: &Expr) -> Result<Scalar, CompileError> {
        let named = match e {
            Expr::Name(n) if !self.scope.is_local(n.id.as_str()) => {
                match (n.id.as_str(), self.spec.global(n.id.as_str())) {
                    ("float", None) => Some(Scalar::F64),
                    ("int", None) => Some(Scalar::I64),
                    ("bool", None) => Some(Scalar::Bool),
                    ("complex", None) => Some(Scalar::C128),
                    (_, Some(GlobalValue::Callable(q))) => {
                        q.strip_prefix("numpy.").and_then(Scalar::from_name)
                    }
                    _ => None,
                }
            }
            Expr::Attribute(a) if self.module_of(&a.value).is_some() => {
                Scalar::from_name(a.attr.id.as_str())
            }
            Expr::StringLiteral(s) => Scalar::from_name(s.value.to_str()),
            _ => None,
        };
        named.ok_or_else(|| {
            self.unsupported(
                format!(
                    "dtype '{}' is not supported for local arrays (use a NumPy scalar type such \
                     as np.float64 or np.int64)",
                    self.text(e.range())
                ),
                e.range(),
            )
        })
    }

    /// `name = np.zeros(shape, dtype)` and friends.
    fn alloc(
        &mut self,
        name: &str,
        maker: Maker,
        c: &ast::ExprCall,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        let fname = match maker {
            Maker::Zeros => "zeros",
            Maker::Ones => "ones",
            Maker::Empty => "empty",
            Maker::Full => "full",
        };
        let mut positional = c.arguments.args.iter();
        let mut shape_expr = positional.next();
        let mut fill_expr = if maker == Maker::Full {
            positional.next()
        } else {
            None
        };
        let mut dtype_expr = positional.next();
        if let Some(extra) = positional.next() {
            return Err(self.unsupported(
                format!("np.{fname}() takes only shape, dtype (and fill_value) in kernels"),
                extra.range(),
            ));
        }
        for k in c.arguments.keywords.iter() {
            let slot = match k.arg.as_ref().map(|a| a.as_str()) {
                Some("dtype") => &mut dtype_expr,
                Some("shape") => &mut shape_expr,
                Some("fill_value") if maker == Maker::Full => &mut fill_expr,
                _ => {
                    return Err(self.unsupported(
                        format!("np.{fname}() takes only shape, dtype (and fill_value) in kernels"),
                        k.range,
                    ))
                }
            };
            if slot.replace(&k.value).is_some() {
                return Err(self.typing(format!("np.{fname}() got an argument twice"), k.range));
            }
        }
        let Some(shape_expr) = shape_expr else {
            return Err(self.typing(
                format!("np.{fname}() needs a shape (an integer or a tuple of integers)"),
                c.range(),
            ));
        };
        if maker == Maker::Full && fill_expr.is_none() {
            return Err(self.typing("np.full() needs a fill value", c.range()));
        }
        let shape = self.shape_arg(shape_expr)?;
        let fill = match fill_expr {
            Some(e) => Some(self.expr(e)?),
            None => None,
        };
        let dtype = match (dtype_expr, &fill) {
            (Some(d), _) => self.dtype_arg(d)?,
            (None, Some(v)) => v.ty.concrete(),
            (None, None) => Scalar::F64,
        };
        let fill = match (maker, fill) {
            (Maker::Full, Some(v)) => {
                let a = ArrayVal {
                    expr: ArrayExpr::Var(ArrayId(0)),
                    dtype,
                    ndim: 0,
                    writable: true,
                    name: name.to_string(),
                };
                Some(self.stored(&a, v, range)?)
            }
            (Maker::Zeros, _) => Some(mk(ExprKind::Const(super::val::zero(dtype)), dtype, range)),
            (Maker::Ones, _) => {
                let one = Val::literal(Const::Int(1), range);
                Some(self.convert(one, dtype)?)
            }
            _ => None,
        };
        let ndim = shape.len() as u32;
        let dst = self.array_var(name, dtype, ndim, true);
        self.array_vars.insert(name.to_string(), dst);
        self.flow.assign(name);
        out.push(stmt(StmtKind::Alloc { dst, shape, fill }, range));
        Ok(())
    }

    /// A shape argument: an integer, a tuple of integers, or another array's `.shape`.
    fn shape_arg(&mut self, e: &Expr) -> Result<Vec<ir::Expr>, CompileError> {
        if let Expr::Attribute(a) = e {
            if a.attr.id.as_str() == "shape" {
                if let Some(arr) = self.array_of(&a.value)? {
                    return Ok((0..arr.ndim)
                        .map(|k| self.shape(&arr, k, e.range()).expr)
                        .collect());
                }
            }
        }
        let parts: Vec<&Expr> = match e {
            Expr::Tuple(t) => t.elts.iter().collect(),
            Expr::List(t) => t.elts.iter().collect(),
            e => vec![e],
        };
        if parts.is_empty() {
            return Err(self.unsupported(
                "0-d local arrays are not supported; use a scalar variable",
                e.range(),
            ));
        }
        parts.into_iter().map(|p| self.index_value(p)).collect()
    }
}

/// A whole axis (`:`).
fn whole() -> ViewDim {
    ViewDim::Slice {
        start: None,
        stop: None,
        step: None,
    }
}

/// `base[dims...]`: the view's dimensions are those of the slices plus the axes not indexed.
fn view(base: ArrayVal, dims: Vec<ViewDim>, range: TextRange) -> ArrayVal {
    let indexed = dims
        .iter()
        .filter(|d| matches!(d, ViewDim::Index(_)))
        .count() as u32;
    ArrayVal {
        ndim: base.ndim - indexed,
        dtype: base.dtype,
        writable: base.writable,
        name: base.name,
        expr: ArrayExpr::View {
            base: Box::new(base.expr),
            dims,
            span: parse::span(range),
        },
    }
}
