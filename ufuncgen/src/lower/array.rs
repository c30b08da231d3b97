//! Array parameters of gufunc kernels: `a[i, j]` loads and stores, `a.shape[k]`, `len(a)`,
//! `a.size`, `a.ndim`, `m, n = a.shape` and `for v in a`. An array is never a value itself.

use super::val::{mk, Val};
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, ArrayId, BinaryOp, Const, ExprKind, StmtKind};
use crate::parse;
use crate::spec::GlobalValue;
use crate::types::{Kind, Scalar, Ty};
use ruff_python_ast::{self as ast, Expr, Operator};
use ruff_text_size::{Ranged, TextRange};

fn stmt(kind: StmtKind, range: TextRange) -> ir::Stmt {
    ir::Stmt {
        kind,
        span: parse::span(range),
    }
}

impl Lowerer<'_> {
    /// The array parameter called `name`, if there is one.
    pub(super) fn array_param(&self, name: &str) -> Option<ArrayId> {
        self.arrays
            .iter()
            .position(|a| {
                self.kernel
                    .params
                    .get(a.param.0 as usize)
                    .is_some_and(|p| p.name == name)
            })
            .map(|i| ArrayId(i as u32))
    }

    /// The array an expression names (a bare array parameter), if any.
    pub(super) fn array_named(&self, e: &Expr) -> Option<ArrayId> {
        match e {
            Expr::Name(n) => self.array_param(n.id.as_str()),
            _ => None,
        }
    }

    fn decl(&self, id: ArrayId) -> &ir::ArrayDecl {
        &self.arrays[id.0 as usize]
    }

    fn array_name(&self, id: ArrayId) -> &str {
        let param = self.decl(id).param.0 as usize;
        self.kernel
            .params
            .get(param)
            .map_or("?", |p| p.name.as_str())
    }

    /// `array.shape[axis]` as an int64 expression.
    fn shape(&self, id: ArrayId, axis: u32, range: TextRange) -> Val {
        Val::strong(mk(ExprKind::Shape(id, axis), Scalar::I64, range))
    }

    /// `x[...]` in an expression.
    pub(super) fn subscript(&mut self, s: &ast::ExprSubscript) -> Result<Val, CompileError> {
        if let Some(v) = self.table_subscript(s)? {
            return Ok(v);
        }
        if let Expr::Attribute(a) = &*s.value {
            if let (Some(id), "shape") = (self.array_named(&a.value), a.attr.id.as_str()) {
                let axis = self.shape_axis(id, &s.slice)?;
                return Ok(self.shape(id, axis, s.range));
            }
        }
        let id = self.indexed_array(s)?;
        let index = self.index(id, &s.slice)?;
        let dtype = self.decl(id).dtype;
        Ok(Val::strong(mk(
            ExprKind::Load { array: id, index },
            dtype,
            s.range,
        )))
    }

    /// The array a subscript indexes, or why it cannot be indexed.
    fn indexed_array(&mut self, s: &ast::ExprSubscript) -> Result<ArrayId, CompileError> {
        if let Some(id) = self.array_named(&s.value) {
            return Ok(id);
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
    fn shape_axis(&mut self, id: ArrayId, slice: &Expr) -> Result<u32, CompileError> {
        let ndim = i128::from(self.decl(id).ndim);
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
                    self.array_name(id)
                ),
                slice.range(),
            ));
        }
        Ok(axis as u32)
    }

    /// The int64 indices of `a[i]` / `a[i, j]`, one per dimension.
    fn index(&mut self, id: ArrayId, slice: &Expr) -> Result<Vec<ir::Expr>, CompileError> {
        let ndim = self.decl(id).ndim as usize;
        let name = self.array_name(id).to_string();
        self.indices(ndim, &name, slice)
    }

    /// The int64 indices of a subscript of the `ndim`-d array `name`, one per dimension.
    pub(super) fn indices(
        &mut self,
        ndim: usize,
        name: &str,
        slice: &Expr,
    ) -> Result<Vec<ir::Expr>, CompileError> {
        let parts: Vec<&Expr> = match slice {
            Expr::Tuple(t) => t.elts.iter().collect(),
            e => vec![e],
        };
        if parts.len() != ndim {
            return Err(self.typing(
                format!(
                    "'{name}' is a {ndim}-d array and needs {ndim} ind{} (got {}); slices and \
                     partial indexing are not supported",
                    if ndim == 1 { "ex" } else { "ices" },
                    parts.len()
                ),
                slice.range(),
            ));
        }
        let mut index = Vec::with_capacity(ndim);
        for p in parts {
            if let Expr::Slice(_) = p {
                return Err(self.unsupported("slices are not supported in kernels", p.range()));
            }
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
            index.push(self.coerce(v, Scalar::I64)?);
        }
        Ok(index)
    }

    /// `a.size`, `a.ndim`; `a.shape` alone is not a value.
    pub(super) fn array_attribute(
        &mut self,
        id: ArrayId,
        a: &ast::ExprAttribute,
    ) -> Result<Val, CompileError> {
        let ndim = self.decl(id).ndim;
        match a.attr.id.as_str() {
            "ndim" => Ok(Val::constant(
                Const::Int(i128::from(ndim)),
                Ty::Strong(Scalar::I64),
                a.range,
            )),
            "size" => {
                let mut size = self.shape(id, 0, a.range).expr;
                for axis in 1..ndim {
                    let dim = self.shape(id, axis, a.range).expr;
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

    /// `len(a)` of an array parameter (`None`: not such a call).
    pub(super) fn array_len(&mut self, c: &ast::ExprCall) -> Result<Option<Val>, CompileError> {
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
        if let Some(t) = self.table_named(arg).filter(|_| is_len) {
            return Ok(Some(self.table_dim(t, 0, c.range())));
        }
        match self.array_named(arg) {
            Some(id) if is_len && c.arguments.keywords.is_empty() => {
                Ok(Some(self.shape(id, 0, c.range())))
            }
            _ => Ok(None),
        }
    }

    /// `a[i, j] = value`: same-kind conversion to the array's dtype.
    pub(super) fn store_item(
        &mut self,
        target: &ast::ExprSubscript,
        value: Val,
        range: TextRange,
    ) -> Result<ir::Stmt, CompileError> {
        let id = self.writable_array(target)?;
        let index = self.index(id, &target.slice)?;
        self.item_store(id, index, value, range)
    }

    /// The array a store targets, if the kernel may write to it.
    fn writable_array(&mut self, target: &ast::ExprSubscript) -> Result<ArrayId, CompileError> {
        let id = self.indexed_array(target)?;
        if !self.decl(id).writable {
            return Err(self.typing(
                format!(
                    "cannot write to input array '{}' (list it in writable_args to allow it)",
                    self.array_name(id)
                ),
                target.range,
            ));
        }
        Ok(id)
    }

    fn item_store(
        &mut self,
        id: ArrayId,
        index: Vec<ir::Expr>,
        value: Val,
        range: TextRange,
    ) -> Result<ir::Stmt, CompileError> {
        let dtype = self.decl(id).dtype;
        // Before the check: a lazy gufunc infers its outputs' dtypes from these.
        let param = self.decl(id).param.0;
        self.state.join_store(param, value.ty);
        // NumPy's `__setitem__` casts unsafely (a float stored into an int array truncates);
        // only complex into a real array is refused, and a Python int literal out of the
        // dtype's range stays an error (NumPy 2 raises OverflowError).
        if value.kind() == Kind::Complex && dtype.kind() != Kind::Complex {
            return Err(self.typing(
                format!(
                    "cannot store {} into the {dtype} array '{}' (take .real first)",
                    value.ty,
                    self.array_name(id)
                ),
                range,
            ));
        }
        let value = if value.kind() > dtype.kind() {
            self.convert(value, dtype)?
        } else {
            self.coerce(value, dtype)?
        };
        Ok(stmt(
            StmtKind::Store {
                array: id,
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
        let id = self.writable_array(target)?;
        let mut index = self.index(id, &target.slice)?;
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
        let dtype = self.decl(id).dtype;
        let current = Val::strong(mk(
            ExprKind::Load {
                array: id,
                index: index.clone(),
            },
            dtype,
            target.range,
        ));
        let v = self.expr(value)?;
        let result = self.binary(op, current, v, range)?;
        out.push(self.item_store(id, index, result, range)?);
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
        let Some(id) = self
            .array_named(&a.value)
            .filter(|_| a.attr.id.as_str() == "shape")
        else {
            return Ok(None);
        };
        let ndim = self.decl(id).ndim as usize;
        if names.len() != ndim {
            return Err(self.typing(
                format!(
                    "'{}' has {ndim} dimension{} but {} names are unpacked from its shape",
                    self.array_name(id),
                    if ndim == 1 { "" } else { "s" },
                    names.len()
                ),
                range,
            ));
        }
        for (axis, target) in names.iter().enumerate() {
            let Expr::Name(n) = target else {
                return Err(
                    self.unsupported("only names can be unpacked from a shape", target.range())
                );
            };
            let v = self.shape(id, axis as u32, a.range);
            out.push(self.store(n.id.as_str(), v, range)?);
        }
        Ok(Some(()))
    }

    /// An error when `name` is an array parameter (arrays cannot be rebound).
    pub(super) fn check_rebind(&self, name: &str, range: TextRange) -> Result<(), CompileError> {
        match self.array_param(name) {
            Some(_) => Err(self.typing(
                format!(
                    "cannot assign to the array argument '{name}' (store into it: {name}[i] = ...)"
                ),
                range,
            )),
            None => Ok(()),
        }
    }

    /// `for v in a` over a 1-d array: the range of its indices and the element load for an
    /// index local (`None`: the iterable is not an array).
    pub(super) fn array_iter(
        &mut self,
        iter: &Expr,
    ) -> Result<Option<(ArrayId, ir::Expr)>, CompileError> {
        let Some(id) = self.array_named(iter) else {
            return Ok(None);
        };
        if self.decl(id).ndim != 1 {
            return Err(self.unsupported(
                format!(
                    "iterating over the {}-d array '{}' is not supported; index it instead",
                    self.decl(id).ndim,
                    self.array_name(id)
                ),
                iter.range(),
            ));
        }
        Ok(Some((id, self.shape(id, 0, iter.range()).expr)))
    }

    /// `a[k]` for a local index `k` (the element of `for v in a`).
    pub(super) fn element(&self, id: ArrayId, k: ir::Local, range: TextRange) -> Val {
        let index = vec![mk(ExprKind::Local(k), Scalar::I64, range)];
        let dtype = self.decl(id).dtype;
        Val::strong(mk(ExprKind::Load { array: id, index }, dtype, range))
    }
}
