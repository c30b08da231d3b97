//! `assert cond[, "message"]` and `raise Exc("message")`: a run-time exception that stops the
//! loop and reaches the caller. Messages must be constant strings.

use super::val::stmt;
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{self, Exception, StmtKind};
use crate::spec::GlobalValue;
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

impl Lowerer<'_> {
    /// `assert test[, msg]`: `if not test: raise AssertionError(msg)`.
    pub(super) fn assert_stmt(&mut self, a: &ast::StmtAssert) -> Result<ir::Stmt, CompileError> {
        let message = match &a.msg {
            Some(m) => self.constant_message(m)?,
            None => format!("assertion failed: {}", self.text(a.test.range())),
        };
        let v = self.expr(&a.test)?;
        let cond = self.not(v)?;
        let raise = stmt(
            StmtKind::Raise {
                exception: Exception::AssertionError,
                message,
            },
            a.range,
        );
        Ok(stmt(
            StmtKind::If {
                cond,
                then_body: vec![raise],
                else_body: Vec::new(),
            },
            a.range,
        ))
    }

    /// `raise Exc`, `raise Exc()`, `raise Exc("constant message")`.
    pub(super) fn raise_stmt(&mut self, r: &ast::StmtRaise) -> Result<ir::Stmt, CompileError> {
        if let Some(cause) = &r.cause {
            return Err(self.unsupported(
                "'raise ... from ...' is not supported in kernels",
                cause.range(),
            ));
        }
        let Some(exc) = &r.exc else {
            return Err(self.unsupported(
                "a bare 'raise' (re-raise) is not supported in kernels",
                r.range,
            ));
        };
        let (class, message) = match &**exc {
            Expr::Call(c) => {
                if let Some(k) = c.arguments.keywords.first() {
                    return Err(self.unsupported(
                        "keyword arguments are not supported in kernel calls",
                        k.range,
                    ));
                }
                let message = match &c.arguments.args[..] {
                    [] => String::new(),
                    [m] => self.constant_message(m)?,
                    [_, extra, ..] => {
                        return Err(self.unsupported(
                            "exceptions raised in kernels take one constant message",
                            extra.range(),
                        ))
                    }
                };
                (&*c.func, message)
            }
            other => (other, String::new()),
        };
        let exception = self.exception_class(class)?;
        self.flow.terminate();
        Ok(stmt(StmtKind::Raise { exception, message }, r.range))
    }

    /// The builtin exception class an expression names.
    fn exception_class(&self, e: &Expr) -> Result<Exception, CompileError> {
        let unsupported = || {
            self.unsupported(
                "kernels can only raise ValueError, IndexError, AssertionError, \
                 ZeroDivisionError, OverflowError or ArithmeticError",
                e.range(),
            )
        };
        let Expr::Name(n) = e else {
            return Err(unsupported());
        };
        let name = n.id.as_str();
        if self.scope.is_local(name) {
            return Err(unsupported());
        }
        let builtin = match self.spec.global(name) {
            None => Some(name),
            Some(GlobalValue::Callable(q)) => q.strip_prefix("builtins."),
            Some(_) => None,
        };
        builtin
            .and_then(Exception::from_name)
            .ok_or_else(unsupported)
    }

    /// The text of a constant string message.
    fn constant_message(&self, e: &Expr) -> Result<String, CompileError> {
        match e {
            Expr::StringLiteral(s) => Ok(s.value.to_str().to_string()),
            _ => Err(self.unsupported(
                "exception messages in kernels must be constant strings",
                e.range(),
            )),
        }
    }
}
