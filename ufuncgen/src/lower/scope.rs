//! Names: which are locals (Python's rule), their IR locals in this pass, and what the other
//! names (globals, closure values, builtins) resolve to.

use super::val::Val;
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, Local, LocalDecl};
use crate::parse::{Body, Kernel};
use crate::spec::GlobalValue;
use crate::types::Scalar;
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::TextRange;
use std::collections::{HashMap, HashSet};

/// The locals of one lowering pass.
#[derive(Debug)]
pub(super) struct Scope {
    /// Python's rule: a name assigned anywhere in the function is local everywhere in it.
    names: HashSet<String>,
    locals: Vec<LocalDecl>,
    /// The IR local holding each variable in this pass.
    slots: HashMap<String, Local>,
}

impl Scope {
    /// Parameters become locals `0..n` with their signature types.
    pub fn new(kernel: &Kernel, params: &[Scalar]) -> Scope {
        let mut names = HashSet::new();
        let mut locals = Vec::new();
        let mut slots = HashMap::new();
        for (i, (p, &ty)) in kernel.params.iter().zip(params).enumerate() {
            names.insert(p.name.clone());
            locals.push(LocalDecl {
                name: p.name.clone(),
                ty,
            });
            slots.insert(p.name.clone(), Local(i as u32));
        }
        if let Body::Def(stmts) = &kernel.body {
            collect_assigned(stmts, &mut names);
        }
        Scope {
            names,
            locals,
            slots,
        }
    }

    /// True when `name` is a local variable of the kernel (parameter or assigned somewhere).
    pub fn is_local(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// The IR local of a variable in this pass, if one was bound.
    pub fn slot(&self, name: &str) -> Option<Local> {
        self.slots.get(name).copied()
    }

    /// The type of an IR local.
    pub fn ty(&self, local: Local) -> Scalar {
        self.locals
            .get(local.0 as usize)
            .map(|d| d.ty)
            .unwrap_or(Scalar::I64)
    }

    /// Binds a variable to a new IR local of type `ty`.
    pub fn bind(&mut self, name: &str, ty: Scalar) -> Local {
        let l = self.fresh(name.to_string(), ty);
        self.slots.insert(name.to_string(), l);
        l
    }

    /// A compiler temporary (its `$` name cannot clash with Python names).
    pub fn temp(&mut self, what: &str, ty: Scalar) -> Local {
        let name = format!("${what}{}", self.locals.len());
        self.fresh(name, ty)
    }

    fn fresh(&mut self, name: String, ty: Scalar) -> Local {
        self.locals.push(LocalDecl { name, ty });
        Local(self.locals.len() as u32 - 1)
    }

    pub fn into_locals(self) -> Vec<LocalDecl> {
        self.locals
    }
}

/// Every simple name a statement list assigns (targets of `=`, `+=`, `x: t = v`, `for`).
fn collect_assigned(stmts: &[Stmt], out: &mut HashSet<String>) {
    for s in stmts {
        match s {
            Stmt::Assign(a) => a.targets.iter().for_each(|t| collect_target(t, out)),
            Stmt::AugAssign(a) => collect_target(&a.target, out),
            Stmt::AnnAssign(a) => collect_target(&a.target, out),
            Stmt::For(f) => {
                collect_target(&f.target, out);
                collect_assigned(&f.body, out);
                collect_assigned(&f.orelse, out);
            }
            Stmt::While(w) => {
                collect_assigned(&w.body, out);
                collect_assigned(&w.orelse, out);
            }
            Stmt::If(i) => {
                collect_assigned(&i.body, out);
                for c in &i.elif_else_clauses {
                    collect_assigned(&c.body, out);
                }
            }
            _ => {}
        }
    }
}

fn collect_target(t: &Expr, out: &mut HashSet<String>) {
    match t {
        Expr::Name(n) => {
            out.insert(n.id.to_string());
        }
        Expr::Tuple(t) => t.elts.iter().for_each(|e| collect_target(e, out)),
        Expr::List(t) => t.elts.iter().for_each(|e| collect_target(e, out)),
        _ => {}
    }
}

/// Python builtins that exist but are not part of the kernel language (better messages).
const OTHER_BUILTINS: &[&str] = &[
    "print",
    "len",
    "range",
    "sum",
    "any",
    "all",
    "isinstance",
    "type",
    "str",
    "list",
    "dict",
    "tuple",
    "set",
    "frozenset",
    "map",
    "filter",
    "zip",
    "enumerate",
    "iter",
    "next",
    "sorted",
    "reversed",
    "hash",
    "id",
    "chr",
    "ord",
    "hex",
    "bin",
    "oct",
    "repr",
    "format",
    "getattr",
    "setattr",
    "hasattr",
    "callable",
    "input",
    "open",
    "slice",
    "bytes",
    "eval",
    "exec",
    "globals",
    "locals",
    "vars",
    "object",
    "super",
];

/// True when `name` is a Python builtin outside the kernel language.
pub(super) fn is_other_builtin(name: &str) -> bool {
    OTHER_BUILTINS.contains(&name)
}

impl Lowerer<'_> {
    /// Binds each parameter's variable; a parameter later assigned wider values gets a local of
    /// the unified type, initialised from the parameter (whose type the signature fixes).
    pub(super) fn bind_params(&mut self) -> ir::Block {
        let mut entry = Vec::new();
        for (i, p) in self.kernel.params.iter().enumerate() {
            let param = Local(i as u32);
            let declared = self.scope.ty(param);
            let unified = self.state.var(&p.name).unwrap_or(declared);
            if unified != declared {
                let var = self.scope.bind(&p.name, unified);
                let value = ir::Expr {
                    kind: ir::ExprKind::Local(param),
                    ty: declared,
                    span: p.span,
                };
                entry.push(ir::Stmt {
                    kind: ir::StmtKind::Assign {
                        dst: var,
                        value: ir::Expr {
                            kind: ir::ExprKind::Cast(Box::new(value)),
                            ty: unified,
                            span: p.span,
                        },
                    },
                    span: p.span,
                });
            }
        }
        entry
    }

