//! The one table of callables a kernel may use (math, cmath, NumPy, Python builtins) and how
//! each call is typed and lowered.

use super::val::{mk, Val};
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{Const, ExprKind, MathFn, UnaryOp};
use crate::spec::{GlobalValue, ModuleKind};
use crate::types::{promote_ty, Kind, Scalar, Ty};
use ruff_python_ast::{self as ast, Expr, Operator};
use ruff_text_size::{Ranged, TextRange};

/// How a callable is typed and lowered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Callee {
    /// A library function computed in a float type (ints and bools go to float64). `complex`:
    /// it also takes complex arguments; `to_complex` (cmath): real arguments become complex.
    Float {
        f: MathFn,
        arity: usize,
        complex: bool,
        to_complex: bool,
    },
    /// `math.floor/ceil/trunc` (and `round`): the float function, then Python's int (int64).
    ToInt(MathFn),
    Round,
    /// `abs` keeps ints; `python`: Python's `abs(True)` is the int 1, NumPy's stays bool.
    Abs {
        python: bool,
    },
    Sign,
    /// `np.minimum`-like: two arguments in their promoted type, ints kept.
    Pairwise(MathFn),
    /// Python's `min`/`max` over two or more arguments.
    PyMinMax(MathFn),
    /// `pow(a, b)` / `np.power`: the `**` operator.
    Power,
    /// A conversion; `python` for the builtins (literal in, literal out).
    Cast {
        to: Scalar,
        python: bool,
    },
    Bool,
    Complex {
        to: Scalar,
        python: bool,
    },
    /// `isnan` and friends: a float argument (or a complex one, tested part by part), a bool
    /// result.
    Predicate(MathFn),
    /// `np.round(x[, decimals])` / `np.around`: NumPy's rounding, the type kept.
    NpRound,
    /// `cmath.phase` / `np.angle`: the argument of a complex number.
    Phase,
    /// `np.real` / `np.imag`.
    Part {
        imag: bool,
    },
    /// `np.conj` / `np.conjugate`.
    Conj,
    /// `divmod(a, b)`: only as the value of `q, r = divmod(a, b)`.
    Divmod,
}

/// The qualified-name prefix of a module.
pub(super) fn module_name(m: ModuleKind) -> &'static str {
    match m {
        ModuleKind::Math => "math",
        ModuleKind::Numpy => "numpy",
        ModuleKind::Cmath => "cmath",
    }
}

/// Module-level constants (`math.pi`, `np.inf`, `cmath.infj`), Python floats (weak).
pub(super) fn constant(q: &str) -> Option<Const> {
    let q = normalize(q);
    let (module, name) = q.rsplit_once('.')?;
    let any = matches!(module, "math" | "numpy" | "cmath");
    Some(match name {
        "pi" if any => Const::Float(std::f64::consts::PI),
        "e" if any => Const::Float(std::f64::consts::E),
        "tau" if module != "numpy" && any => Const::Float(std::f64::consts::TAU),
        "inf" if any => Const::Float(f64::INFINITY),
        "nan" if any => Const::Float(f64::NAN),
        "euler_gamma" if module == "numpy" => Const::Float(0.577_215_664_901_532_9),
        "infj" if module == "cmath" => Const::Complex(0.0, f64::INFINITY),
        "nanj" if module == "cmath" => Const::Complex(0.0, f64::NAN),
        _ => return None,
    })
}

fn normalize(q: &str) -> String {
    match q.strip_prefix("np.") {
        Some(rest) => format!("numpy.{rest}"),
        None => q.to_string(),
    }
}

