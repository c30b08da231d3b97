//! Arrays inside a kernel. Every array value is a strided view (data pointer, shape and byte
//! strides per dimension): parameters, frozen tables, local arrays and views of any of them.
//! Array variables live in allocas (mem2reg keeps them in registers), so a name can be rebound
//! to another view. Element addresses follow Python (negative indices wrap; with bounds checks
//! an index outside the axis records an IndexError and stops the kernel); slices clamp as
//! NumPy's do.

use inkwell::values::{IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

use super::kernel::Cg;
use super::value::{load_elem, store_elem, ArraySlot, ArrayVal, CgError, CgResult, CgVal};
use crate::diag::Span;
use crate::ir::{self, ArrayExpr, ArrayId, BinaryOp, MathFn, Reduction, SliceValue, ViewDim};
use crate::types::Scalar;

/// Bytes in front of a chained block: the link to the previous block (16 keeps alignment).
const LINK: u64 = 16;

impl<'ctx> Cg<'_, 'ctx> {
    fn slot(&self, id: ArrayId) -> CgResult<ArraySlot<'ctx>> {
        self.arrays
            .get(id.0 as usize)
            .cloned()
            .ok_or_else(|| CgError(format!("unknown array {id}")))
    }

    /// The allocas of one array variable (`owned`: it may hold a local array's buffer).
    pub(crate) fn array_slot(
        &self,
        decl: &ir::ArrayDecl,
        owned: bool,
        chained: bool,
    ) -> CgResult<ArraySlot<'ctx>> {
        let (ptr, i64t) = (
            self.ctx.ptr_type(AddressSpace::default()),
            self.ctx.i64_type(),
        );
        let b = &self.b;
        let n = decl.ndim as usize;
        let data = b.build_alloca(ptr, &format!("{}.data", decl.name))?;
        b.build_store(data, ptr.const_null())?;
        let dims = |what: &str| -> CgResult<Vec<PointerValue<'ctx>>> {
            (0..n)
                .map(|k| {
                    let p = b.build_alloca(i64t, &format!("{}.{what}{k}", decl.name))?;
                    b.build_store(p, i64t.const_zero())?;
                    Ok(p)
                })
                .collect()
        };
        let (shape, strides) = (dims("shape")?, dims("stride")?);
        let owned = if owned {
            let buf = b.build_alloca(ptr, &format!("{}.buf", decl.name))?;
            b.build_store(buf, ptr.const_null())?;
            let cap = b.build_alloca(i64t, &format!("{}.cap", decl.name))?;
            b.build_store(cap, i64t.const_zero())?;
            Some((buf, cap))
        } else {
            None
        };
        Ok(ArraySlot {
            data,
            shape,
            strides,
            dtype: decl.dtype,
            owned,
            chained,
        })
    }

    /// Stores `v` as the value of array variable `id`.
    pub(crate) fn bind_array(&self, id: ArrayId, v: &ArrayVal<'ctx>) -> CgResult<()> {
        let s = self.slot(id)?;
        if s.shape.len() != v.shape.len() || s.dtype != v.dtype {
            return Err(CgError(format!(
                "array {id} bound to a value of another type"
            )));
        }
        self.b.build_store(s.data, v.data)?;
        for (p, x) in s.shape.iter().zip(&v.shape) {
            self.b.build_store(*p, *x)?;
        }
        for (p, x) in s.strides.iter().zip(&v.strides) {
            self.b.build_store(*p, *x)?;
        }
        Ok(())
    }

    /// The value of an array expression (views are computed here, with their index checks).
    pub(crate) fn array_value(&mut self, a: &ArrayExpr) -> CgResult<ArrayVal<'ctx>> {
        match a {
            ArrayExpr::Var(id) => {
                let s = self.slot(*id)?;
                let (ptr, i64t) = (
                    self.ctx.ptr_type(AddressSpace::default()),
                    self.ctx.i64_type(),
                );
                let load = |p: &PointerValue<'ctx>| -> CgResult<IntValue<'ctx>> {
                    Ok(self.b.build_load(i64t, *p, "")?.into_int_value())
                };
                Ok(ArrayVal {
                    data: self.b.build_load(ptr, s.data, "data")?.into_pointer_value(),
                    shape: s.shape.iter().map(load).collect::<CgResult<_>>()?,
                    strides: s.strides.iter().map(load).collect::<CgResult<_>>()?,
                    dtype: s.dtype,
                    checked: self.boundscheck,
                })
            }
            ArrayExpr::Table(t) => self
                .tables
                .get(t.0 as usize)
                .cloned()
                .ok_or_else(|| CgError(format!("unknown table {t}"))),
            ArrayExpr::View { base, dims, span } => {
                let b = self.array_value(base)?;
                if dims.len() > b.shape.len() {
                    return Err(CgError(format!(
                        "{} view entries for a {}-d array",
                        dims.len(),
                        b.shape.len()
                    )));
                }
                let i64t = self.ctx.i64_type();
                let mut offset = i64t.const_zero();
                let (mut shape, mut strides) = (Vec::new(), Vec::new());
                for (axis, d) in dims.iter().enumerate() {
                    let (n, stride) = (b.shape[axis], b.strides[axis]);
                    match d {
                        ViewDim::Index(e) => {
                            let i = self.expr(e)?.int()?;
                            self.span = *span;
                            let k = self.checked_index(i, n, axis, b.checked)?;
                            let step = self.b.build_int_mul(k, stride, "")?;
                            offset = self.b.build_int_add(offset, step, "off")?;
                        }
                        ViewDim::Slice { start, stop, step } => {
                            let mut bound = |e: &Option<ir::Expr>| -> CgResult<_> {
                                e.as_ref().map(|e| self.expr(e)?.int()).transpose()
                            };
                            let (start, stop, step) = (bound(start)?, bound(stop)?, bound(step)?);
                            self.span = *span;
                            let (first, len, step) = self.slice_bounds(n, start, stop, step)?;
                            let skip = self.b.build_int_mul(first, stride, "")?;
                            offset = self.b.build_int_add(offset, skip, "off")?;
                            shape.push(len);
                            strides.push(self.b.build_int_mul(stride, step, "stride")?);
                        }
                    }
                }
                shape.extend_from_slice(&b.shape[dims.len()..]);
                strides.extend_from_slice(&b.strides[dims.len()..]);
                // SAFETY (of the generated code): the offset stays inside the base (checked
                // indices, clamped slices), or one past it for an empty slice, never read.
                let data = unsafe {
                    self.b
                        .build_gep(self.ctx.i8_type(), b.data, &[offset], "view")?
                };
                Ok(ArrayVal {
                    data,
                    shape,
                    strides,
                    dtype: b.dtype,
                    checked: b.checked,
                })
            }
        }
    }

    /// Python's index `i` into an axis of size `n`: negative counts from the end; when
    /// `checked`, one still outside `0..n` records an IndexError and stops the kernel.
    fn checked_index(
        &self,
        i: IntValue<'ctx>,
        n: IntValue<'ctx>,
        axis: usize,
        checked: bool,
    ) -> CgResult<IntValue<'ctx>> {
        let i64t = self.ctx.i64_type();
        let b = &self.b;
        let negative = b.build_int_compare(IntPredicate::SLT, i, i64t.const_zero(), "neg")?;
        let wrapped = b.build_int_add(i, n, "wrap")?;
        let k = b.build_select(negative, wrapped, i, "ix")?.into_int_value();
        if checked {
            // One unsigned compare covers both ends (a negative k looks huge).
            let outside = self.b.build_int_compare(IntPredicate::UGE, k, n, "oob")?;
            let axis_v = i64t.const_int(axis as u64, false);
            self.fail_if(outside, |cg| cg.index_error(i, axis_v, n))?;
        }
        Ok(k)
    }

    /// The first index, length and step of `start:stop:step` on an axis of size `n`, as
    /// Python's `slice.indices` computes them (bounds clamp; a zero step raises ValueError).
    fn slice_bounds(
        &self,
        n: IntValue<'ctx>,
        start: Option<IntValue<'ctx>>,
        stop: Option<IntValue<'ctx>>,
        step: Option<IntValue<'ctx>>,
    ) -> CgResult<(IntValue<'ctx>, IntValue<'ctx>, IntValue<'ctx>)> {
        let i64t = self.ctx.i64_type();
        let (zero, one) = (i64t.const_zero(), i64t.const_int(1, false));
        let step = match step {
            Some(s) => {
                let is_zero = self.b.build_int_compare(IntPredicate::EQ, s, zero, "")?;
                let text = format!("slice step cannot be zero{}", self.location());
                self.fail_if(is_zero, |cg| {
                    cg.set_error(crate::runtime::errors::kind::VALUE, &text)
                })?;
                s
            }
            None => one,
        };
        let b = &self.b;
        let sel = |c, x: IntValue<'ctx>, y: IntValue<'ctx>| -> CgResult<IntValue<'ctx>> {
            Ok(b.build_select(c, x, y, "")?.into_int_value())
        };
        let down = b.build_int_compare(IntPredicate::SLT, step, zero, "down")?;
        let minus_one = i64t.const_all_ones();
        let n_less = b.build_int_sub(n, one, "")?;
        let lower = sel(down, minus_one, zero)?;
        let upper = sel(down, n_less, n)?;
        let adjust = |x: Option<IntValue<'ctx>>, default: IntValue<'ctx>| -> CgResult<_> {
            let Some(x) = x else { return Ok(default) };
            let neg = b.build_int_compare(IntPredicate::SLT, x, zero, "")?;
            let x = sel(neg, b.build_int_add(x, n, "")?, x)?;
            let below = b.build_int_compare(IntPredicate::SLT, x, zero, "")?;
            let above = b.build_int_compare(IntPredicate::SGE, x, n, "")?;
            sel(below, lower, sel(above, upper, x)?)
        };
        let first = adjust(start, sel(down, n_less, zero)?)?;
        let last = adjust(stop, sel(down, minus_one, n)?)?;
        // Up: (last - first - 1) / step + 1 when first < last; down mirrored.
        let (hi, lo) = (sel(down, first, last)?, sel(down, last, first)?);
        let mag = sel(down, b.build_int_neg(step, "")?, step)?;
        let span = b.build_int_sub(b.build_int_sub(hi, lo, "")?, one, "")?;
        let count = b.build_int_add(b.build_int_signed_div(span, mag, "")?, one, "")?;
        let nonempty = b.build_int_compare(IntPredicate::SLT, lo, hi, "")?;
        let len = sel(nonempty, count, zero)?;
        Ok((first, len, step))
    }

    /// `a.shape[axis]`.
    pub(crate) fn shape(&mut self, a: &ArrayExpr, axis: u32) -> CgResult<IntValue<'ctx>> {
        self.array_value(a)?
            .shape
            .get(axis as usize)
            .copied()
            .ok_or_else(|| CgError(format!("axis {axis} of {a} out of range")))
    }

    /// The address of `a[index...]`.
    fn item_address(
        &mut self,
        a: &ArrayExpr,
        index: &[ir::Expr],
    ) -> CgResult<(PointerValue<'ctx>, Scalar)> {
        let span = self.span;
        let a = self.array_value(a)?;
        if index.len() != a.shape.len() {
            return Err(CgError(format!(
                "{} indices for a {}-d array",
                index.len(),
                a.shape.len()
            )));
        }
        let mut ks = Vec::with_capacity(index.len());
        for (axis, ix) in index.iter().enumerate() {
            let i = self.expr(ix)?.int()?;
            self.span = span;
            ks.push(self.checked_index(i, a.shape[axis], axis, a.checked)?);
        }
        Ok((self.element_at(&a, &ks)?, a.dtype))
    }

    /// The address of the element at in-range indices `ks`.
    fn element_at(
        &self,
        a: &ArrayVal<'ctx>,
        ks: &[IntValue<'ctx>],
    ) -> CgResult<PointerValue<'ctx>> {
        let mut offset = self.ctx.i64_type().const_zero();
        for (k, stride) in ks.iter().zip(&a.strides) {
            let step = self.b.build_int_mul(*k, *stride, "")?;
            offset = self.b.build_int_add(offset, step, "off")?;
        }
        // SAFETY (of the generated code): the indices are inside the array once checked (or
        // the caller promised so with boundscheck=False).
        Ok(unsafe {
            self.b
                .build_gep(self.ctx.i8_type(), a.data, &[offset], "item")?
        })
    }

    /// Records an IndexError naming the index, axis and size (the shim formats it).
    fn index_error(
        &self,
        index: IntValue<'ctx>,
        axis: IntValue<'ctx>,
        size: IntValue<'ctx>,
    ) -> CgResult<()> {
        let msg = self.message(&self.location())?;
        let f = self.shim_fn("ufg_index_error", |ctx| {
            let i64t = ctx.i64_type();
            let ptr = ctx.ptr_type(AddressSpace::default());
            ctx.void_type()
                .fn_type(&[i64t.into(), i64t.into(), i64t.into(), ptr.into()], false)
        });
        self.b
            .build_call(f, &[index.into(), axis.into(), size.into(), msg.into()], "")?;
        Ok(())
    }

    /// `a[index...]`.
    pub(crate) fn load_item(
        &mut self,
        a: &ArrayExpr,
        index: &[ir::Expr],
        span: Span,
    ) -> CgResult<CgVal<'ctx>> {
        self.span = span;
        let (p, dtype) = self.item_address(a, index)?;
        Ok(load_elem(self.ctx, &self.b, p, dtype)?.0)
    }

    /// `a[index...] = v` (`v` already has the array's dtype).
    pub(crate) fn store_item(
        &mut self,
        a: &ArrayExpr,
        index: &[ir::Expr],
        v: CgVal<'ctx>,
    ) -> CgResult<()> {
        let (p, dtype) = self.item_address(a, index)?;
        store_elem(self.ctx, &self.b, p, dtype, v)?;
        Ok(())
    }

    /// Runs `body` for every index tuple of `shape` in C order (nested counted loops).
    fn for_each_index(
        &mut self,
        shape: &[IntValue<'ctx>],
        body: &mut dyn FnMut(&mut Self, &[IntValue<'ctx>]) -> CgResult<()>,
    ) -> CgResult<()> {
        let mut ks = Vec::with_capacity(shape.len());
        self.nest(shape, &mut ks, body)
    }

    fn nest(
        &mut self,
        shape: &[IntValue<'ctx>],
        ks: &mut Vec<IntValue<'ctx>>,
        body: &mut dyn FnMut(&mut Self, &[IntValue<'ctx>]) -> CgResult<()>,
    ) -> CgResult<()> {
        let Some((&n, rest)) = shape.split_first() else {
            return body(self, ks);
        };
        let i64t = self.ctx.i64_type();
        let pre = self.current_block()?;
        let (head, exit) = (self.new_block("each"), self.new_block("each.end"));
        let nonempty = self
            .b
            .build_int_compare(IntPredicate::SGT, n, i64t.const_zero(), "")?;
        self.b.build_conditional_branch(nonempty, head, exit)?;
        self.b.position_at_end(head);
        let k = self.b.build_phi(i64t, "k")?;
        let kv = k.as_basic_value().into_int_value();
        ks.push(kv);
        self.nest(rest, ks, body)?;
        ks.pop();
        let latch = self.current_block()?;
        let next = self
            .b
            .build_int_add(kv, i64t.const_int(1, false), "k.next")?;
        k.add_incoming(&[(&i64t.const_zero(), pre), (&next, latch)]);
        let more = self.b.build_int_compare(IntPredicate::SLT, next, n, "")?;
        self.b.build_conditional_branch(more, head, exit)?;
        self.b.position_at_end(exit);
        Ok(())
    }

    /// `a[...] = value`: a scalar fills the view; an array is broadcast to its shape and copied
    /// (through a temporary when the two overlap in memory, so the result is NumPy's).
    pub(crate) fn store_slice(&mut self, a: &ArrayExpr, value: &SliceValue) -> CgResult<()> {
        let span = self.span;
        let dst = self.array_value(a)?;
        match value {
            SliceValue::Scalar(e) => {
                let v = self.expr(e)?;
                self.fill(&dst, v)
            }
            SliceValue::Array(src) => {
                let src = self.array_value(src)?;
                self.span = span;
                let src = self.broadcast(&src, &dst)?;
                let overlap = self.overlaps(&dst, &src)?;
                let (copy_bb, direct, done) = (
                    self.new_block("copy.tmp"),
                    self.new_block("copy.direct"),
                    self.new_block("copy.done"),
                );
                self.b.build_conditional_branch(overlap, copy_bb, direct)?;
                self.b.position_at_end(copy_bb);
                let tmp = self.temporary(&dst.shape, src.dtype)?;
                self.copy(&tmp, &src)?;
                self.copy(&dst, &tmp)?;
                self.free(tmp.data)?;
                self.b.build_unconditional_branch(done)?;
                self.b.position_at_end(direct);
                self.copy(&dst, &src)?;
                self.b.build_unconditional_branch(done)?;
                self.b.position_at_end(done);
                Ok(())
            }
        }
    }

    /// Stores `v` (of the array's dtype) into every element of `dst`.
    pub(crate) fn fill(&mut self, dst: &ArrayVal<'ctx>, v: CgVal<'ctx>) -> CgResult<()> {
        self.for_each_index(&dst.shape, &mut |cg, ks| {
            let p = cg.element_at(dst, ks)?;
            store_elem(cg.ctx, &cg.b, p, dst.dtype, v)?;
            Ok(())
        })
    }

    /// Copies `src` (already broadcast to `dst`'s shape) into `dst`, converting the dtype.
    fn copy(&mut self, dst: &ArrayVal<'ctx>, src: &ArrayVal<'ctx>) -> CgResult<()> {
        self.for_each_index(&dst.shape, &mut |cg, ks| {
            let p = cg.element_at(src, ks)?;
            let v = load_elem(cg.ctx, &cg.b, p, src.dtype)?.0;
            let v = cg.cast(v, src.dtype, dst.dtype)?;
            let q = cg.element_at(dst, ks)?;
            store_elem(cg.ctx, &cg.b, q, dst.dtype, v)?;
            Ok(())
        })
    }

    /// `src` seen with `dst`'s shape by NumPy's broadcasting (leading axes added, size-1 axes
    /// repeated with stride 0); a mismatch raises ValueError naming both shapes.
    fn broadcast(
        &mut self,
        src: &ArrayVal<'ctx>,
        dst: &ArrayVal<'ctx>,
    ) -> CgResult<ArrayVal<'ctx>> {
        let (m, n) = (src.shape.len(), dst.shape.len());
        let i64t = self.ctx.i64_type();
        let (zero, one) = (i64t.const_zero(), i64t.const_int(1, false));
        let mut bad = self.ctx.bool_type().const_zero();
        let mut strides = vec![zero; n];
        if m <= n {
            for j in 0..m {
                let (s, d) = (src.shape[j], dst.shape[n - m + j]);
                let b = &self.b;
                let same = b.build_int_compare(IntPredicate::EQ, s, d, "")?;
                let unit = b.build_int_compare(IntPredicate::EQ, s, one, "")?;
                let ok = b.build_or(same, unit, "")?;
                bad = b.build_or(bad, b.build_not(ok, "")?, "bad")?;
                // A size-1 axis repeats (stride 0); an equal one keeps its stride.
                strides[n - m + j] = b
                    .build_select(same, src.strides[j], zero, "")?
                    .into_int_value();
            }
        } else {
            bad = self.ctx.bool_type().const_all_ones();
        }
        let shapes = |k: usize| {
            format!(
                "({})",
                if k == 1 {
                    "%lld,".to_string()
                } else {
                    vec!["%lld"; k].join(",")
                }
            )
        };
        let text = format!(
            "could not broadcast input array from shape {} into shape {}{}",
            shapes(m),
            shapes(n),
            self.location()
        );
        let dims: Vec<IntValue<'ctx>> = src.shape.iter().chain(&dst.shape).copied().collect();
        self.fail_if(bad, |cg| {
            cg.formatted_error(crate::runtime::errors::kind::VALUE, &text, &dims)
        })?;
        Ok(ArrayVal {
            data: src.data,
            shape: dst.shape.clone(),
            strides,
            dtype: src.dtype,
            checked: src.checked,
        })
    }

    /// Records an error whose message is `format` (printf style) applied to `args`.
    fn formatted_error(&self, kind: i32, format: &str, args: &[IntValue<'ctx>]) -> CgResult<()> {
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let i64t = self.ctx.i64_type();
        let snprintf = self.module.get_function("snprintf").unwrap_or_else(|| {
            let t = self
                .ctx
                .i32_type()
                .fn_type(&[ptr.into(), i64t.into(), ptr.into()], true);
            self.module.add_function("snprintf", t, None)
        });
        const SIZE: u64 = 512;
        let buf =
            self.b
                .build_array_alloca(self.ctx.i8_type(), i64t.const_int(SIZE, false), "msg")?;
        let fmt = self.message(format)?;
        let mut call: Vec<inkwell::values::BasicMetadataValueEnum<'ctx>> =
            vec![buf.into(), i64t.const_int(SIZE, false).into(), fmt.into()];
        call.extend(
            args.iter()
                .map(|&a| inkwell::values::BasicMetadataValueEnum::from(a)),
        );
        self.b.build_call(snprintf, &call, "")?;
        let f = self.shim_fn("ufg_set_error", |ctx| {
            ctx.void_type()
                .fn_type(&[ctx.i32_type().into(), ptr.into()], false)
        });
        let k = self.ctx.i32_type().const_int(kind as u64, true);
        self.b.build_call(f, &[k.into(), buf.into()], "")?;
        Ok(())
    }

    /// Whether the bytes two non-empty views touch overlap (conservatively by extent).
    fn overlaps(&self, a: &ArrayVal<'ctx>, b: &ArrayVal<'ctx>) -> CgResult<IntValue<'ctx>> {
        let (alo, ahi) = self.extent(a)?;
        let (blo, bhi) = self.extent(b)?;
        let bd = &self.b;
        let x = bd.build_int_compare(IntPredicate::ULT, alo, bhi, "")?;
        let y = bd.build_int_compare(IntPredicate::ULT, blo, ahi, "")?;
        Ok(bd.build_and(x, y, "overlap")?)
    }

    /// The lowest and one-past-highest byte address a view touches.
    fn extent(&self, a: &ArrayVal<'ctx>) -> CgResult<(IntValue<'ctx>, IntValue<'ctx>)> {
        let i64t = self.ctx.i64_type();
        let b = &self.b;
        let base = b.build_ptr_to_int(a.data, i64t, "")?;
        let (mut lo, mut hi) = (base, base);
        for (n, s) in a.shape.iter().zip(&a.strides) {
            let last = b.build_int_sub(*n, i64t.const_int(1, false), "")?;
            let reach = b.build_int_mul(last, *s, "")?;
            let neg = b.build_int_compare(IntPredicate::SLT, reach, i64t.const_zero(), "")?;
            let down = b
                .build_select(neg, reach, i64t.const_zero(), "")?
                .into_int_value();
            let up = b
                .build_select(neg, i64t.const_zero(), reach, "")?
                .into_int_value();
            lo = b.build_int_add(lo, down, "")?;
            hi = b.build_int_add(hi, up, "")?;
        }
        let item = i64t.const_int(a.dtype.size() as u64, false);
        Ok((lo, b.build_int_add(hi, item, "")?))
    }

    /// The C-order strides of a contiguous array of `shape` and the byte count, or a
    /// ValueError for a negative dimension.
    fn contiguous(
        &self,
        shape: &[IntValue<'ctx>],
        dtype: Scalar,
    ) -> CgResult<(Vec<IntValue<'ctx>>, IntValue<'ctx>)> {
        let i64t = self.ctx.i64_type();
        let mut strides = vec![i64t.const_zero(); shape.len()];
        let mut step = i64t.const_int(dtype.size() as u64, false);
        for (axis, &n) in shape.iter().enumerate().rev() {
            strides[axis] = step;
            step = self.b.build_int_mul(step, n, "")?;
        }
        Ok((strides, step))
    }

    /// A fresh contiguous array of `shape` in malloc'd memory the caller frees.
    fn temporary(&self, shape: &[IntValue<'ctx>], dtype: Scalar) -> CgResult<ArrayVal<'ctx>> {
        let (strides, bytes) = self.contiguous(shape, dtype)?;
        let data = self.malloc(bytes)?;
        Ok(ArrayVal {
            data,
            shape: shape.to_vec(),
            strides,
            dtype,
            checked: false,
        })
    }

    fn malloc(&self, bytes: IntValue<'ctx>) -> CgResult<PointerValue<'ctx>> {
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let i64t = self.ctx.i64_type();
        let f = self.module.get_function("malloc").unwrap_or_else(|| {
            self.module
                .add_function("malloc", ptr.fn_type(&[i64t.into()], false), None)
        });
        // malloc(0) may return NULL; one byte keeps "NULL means out of memory" true.
        let one = i64t.const_int(1, false);
        let small = self
            .b
            .build_int_compare(IntPredicate::ULT, bytes, one, "")?;
        let n = self.b.build_select(small, one, bytes, "")?.into_int_value();
        let p = self
            .b
            .build_call(f, &[n.into()], "buf")?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CgError("malloc returns nothing".into()))?
            .into_pointer_value();
        let null = self.b.build_is_null(p, "")?;
        let text = format!("out of memory for a local array{}", self.location());
        self.fail_if(null, |cg| {
            cg.set_error(crate::runtime::errors::kind::VALUE, &text)
        })?;
        Ok(p)
    }

    pub(crate) fn free(&self, p: PointerValue<'ctx>) -> CgResult<()> {
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let f = self.module.get_function("free").unwrap_or_else(|| {
            self.module.add_function(
                "free",
                self.ctx.void_type().fn_type(&[ptr.into()], false),
                None,
            )
        });
        self.b.build_call(f, &[p.into()], "")?;
        Ok(())
    }

    /// Frees the buffers of every local array (before each return, error paths included).
    pub(crate) fn free_locals(&self) -> CgResult<()> {
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        for s in &self.arrays {
            let Some((buf, _)) = s.owned else { continue };
            if !s.chained {
                let p = self.b.build_load(ptr, buf, "")?.into_pointer_value();
                self.free(p)?;
                continue;
            }
            // Walk the list: each block starts with the previous block's address.
            let (head, body, done) = (
                self.new_block("free.head"),
                self.new_block("free.body"),
                self.new_block("free.done"),
            );
            self.b.build_unconditional_branch(head)?;
            self.b.position_at_end(head);
            let p = self.b.build_load(ptr, buf, "")?.into_pointer_value();
            let null = self.b.build_is_null(p, "")?;
            self.b.build_conditional_branch(null, done, body)?;
            self.b.position_at_end(body);
            let next = self.b.build_load(ptr, p, "next")?;
            self.b.build_store(buf, next)?;
            self.free(p)?;
            self.b.build_unconditional_branch(head)?;
            self.b.position_at_end(done);
        }
        Ok(())
    }

    /// `dst = np.zeros(shape)` and friends: a contiguous array in the variable's own buffer,
    /// reallocated only when it grows (a loop allocating the same size reuses it).
    pub(crate) fn alloc(
        &mut self,
        dst: ArrayId,
        shape: &[ir::Expr],
        fill: Option<&ir::Expr>,
    ) -> CgResult<()> {
        let span = self.span;
        let slot = self.slot(dst)?;
        let Some((buf, cap)) = slot.owned else {
            return Err(CgError(format!("array {dst} owns no memory")));
        };
        let mut dims = Vec::with_capacity(shape.len());
        for e in shape {
            dims.push(self.expr(e)?.int()?);
        }
        self.span = span;
        let i64t = self.ctx.i64_type();
        let mut negative = self.ctx.bool_type().const_zero();
        for &n in &dims {
            let lt = self
                .b
                .build_int_compare(IntPredicate::SLT, n, i64t.const_zero(), "")?;
            negative = self.b.build_or(negative, lt, "")?;
        }
        let text = format!("negative dimensions are not allowed{}", self.location());
        self.fail_if(negative, |cg| {
            cg.set_error(crate::runtime::errors::kind::VALUE, &text)
        })?;
        let (strides, bytes) = self.contiguous(&dims, slot.dtype)?;
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        if slot.chained {
            let link = i64t.const_int(LINK, false);
            let block = self.malloc(self.b.build_int_add(bytes, link, "")?)?;
            let prev = self.b.build_load(ptr, buf, "")?;
            self.b.build_store(block, prev)?;
            self.b.build_store(buf, block)?;
            // SAFETY (of the generated code): the block has LINK bytes before the data.
            let data = unsafe {
                self.b
                    .build_gep(self.ctx.i8_type(), block, &[link], "data")?
            };
            return self.finish_alloc(dst, data, dims, strides, fill);
        }
        let have = self.b.build_load(i64t, cap, "cap")?.into_int_value();
        let grow = self
            .b
            .build_int_compare(IntPredicate::UGT, bytes, have, "grow")?;
        let (grow_bb, ready) = (self.new_block("alloc.grow"), self.new_block("alloc.ready"));
        self.b.build_conditional_branch(grow, grow_bb, ready)?;
        self.b.position_at_end(grow_bb);
        let old = self.b.build_load(ptr, buf, "")?.into_pointer_value();
        self.free(old)?;
        self.b.build_store(buf, ptr.const_null())?;
        self.b.build_store(cap, i64t.const_zero())?;
        let p = self.malloc(bytes)?;
        self.b.build_store(buf, p)?;
        self.b.build_store(cap, bytes)?;
        self.b.build_unconditional_branch(ready)?;
        self.b.position_at_end(ready);
        let data = self.b.build_load(ptr, buf, "")?.into_pointer_value();
        self.finish_alloc(dst, data, dims, strides, fill)
    }

    /// Binds a fresh local array at `data` and fills it.
    fn finish_alloc(
        &mut self,
        dst: ArrayId,
        data: PointerValue<'ctx>,
        dims: Vec<IntValue<'ctx>>,
        strides: Vec<IntValue<'ctx>>,
        fill: Option<&ir::Expr>,
    ) -> CgResult<()> {
        let dtype = self.slot(dst)?.dtype;
        let v = ArrayVal {
            data,
            shape: dims,
            strides,
            dtype,
            checked: false,
        };
        self.bind_array(dst, &v)?;
        if let Some(e) = fill {
            let x = self.expr(e)?;
            self.fill(&v, x)?;
        }
        Ok(())
    }

    /// `np.sum(a)`, `a.max()`, ... over every element of `a` (see `ir::Reduction`).
    pub(crate) fn reduce(
        &mut self,
        r: Reduction,
        a: &ArrayExpr,
        ty: Scalar,
    ) -> CgResult<CgVal<'ctx>> {
        use Reduction::*;
        let span = self.span;
        let v = self.array_value(a)?;
        self.span = span;
        let i64t = self.ctx.i64_type();
        let mut size = i64t.const_int(1, false);
        for &n in &v.shape {
            size = self.b.build_int_mul(size, n, "size")?;
        }
        if matches!(r, Min | Max) {
            let empty = self
                .b
                .build_int_compare(IntPredicate::EQ, size, i64t.const_zero(), "")?;
            let name = if r == Min { "minimum" } else { "maximum" };
            let text = format!(
                "zero-size array to reduction operation {name} which has no identity{}",
                self.location()
            );
            self.fail_if(empty, |cg| {
                cg.set_error(crate::runtime::errors::kind::VALUE, &text)
            })?;
        }
        let acc_ty = if matches!(r, Any | All) {
            Scalar::Bool
        } else {
            ty
        };
        let slot_ty = super::value::abi_type(self.ctx, acc_ty);
        let acc = self.b.build_alloca(slot_ty, "acc")?;
        let count = self.b.build_alloca(i64t, "count")?;
        self.b.build_store(count, i64t.const_zero())?;
        let init: CgVal<'ctx> = match (r, acc_ty.is_float()) {
            (Sum | NanSum | Mean | NanMean, _) => self.cast_const(0.0, 0, acc_ty)?,
            (Prod, _) => self.cast_const(1.0, 1, acc_ty)?,
            (Min | NanMin, true) => self.cast_const(f64::INFINITY, 0, acc_ty)?,
            (Max | NanMax, true) => self.cast_const(f64::NEG_INFINITY, 0, acc_ty)?,
            (Min | NanMin | Max | NanMax, false) => {
                // The identity: the type's largest value for min, its smallest for max.
                let bits = acc_ty.bits();
                let top = if bits >= 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                };
                let (largest, smallest) = if acc_ty.is_signed() {
                    (top >> 1, 1u64 << (bits - 1))
                } else {
                    (top, 0)
                };
                let k = if matches!(r, Min | NanMin) {
                    largest
                } else {
                    smallest
                };
                CgVal::Int(super::value::int_type(self.ctx, acc_ty).const_int(k, false))
            }
            (Any, _) => CgVal::Int(self.ctx.bool_type().const_zero()),
            (All, _) => CgVal::Int(self.ctx.bool_type().const_all_ones()),
        };
        self.store_raw(acc, init)?;
        self.for_each_index(&v.shape.clone(), &mut |cg, ks| {
            let p = cg.element_at(&v, ks)?;
            let x = load_elem(cg.ctx, &cg.b, p, v.dtype)?.0;
            if matches!(r, Any | All) {
                let t = cg.truthy(x)?;
                let cur =
                    cg.b.build_load(cg.ctx.bool_type(), acc, "")?
                        .into_int_value();
                let next = if r == Any {
                    cg.b.build_or(cur, t, "")?
                } else {
                    cg.b.build_and(cur, t, "")?
                };
                cg.b.build_store(acc, next)?;
                return Ok(());
            }
            let x = cg.cast(x, v.dtype, acc_ty)?;
            let skip_nan = matches!(r, NanSum | NanMin | NanMax | NanMean) && acc_ty.is_float();
            let (take, next_bb) = if skip_nan {
                let f = x.float()?;
                let ok =
                    cg.b.build_float_compare(inkwell::FloatPredicate::ORD, f, f, "notnan")?;
                let (take, next) = (cg.new_block("take"), cg.new_block("skip"));
                cg.b.build_conditional_branch(ok, take, next)?;
                cg.b.position_at_end(take);
                (true, Some(next))
            } else {
                (false, None)
            };
            let cur = cg.load_raw(acc, acc_ty)?;
            let next = match r {
                Sum | NanSum | Mean | NanMean => cg.binary(BinaryOp::Add, cur, x, acc_ty)?,
                Prod => cg.binary(BinaryOp::Mul, cur, x, acc_ty)?,
                Min => cg.call_math(MathFn::Minimum, &[cur, x], acc_ty, acc_ty)?,
                Max => cg.call_math(MathFn::Maximum, &[cur, x], acc_ty, acc_ty)?,
                NanMin => cg.call_math(MathFn::Fmin, &[cur, x], acc_ty, acc_ty)?,
                NanMax => cg.call_math(MathFn::Fmax, &[cur, x], acc_ty, acc_ty)?,
                Any | All => cur,
            };
            cg.store_raw(acc, next)?;
            let c = cg.b.build_load(i64t, count, "")?.into_int_value();
            cg.b.build_store(count, cg.b.build_int_add(c, i64t.const_int(1, false), "")?)?;
            if let (true, Some(next_bb)) = (take, next_bb) {
                cg.b.build_unconditional_branch(next_bb)?;
                cg.b.position_at_end(next_bb);
            }
            Ok(())
        })?;
        if matches!(r, Any | All) {
            let b = self
                .b
                .build_load(self.ctx.bool_type(), acc, "")?
                .into_int_value();
            return Ok(CgVal::Int(b));
        }
        let total = self.load_raw(acc, acc_ty)?;
        let n = self.b.build_load(i64t, count, "n")?.into_int_value();
        match r {
            Mean | NanMean => {
                let n = self.cast(CgVal::Int(n), Scalar::I64, acc_ty)?;
                self.binary(BinaryOp::Div, total, n, acc_ty)
            }
            NanMin | NanMax if acc_ty.is_float() => {
                // All NaN (or empty): NaN, as NumPy (which also warns).
                let none = self
                    .b
                    .build_int_compare(IntPredicate::EQ, n, i64t.const_zero(), "")?;
                let nan = self.cast_const(f64::NAN, 0, acc_ty)?.float()?;
                let t = total.float()?;
                Ok(CgVal::Float(
                    self.b.build_select(none, nan, t, "")?.into_float_value(),
                ))
            }
            _ => Ok(total),
        }
    }

    /// A real constant of a non-complex dtype (`i` for integer dtypes).
    fn cast_const(&self, x: f64, i: u64, ty: Scalar) -> CgResult<CgVal<'ctx>> {
        if ty.is_float() {
            Ok(CgVal::Float(
                super::value::float_type(self.ctx, ty).const_float(x),
            ))
        } else if ty.is_complex() {
            Err(CgError("complex reductions are not supported".into()))
        } else {
            Ok(CgVal::Int(
                super::value::int_type(self.ctx, ty).const_int(i, false),
            ))
        }
    }

    fn store_raw(&self, p: PointerValue<'ctx>, v: CgVal<'ctx>) -> CgResult<()> {
        match v {
            CgVal::Int(x) => self.b.build_store(p, x)?,
            CgVal::Float(x) => self.b.build_store(p, x)?,
            CgVal::Complex(..) => return Err(CgError("complex accumulator".into())),
        };
        Ok(())
    }

    fn load_raw(&self, p: PointerValue<'ctx>, ty: Scalar) -> CgResult<CgVal<'ctx>> {
        let v = self
            .b
            .build_load(super::value::abi_type(self.ctx, ty), p, "")?;
        Ok(if ty.is_float() {
            CgVal::Float(v.into_float_value())
        } else {
            CgVal::Int(v.into_int_value())
        })
    }
}
