//! The one table of callables a kernel may use (math, cmath, NumPy, Python builtins) and how
//! each call is typed and lowered.

use super::ufunc_src::*;
use super::val::{mk, Val};
use super::Lowerer;
use crate::diag::CompileError;
use crate::ir::{BinaryOp, CmpOp, Const, ExprKind, MathFn, UnaryOp};
use crate::math_functions::{self, CallKind, Complex};
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
    /// A NumPy ufunc written in the kernel language (`ufunc_src`), inlined like a helper.
    Source {
        name: &'static str,
        text: &'static str,
        conv: Conv,
        /// The source used instead for float32 (`Conv::Float`) or integer (`Conv::Real`,
        /// `Conv::Number`) arguments, where NumPy's loop differs.
        alt: Option<&'static str>,
    },
    /// `np.floor/ceil/trunc`: the float function; integers and bools unchanged (NumPy 2's
    /// loops for them).
    Rounding(MathFn),
    /// `np.add`, `np.subtract`, ...: the operator's semantics.
    Operator(Operator),
    /// `np.equal`, `np.less`, ...
    Comparison(ast::CmpOp),
    /// `np.negative`, `np.positive`, `np.invert` (`~`).
    UnaryOp(ast::UnaryOp),
    /// `np.logical_and/or/xor/not`: on the arguments' truth, a bool.
    Logical(LogicalFn),
}

/// Which `np.logical_*` function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LogicalFn {
    And,
    Or,
    Xor,
    Not,
}

/// How the arguments of a `Callee::Source` are converted, as NumPy's loop selection would.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Conv {
    /// Real floats kept, bools and ints computed in float64 (complex refused).
    Float,
    /// Computed in float64; float results rounded back to the argument's float type
    /// (exact there: `frexp`).
    Float64,
    /// `ldexp(x, n)`: x as `Float64`, n an integer (int64).
    Ldexp,
    /// float64, or complex128 for complex arguments (`float_power`).
    AtLeast64,
    /// Integers only; bools as int8 (NumPy's first loop for them).
    Int,
    /// Integers and real floats in their promoted type; bools as int8.
    Real,
    /// Any number in its promoted type; bools as int8.
    Number,
}