/// The callable a qualified name (`math.exp`, `numpy.arcsin`, `builtins.abs`) stands for.
pub(super) fn lookup(q: &str) -> Option<Callee> {
    use MathFn::*;
    let q = normalize(q);
    let (module, name) = q.rsplit_once('.')?;
    let (math, np, cm) = (module == "math", module == "numpy", module == "cmath");
    let real = |f| Callee::Float {
        f,
        arity: 1,
        complex: false,
        to_complex: false,
    };
    let real2 = |f| Callee::Float {
        f,
        arity: 2,
        complex: false,
        to_complex: false,
    };
    // Functions with complex versions: NumPy's and cmath's take complex arguments, cmath's
    // also turn real ones complex.
    let cplx = |f| Callee::Float {
        f,
        arity: 1,
        complex: np || cm,
        to_complex: cm,
    };
    if module == "builtins" {
        return Some(match name {
            "abs" => Callee::Abs { python: true },
            "min" => Callee::PyMinMax(PyMin),
            "max" => Callee::PyMinMax(PyMax),
            "round" => Callee::Round,
            "pow" => Callee::Power,
            "divmod" => Callee::Divmod,
            "int" => Callee::Cast {
                to: Scalar::I64,
                python: true,
            },
            "float" => Callee::Cast {
                to: Scalar::F64,
                python: true,
            },
            "bool" => Callee::Bool,
            "complex" => Callee::Complex {
                to: Scalar::C128,
                python: true,
            },
            _ => return None,
        });
    }
    if np {
        if let Some(t) = numpy_scalar_type(name) {
            return Some(match t.kind() {
                Kind::Bool => Callee::Bool,
                Kind::Complex => Callee::Complex {
                    to: t,
                    python: false,
                },
                _ => Callee::Cast {
                    to: t,
                    python: false,
                },
            });
        }
    }
    let mathlike = math || np;
    Some(match name {
        "exp" if mathlike || cm => cplx(Exp),
        "log" if mathlike || cm => cplx(Log),
        "sqrt" if mathlike || cm => cplx(Sqrt),
        "log10" if mathlike || cm => cplx(Log10),
        "sin" if mathlike || cm => cplx(Sin),
        "cos" if mathlike || cm => cplx(Cos),
        "tan" if mathlike || cm => cplx(Tan),
        "asin" if math || cm => cplx(Asin),
        "acos" if math || cm => cplx(Acos),
        "atan" if math || cm => cplx(Atan),
        "arcsin" if np => cplx(Asin),
        "arccos" if np => cplx(Acos),
        "arctan" if np => cplx(Atan),
        "sinh" if mathlike || cm => cplx(Sinh),
        "cosh" if mathlike || cm => cplx(Cosh),
        "tanh" if mathlike || cm => cplx(Tanh),
        "asinh" if math || cm => cplx(Asinh),
        "acosh" if math || cm => cplx(Acosh),
        "atanh" if math || cm => cplx(Atanh),
        "arcsinh" if np => cplx(Asinh),
        "arccosh" if np => cplx(Acosh),
        "arctanh" if np => cplx(Atanh),
        "exp2" if mathlike => real(Exp2),
        "expm1" if mathlike => real(Expm1),
        "log2" if mathlike => real(Log2),
        "log1p" if mathlike => real(Log1p),
        "cbrt" if mathlike => real(Cbrt),
        "phase" if cm => Callee::Phase,
        "angle" if np => Callee::Phase,
        "real" if np => Callee::Part { imag: false },
        "imag" if np => Callee::Part { imag: true },
        "conj" | "conjugate" if np => Callee::Conj,
        "round" | "around" if np => Callee::NpRound,
        "erf" if math => real(Erf),
        "erfc" if math => real(Erfc),
        "gamma" if math => real(Gamma),
        "lgamma" if math => real(Lgamma),
        "floor" if math => Callee::ToInt(Floor),
        "ceil" if math => Callee::ToInt(Ceil),
        "trunc" if math => Callee::ToInt(Trunc),
        "floor" if np => real(Floor),
        "ceil" if np => real(Ceil),
        "trunc" if np => real(Trunc),
        "rint" if np => real(Rint),
        "fabs" if mathlike => real(Abs),
        "abs" | "absolute" if np => Callee::Abs { python: false },
        "sign" if np => Callee::Sign,
        "atan2" if math => real2(Atan2),
        "arctan2" if np => real2(Atan2),
        "hypot" if mathlike => real2(Hypot),
        "pow" if math => real2(Pow),
        "power" if np => Callee::Power,
        "copysign" if mathlike => real2(Copysign),
        "fmod" if math => real2(Fmod),
        "minimum" if np => Callee::Pairwise(Minimum),
        "maximum" if np => Callee::Pairwise(Maximum),
        "fmin" if np => Callee::Pairwise(Fmin),
        "fmax" if np => Callee::Pairwise(Fmax),
        "isnan" if mathlike || cm => Callee::Predicate(IsNan),
        "isinf" if mathlike || cm => Callee::Predicate(IsInf),
        "isfinite" if mathlike || cm => Callee::Predicate(IsFinite),
        _ => return None,
    })
}

