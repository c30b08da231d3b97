//! The typed IR: one function per signature, every expression carrying its concrete dtype.
//!
//! It is tree-shaped (structured control flow) because the kernel language is; the front end
//! (`lower`) has already inserted every cast, so codegen never promotes types itself: the operands
//! of `Binary`, `Compare` and `Call` have the types the operation is computed in.

pub mod verify;

use crate::diag::{SourceMap, Span};
use crate::types::Scalar;
use std::fmt;

/// A local variable (parameters are locals `0..params`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Local(pub u32);

/// A local's name (for diagnostics and printing) and its unified type.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalDecl {
    pub name: String,
    pub ty: Scalar,
}

/// An array parameter of a gufunc kernel: an index into `Function::arrays`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArrayId(pub u32);

/// An array parameter: the parameter local that names it (its `LocalDecl::ty` is the dtype; it
/// is never read or assigned as a local), its dtype and number of dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayDecl {
    pub param: Local,
    pub dtype: Scalar,
    pub ndim: u32,
    /// Whether the kernel stores into it (outputs and `writable_args`); the front end has
    /// already rejected stores to read-only arrays.
    pub writable: bool,
}

/// A frozen module-level NumPy array the kernel reads: an index into `Function::tables`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub u32);

/// A module-level NumPy array copied into the compiled code as a constant.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstTable {
    /// The global's name (for messages and printing).
    pub name: String,
    pub dtype: Scalar,
    /// At least one dimension.
    pub shape: Vec<u64>,
    /// The elements in C order and native byte order (`shape` product times the item size).
    pub data: Vec<u8>,
}

/// A kernel-language function called by this one: an index into `Function::callees`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CalleeId(pub u32);

/// The Python exception a `raise`/`assert` in a kernel raises at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exception {
    IndexError,
    ValueError,
    AssertionError,
    ZeroDivisionError,
    OverflowError,
    ArithmeticError,
    /// A local read where it has no value (a loop variable after a loop that ran zero times).
    UnboundLocalError,
}

impl Exception {
    /// The builtin class called `name`, if a kernel may raise it.
    pub fn from_name(name: &str) -> Option<Exception> {
        Some(match name {
            "IndexError" => Exception::IndexError,
            "ValueError" => Exception::ValueError,
            "AssertionError" => Exception::AssertionError,
            "ZeroDivisionError" => Exception::ZeroDivisionError,
            "OverflowError" => Exception::OverflowError,
            "ArithmeticError" => Exception::ArithmeticError,
            "UnboundLocalError" => Exception::UnboundLocalError,
            _ => return None,
        })
    }
}

/// One kernel specialised to one signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The kernel's Python name.
    pub name: String,
    /// Number of parameters; they are `Local(0)..Local(params)`, in order.
    pub params: u32,
    /// Every local, parameters first.
    pub locals: Vec<LocalDecl>,
    /// The return (output) type. A gufunc kernel returns nothing (it ends with `ReturnVoid` or
    /// by falling off its end); its `ret` is `Bool` and means nothing.
    pub ret: Scalar,
    /// A helper that returns a tuple (`return s, c`): the types of its parts (then `ret` is
    /// `Bool` and means nothing, and it returns with `ReturnTuple`); empty otherwise.
    pub ret_parts: Vec<Scalar>,
    pub body: Block,
    /// Array parameters, in parameter order; non-empty exactly for gufunc kernels.
    pub arrays: Vec<ArrayDecl>,
    /// Whether array accesses check their index (an out-of-range one raises `IndexError`).
    pub boundscheck: bool,
    /// The kernel's source, so run-time error messages can name the file and line.
    pub origin: SourceMap,
    /// Frozen module-level arrays the kernel reads.
    pub tables: Vec<ConstTable>,
    /// Functions the kernel calls, each lowered for the argument types of its call site (they
    /// have their own `origin`, so their errors name their own file and line).
    pub callees: Vec<Function>,
}

impl Function {
    /// True for a gufunc kernel (outputs written through array parameters, nothing returned).
    pub fn is_gufunc(&self) -> bool {
        !self.arrays.is_empty()
    }

    /// The array declared for parameter `l`, if that parameter is an array.
    pub fn array_of(&self, l: Local) -> Option<ArrayId> {
        self.arrays
            .iter()
            .position(|a| a.param == l)
            .map(|i| ArrayId(i as u32))
    }
}