    /// The value of a name read in an expression.
    pub(super) fn load_name(&mut self, name: &str, range: TextRange) -> Result<Val, CompileError> {
        if self.array_param(name).is_some() {
            return Err(self.typing(
                format!(
                    "the array '{name}' cannot be used as a value; index it ({name}[i]) or \
                     use {name}.shape, {name}.size or len({name})"
                ),
                range,
            ));
        }
        if self.scope.is_local(name) {
            if !self.flow.is_assigned(name) && self.loop_bound.iter().any(|n| n == name) {
                // Read after a loop that may not have run: the next pass flags the variable.
                self.state.want_guard(name);
            }
            if !self.flow.is_assigned(name) {
                return Err(self.typing(
                    format!("local variable '{name}' might be used before assignment"),
                    range,
                ));
            }
            return match self.scope.slot(name) {
                Some(l) => {
                    Ok(self.guarded_read(name, Val::local(l, self.scope.ty(l), range), range))
                }
                None => Err(self.typing(
                    format!("local variable '{name}' might be used before assignment"),
                    range,
                )),
            };
        }
        match self.spec.global(name) {
            Some(GlobalValue::Const { value, dtype }) => {
                let (value, dtype) = (*value, *dtype);
                self.global_const(name, value, dtype, range)
            }
            Some(GlobalValue::Module(_)) => Err(self.unsupported(
                format!("module '{name}' cannot be used as a value in kernels"),
                range,
            )),
            Some(GlobalValue::Callable(q)) => Err(self.unsupported(
                format!("function '{q}' cannot be used as a value in kernels; call it"),
                range,
            )),
            Some(GlobalValue::Function(f)) => Err(self.unsupported(
                format!(
                    "function '{}' cannot be used as a value in kernels; call it",
                    f.name
                ),
                range,
            )),
            Some(GlobalValue::Array { .. }) => Err(self.typing(
                format!(
                    "the array '{name}' cannot be used as a value; index it ({name}[i]) or \
                     use {name}.shape, {name}.size or len({name})"
                ),
                range,
            )),
            Some(GlobalValue::Other(t)) => Err(self.unsupported(
                format!(
                    "global '{name}' is a {t}; kernels can only read numeric constants, \
                     math/numpy/cmath and their functions"
                ),
                range,
            )),
            None if self.builtin_callee(name).is_some() || is_other_builtin(name) => Err(self
                .unsupported(
                    format!("builtin '{name}' cannot be used as a value in kernels"),
                    range,
                )),
            None => Err(self.typing(format!("name '{name}' is not defined"), range)),
        }
    }
}
