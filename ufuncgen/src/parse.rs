//! Python source → ruff AST of the kernel (a `def` or a `lambda`), with spans.
//!
//! Only the function's outer shape is checked here (parameters, `async`); the body is judged by
//! `lower`, which knows the kernel language.

use crate::diag::{CompileError, ErrorKind, SourceMap, Span};
use ruff_python_ast::visitor::{walk_expr, Visitor};
use ruff_python_ast::{Expr, Parameters, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// The byte span of a ruff node.
pub fn span(range: TextRange) -> Span {
    Span::new(range.start().into(), range.end().into())
}

/// One parameter of the kernel.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub span: Span,
}

/// The kernel's body: statements of a `def`, or the expression of a `lambda`.
#[derive(Debug)]
pub enum Body {
    Def(Vec<Stmt>),
    Lambda(Expr),
}

/// A parsed kernel, ready for lowering.
#[derive(Debug)]
pub struct Kernel {
    pub params: Vec<Param>,
    pub body: Body,
    /// Where errors about the whole function point (its name, or the `lambda` keyword).
    pub head: Span,
}

/// Parses `map.source` as a `def` (decorators ignored) or a `lambda` expression.
pub fn parse_kernel(function: &str, map: &SourceMap) -> Result<Kernel, CompileError> {
    let err = |kind, msg: String, s: Span| CompileError::at(kind, msg, function, map, s);
    let module_error = match ruff_python_parser::parse_module(&map.source) {
        Ok(parsed) => {
            let mut body = parsed.into_syntax().body;
            // Statements before the `def` (imports, in a file given whole) are not the kernel.
            let first_def = body.iter().position(|s| matches!(s, Stmt::FunctionDef(_)));
            match first_def.map_or(body.first(), |i| body.get(i)) {
                Some(Stmt::FunctionDef(_)) => {
                    let Stmt::FunctionDef(def) = body.swap_remove(first_def.unwrap_or(0)) else {
                        return Err(err(
                            ErrorKind::Compile,
                            "no function found".into(),
                            Span::default(),
                        ));
                    };
                    if def.is_async {
                        return Err(err(
                            ErrorKind::Unsupported,
                            "async functions are not supported as kernels".into(),
                            span(def.range),
                        ));
                    }
                    if let Some(tp) = &def.type_params {
                        return Err(err(
                            ErrorKind::Unsupported,
                            "type parameters are not supported in kernels".into(),
                            span(tp.range),
                        ));
                    }
                    let params = check_params(&def.parameters, &err)?;
                    return Ok(Kernel {
                        params,
                        body: Body::Def(def.body.into_iter().collect()),
                        head: span(def.name.range),
                    });
                }
                _ => {
                    // `f = vectorize(sigs)(lambda a, b: a + b)` given whole: its first lambda.
                    let mut finder = LambdaFinder(None);
                    finder.visit_body(&body);
                    if let Some(lambda) = finder.0 {
                        return lambda_kernel(lambda, &err);
                    }
                    None
                }
            }
        }
        Err(e) => Some(e),
    };
    // A lambda's source may be an expression that is not a valid statement on its own.
    if let Ok(parsed) = ruff_python_parser::parse_expression(&map.source) {
        let expr = *parsed.into_syntax().body;
        if matches!(expr, Expr::Lambda(_)) {
            return lambda_kernel(expr, &err);
        }
    }
    Err(match module_error {
        Some(e) => err(
            ErrorKind::Compile,
            format!("invalid syntax: {}", e.error),
            span(e.location),
        ),
        None => CompileError::general(
            ErrorKind::Compile,
            "the kernel source holds no function definition or lambda",
            function,
            map,
        ),
    })
}

/// A `Signature` error that has no source position yet, pointed at the decorator's string
/// literal `text` (the signature or layout it is about); other errors are returned as is.
pub fn at_decorator_string(e: CompileError, map: &SourceMap, text: &str) -> CompileError {
    if e.kind != ErrorKind::Signature || !e.line.is_empty() {
        return e;
    }
    match decorator_string_span(map, text) {
        Some(span) => CompileError::at(e.kind, e.message, &e.function, map, span),
        None => e,
    }
}

/// The span of the string literal `text` in the decorators of the kernel's `def` (where a
/// signature error should point), if the decorator spells it out.
pub fn decorator_string_span(map: &SourceMap, text: &str) -> Option<Span> {
    struct Finder<'t> {
        text: &'t str,
        found: Option<Span>,
    }
    impl<'a> Visitor<'a> for Finder<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.found.is_some() {
                return;
            }
            match expr {
                Expr::StringLiteral(lit) if lit.value.to_str() == self.text => {
                    self.found = Some(span(lit.range));
                }
                _ => walk_expr(self, expr),
            }
        }
    }
    let parsed = ruff_python_parser::parse_module(&map.source).ok()?;
    let def = parsed.syntax().body.iter().find_map(|s| match s {
        Stmt::FunctionDef(def) => Some(def),
        _ => None,
    })?;
    let mut finder = Finder { text, found: None };
    for d in &def.decorator_list {
        finder.visit_expr(&d.expression);
    }
    finder.found
}