/// A sequence of statements.
pub type Block = Vec<Stmt>;

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `dst = value`; `value.ty` equals the local's type.
    Assign {
        dst: Local,
        value: Expr,
    },
    /// `if cond: then else: else_`; `cond.ty` is `Bool`.
    If {
        cond: Expr,
        then_body: Block,
        else_body: Block,
    },
    /// `while cond: body else: orelse`; `orelse` runs when the loop ends without `break`.
    While {
        cond: Expr,
        body: Block,
        orelse: Block,
    },
    /// `for var in range(start, stop, step): body else: orelse`, Python semantics: the bounds are
    /// evaluated once, `var` keeps its last value after the loop, a zero step is a compile error
    /// when constant (otherwise the loop runs zero times). All four have the same integer type.
    ForRange {
        var: Local,
        start: Expr,
        stop: Expr,
        step: Expr,
        body: Block,
        orelse: Block,
    },
    Break,
    Continue,
    /// `return value`; `value.ty` equals `Function::ret`.
    Return(Expr),
    /// `return` in a gufunc kernel.
    ReturnVoid,
    /// `return a, b` in a helper: one value per `Function::ret_parts`, of those types.
    ReturnTuple(Vec<Expr>),
    /// `a, b = f(x)` for a helper returning a tuple: the arguments have its parameter types,
    /// `dsts` (one per part) the types of its `ret_parts`.
    CallUnpack {
        callee: CalleeId,
        args: Vec<Expr>,
        dsts: Vec<Local>,
    },
    /// `array[index...] = value`: one int64 index per dimension (negative ones count from the
    /// end, as in Python); `value.ty` is the array's dtype.
    Store {
        array: ArrayId,
        index: Vec<Expr>,
        value: Expr,
    },
    /// Raise `exception` with `message` at run time: the loop stops and the caller gets it.
    Raise {
        exception: Exception,
        message: String,
    },
}

