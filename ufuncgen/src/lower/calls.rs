//! Calls of other kernel-language functions: each callee is lowered on its own (its own
//! source, globals and errors) for the argument types of the call site, and codegen inlines it.

use super::val::{mk, Val};
use super::{lower_passes, Lowerer, Mode};
use crate::diag::{CompileError, SourceMap};
use crate::ir::{CalleeId, ExprKind};
use crate::parse;
use crate::spec::{FunctionSpec, KernelSpec};
use crate::types::Scalar;
use ruff_text_size::TextRange;

/// A function on the chain of calls being lowered: its identity (name, file, first line) and
/// its name for messages.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    key: String,
    name: String,
}

impl Caller {
    /// The identity of the function `name` whose source is `source`.
    pub fn of(name: &str, source: &SourceMap) -> Caller {
        Caller {
            key: format!("{name}\u{0}{}\u{0}{}", source.filename, source.first_line),
            name: name.to_string(),
        }
    }
}

impl Lowerer<'_> {
    /// Lowers `f(args)` for a kernel-language function `f`.
    pub(super) fn call_function(
        &mut self,
        f: &FunctionSpec,
        args: Vec<Val>,
        range: TextRange,
    ) -> Result<Val, CompileError> {
        let me = Caller::of(&f.name, &f.source);
        if let Some(pos) = self.callers.iter().position(|c| c.key == me.key) {
            let cycle: Vec<&str> = self.callers[pos..]
                .iter()
                .map(|c| c.name.as_str())
                .chain([f.name.as_str()])
                .collect();
            return Err(self.unsupported(
                format!(
                    "recursion is not supported in kernels: {}",
                    cycle.join(" -> ")
                ),
                range,
            ));
        }
        let types: Vec<Scalar> = args.iter().map(|a| a.ty.concrete()).collect();
        let key = (me.key.clone(), types.clone());
        let id = match self.callee_keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                let func = self.lower_callee(f, me, &types, args.len(), range)?;
                self.callees.push(func);
                self.callee_keys.push(key);
                self.callees.len() - 1
            }
        };
        let ret = self.callees[id].ret;
        let exprs = args
            .into_iter()
            .zip(&types)
            .map(|(a, &t)| self.coerce(a, t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Val::strong(mk(
            ExprKind::CallFunction(CalleeId(id as u32), exprs),
            ret,
            range,
        )))
    }

    /// The callee's typed IR for parameter types `types`.
    fn lower_callee(
        &self,
        f: &FunctionSpec,
        me: Caller,
        types: &[Scalar],
        given: usize,
        range: TextRange,
    ) -> Result<crate::ir::Function, CompileError> {
        let spec = KernelSpec {
            name: f.name.clone(),
            source: f.source.clone(),
            signatures: Vec::new(),
            globals: f.globals.clone(),
            options: self.spec.options,
        };
        let kernel = parse::parse_kernel(&spec.name, &spec.source)?;
        if kernel.params.len() != given {
            let want = kernel.params.len();
            let s = if want == 1 { "" } else { "s" };
            return Err(self.typing(
                format!("{}() takes {want} argument{s} ({given} given)", f.name),
                range,
            ));
        }
        let callers: Vec<Caller> = self.callers.iter().cloned().chain([me]).collect();
        let mode = Mode {
            declared_ret: None,
            arrays: &[],
            void: false,
            boundscheck: self.boundscheck,
            callers: &callers,
        };
        lower_passes(&spec, &kernel, types, mode)
    }
}
