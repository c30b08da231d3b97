//! Array parameters inside a kernel: element addresses (Python's negative indices, the
//! optional bounds check that stops the loop with an IndexError), loads, stores and shapes.

use inkwell::values::{IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

use super::kernel::Cg;
use super::value::{load_elem, store_elem, CgError, CgResult, Val};
use crate::diag::Span;
use crate::ir::{self, ArrayId};
use crate::types::Scalar;

/// An array parameter as the kernel received it: data pointer, shape and byte strides.
#[derive(Debug, Clone)]
pub(crate) struct ArrayVal<'ctx> {
    pub data: PointerValue<'ctx>,
    pub shape: Vec<IntValue<'ctx>>,
    pub strides: Vec<IntValue<'ctx>>,
    pub dtype: Scalar,
}

/// A frozen array as a private constant global of `module`, seen like an array parameter.
pub(crate) fn const_table<'ctx>(
    ctx: &'ctx inkwell::context::Context,
    module: &inkwell::module::Module<'ctx>,
    t: &ir::ConstTable,
    name: &str,
) -> CgResult<ArrayVal<'ctx>> {
    let item = t.dtype.size() as u64;
    let count: u64 = t.shape.iter().product();
    if t.shape.is_empty() || count.checked_mul(item) != Some(t.data.len() as u64) {
        return Err(CgError(format!(
            "array '{}' has {} bytes for shape {:?} of {}",
            t.name,
            t.data.len(),
            t.shape,
            t.dtype
        )));
    }
    let bytes = ctx.const_string(&t.data, false);
    let g = module.add_global(bytes.get_type(), Some(AddressSpace::default()), name);
    g.set_initializer(&bytes);
    g.set_constant(true);
    g.set_linkage(inkwell::module::Linkage::Private);
    g.set_unnamed_addr(true);
    g.set_alignment(16);
    let i64t = ctx.i64_type();
    // C order: the last axis is contiguous.
    let mut strides = vec![0u64; t.shape.len()];
    let mut step = item;
    for (axis, &n) in t.shape.iter().enumerate().rev() {
        strides[axis] = step;
        step *= n;
    }
    Ok(ArrayVal {
        data: g.as_pointer_value(),
        shape: t.shape.iter().map(|&n| i64t.const_int(n, false)).collect(),
        strides: strides.iter().map(|&s| i64t.const_int(s, false)).collect(),
        dtype: t.dtype,
    })
}

impl<'ctx> Cg<'_, 'ctx> {
    fn array(&self, id: ArrayId) -> CgResult<ArrayVal<'ctx>> {
        self.arrays
            .get(id.0 as usize)
            .cloned()
            .ok_or_else(|| CgError(format!("unknown array {id}")))
    }

    /// `a.shape[axis]`.
    pub(crate) fn shape(&self, id: ArrayId, axis: u32) -> CgResult<IntValue<'ctx>> {
        self.array(id)?
            .shape
            .get(axis as usize)
            .copied()
            .ok_or_else(|| CgError(format!("axis {axis} of {id} out of range")))
    }

    /// The address of `a[index...]`: negative indices count from the end; with bounds checks
    /// an index still outside `0..size` records an IndexError and stops the kernel.
    fn item_address(&mut self, id: ArrayId, index: &[ir::Expr]) -> CgResult<PointerValue<'ctx>> {
        let a = self.array(id)?;
        if index.len() != a.shape.len() {
            return Err(CgError(format!(
                "{} indices for the {}-d array {id}",
                index.len(),
                a.shape.len()
            )));
        }
        let i64t = self.ctx.i64_type();
        let mut offset = i64t.const_zero();
        for (axis, ix) in index.iter().enumerate() {
            let span = self.span;
            let i = self.expr(ix)?.int()?;
            self.span = span;
            let n = a.shape[axis];
            let b = &self.b;
            let negative = b.build_int_compare(IntPredicate::SLT, i, i64t.const_zero(), "neg")?;
            let wrapped = b.build_int_add(i, n, "wrap")?;
            let k = b.build_select(negative, wrapped, i, "ix")?.into_int_value();
            if self.boundscheck {
                // One unsigned compare covers both ends (a negative k looks huge).
                let outside = self.b.build_int_compare(IntPredicate::UGE, k, n, "oob")?;
                let axis_v = i64t.const_int(axis as u64, false);
                self.fail_if(outside, |cg| cg.index_error(i, axis_v, n))?;
            }
            let step = self.b.build_int_mul(k, a.strides[axis], "")?;
            offset = self.b.build_int_add(offset, step, "off")?;
        }
        // SAFETY (of the generated code): the offset is inside the array once checked (or the
        // caller promised so with boundscheck=False).
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
        id: ArrayId,
        index: &[ir::Expr],
        span: Span,
    ) -> CgResult<Val<'ctx>> {
        self.span = span;
        let dtype = self.array(id)?.dtype;
        let p = self.item_address(id, index)?;
        Ok(load_elem(self.ctx, &self.b, p, dtype)?.0)
    }

    /// `a[index...] = v` (`v` already has the array's dtype).
    pub(crate) fn store_item(
        &mut self,
        id: ArrayId,
        index: &[ir::Expr],
        v: Val<'ctx>,
    ) -> CgResult<()> {
        let dtype = self.array(id)?.dtype;
        let p = self.item_address(id, index)?;
        store_elem(self.ctx, &self.b, p, dtype, v)?;
        Ok(())
    }
}