/// The qualified-name prefix of a module.
pub(super) fn module_name(m: ModuleKind) -> &'static str {
    match m {
        ModuleKind::Math => "math",
        ModuleKind::Numpy => "numpy",
        ModuleKind::Cmath => "cmath",
        ModuleKind::Numba => "numba",
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
    let q = normalize(q);
    let (module, name) = q.rsplit_once('.')?;
    let module = match module {
        "builtins" => return builtin(name),
        "math" => ModuleKind::Math,
        "numpy" => ModuleKind::Numpy,
        "cmath" => ModuleKind::Cmath,
        _ => return None,
    };
    if module == ModuleKind::Numpy {
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
    table_callee(module, name).or_else(|| other_callee(module, name))
}

/// A math function of the one table (`crate::math_functions`) by one of its spellings.
fn table_callee(module: ModuleKind, name: &str) -> Option<Callee> {
    let row = math_functions::by_spelling(module, name)?;
    Some(match (row.call, module) {
        (CallKind::RoundToInt, ModuleKind::Math) => Callee::ToInt(row.func),
        (CallKind::RoundToInt, _) => Callee::Rounding(row.func),
        (CallKind::PowerOperator, ModuleKind::Numpy) => Callee::Power,
        // NumPy's and cmath's take complex arguments, cmath's also turn real ones complex;
        // math's refuse complex, as Python.
        _ => Callee::Float {
            f: row.func,
            arity: row.arity,
            complex: module != ModuleKind::Math && row.complex != Complex::No,
            to_complex: module == ModuleKind::Cmath,
        },
    })
}

/// Python's builtins a kernel may call.
fn builtin(name: &str) -> Option<Callee> {
    use MathFn::*;
    Some(match name {
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
    })
}

/// The module functions that are not table math functions: inline operations, NumPy ufuncs
/// written in the kernel language, operators and predicates.
fn other_callee(module: ModuleKind, name: &str) -> Option<Callee> {
    use MathFn::*;
    let (math, np, cm) = (
        module == ModuleKind::Math,
        module == ModuleKind::Numpy,
        module == ModuleKind::Cmath,
    );
    let mathlike = math || np;
    let real2 = |f| Callee::Float {
        f,
        arity: 2,
        complex: false,
        to_complex: false,
    };
    let src = |name, text, conv| Callee::Source {
        name,
        text,
        conv,
        alt: None,
    };
    Some(match name {
        "phase" if cm => Callee::Phase,
        "angle" if np => Callee::Phase,
        "real" if np => Callee::Part { imag: false },
        "imag" if np => Callee::Part { imag: true },
        "conj" | "conjugate" if np => Callee::Conj,
        "round" | "around" if np => Callee::NpRound,
        "abs" | "absolute" if np => Callee::Abs { python: false },
        "sign" if np => Callee::Sign,
        "fmod" if math => real2(Fmod),
        "minimum" if np => Callee::Pairwise(Minimum),
        "maximum" if np => Callee::Pairwise(Maximum),
        "fmin" if np => Callee::Pairwise(Fmin),
        "fmax" if np => Callee::Pairwise(Fmax),
        "logaddexp" if np => src("logaddexp", LOGADDEXP, Conv::Float),
        "logaddexp2" if np => src("logaddexp2", LOGADDEXP2, Conv::Float),
        "heaviside" if np => src("heaviside", HEAVISIDE, Conv::Float),
        "signbit" if np => src("signbit", SIGNBIT, Conv::Float),
        "spacing" if np => Callee::Source {
            name: "spacing",
            text: SPACING,
            conv: Conv::Float,
            alt: Some(SPACING_F32),
        },
        "modf" if np => src("modf", MODF, Conv::Float),
        "frexp" if np => src("frexp", FREXP, Conv::Float64),
        "ldexp" if np => src("ldexp", LDEXP, Conv::Ldexp),
        "gcd" | "lcm" if np || (math && name == "gcd") => match name {
            "gcd" => src("gcd", GCD, Conv::Int),
            _ => src("lcm", LCM, Conv::Int),
        },
        "lcm" if math => src("lcm", LCM, Conv::Int),
        "fmod" if np => Callee::Source {
            name: "fmod",
            text: FMOD_FLOAT,
            conv: Conv::Real,
            alt: Some(FMOD_INT),
        },
        "bitwise_count" if np => src("bitwise_count", BITWISE_COUNT, Conv::Int),
        "square" if np => src("square", SQUARE, Conv::Number),
        "reciprocal" if np => Callee::Source {
            name: "reciprocal",
            text: RECIPROCAL,
            conv: Conv::Number,
            alt: Some(RECIPROCAL_INT),
        },
        "radians" | "deg2rad" if mathlike => src("radians", RADIANS, Conv::Float),
        "degrees" | "rad2deg" if mathlike => Callee::Source {
            name: "degrees",
            text: DEGREES,
            conv: Conv::Float,
            alt: Some(DEGREES_F32).filter(|_| np),
        },
        "add" if np => Callee::Operator(Operator::Add),
        "subtract" if np => Callee::Operator(Operator::Sub),
        "multiply" if np => Callee::Operator(Operator::Mult),
        "divide" | "true_divide" if np => Callee::Operator(Operator::Div),
        "floor_divide" if np => Callee::Operator(Operator::FloorDiv),
        "remainder" | "mod" if np => Callee::Operator(Operator::Mod),
        "float_power" if np => src("float_power", FLOAT_POWER, Conv::AtLeast64),
        "bitwise_and" if np => Callee::Operator(Operator::BitAnd),
        "bitwise_or" if np => Callee::Operator(Operator::BitOr),
        "bitwise_xor" if np => Callee::Operator(Operator::BitXor),
        "left_shift" | "bitwise_left_shift" if np => Callee::Operator(Operator::LShift),
        "right_shift" | "bitwise_right_shift" if np => Callee::Operator(Operator::RShift),
        "invert" | "bitwise_not" | "bitwise_invert" if np => Callee::UnaryOp(ast::UnaryOp::Invert),
        "negative" if np => Callee::UnaryOp(ast::UnaryOp::USub),
        "positive" if np => Callee::UnaryOp(ast::UnaryOp::UAdd),
        "equal" if np => Callee::Comparison(ast::CmpOp::Eq),
        "not_equal" if np => Callee::Comparison(ast::CmpOp::NotEq),
        "less" if np => Callee::Comparison(ast::CmpOp::Lt),
        "less_equal" if np => Callee::Comparison(ast::CmpOp::LtE),
        "greater" if np => Callee::Comparison(ast::CmpOp::Gt),
        "greater_equal" if np => Callee::Comparison(ast::CmpOp::GtE),
        "logical_and" if np => Callee::Logical(LogicalFn::And),
        "logical_or" if np => Callee::Logical(LogicalFn::Or),
        "logical_xor" if np => Callee::Logical(LogicalFn::Xor),
        "logical_not" if np => Callee::Logical(LogicalFn::Not),
        "divmod" if np => Callee::Divmod,
        "isnan" if mathlike || cm => Callee::Predicate(IsNan),
        "isinf" if mathlike || cm => Callee::Predicate(IsInf),
        "isfinite" if mathlike || cm => Callee::Predicate(IsFinite),
        _ => return None,
    })
}

/// The parameter names a callable's arguments may be given by (Python's and NumPy's
/// spellings); empty for those that take positional arguments only, as ufuncs do.
fn keyword_names(c: Callee) -> &'static [&'static str] {
    match c {
        Callee::Round => &["number", "ndigits"],
        Callee::NpRound => &["a", "decimals"],
        Callee::Complex { python: true, .. } => &["real", "imag"],
        _ => &[],
    }
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
        let shown = self.text(c.func.range()).to_string();
        if let Some(f) = self.user_function(&c.func) {
            let args = self.call_args(f, c)?;
            return self.call_function(f, args, range);
        }
        let target = self.callee(&c.func)?;
        let names = match target {
            Target::Function(callee) => keyword_names(callee),
            Target::Conjugate(_) => &[],
        };
        let args = self.bind_arguments(&shown, names, c)?;
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
    /// The arguments of a call of the helper `f`, keywords matched to its parameters.
    pub(super) fn call_args(
        &mut self,
        f: &crate::spec::FunctionSpec,
        c: &ast::ExprCall,
    ) -> Result<Vec<super::calls::CallArg>, CompileError> {
        if c.arguments.keywords.is_empty() {
            return self.bind_with(&f.name, &[], c, Self::call_arg);
        }
        let kernel = crate::parse::parse_kernel(&f.name, &f.source)?;
        let names: Vec<&str> = kernel.params.iter().map(|p| p.name.as_str()).collect();
        self.bind_with(&f.name, &names, c, Self::call_arg)
    }

    /// The positional arguments of a call whose callee takes no keywords.
    pub(super) fn positional<'e>(
        &self,
        c: &'e ast::ExprCall,
    ) -> Result<Vec<&'e Expr>, CompileError> {
        let shown = self.text(c.func.range());
        if let Some(k) = c.arguments.keywords.first() {
            return Err(self.unsupported(
                format!("{shown}() takes no keyword arguments in kernels"),
                k.range,
            ));
        }
        self.no_star(c)?;
        Ok(c.arguments.args.iter().collect())
    }

    pub(super) fn no_star(&self, c: &ast::ExprCall) -> Result<(), CompileError> {
        match c.arguments.args.iter().find(|a| a.is_starred_expr()) {
            Some(s) => Err(self.unsupported(
                "star arguments are not supported in kernel calls",
                s.range(),
            )),
            None => Ok(()),
        }
    }

    /// The arguments of call `c`, evaluated in source order and placed by position: keywords go
    /// to the parameter of that name in `names` (Python's rules: no duplicates, none missing
    /// before the last one given).
    pub(super) fn bind_arguments(
        &mut self,
        shown: &str,
        names: &[&str],
        c: &ast::ExprCall,
    ) -> Result<Vec<Val>, CompileError> {
        self.bind_with(shown, names, c, Self::expr)
    }

    /// `bind_arguments` with each argument lowered by `eval` (helpers also take arrays).
    fn bind_with<T>(
        &mut self,
        shown: &str,
        names: &[&str],
        c: &ast::ExprCall,
        eval: fn(&mut Self, &Expr) -> Result<T, CompileError>,
    ) -> Result<Vec<T>, CompileError> {
        self.no_star(c)?;
        let positional = c.arguments.args.len();
        let mut slots: Vec<Option<T>> = Vec::with_capacity(positional);
        for a in c.arguments.args.iter() {
            slots.push(Some(eval(self, a)?));
        }
        for k in c.arguments.keywords.iter() {
            let Some(arg) = &k.arg else {
                return Err(
                    self.unsupported("** arguments are not supported in kernel calls", k.range)
                );
            };
            let key = arg.id.as_str();
            let Some(pos) = names.iter().position(|n| *n == key) else {
                let msg = if names.is_empty() {
                    format!("{shown}() takes no keyword arguments in kernels")
                } else {
                    format!("{shown}() got an unexpected keyword argument '{key}'")
                };
                return Err(self.typing(msg, k.range));
            };
            if slots.len() <= pos {
                slots.resize_with(pos + 1, || None);
            }
            if slots[pos].is_some() {
                return Err(self.typing(
                    format!("{shown}() got multiple values for argument '{key}'"),
                    k.range,
                ));
            }
            slots[pos] = Some(eval(self, &k.value)?);
        }
        let mut args = Vec::with_capacity(slots.len());
        for (i, v) in slots.into_iter().enumerate() {
            match v {
                Some(v) => args.push(v),
                None => {
                    let name = names.get(i).copied().unwrap_or("?");
                    return Err(self.typing(
                        format!("{shown}() missing required argument '{name}'"),
                        c.range(),
                    ));
                }
            }
        }
        Ok(args)
    }

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

    /// The known callable `func` names, if it is one (no error otherwise).
    pub(super) fn tuple_callee(&mut self, func: &Expr) -> Option<Callee> {
        match self.callee(func) {
            Ok(Target::Function(c)) => Some(c),
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
        if joined.is_some_and(|t| t.kind() == Kind::Complex) {
            if let Some((name, text)) = complex_variant(callee) {
                let source = Callee::Source {
                    name,
                    text,
                    conv: Conv::Number,
                    alt: None,
                };
                return self.apply(source, shown, args, range);
            }
        }
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
            Callee::Source { .. } => {
                let (spec, args, t) = self.source_args(callee, shown, args, range)?;
                let args = args
                    .into_iter()
                    .map(super::calls::CallArg::Scalar)
                    .collect();
                let v = self.call_function(&spec, args, range)?;
                Ok(round_back(v, t))
            }
            Callee::Rounding(f) => {
                self.arity(shown, args.len(), 1, range)?;
                let v = single(args);
                self.no_complex(shown, v.ty, range)?;
                if v.kind() <= Kind::Int {
                    let t = v.ty.concrete();
                    return Ok(Val::strong(self.coerce(v, t)?));
                }
                let t = v.ty.concrete();
                let x = self.coerce(v, t)?;
                Ok(call(f, vec![x], t))
            }
            Callee::Operator(op) => {
                self.arity(shown, args.len(), 2, range)?;
                // On bools NumPy's add is `or` and multiply `and` (Python's would count).
                let op = match (op, joined) {
                    (Operator::Add, Some(Ty::Strong(Scalar::Bool))) => Operator::BitOr,
                    (Operator::Mult, Some(Ty::Strong(Scalar::Bool))) => Operator::BitAnd,
                    _ => op,
                };
                let mut it = args.into_iter();
                match (it.next(), it.next()) {
                    (Some(a), Some(b)) => self.binary(op, a, b, range),
                    _ => Err(self.typing("missing argument", range)),
                }
            }
            Callee::Comparison(op) => {
                self.arity(shown, args.len(), 2, range)?;
                let mut it = args.into_iter();
                match (it.next(), it.next()) {
                    (Some(a), Some(b)) => Ok(Val::strong(self.compare(op, a, b, range)?)),
                    _ => Err(self.typing("missing argument", range)),
                }
            }
            Callee::UnaryOp(op) => {
                self.arity(shown, args.len(), 1, range)?;
                let v = single(args);
                // NumPy has no bool loop for negative/positive: bools go to int8 (invert is
                // logical not on bools).
                let v = if v.ty == Ty::Strong(Scalar::Bool) && op != ast::UnaryOp::Invert {
                    Val::strong(self.convert(v, Scalar::I8)?)
                } else {
                    v
                };
                self.unary(op, v, range)
            }
            Callee::Logical(f) => {
                let want = if f == LogicalFn::Not { 1 } else { 2 };
                self.arity(shown, args.len(), want, range)?;
                let mut truths = Vec::with_capacity(2);
                for a in args {
                    truths.push(self.truth(a)?);
                }
                let mut it = truths.into_iter();
                let (Some(a), b) = (it.next(), it.next()) else {
                    return Err(self.typing("missing argument", range));
                };
                let bool_ = |kind| Val::strong(mk(kind, Scalar::Bool, range));
                Ok(match (f, b) {
                    (LogicalFn::Not, _) => bool_(ExprKind::Unary(UnaryOp::Not, Box::new(a))),
                    (LogicalFn::And, Some(b)) => {
                        bool_(ExprKind::Binary(BinaryOp::BitAnd, Box::new(a), Box::new(b)))
                    }
                    (LogicalFn::Or, Some(b)) => {
                        bool_(ExprKind::Binary(BinaryOp::BitOr, Box::new(a), Box::new(b)))
                    }
                    (LogicalFn::Xor, Some(b)) => {
                        bool_(ExprKind::Compare(CmpOp::Ne, Box::new(a), Box::new(b)))
                    }
                    _ => return Err(self.typing("missing argument", range)),
                })
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

    /// The helper a `Callee::Source` call inlines, its arguments converted as NumPy's loop
    /// selection would, and the float type its float results are rounded back to.
    pub(super) fn source_args(
        &mut self,
        callee: Callee,
        shown: &str,
        args: Vec<Val>,
        range: TextRange,
    ) -> Result<(crate::spec::FunctionSpec, Vec<Val>, Scalar), CompileError> {
        let Callee::Source {
            name,
            text,
            conv,
            alt,
        } = callee
        else {
            return Err(self.typing(format!("{shown}() is not a NumPy ufunc"), range));
        };
        if conv == Conv::Ldexp {
            let mut it = args.into_iter();
            let (Some(x), Some(n), None) = (it.next(), it.next(), it.next()) else {
                return Err(self.typing(format!("{shown}() takes 2 arguments"), range));
            };
            if n.kind() > Kind::Int {
                // NumPy has no ldexp loop for a float exponent.
                return Err(self.typing(
                    format!("{shown}() needs an integer exponent, not {}", n.ty),
                    n.range(),
                ));
            }
            self.no_complex(shown, x.ty, range)?;
            let t = match x.kind() {
                Kind::Float => x.ty.concrete(),
                _ => Scalar::F64,
            };
            let x = Val::strong(self.coerce(x, Scalar::F64)?);
            let n = Val::strong(self.coerce(n, Scalar::I64)?);
            return Ok((super::ufunc_src::spec(name, text), vec![x, n], t));
        }
        let joined = args
            .iter()
            .map(|a| a.ty)
            .reduce(promote_ty)
            .unwrap_or(Ty::Strong(Scalar::F64));
        let kind = joined.kind();
        if kind == Kind::Complex && !matches!(conv, Conv::Number | Conv::AtLeast64) {
            self.no_complex(shown, joined, range)?;
        }
        if kind > Kind::Int && conv == Conv::Int {
            return Err(self.typing(
                format!("{shown}() needs integer arguments, not {joined}"),
                range,
            ));
        }
        let t = match (conv, kind) {
            (Conv::Float | Conv::Float64, Kind::Float) => joined.concrete(),
            (Conv::Float | Conv::Float64 | Conv::AtLeast64, Kind::Bool | Kind::Int) => Scalar::F64,
            (Conv::AtLeast64, Kind::Float) => Scalar::F64,
            (Conv::AtLeast64, _) => Scalar::C128,
            (_, Kind::Bool) => Scalar::I8,
            _ => joined.concrete(),
        };
        // The type the helper computes in.
        let compute = match conv {
            Conv::Float64 => Scalar::F64,
            _ => t,
        };
        let text = match alt {
            Some(a) if compute == Scalar::F32 && conv == Conv::Float => a,
            Some(a) if compute.kind() <= Kind::Int && conv != Conv::Float => a,
            _ => text,
        };
        let args = args
            .into_iter()
            .map(|a| self.coerce(a, compute).map(Val::strong))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((super::ufunc_src::spec(name, text), args, t))
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

/// The complex loop of a NumPy ufunc whose kernel-language callee takes real numbers only.
fn complex_variant(c: Callee) -> Option<(&'static str, &'static str)> {
    use ast::CmpOp::*;
    Some(match c {
        Callee::Comparison(Lt) => ("less", C_LESS),
        Callee::Comparison(LtE) => ("less_equal", C_LESS_EQUAL),
        Callee::Comparison(Gt) => ("greater", C_GREATER),
        Callee::Comparison(GtE) => ("greater_equal", C_GREATER_EQUAL),
        Callee::Pairwise(MathFn::Maximum) => ("maximum", C_MAXIMUM),
        Callee::Pairwise(MathFn::Minimum) => ("minimum", C_MINIMUM),
        Callee::Pairwise(MathFn::Fmax) => ("fmax", C_FMAX),
        Callee::Pairwise(MathFn::Fmin) => ("fmin", C_FMIN),
        Callee::Float {
            f: MathFn::Rint,
            complex: true,
            ..
        } => ("rint", C_RINT),
        Callee::Sign => ("sign", C_SIGN),
        Callee::Float {
            f: MathFn::Log2,
            complex: true,
            ..
        } => ("log2", C_LOG2),
        Callee::Float {
            f: MathFn::Exp2,
            complex: true,
            ..
        } => ("exp2", C_EXP2),
        Callee::Float {
            f: MathFn::Expm1,
            complex: true,
            ..
        } => ("expm1", C_EXPM1),
        Callee::Float {
            f: MathFn::Log1p,
            complex: true,
            ..
        } => ("log1p", C_LOG1P),
        _ => return None,
    })
}

/// A float (complex) result rounded back to the call's float (complex) type `t` (ldexp/frexp
/// compute in float64; complex sources build complex128 with `complex(...)`).
pub(super) fn round_back(v: Val, t: Scalar) -> Val {
    let same_kind = v.kind() == t.kind() && matches!(t.kind(), Kind::Float | Kind::Complex);
    if same_kind && v.ty.concrete() != t {
        return Val::strong(super::val::cast(v.expr, t));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(f: MathFn, arity: usize, complex: bool, to_complex: bool) -> Option<Callee> {
        Some(Callee::Float {
            f,
            arity,
            complex,
            to_complex,
        })
    }

    /// A spelling means one thing: no table function is also one of the other callables.
    #[test]
    fn table_spellings_are_not_shadowed() {
        for f in math_functions::MATH_FUNCTIONS {
            for m in [ModuleKind::Math, ModuleKind::Numpy, ModuleKind::Cmath] {
                for name in f.names_in(m) {
                    assert_eq!(other_callee(m, name), None, "{m:?}.{name}");
                    assert!(lookup(&format!("{}.{name}", module_name(m))).is_some());
                }
            }
        }
    }

    #[test]
    fn table_spellings_by_module() {
        use MathFn::*;
        assert_eq!(lookup("math.exp"), float(Exp, 1, false, false));
        assert_eq!(lookup("np.exp"), float(Exp, 1, true, false));
        assert_eq!(lookup("cmath.exp"), float(Exp, 1, true, true));
        assert_eq!(lookup("numpy.arcsin"), float(Asin, 1, true, false));
        assert_eq!(lookup("numpy.asin"), float(Asin, 1, true, false));
        assert_eq!(lookup("math.arcsin"), None);
        assert_eq!(lookup("math.exp2"), float(Exp2, 1, false, false));
        assert_eq!(lookup("numpy.exp2"), float(Exp2, 1, true, false));
        assert_eq!(lookup("cmath.exp2"), None);
        assert_eq!(lookup("numpy.cbrt"), float(Cbrt, 1, false, false));
        assert_eq!(lookup("numpy.rint"), float(Rint, 1, true, false));
        assert_eq!(lookup("math.pow"), float(Pow, 2, false, false));
        assert_eq!(lookup("numpy.power"), Some(Callee::Power));
        assert_eq!(lookup("numpy.pow"), Some(Callee::Power));
        assert_eq!(lookup("numpy.arctan2"), float(Atan2, 2, false, false));
        assert_eq!(lookup("math.floor"), Some(Callee::ToInt(Floor)));
        assert_eq!(lookup("numpy.floor"), Some(Callee::Rounding(Floor)));
        assert_eq!(lookup("numpy.fabs"), float(Abs, 1, false, false));
        assert_eq!(lookup("math.gamma"), float(Gamma, 1, false, false));
        assert_eq!(lookup("numpy.nextafter"), float(Nextafter, 2, false, false));
        assert_eq!(lookup("math.nextafter"), None);
        assert_eq!(lookup("math.fmod"), float(Fmod, 2, false, false));
        assert_eq!(lookup("os.exp"), None);
    }
}
