//! Whole-array expressions over 1-d arrays, as NumPy evaluates them element by element:
//! `y = np.exp(-x * k) + b` binds a new local array, `out[:] = x - x.mean()` stores into a
//! view, `v = a[~np.isnan(a)]` keeps the elements a boolean mask selects (a view of a local
//! array), `a[a < 0] = 0` stores where it is true. `np.arange(...)` may stand for an array in
//! them. Operands must have equal lengths (a `ValueError` otherwise). Parts of the expression
//! that hold no array (`x.mean()`, `np.sqrt(s)`) are computed once, before the loop.

use super::array::ArrayVal;
use super::array_fns::guarded;
use super::val::{int, stmt};
use super::val::{mk, Val};
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, ArrayExpr, BinaryOp, CmpOp, Exception, ExprKind, Local, StmtKind};
use crate::parse;
use crate::types::{Kind, Scalar};
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextRange};

/// An element-by-element evaluation in progress: reads of array operands become loads at
/// `index`; the expressions in `hoisted` were computed before the loop into locals.
pub(super) struct Elementwise {
    index: Local,
    hoisted: Vec<(TextRange, Local, Scalar)>,
    ranges: Vec<(TextRange, Arange)>,
}

/// `np.arange(start, stop, step)` standing for an array: its element `i` as NumPy fills it.
#[derive(Clone)]
struct Arange {
    start: Local,
    step: Local,
    ty: Scalar,
}

/// What the operands of a whole-array expression are: arrays (and aranges) with their lengths.
struct Operands {
    lengths: Vec<ir::Expr>,
}

/// NumPy functions of whole arrays (reductions and the like): never element by element.
const ARRAY_FUNCTIONS: &[&str] = &[
    "sum",
    "prod",
    "min",
    "max",
    "amin",
    "amax",
    "mean",
    "any",
    "all",
    "nansum",
    "nanprod",
    "nanmin",
    "nanmax",
    "nanmean",
    "argmin",
    "argmax",
    "nanargmin",
    "nanargmax",
    "var",
    "std",
    "nanvar",
    "nanstd",
    "searchsorted",
    "dot",
    "inner",
    "vdot",
    "interp",
    "cumsum",
    "cumprod",
    "sort",
    "argsort",
    "median",
    "percentile",
    "count_nonzero",
    "ptp",
    "norm",
];

const SCALAR_BUILTINS: &[&str] = &[
    "abs", "min", "max", "float", "int", "round", "bool", "complex",
];