/// NumPy's scalar type objects usable as casts (`np.float32(x)`); only real NumPy names.
fn numpy_scalar_type(name: &str) -> Option<Scalar> {
    use Scalar::*;
    Some(match name {
        "bool" | "bool_" => Bool,
        "int8" | "byte" => I8,
        "int16" | "short" => I16,
        "int32" | "intc" => I32,
        "int64" | "intp" | "int_" | "long" | "longlong" => I64,
        "uint8" | "ubyte" => U8,
        "uint16" | "ushort" => U16,
        "uint32" | "uintc" => U32,
        "uint64" | "uintp" | "ulong" | "ulonglong" => U64,
        "float32" | "single" => F32,
        "float64" | "double" => F64,
        "complex64" | "csingle" => C64,
        "complex128" | "cdouble" => C128,
        _ => return None,
    })
}

/// What a call's function expression designates.
enum Target<'e> {
    Function(Callee),
    /// `value.conjugate()`.
    Conjugate(&'e Expr),
}

impl<'a> Lowerer<'a> {
    /// The builtin a bare name calls, when it is one of the kernel language.
    pub(super) fn builtin_callee(&self, name: &str) -> Option<Callee> {
        lookup(&format!("builtins.{name}"))
    }

    /// Lowers a call.
    pub(super) fn call(&mut self, c: &ast::ExprCall) -> Result<Val, CompileError> {
        let range = c.range();
        if let Some(k) = c.arguments.keywords.first() {
            return Err(self.unsupported(
                "keyword arguments are not supported in kernel calls",
                k.range,
            ));
        }
        if let Some(s) = c.arguments.args.iter().find(|a| a.is_starred_expr()) {
            return Err(self.unsupported(
                "star arguments are not supported in kernel calls",
                s.range(),
            ));
        }
        let shown = self.text(c.func.range()).to_string();
        if let Some(f) = self.user_function(&c.func) {
            let args = c
                .arguments
                .args
                .iter()
                .map(|a| self.call_arg(a))
                .collect::<Result<Vec<_>, _>>()?;
            return self.call_function(f, args, range);
        }
        let target = self.callee(&c.func)?;
        let mut args = Vec::with_capacity(c.arguments.args.len());
        for a in c.arguments.args.iter() {
            args.push(self.expr(a)?);
        }
        match target {
            Target::Function(callee) => self.apply(callee, &shown, args, range),
            Target::Conjugate(obj) => {
                if !args.is_empty() {
                    return Err(self.typing("conjugate() takes no arguments", range));
                }
                let v = self.expr(obj)?;
                self.conjugate(v, range)
            }
        }
    }