/// A constant; its dtype is the enclosing `Expr::ty`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Const {
    Bool(bool),
    /// Any integer dtype; the value already wrapped into the dtype's range.
    Int(i128),
    /// float32/float64 (rounded to float32 by codegen when the type is float32).
    Float(f64),
    /// complex64/complex128 as (real, imag).
    Complex(f64, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Scalar,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Const(Const),
    Local(Local),
    /// Conversion to `Expr::ty` with NumPy's `astype` semantics (wrapping for ints, `!= 0` for
    /// bool (complex too), real part dropped when going complex -> real number is NOT allowed:
    /// the front end rejects it).
    Cast(Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    /// Both operands have the same type; the result type is `Expr::ty` (equal to it, except
    /// `TrueDiv` on integers never occurs: the front end casts them to float first).
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// Both operands have the same type; the result is `Bool`.
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// Python's `a and b` / `a or b`: both operands already have the result type; `b` is
    /// evaluated only when needed; truthiness is "non-zero" (NaN is truthy).
    Logical(LogicalOp, Box<Expr>, Box<Expr>),
    /// `then if cond else otherwise`, only the chosen arm is evaluated.
    Select {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// A math/library function; argument types are what the function is computed in.
    Call(MathFn, Vec<Expr>),
    /// `let local = value in body` (used for chained comparisons and other single evaluation).
    Let {
        local: Local,
        value: Box<Expr>,
        body: Box<Expr>,
    },
    /// `complex(re, im)`: both operands have the part type of `Expr::ty`.
    MakeComplex(Box<Expr>, Box<Expr>),
    /// `array[index...]`: one int64 index per dimension, negative ones counting from the end;
    /// an index still out of range raises `IndexError` when `Function::boundscheck` is set.
    /// `Expr::ty` is the array's dtype.
    Load {
        array: ArrayId,
        index: Vec<Expr>,
    },
    /// `array.shape[axis]`, an int64.
    Shape(ArrayId, u32),
    /// `table[index...]` of a frozen array: one int64 index per dimension, negative ones
    /// counting from the end; always bounds-checked (`IndexError`). `Expr::ty` is its dtype.
    TableLoad {
        table: TableId,
        index: Vec<Expr>,
    },
    /// A call of a kernel-language function: the arguments have its parameter types,
    /// `Expr::ty` is its return type. A run-time error inside it stops the caller too.
    CallFunction(CalleeId, Vec<Expr>),
    /// `value`, after raising `exception` with `message` when the bool `ok` is false.
    Guarded {
        ok: Box<Expr>,
        exception: Exception,
        message: String,
        value: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// Arithmetic negation (wrapping for ints).
    Neg,
    /// Bitwise not `~` on ints; logical not on bool.
    Invert,
    /// `not x` on a bool operand (the front end turns other operands into `x != 0` first).
    Not,
    /// `z.real` of a complex (result is its part type).
    Real,
    /// `z.imag` of a complex (result is its part type; 0 for real inputs is done by the front end).
    Imag,
    /// `z.conjugate()`.
    Conj,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// True division; operands are float or complex.
    Div,
    /// Python's floor division (`//`): floors; integer division by zero gives 0 and raises
    /// the divide-by-zero FP flag; `MIN // -1` gives MIN and raises overflow (NumPy).
    FloorDiv,
    /// Python's modulo (`%`): sign of the divisor; integer modulo by zero gives 0 and raises
    /// divide-by-zero; floats follow NumPy's `npy_divmod`.
    Mod,
    /// `**`: integers by repeated squaring (wrapping), floats/complex by `pow`.
    Pow,
    BitAnd,
    BitOr,
    BitXor,
    /// `<<` with NumPy's results for counts < 0 or >= width (0).
    Shl,
    /// `>>` with NumPy's results for counts < 0 or >= width (0, or -1 for negative signed).
    Shr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicalOp {
    And,
    Or,
}

/// Library functions; each is computed in the type of its (already cast) arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MathFn {
    // one float (or complex, where marked) argument, same type out
    Exp, // complex too
    Exp2,
    Expm1,
    Log, // complex too
    Log2,
    Log10,
    Log1p,
    Sqrt, // complex too
    Cbrt,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Erf,
    Erfc,
    Gamma,
    Lgamma,
    /// Float -> same float type (`np.floor`); `math.floor` is this plus a cast to int64.
    Floor,
    Ceil,
    Trunc,
    /// Round half to even, to the same float type (`np.rint`, `round(x)` before its int cast).
    Rint,
    /// `abs`: ints (wrapping: abs(MIN) == MIN), floats; for complex the result type is the
    /// part type (`Expr::ty`), computed like `hypot`.
    Abs,
    /// `np.sign` for ints and floats (NaN for NaN).
    Sign,
    // two arguments of one type
    Atan2,
    Hypot,
    Pow,
    Copysign,
    /// `math.fmod` (C's fmod, sign of the dividend).
    Fmod,
    /// `np.minimum`/`np.maximum`: NaN-propagating, no FP flag.
    Minimum,
    Maximum,
    /// C's `nextafter(x, y)` (`np.nextafter`).
    Nextafter,
    /// `np.fmin`/`np.fmax`: NaN-ignoring.
    Fmin,
    Fmax,
    /// Python's `min(a, b)` / `max(a, b)`: `b if b < a else a` (first wins ties and NaN order).
    PyMin,
    PyMax,
    // predicates: one float argument, result `Bool`
    IsNan,
    IsInf,
    IsFinite,
}

impl fmt::Display for Local {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "$table{}", self.0)
    }
}

impl fmt::Display for CalleeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "$fn{}", self.0)
    }
}

impl fmt::Display for ArrayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.0)
    }
}

/// Expressions separated by commas.
fn list(items: &[Expr]) -> String {
    items
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Const(c) => match c {
                Const::Bool(b) => write!(f, "{b}:{}", self.ty),
                Const::Int(i) => write!(f, "{i}:{}", self.ty),
                Const::Float(x) => write!(f, "{x:?}:{}", self.ty),
                Const::Complex(r, i) => write!(f, "({r:?}+{i:?}j):{}", self.ty),
            },
            ExprKind::Local(l) => write!(f, "{l}"),
            ExprKind::Cast(e) => write!(f, "{}({e})", self.ty),
            ExprKind::Unary(op, e) => write!(f, "{op:?}({e})"),
            ExprKind::Binary(op, a, b) => write!(f, "{op:?}({a}, {b}):{}", self.ty),
            ExprKind::Compare(op, a, b) => write!(f, "{op:?}({a}, {b})"),
            ExprKind::Logical(op, a, b) => write!(f, "{op:?}({a}, {b})"),
            ExprKind::Select {
                cond,
                then,
                otherwise,
            } => write!(f, "({then} if {cond} else {otherwise})"),
            ExprKind::Call(func, args) => {
                write!(f, "{func:?}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, "):{}", self.ty)
            }
            ExprKind::Let { local, value, body } => write!(f, "let {local} = {value} in {body}"),
            ExprKind::MakeComplex(r, i) => write!(f, "complex({r}, {i})"),
            ExprKind::Load { array, index } => {
                write!(f, "{array}[{}]:{}", list(index), self.ty)
            }
            ExprKind::Shape(a, axis) => write!(f, "{a}.shape[{axis}]"),
            ExprKind::TableLoad { table, index } => {
                write!(f, "{table}[{}]:{}", list(index), self.ty)
            }
            ExprKind::CallFunction(c, args) => write!(f, "call {c}({}):{}", list(args), self.ty),
            ExprKind::Guarded {
                ok,
                exception,
                value,
                ..
            } => write!(f, "({value} unless not {ok}: {exception:?})"),
        }
    }
}