impl Lowerer<'_> {
    /// True when `e` computes element by element over at least one array (an array or view
    /// used as an operand, or `np.arange`).
    pub(super) fn is_whole_array(&mut self, e: &Expr) -> Result<bool, CompileError> {
        Ok(match e {
            Expr::Name(_) => self.array_of(e)?.is_some(),
            Expr::Subscript(s) => {
                if self.array_of(&s.value)?.is_some() && self.is_whole_array(&s.slice)? {
                    return Err(self.unsupported(
                        "a boolean mask inside an expression is not supported in kernels: bind \
                         the selection to a name first (v = a[mask])",
                        s.range,
                    ));
                }
                // `a[i]` of a 1-d array is a scalar; `a[1:]` or a row `g[i]` is an array.
                self.array_of(e)?.is_some()
            }
            Expr::BinOp(b) => self.is_whole_array(&b.left)? || self.is_whole_array(&b.right)?,
            Expr::UnaryOp(u) => self.is_whole_array(&u.operand)?,
            Expr::Compare(c) => {
                if self.is_whole_array(&c.left)? {
                    return Ok(true);
                }
                for x in c.comparators.iter() {
                    if self.is_whole_array(x)? {
                        return Ok(true);
                    }
                }
                false
            }
            Expr::BoolOp(b) => {
                for x in b.values.iter() {
                    if self.is_whole_array(x)? {
                        return Ok(true);
                    }
                }
                false
            }
            Expr::If(i) => {
                self.is_whole_array(&i.body)?
                    || self.is_whole_array(&i.orelse)?
                    || self.is_whole_array(&i.test)?
            }
            Expr::Call(c) => {
                if self.is_arange(c) {
                    return Ok(true);
                }
                if !self.is_elementwise_callee(&c.func) {
                    return Ok(false);
                }
                for x in c.arguments.args.iter() {
                    if self.is_whole_array(x)? {
                        return Ok(true);
                    }
                }
                false
            }
            _ => false,
        })
    }

    fn is_arange(&self, c: &ast::ExprCall) -> bool {
        self.qualified(&c.func).as_deref() == Some("numpy.arange")
    }

    /// A function applied element by element to array arguments: a NumPy ufunc or math
    /// function the kernel language knows, or a scalar builtin (`abs`, `min`, ...).
    fn is_elementwise_callee(&self, f: &Expr) -> bool {
        if let Some(q) = self.qualified(f) {
            let name = q.rsplit('.').next().unwrap_or("");
            return super::builtins::lookup(&q).is_some() && !ARRAY_FUNCTIONS.contains(&name);
        }
        if let Some(func) = self.user_function(f) {
            // A ufunc built by ufuncgen (or an `njit` helper with scalar signatures).
            return !func.signatures.is_empty()
                && func.signatures.iter().all(|s| {
                    s.args
                        .iter()
                        .all(|a| matches!(a, crate::spec::ArgType::Scalar(_)))
                });
        }
        match f {
            Expr::Name(n) => {
                !self.scope.is_local(n.id.as_str())
                    && self.spec.global(n.id.as_str()).is_none()
                    && SCALAR_BUILTINS.contains(&n.id.as_str())
            }
            _ => false,
        }
    }

    /// The arrays `e` reads element by element (their lengths), hoisting every part of it
    /// that reads none into a local computed now (`out` gets those assignments).
    fn operands(
        &mut self,
        e: &Expr,
        ops: &mut Operands,
        ew: &mut Elementwise,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        if !self.is_whole_array(e)? {
            return self.hoist(e, ew, out);
        }
        match e {
            Expr::Name(_) | Expr::Subscript(_) => {
                let Some(a) = self.array_of(e)? else {
                    return Ok(());
                };
                self.one_d(&a, e.range())?;
                ops.lengths
                    .push(mk(ExprKind::Shape(a.expr, 0), Scalar::I64, e.range()));
                Ok(())
            }
            Expr::BinOp(b) => {
                self.operands(&b.left, ops, ew, out)?;
                self.operands(&b.right, ops, ew, out)
            }
            Expr::UnaryOp(u) => self.operands(&u.operand, ops, ew, out),
            Expr::Compare(c) => {
                self.operands(&c.left, ops, ew, out)?;
                for x in c.comparators.iter() {
                    self.operands(x, ops, ew, out)?;
                }
                Ok(())
            }
            Expr::BoolOp(b) => {
                for x in b.values.iter() {
                    self.operands(x, ops, ew, out)?;
                }
                Ok(())
            }
            Expr::If(i) => {
                self.operands(&i.test, ops, ew, out)?;
                self.operands(&i.body, ops, ew, out)?;
                self.operands(&i.orelse, ops, ew, out)
            }
            Expr::Call(c) if self.is_arange(c) => self.arange_operand(c, ops, ew, out),
            Expr::Call(c) => {
                if !c.arguments.keywords.is_empty() {
                    return Err(self.unsupported(
                        "keyword arguments in a whole-array expression are not supported in \
                         kernels",
                        c.range(),
                    ));
                }
                for x in c.arguments.args.iter() {
                    self.operands(x, ops, ew, out)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn one_d(&self, a: &ArrayVal, range: TextRange) -> Result<(), CompileError> {
        if a.ndim != 1 {
            return Err(self.unsupported(
                format!(
                    "whole-array expressions of {}-d arrays are not supported in kernels: \
                     loop over the rows (a row a[i] is a 1-d array)",
                    a.ndim
                ),
                range,
            ));
        }
        Ok(())
    }

    /// Computes `e` (no array in it) once, before the loop, unless it is a constant or a
    /// plain name (kept as written, so Python literals stay weak under NEP 50).
    fn hoist(
        &mut self,
        e: &Expr,
        ew: &mut Elementwise,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        if matches!(
            e,
            Expr::NumberLiteral(_) | Expr::BooleanLiteral(_) | Expr::Name(_) | Expr::Attribute(_)
        ) {
            return Ok(());
        }
        let v = self.expr(e)?;
        if v.as_const().is_some() || v.is_weak() {
            return Ok(());
        }
        let t = v.ty.concrete();
        let local = self.scope.temp("hoisted", t);
        let value = self.coerce(v, t)?;
        out.push(stmt(StmtKind::Assign { dst: local, value }, e.range()));
        ew.hoisted.push((e.range(), local, t));
        Ok(())
    }

    /// `np.arange(...)` as an operand: its start and NumPy's fill step computed now.
    fn arange_operand(
        &mut self,
        c: &ast::ExprCall,
        ops: &mut Operands,
        ew: &mut Elementwise,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        let (t, start, stop, step) = self.arange_bounds(c)?;
        let range = c.range();
        let len = self.arange_len(start.clone(), stop, step.clone(), t, range);
        let s = self.scope.temp("arange_start", t);
        out.push(stmt(
            StmtKind::Assign {
                dst: s,
                value: start,
            },
            range,
        ));
        // NumPy fills from the first two values: delta = (start + step) - start.
        let delta = if t == Scalar::F64 {
            let read = mk(ExprKind::Local(s), t, range);
            let second = mk(
                ExprKind::Binary(BinaryOp::Add, Box::new(read.clone()), Box::new(step)),
                t,
                range,
            );
            mk(
                ExprKind::Binary(BinaryOp::Sub, Box::new(second), Box::new(read)),
                t,
                range,
            )
        } else {
            step
        };
        let d = self.scope.temp("arange_step", t);
        out.push(stmt(
            StmtKind::Assign {
                dst: d,
                value: delta,
            },
            range,
        ));
        ops.lengths.push(len);
        ew.ranges.push((
            range,
            Arange {
                start: s,
                step: d,
                ty: t,
            },
        ));
        Ok(())
    }

    /// The value of `e` inside the element loop, when `e` is an operand or a hoisted part.
    pub(super) fn elementwise_leaf(&mut self, e: &Expr) -> Result<Option<Val>, CompileError> {
        let Some(ew) = self.elementwise.as_ref() else {
            return Ok(None);
        };
        let range = e.range();
        let index = ew.index;
        if let Some(&(_, l, t)) = ew.hoisted.iter().find(|(r, _, _)| *r == range) {
            return Ok(Some(Val::local(l, t, range)));
        }
        if let Some((_, a)) = ew.ranges.iter().find(|(r, _)| *r == range) {
            let a = a.clone();
            let i = mk(ExprKind::Local(index), Scalar::I64, range);
            let start = mk(ExprKind::Local(a.start), a.ty, range);
            let step = mk(ExprKind::Local(a.step), a.ty, range);
            let i_t = super::val::cast(i, a.ty);
            let prod = mk(
                ExprKind::Binary(BinaryOp::Mul, Box::new(i_t), Box::new(step)),
                a.ty,
                range,
            );
            let v = mk(
                ExprKind::Binary(BinaryOp::Add, Box::new(start), Box::new(prod)),
                a.ty,
                range,
            );
            return Ok(Some(Val::strong(v)));
        }
        if !matches!(e, Expr::Name(_) | Expr::Subscript(_)) {
            return Ok(None);
        }
        let Some(a) = self.array_of(e)? else {
            return Ok(None);
        };
        let i = mk(ExprKind::Local(index), Scalar::I64, range);
        Ok(Some(Val::strong(mk(
            ExprKind::Load {
                array: a.expr,
                index: vec![i],
            },
            a.dtype,
            range,
        ))))
    }

    /// Prepares `e` for evaluation element by element: the statements computing its hoisted
    /// parts go to `out`; returns the loop index and the common length of its operands
    /// (guarded: unequal lengths raise ValueError).
    fn begin_elementwise(
        &mut self,
        e: &Expr,
        out: &mut ir::Block,
    ) -> Result<(Elementwise, ir::Expr), CompileError> {
        let mut ew = Elementwise {
            index: self.scope.temp("elem", Scalar::I64),
            hoisted: Vec::new(),
            ranges: Vec::new(),
        };
        let mut ops = Operands {
            lengths: Vec::new(),
        };
        self.operands(e, &mut ops, &mut ew, out)?;
        let range = e.range();
        let mut lengths = ops.lengths.into_iter();
        let Some(first) = lengths.next() else {
            return Err(self.typing("this expression reads no array", range));
        };
        let n = self.scope.temp("len", Scalar::I64);
        out.push(stmt(
            StmtKind::Assign {
                dst: n,
                value: first,
            },
            range,
        ));
        let read = mk(ExprKind::Local(n), Scalar::I64, range);
        for other in lengths {
            let same = mk(
                ExprKind::Compare(CmpOp::Eq, Box::new(read.clone()), Box::new(other)),
                Scalar::Bool,
                range,
            );
            let check = guarded(
                same,
                Exception::ValueError,
                "operands could not be broadcast together: the arrays have \
                              different lengths",
                read.clone(),
            );
            let t = self.scope.temp("len", Scalar::I64);
            out.push(stmt(
                StmtKind::Assign {
                    dst: t,
                    value: check,
                },
                range,
            ));
        }
        Ok((ew, read))
    }

    /// The element expression of `e` at the loop index.
    fn element_value(&mut self, e: &Expr, ew: Elementwise) -> Result<Val, CompileError> {
        let saved = self.elementwise.replace(ew);
        let v = self.expr(e);
        self.elementwise = saved;
        v
    }

    /// `for index in range(len): body`.
    fn element_loop(index: Local, len: ir::Expr, body: ir::Block, range: TextRange) -> ir::Stmt {
        stmt(
            StmtKind::ForRange {
                var: index,
                start: int(0, range),
                stop: len,
                step: int(1, range),
                body,
                orelse: Vec::new(),
            },
            range,
        )
    }

    /// `for index in range(len): array[index] = value`.
    fn store_each(
        array: ArrayExpr,
        index: Local,
        len: ir::Expr,
        value: ir::Expr,
        range: TextRange,
    ) -> ir::Stmt {
        let i = mk(ExprKind::Local(index), Scalar::I64, range);
        let store = stmt(
            StmtKind::Store {
                array,
                index: vec![i],
                value,
            },
            range,
        );
        Self::element_loop(index, len, vec![store], range)
    }

    /// `name = <whole-array expression>`: a new local array (`None`: something else).
    pub(super) fn whole_array_assign(
        &mut self,
        name: &str,
        value: &Expr,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<Option<()>, CompileError> {
        if let Expr::Subscript(s) = value {
            if let Some(base) = self.array_of(&s.value)? {
                if self.is_whole_array(&s.slice)? {
                    return self.mask_select(name, base, &s.slice, range, out).map(Some);
                }
            }
        }
        if self.array_of(value)?.is_some() || !self.is_whole_array(value)? {
            return Ok(None);
        }
        let (ew, len) = self.begin_elementwise(value, out)?;
        let index = ew.index;
        let v = self.element_value(value, ew)?;
        let t = v.ty.concrete();
        let dst = self.local_array(name, t, vec![len.clone()], range, out)?;
        let value = self.coerce(v, t)?;
        out.push(Self::store_each(dst.expr, index, len, value, range));
        Ok(Some(()))
    }

    /// `view[...] = <whole-array expression>` (`None`: the value is something else).
    pub(super) fn whole_array_store(
        &mut self,
        dst: ArrayVal,
        value: &Expr,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<Option<()>, CompileError> {
        if self.array_of(value)?.is_some() || !self.is_whole_array(value)? {
            return Ok(None);
        }
        self.one_d(&dst, range)?;
        let (ew, len) = self.begin_elementwise(value, out)?;
        let index = ew.index;
        let v = self.element_value(value, ew)?;
        let target = ArrayVal {
            expr: dst.expr.clone(),
            dtype: dst.dtype,
            ndim: 0,
            writable: true,
            name: dst.name.clone(),
        };
        let value = self.stored(&target, v, range)?;
        let dst_len = mk(ExprKind::Shape(dst.expr.clone(), 0), Scalar::I64, range);
        let same = mk(
            ExprKind::Compare(CmpOp::Eq, Box::new(dst_len), Box::new(len.clone())),
            Scalar::Bool,
            range,
        );
        let check = guarded(
            same,
            Exception::ValueError,
            "could not broadcast the expression into the view: their lengths \
                          differ",
            len,
        );
        out.push(Self::store_each(dst.expr, index, check, value, range));
        Ok(Some(()))
    }

    /// The boolean mask `mask` over `base`, element by element, with the loop index.
    fn mask_value(
        &mut self,
        base: &ArrayVal,
        mask: &Expr,
        out: &mut ir::Block,
    ) -> Result<(Local, ir::Expr, ir::Expr), CompileError> {
        self.one_d(base, mask.range())?;
        let (ew, len) = self.begin_elementwise(mask, out)?;
        let index = ew.index;
        let m = self.element_value(mask, ew)?;
        if m.kind() != Kind::Bool {
            return Err(self.unsupported(
                format!(
                    "indexing with an array of {} (fancy indexing) is not supported in kernels; \
                     boolean masks are",
                    m.ty
                ),
                mask.range(),
            ));
        }
        let range = mask.range();
        let base_len = mk(ExprKind::Shape(base.expr.clone(), 0), Scalar::I64, range);
        let same = mk(
            ExprKind::Compare(CmpOp::Eq, Box::new(base_len), Box::new(len.clone())),
            Scalar::Bool,
            range,
        );
        let len = guarded(
            same,
            Exception::IndexError,
            "boolean index did not match the indexed array's length",
            len,
        );
        Ok((index, len, m.expr))
    }

    /// `name = base[mask]`: the selected elements in order, as a view of a new local array.
    fn mask_select(
        &mut self,
        name: &str,
        base: ArrayVal,
        mask: &Expr,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<(), CompileError> {
        let (index, len, m) = self.mask_value(&base, mask, out)?;
        let buffer = format!("${name}.selected");
        let dst = self.local_array(&buffer, base.dtype, vec![len.clone()], range, out)?;
        let k = self.scope.temp("selected", Scalar::I64);
        out.push(stmt(
            StmtKind::Assign {
                dst: k,
                value: int(0, range),
            },
            range,
        ));
        let i = mk(ExprKind::Local(index), Scalar::I64, range);
        let kk = mk(ExprKind::Local(k), Scalar::I64, range);
        let load = mk(
            ExprKind::Load {
                array: base.expr.clone(),
                index: vec![i],
            },
            base.dtype,
            range,
        );
        let body = vec![
            stmt(
                StmtKind::Store {
                    array: dst.expr.clone(),
                    index: vec![kk.clone()],
                    value: load,
                },
                range,
            ),
            stmt(
                StmtKind::Assign {
                    dst: k,
                    value: mk(
                        ExprKind::Binary(
                            BinaryOp::Add,
                            Box::new(kk.clone()),
                            Box::new(int(1, range)),
                        ),
                        Scalar::I64,
                        range,
                    ),
                },
                range,
            ),
        ];
        let cond = stmt(
            StmtKind::If {
                cond: m,
                then_body: body,
                else_body: Vec::new(),
            },
            range,
        );
        out.push(Self::element_loop(index, len, vec![cond], range));
        let selected = ArrayVal {
            expr: ArrayExpr::View {
                base: Box::new(dst.expr),
                dims: vec![ir::ViewDim::Slice {
                    start: None,
                    stop: Some(kk),
                    step: None,
                }],
                span: parse::span(range),
            },
            dtype: base.dtype,
            ndim: 1,
            writable: true,
            name: name.to_string(),
        };
        let s = self.bind(name, selected, range);
        out.push(s);
        Ok(())
    }

    /// `base[mask] = value` for a scalar value: stored where the mask is true (`None`: the
    /// index is not a mask).
    pub(super) fn mask_store(
        &mut self,
        target: &ast::ExprSubscript,
        value: &Expr,
        range: TextRange,
        out: &mut ir::Block,
    ) -> Result<Option<()>, CompileError> {
        let Some(base) = self.array_of(&target.value)? else {
            return Ok(None);
        };
        if !self.is_whole_array(&target.slice)? {
            return Ok(None);
        }
        self.check_writable(&base, target.range)?;
        if self.is_whole_array(value)? {
            return Err(self.unsupported(
                "storing an array through a boolean mask is not supported in kernels; store a \
                 scalar (a[mask] = 0.0) or loop",
                value.range(),
            ));
        }
        let v = self.expr(value)?;
        let elem = ArrayVal {
            ndim: 0,
            ..base.clone()
        };
        let stored = self.stored(&elem, v, range)?;
        let t = stored.ty;
        let tmp = self.scope.temp("masked", t);
        out.push(stmt(
            StmtKind::Assign {
                dst: tmp,
                value: stored,
            },
            range,
        ));
        let (index, len, m) = self.mask_value(&base, &target.slice, out)?;
        let i = mk(ExprKind::Local(index), Scalar::I64, range);
        let store = stmt(
            StmtKind::Store {
                array: base.expr,
                index: vec![i],
                value: mk(ExprKind::Local(tmp), t, range),
            },
            range,
        );
        let cond = stmt(
            StmtKind::If {
                cond: m,
                then_body: vec![store],
                else_body: Vec::new(),
            },
            range,
        );
        out.push(Self::element_loop(index, len, vec![cond], range));
        Ok(Some(()))
    }
}