/// Finds the first `lambda` expression in source order.
struct LambdaFinder(Option<Expr>);

impl<'a> Visitor<'a> for LambdaFinder {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.0.is_some() {
            return;
        }
        if let Expr::Lambda(_) = expr {
            self.0 = Some(expr.clone());
        } else {
            walk_expr(self, expr);
        }
    }
}

type ErrFn<'a> = dyn Fn(ErrorKind, String, Span) -> CompileError + 'a;

fn lambda_kernel(expr: Expr, err: &ErrFn<'_>) -> Result<Kernel, CompileError> {
    let Expr::Lambda(lambda) = expr else {
        return Err(err(
            ErrorKind::Compile,
            "no lambda found".into(),
            Span::default(),
        ));
    };
    let head = Span::new(
        lambda.range.start().into(),
        u32::from(lambda.range.start()) + 6,
    );
    let params = match &lambda.parameters {
        Some(p) => check_params(p, err)?,
        None => Vec::new(),
    };
    Ok(Kernel {
        params,
        body: Body::Lambda(*lambda.body),
        head,
    })
}

/// Plain positional parameters only: no `*args`, `**kw`, keyword-only ones or defaults.
fn check_params(p: &Parameters, err: &ErrFn<'_>) -> Result<Vec<Param>, CompileError> {
    let unsupported = |msg: &str, r: TextRange| err(ErrorKind::Unsupported, msg.into(), span(r));
    if let Some(v) = &p.vararg {
        return Err(unsupported(
            "*args parameters are not supported in kernels",
            v.range,
        ));
    }
    if let Some(k) = &p.kwarg {
        return Err(unsupported(
            "**kwargs parameters are not supported in kernels",
            k.range,
        ));
    }
    if let Some(k) = p.kwonlyargs.first() {
        return Err(unsupported(
            "keyword-only parameters are not supported in kernels",
            k.range,
        ));
    }
    let mut params = Vec::new();
    for a in p.posonlyargs.iter().chain(p.args.iter()) {
        if let Some(d) = &a.default {
            return Err(unsupported(
                "default argument values are not supported in kernels",
                d.range(),
            ));
        }
        params.push(Param {
            name: a.parameter.name.id.to_string(),
            span: span(a.parameter.range),
        });
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(src: &str) -> SourceMap {
        SourceMap {
            source: src.into(),
            filename: "k.py".into(),
            first_line: 1,
            col_offset: 0,
        }
    }

    fn parse(src: &str) -> Result<Kernel, CompileError> {
        parse_kernel("k", &map(src))
    }

    #[test]
    fn def_with_decorators() {
        let k = parse("@vectorize(['f8(f8)'])\ndef k(a, b):\n    return a + b\n").unwrap();
        let names: Vec<_> = k.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(matches!(k.body, Body::Def(ref b) if b.len() == 1));
    }

    #[test]
    fn lambdas_as_statement_or_expression() {
        let k = parse("lambda a, b: a * b").unwrap();
        assert_eq!(k.params.len(), 2);
        assert!(matches!(k.body, Body::Lambda(_)));
        // Parenthesised over two lines: not a statement on its own line, still an expression.
        let k = parse("(lambda x:\n x + 1)").unwrap();
        assert_eq!(k.params.len(), 1);
        // The whole line around it, as `inspect.getsource` gives it.
        let k = parse("f = vectorize(['f8(f8, f8, f8)'])(lambda x, y, z: x)\n").unwrap();
        assert_eq!(k.params.len(), 3);
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse("def k(a):\n    return a +\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Compile);
        assert_eq!(e.lineno, 2, "{e}");
        assert!(e.message.starts_with("invalid syntax"), "{e}");
    }

    #[test]
    fn unsupported_parameter_shapes() {
        for (src, want) in [
            ("def k(*a):\n    return 1\n", "*args"),
            ("def k(a, **kw):\n    return 1\n", "**kwargs"),
            ("def k(a, *, b):\n    return 1\n", "keyword-only"),
            ("def k(a, b=1):\n    return 1\n", "default argument"),
            ("async def k(a):\n    return 1\n", "async"),
            ("lambda a=2: a", "default argument"),
        ] {
            let e = parse(src).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Unsupported, "{src}");
            assert!(e.message.contains(want), "{src}: {e}");
        }
    }

    #[test]
    fn no_function_at_all() {
        let e = parse("x = 1\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Compile);
    }
}