fn write_block(f: &mut fmt::Formatter<'_>, block: &Block, indent: usize) -> fmt::Result {
    let pad = "  ".repeat(indent);
    for s in block {
        match &s.kind {
            StmtKind::Assign { dst, value } => writeln!(f, "{pad}{dst} = {value}")?,
            StmtKind::If {
                cond,
                then_body,
                else_body,
            } => {
                writeln!(f, "{pad}if {cond}:")?;
                write_block(f, then_body, indent + 1)?;
                if !else_body.is_empty() {
                    writeln!(f, "{pad}else:")?;
                    write_block(f, else_body, indent + 1)?;
                }
            }
            StmtKind::While { cond, body, orelse } => {
                writeln!(f, "{pad}while {cond}:")?;
                write_block(f, body, indent + 1)?;
                if !orelse.is_empty() {
                    writeln!(f, "{pad}else:")?;
                    write_block(f, orelse, indent + 1)?;
                }
            }
            StmtKind::ForRange {
                var,
                start,
                stop,
                step,
                body,
                orelse,
            } => {
                writeln!(f, "{pad}for {var} in range({start}, {stop}, {step}):")?;
                write_block(f, body, indent + 1)?;
                if !orelse.is_empty() {
                    writeln!(f, "{pad}else:")?;
                    write_block(f, orelse, indent + 1)?;
                }
            }
            StmtKind::Break => writeln!(f, "{pad}break")?,
            StmtKind::Continue => writeln!(f, "{pad}continue")?,
            StmtKind::Return(e) => writeln!(f, "{pad}return {e}")?,
            StmtKind::ReturnVoid => writeln!(f, "{pad}return")?,
            StmtKind::ReturnTuple(parts) => writeln!(f, "{pad}return ({})", list(parts))?,
            StmtKind::CallUnpack { callee, args, dsts } => {
                let dsts: Vec<String> = dsts.iter().map(Local::to_string).collect();
                writeln!(
                    f,
                    "{pad}{} = call {callee}({})",
                    dsts.join(", "),
                    list(args)
                )?
            }
            StmtKind::Store {
                array,
                index,
                value,
            } => writeln!(f, "{pad}{array}[{}] = {value}", list(index))?,
            StmtKind::Raise { exception, message } => {
                writeln!(f, "{pad}raise {exception:?}({message:?})")?
            }
        }
    }
    Ok(())
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fn {}(", self.name)?;
        for i in 0..self.params as usize {
            if i > 0 {
                write!(f, ", ")?;
            }
            let d = &self.locals[i];
            match self.array_of(Local(i as u32)) {
                Some(id) => {
                    let a = &self.arrays[id.0 as usize];
                    let dims = vec![":"; a.ndim as usize].join(", ");
                    let access = if a.writable { "" } else { " readonly" };
                    write!(f, "{id} {}: {}[{dims}]{access}", d.name, d.ty)?;
                }
                None => write!(f, "%{i} {}: {}", d.name, d.ty)?,
            }
        }
        if self.is_gufunc() {
            let checks = if self.boundscheck {
                ""
            } else {
                " boundscheck=False"
            };
            writeln!(f, "){checks}:")?;
        } else if !self.ret_parts.is_empty() {
            let parts: Vec<String> = self.ret_parts.iter().map(Scalar::to_string).collect();
            writeln!(f, ") -> ({}):", parts.join(", "))?;
        } else {
            writeln!(f, ") -> {}:", self.ret)?;
        }
        for (i, d) in self.locals.iter().enumerate().skip(self.params as usize) {
            writeln!(f, "  local %{i} {}: {}", d.name, d.ty)?;
        }
        for (i, t) in self.tables.iter().enumerate() {
            let shape: Vec<String> = t.shape.iter().map(u64::to_string).collect();
            writeln!(
                f,
                "  table {} {}: {}[{}]",
                TableId(i as u32),
                t.name,
                t.dtype,
                shape.join(", ")
            )?;
        }
        write_block(f, &self.body, 1)?;
        for (i, c) in self.callees.iter().enumerate() {
            write!(f, "{}: {c}", CalleeId(i as u32))?;
        }
        Ok(())
    }
}
