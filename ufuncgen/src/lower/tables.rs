//! Module-level NumPy arrays read as frozen constants: `T[i]`, `T[i, j]`, `T.shape[k]`,
//! `len(T)`, `T.size`, `T.ndim`. Their contents are copied into the compiled code, so the
//! shape is a compile-time constant and every index is bounds-checked.

use super::val::Val;
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, Const, TableId};
use crate::spec::GlobalValue;
use crate::types::{Scalar, Ty};
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextRange};

impl Lowerer<'_> {
    /// The frozen array a bare global name refers to (registered in this pass on first use).
    pub(super) fn table_named(&mut self, e: &Expr) -> Option<TableId> {
        let Expr::Name(n) = e else { return None };
        let name = n.id.as_str();
        if self.scope.is_local(name) {
            return None;
        }
        if let Some(i) = self.tables.iter().position(|t| t.name == name) {
            return Some(TableId(i as u32));
        }
        let Some(GlobalValue::Array { dtype, shape, data }) = self.spec.global(name) else {
            return None;
        };
        self.tables.push(ir::ConstTable {
            name: name.to_string(),
            dtype: *dtype,
            shape: shape.clone(),
            data: data.clone(),
        });
        Some(TableId(self.tables.len() as u32 - 1))
    }

    fn table(&self, t: TableId) -> &ir::ConstTable {
        &self.tables[t.0 as usize]
    }

    /// A dimension of a frozen array, as an int64 constant.
    pub(super) fn table_dim(&self, t: TableId, axis: usize, range: TextRange) -> Val {
        let n = self.table(t).shape.get(axis).copied().unwrap_or(0);
        Val::constant(Const::Int(i128::from(n)), Ty::Strong(Scalar::I64), range)
    }

    /// `T.shape[k]` as a constant (`None`: the subscript is about something else; elements and
    /// views of tables are arrays like any other, see `array`).
    pub(super) fn table_subscript(
        &mut self,
        s: &ast::ExprSubscript,
    ) -> Result<Option<Val>, CompileError> {
        if let Expr::Attribute(a) = &*s.value {
            if a.attr.id.as_str() == "shape" {
                if let Some(t) = self.table_named(&a.value) {
                    let axis = self.table_axis(t, &s.slice)?;
                    return Ok(Some(self.table_dim(t, axis, s.range)));
                }
            }
        }
        Ok(None)
    }

    /// The constant axis of `T.shape[axis]` (negative counts from the end).
    fn table_axis(&mut self, t: TableId, slice: &Expr) -> Result<usize, CompileError> {
        let ndim = self.table(t).shape.len() as i128;
        let v = self.expr(slice)?;
        let Some(Const::Int(k)) = v.as_const() else {
            return Err(self.unsupported(
                "the index of a.shape must be a constant integer",
                slice.range(),
            ));
        };
        let axis = if k < 0 { k + ndim } else { k };
        if !(0..ndim).contains(&axis) {
            let name = &self.table(t).name;
            return Err(self.typing(
                format!("shape index {k} is out of range for the {ndim}-d array '{name}'"),
                slice.range(),
            ));
        }
        Ok(axis as usize)
    }

    /// `T.size`, `T.ndim`.
    pub(super) fn table_attribute(
        &mut self,
        t: TableId,
        a: &ast::ExprAttribute,
    ) -> Result<Val, CompileError> {
        let shape = &self.table(t).shape;
        let value = match a.attr.id.as_str() {
            "ndim" => shape.len() as u64,
            "size" => shape.iter().product(),
            "shape" => {
                return Err(self.unsupported(
                    "a.shape can only be indexed (a.shape[0]) in kernels",
                    a.range,
                ))
            }
            attr => {
                return Err(self.unsupported(
                    format!(
                        "arrays in kernels have no attribute '{attr}' (shape, size and ndim exist)"
                    ),
                    a.range,
                ))
            }
        };
        Ok(Val::constant(
            Const::Int(i128::from(value)),
            Ty::Strong(Scalar::I64),
            a.range,
        ))
    }

    /// The error for a store into a frozen array.
    pub(super) fn frozen_store(&mut self, s: &ast::ExprSubscript) -> CompileError {
        let name = self.text(s.value.range()).to_string();
        self.typing(
            format!(
                "cannot write to the module-level array '{name}': kernels read it as a constant \
                 frozen at compile time"
            ),
            s.range,
        )
    }
}