    /// The kernel-language function a call's function expression names, if it names one.
    pub(super) fn user_function(&self, func: &Expr) -> Option<&'a crate::spec::FunctionSpec> {
        let Expr::Name(n) = func else { return None };
        if self.scope.is_local(n.id.as_str()) {
            return None;
        }
        let spec: &'a crate::spec::KernelSpec = self.spec;
        match spec.global(n.id.as_str()) {
            Some(GlobalValue::Function(f)) => Some(f),
            _ => None,
        }
    }

    fn callee<'e>(&mut self, func: &'e Expr) -> Result<Target<'e>, CompileError> {
        let range = func.range();
        match func {
            Expr::Name(n) => {
                let name = n.id.as_str();
                if self.scope.is_local(name) {
                    return Err(self.typing(format!("'{name}' is a local variable, not a function"), range));
                }
                match self.spec.global(name) {
                    Some(GlobalValue::Callable(q)) => {
                        let q = q.clone();
                        lookup(&q).map(Target::Function).ok_or_else(|| {
                            self.unsupported(format!("'{q}' is not supported in kernels"), range)
                        })
                    }
                    Some(GlobalValue::Module(_)) => {
                        Err(self.typing(format!("module '{name}' is not callable"), range))
                    }
                    Some(GlobalValue::Const { .. }) => {
                        Err(self.typing(format!("'{name}' is a number, not a function"), range))
                    }
                    Some(GlobalValue::Array { .. }) => {
                        Err(self.typing(format!("'{name}' is an array, not a function"), range))
                    }
                    Some(GlobalValue::Function(_)) => Err(self.unsupported(
                        format!("'{name}' cannot be called here"),
                        range,
                    )),
                    Some(GlobalValue::Other(t)) => Err(self.unsupported(
                        format!(
                            "calls to '{name}' (a {t}) are not supported in kernels; only math, \
                             cmath and numpy functions and numeric builtins can be called"
                        ),
                        range,
                    )),
                    None => match self.builtin_callee(name) {
                        Some(c) => Ok(Target::Function(c)),
                        None if name == "range" => Err(self.unsupported(
                            "range() is only supported as the iterable of a for loop",
                            range,
                        )),
                        None if name == "len" => Err(self.unsupported(
                            "len() needs array arguments, which come with guvectorize",
                            range,
                        )),
                        None if super::scope::is_other_builtin(name) => Err(self.unsupported(
                            format!("{name}() is not supported in kernels"),
                            range,
                        )),
                        None => Err(self.typing(format!("name '{name}' is not defined"), range)),
                    },
                }
            }
            Expr::Attribute(a) => {
                if let Some(m) = self.module_of(&a.value) {
                    let q = format!("{}.{}", module_name(m), a.attr.id.as_str());
                    return lookup(&q).map(Target::Function).ok_or_else(|| {
                        let shown = self.text(range).to_string();
                        self.unsupported(format!("'{shown}' is not supported in kernels"), range)
                    });
                }
                if a.attr.id.as_str() == "conjugate" {
                    return Ok(Target::Conjugate(&a.value));
                }
                let v = self.expr(&a.value)?;
                Err(self.typing(format!("{} has no method '{}'", v.ty, a.attr.id.as_str()), range))
            }
            _ => Err(self.unsupported(
                "only math, cmath and numpy functions and numeric builtins can be called in kernels",
                range,
            )),
        }
    }

    fn arity(
        &self,
        shown: &str,
        n: usize,
        want: usize,
        range: TextRange,
    ) -> Result<(), CompileError> {
        if n == want {
            return Ok(());
        }
        let s = if want == 1 { "" } else { "s" };
        Err(self.typing(
            format!("{shown}() takes {want} argument{s} ({n} given)"),
            range,
        ))
    }

    fn no_complex(&self, shown: &str, t: Ty, range: TextRange) -> Result<(), CompileError> {
        if t.kind() == Kind::Complex {
            return Err(self.typing(format!("{shown}() does not support {t} arguments"), range));
        }
        Ok(())
    }

    /// Lowers `callee(args)`.
    fn apply(
        &mut self,
        callee: Callee,
        shown: &str,
        args: Vec<Val>,
        range: TextRange,
    ) -> Result<Val, CompileError> {
        let joined = args.iter().map(|a| a.ty).reduce(promote_ty);
        let call = |f, args, ty| Val::strong(mk(ExprKind::Call(f, args), ty, range));
        match callee {
            Callee::Float {
                f,
                arity,
                complex,
                to_complex,
            } => {
                self.arity(shown, args.len(), arity, range)?;
                let ty = joined.unwrap_or(Ty::Strong(Scalar::F64));
                let t = match ty.kind() {
                    Kind::Complex if complex || to_complex => ty.concrete(),
                    Kind::Complex => {
                        self.no_complex(shown, ty, range)?;
                        ty.concrete()
                    }
                    Kind::Float => ty.concrete(),
                    Kind::Bool | Kind::Int => Scalar::F64,
                };
                let t = if to_complex { t.complex_of() } else { t };
                let exprs = self.coerce_all(args, t)?;
                Ok(call(f, exprs, t))
            }
            Callee::Round | Callee::NpRound if args.len() == 2 => {
                let mut it = args.into_iter();
                let (Some(v), Some(n)) = (it.next(), it.next()) else {
                    return Err(self.typing("missing argument", range));
                };
                let Some(Const::Int(n)) = n.as_const() else {
                    return Err(self.unsupported(
                        format!("{shown}() needs a constant integer number of digits in kernels"),
                        n.range(),
                    ));
                };
                self.round_digits(v, n, callee == Callee::Round, shown, range)
            }
            Callee::NpRound => {
                self.arity(shown, args.len(), 1, range)?;
                self.round_digits(single(args), 0, false, shown, range)
            }
            Callee::Phase => {
                self.arity(shown, args.len(), 1, range)?;
                self.phase(single(args), range)
            }
            Callee::Part { imag } => {
                self.arity(shown, args.len(), 1, range)?;
                self.part(single(args), imag, range)
            }
            Callee::Conj => {
                self.arity(shown, args.len(), 1, range)?;
                self.conjugate(single(args), range)
            }
            Callee::Divmod => Err(self.unsupported(
                "divmod() gives a pair, which kernels can only unpack: q, r = divmod(a, b)",
                range,
            )),
            Callee::ToInt(_) | Callee::Round => {
                let f = if let Callee::ToInt(f) = callee {
                    f
                } else {
                    MathFn::Rint
                };
                self.arity(shown, args.len(), 1, range)?;
                let v = single(args);
                self.no_complex(shown, v.ty, range)?;
                if v.kind() <= Kind::Int {
                    return Ok(Val::strong(self.convert(v, Scalar::I64)?));
                }
                let t = v.ty.concrete();
                let x = self.coerce(v, t)?;
                let rounded = mk(ExprKind::Call(f, vec![x]), t, range);
                Ok(Val::strong(super::val::cast(rounded, Scalar::I64)))
            }
            Callee::Abs { python } => {
                self.arity(shown, args.len(), 1, range)?;
                let v = single(args);
                if let (true, Some(c)) = (v.is_weak(), v.as_const()) {
                    let folded = match c {
                        Const::Int(i) => Const::Int(i.abs()),
                        Const::Float(x) => Const::Float(x.abs()),
                        Const::Complex(r, i) => Const::Float(r.hypot(i)),
                        Const::Bool(b) => Const::Bool(b),
                    };
                    return Ok(Val::literal(folded, range));
                }
                match v.kind() {
                    Kind::Bool if python => Ok(Val::strong(self.convert(v, Scalar::I64)?)),
                    Kind::Bool => Ok(v),
                    Kind::Complex => {
                        let t = v.ty.concrete();
                        let x = self.coerce(v, t)?;
                        Ok(call(MathFn::Abs, vec![x], t.real_part()))
                    }
                    _ => {
                        let t = v.ty.concrete();
                        let x = self.coerce(v, t)?;
                        Ok(call(MathFn::Abs, vec![x], t))
                    }
                }
            }
            Callee::Sign => {
                self.arity(shown, args.len(), 1, range)?;
                let v = single(args);
                self.no_complex(shown, v.ty, range)?;
                // NumPy has no bool loop for sign; its first safe match is int8.
                let t = match v.ty.concrete() {
                    Scalar::Bool => Scalar::I8,
                    t => t,
                };
                let x = self.coerce(v, t)?;
                Ok(call(MathFn::Sign, vec![x], t))
            }
            Callee::Pairwise(f) => {
                self.arity(shown, args.len(), 2, range)?;
                let ty = joined.unwrap_or(Ty::Strong(Scalar::F64));
                self.no_complex(shown, ty, range)?;
                let t = ty.concrete();
                let exprs = self.coerce_all(args, t)?;
                Ok(call(f, exprs, t))
            }
            Callee::PyMinMax(f) => {
                if args.len() < 2 {
                    return Err(self.typing(
                        format!("{shown}() needs at least two arguments in kernels (iterables are not supported)"),
                        range,
                    ));
                }
                let ty = joined.unwrap_or(Ty::Strong(Scalar::F64));
                self.no_complex(shown, ty, range)?;
                let t = ty.concrete();
                let mut exprs = self.coerce_all(args, t)?.into_iter();
                let first = exprs
                    .next()
                    .ok_or_else(|| self.typing("missing argument", range))?;
                let folded = exprs.fold(first, |acc, x| {
                    mk(ExprKind::Call(f, vec![acc, x]), t, range)
                });
                Ok(Val::strong(folded))
            }
            Callee::Power => {
                if args.len() == 3 {
                    return Err(
                        self.unsupported("pow() with a modulus is not supported in kernels", range)
                    );
                }
                self.arity(shown, args.len(), 2, range)?;
                let mut it = args.into_iter();
                match (it.next(), it.next()) {
                    (Some(a), Some(b)) => self.binary(Operator::Pow, a, b, range),
                    _ => Err(self.typing("missing argument", range)),
                }
            }
            Callee::Cast { to, python } => {
                self.arity(shown, args.len(), 1, range)?;
                let v = single(args);
                if v.kind() == Kind::Complex {
                    return Err(self.typing(
                        format!("cannot convert {} to {to} (take .real first)", v.ty),
                        range,
                    ));
                }
                if python && v.is_weak() {
                    if let Some(c) = v.as_const().and_then(|c| python_cast(c, to)) {
                        return Ok(Val::literal(c, range));
                    }
                }
                Ok(Val::strong(relocate(self.convert(v, to)?, range)))
            }
            Callee::Bool => {
                self.arity(shown, args.len(), 1, range)?;
                Ok(Val::strong(relocate(self.truth(single(args))?, range)))
            }
            Callee::Complex { to, python } => match args.len() {
                1 => {
                    let v = single(args);
                    let weak = python && v.is_weak();
                    let e = relocate(self.convert(v, to)?, range);
                    Ok(match (weak, e.kind) {
                        (true, ExprKind::Const(c)) => Val::literal(c, range),
                        (_, kind) => Val::strong(mk(kind, to, range)),
                    })
                }
                2 => {
                    if let Some(bad) = args.iter().find(|a| a.kind() == Kind::Complex) {
                        return Err(self.typing(
                            format!("{shown}() with complex arguments is not supported in kernels"),
                            bad.range(),
                        ));
                    }
                    let part = to.real_part();
                    let weak = python && args.iter().all(Val::is_weak);
                    let mut parts = self.coerce_all(args, part)?.into_iter();
                    let (Some(re), Some(im)) = (parts.next(), parts.next()) else {
                        return Err(self.typing("missing argument", range));
                    };
                    if let (ExprKind::Const(Const::Float(r)), ExprKind::Const(Const::Float(i))) =
                        (&re.kind, &im.kind)
                    {
                        let c = Const::Complex(*r, *i);
                        return Ok(if weak {
                            Val::literal(c, range)
                        } else {
                            Val::constant(c, Ty::Strong(to), range)
                        });
                    }
                    Ok(Val::strong(mk(
                        ExprKind::MakeComplex(Box::new(re), Box::new(im)),
                        to,
                        range,
                    )))
                }
                n => Err(self.typing(
                    format!("{shown}() takes 1 or 2 arguments ({n} given)"),
                    range,
                )),
            },
            Callee::Predicate(f) => {
                self.arity(shown, args.len(), 1, range)?;
                let v = single(args);
                if v.kind() == Kind::Complex {
                    return self.complex_predicate(f, v, range);
                }
                let t = match v.kind() {
                    Kind::Float => v.ty.concrete(),
                    _ => Scalar::F64,
                };
                let x = self.coerce(v, t)?;
                Ok(call(f, vec![x], Scalar::Bool))
            }
        }
    }

    /// `v.conjugate()` (of a real number: the number, as Python's int for bools).
    fn conjugate(&mut self, v: Val, range: TextRange) -> Result<Val, CompileError> {
        match (v.kind(), v.as_const()) {
            (Kind::Complex, Some(Const::Complex(r, i))) if v.is_weak() => {
                Ok(Val::literal(Const::Complex(r, -i), range))
            }
            (Kind::Complex, _) => {
                let t = v.ty.concrete();
                let x = self.coerce(v, t)?;
                Ok(Val::strong(mk(
                    ExprKind::Unary(UnaryOp::Conj, Box::new(x)),
                    t,
                    range,
                )))
            }
            (Kind::Bool, _) => Ok(Val::strong(self.convert(v, Scalar::I64)?)),
            _ => Ok(v),
        }
    }

    fn coerce_all(&self, args: Vec<Val>, t: Scalar) -> Result<Vec<crate::ir::Expr>, CompileError> {
        args.into_iter().map(|a| self.coerce(a, t)).collect()
    }
}

/// The one argument of a call whose arity was checked.
fn single(args: Vec<Val>) -> Val {
    let mut it = args.into_iter();
    it.next()
        .unwrap_or_else(|| Val::literal(Const::Int(0), TextRange::default()))
}

/// Points a conversion's result at the whole call.
fn relocate(mut e: crate::ir::Expr, range: TextRange) -> crate::ir::Expr {
    e.span = crate::parse::span(range);
    e
}

/// `int(lit)` / `float(lit)` of a Python literal, computed as Python does.
fn python_cast(c: Const, to: Scalar) -> Option<Const> {
    match (c, to) {
        (Const::Int(i), Scalar::I64) => Some(Const::Int(i)),
        (Const::Float(x), Scalar::I64) if x.is_finite() && x.abs() < 1e38 => {
            Some(Const::Int(x.trunc() as i128))
        }
        (Const::Int(i), Scalar::F64) => Some(Const::Float(i as f64)),
        (Const::Float(x), Scalar::F64) => Some(Const::Float(x)),
        _ => None,
    }
}
