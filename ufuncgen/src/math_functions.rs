//! THE declaration of every library math function a kernel may call: its Python spellings,
//! arity, how it is computed for each float and complex dtype, whether svml-shim has vector
//! entries for it, and the accuracy bound the tests hold those entries to.
//!
//! Derived from this table: the front end's lookup of `math.*` / `numpy.*` / `cmath.*` names
//! (`lower::builtins`), codegen's choice of intrinsic, C library symbol or vector entry
//! (`codegen::math::lookup`), and what `_native.math_functions()` gives Python (the accuracy
//! tests iterate it). Checked against it by the tests below: svml-shim's entry list, and
//! docs/vector-math.md's function list, accuracy table and generated table of every function
//! (`BLESS=1 cargo test -p ufuncgen --lib math_functions` rewrites the generated one).
//!
//! Adding a math function: one row here, plus its implementation where no routine exists yet
//! (a new `MathFn` variant; svml-shim's `UFG_UNARY`/`UFG_BINARY` and its flag rules for a
//! vector one; the mpmath reference in tests/python/vecmath_cases.py and
//! ufuncgen/tests/vecmath_util for an accuracy-tested one).
//!
//! Not here: functions that are a few inline instructions or a kernel-language source (sign,
//! fmod, minimum/maximum, isnan..., logaddexp...), which `lower::builtins` declares with their
//! own semantics.

use crate::ir::MathFn;

/// How a function is computed for real floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Real {
    /// An overloaded LLVM intrinsic (`llvm.exp`), instantiated at the dtype.
    Intrinsic(&'static str),
    /// C library functions for float64 and float32 (`expm1`, `expm1f`).
    Libm {
        /// The `double` function.
        f64: &'static str,
        /// The `float` function.
        f32: &'static str,
    },
}

/// Whether (and how) a function takes complex arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Complex {
    /// Real arguments only.
    No,
    /// C99 complex functions (`double complex` / `float complex` C ABI).
    Libm {
        /// The complex128 function (`cexp`).
        c128: &'static str,
        /// The complex64 function (`cexpf`).
        c64: &'static str,
    },
    /// NumPy's complex loop, written in the kernel language (`lower::builtins::complex_variant`).
    NumpyLoop,
}

/// What a spelling means beyond "call the function" (Python's and NumPy's conventions differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// Every spelling computes the function in a float (or complex) type.
    Plain,
    /// `math.floor` returns Python's int (int64); `np.floor` keeps the type, ints unchanged.
    RoundToInt,
    /// `math.pow` is the float function; `np.power`/`np.pow` are the `**` operator (ints and
    /// complex kept).
    PowerOperator,
}

/// Names a function goes by in each module a kernel can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spellings {
    /// `math.<name>`.
    pub math: &'static [&'static str],
    /// `numpy.<name>` (first: NumPy's ufunc name, then its aliases).
    pub numpy: &'static [&'static str],
    /// `cmath.<name>`.
    pub cmath: &'static [&'static str],
}

/// One math function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MathFunction {
    /// The name in docs, tests and svml-shim's entries (`exp`: `ufg_exp_f64`, `ufg_exp_f32x16`).
    pub name: &'static str,
    /// The IR operation.
    pub func: MathFn,
    /// Number of arguments.
    pub arity: usize,
    /// The Python spellings.
    pub spellings: Spellings,
    /// What the spellings mean.
    pub call: CallKind,
    /// How float32/float64 are computed without vector entries (and where a call is not
    /// vectorized on a CPU without AVX2).
    pub real: Real,
    /// Complex arguments.
    pub complex: Complex,
    /// svml-shim has entries for it (`ufg_<name>_f64`, `_f32`, `_f64x8`, ...), bound at run time
    /// to SVML, libmvec or per-lane libm; float loops call those instead of `real`.
    pub vector: bool,
    /// Largest error (ULPs, float64 and float32) the vector entries may show at any tier
    /// against the exact result rounded once; the accuracy tests enforce it. `None`: not
    /// measured (LLVM intrinsics and C library functions outside svml-shim).
    pub max_ulp: Option<(u32, u32)>,
    /// An argument (every argument, for a binary function) at which it raises no FP flag but
    /// inexact: what padded and masked-off vector lanes compute (`codegen::vector_abi`).
    pub quiet_arg: f64,
}

impl MathFunction {
    /// The spellings in one module.
    pub fn names_in(&self, module: crate::spec::ModuleKind) -> &'static [&'static str] {
        use crate::spec::ModuleKind::*;
        match module {
            Math => self.spellings.math,
            Numpy => self.spellings.numpy,
            Cmath => self.spellings.cmath,
            Numba => &[],
        }
    }

    const fn spelled(
        self,
        math: &'static [&'static str],
        numpy: &'static [&'static str],
        cmath: &'static [&'static str],
    ) -> Self {
        MathFunction {
            spellings: Spellings { math, numpy, cmath },
            ..self
        }
    }

    const fn complex(self, c128: &'static str, c64: &'static str) -> Self {
        MathFunction {
            complex: Complex::Libm { c128, c64 },
            ..self
        }
    }

    const fn numpy_complex(self) -> Self {
        MathFunction {
            complex: Complex::NumpyLoop,
            ..self
        }
    }

    const fn calls(self, call: CallKind) -> Self {
        MathFunction { call, ..self }
    }

    const fn quiet_at(self, quiet_arg: f64) -> Self {
        MathFunction { quiet_arg, ..self }
    }

    /// svml-shim vectorizes it, within `f64`/`f32` ULPs (a bound above 4 must say why).
    const fn vector(self, f64: u32, f32: u32) -> Self {
        MathFunction {
            vector: true,
            max_ulp: Some((f64, f32)),
            ..self
        }
    }
}

/// A row with no spellings, real arguments only, no vector entries, quiet at 0.5.
const fn row(name: &'static str, func: MathFn, arity: usize, real: Real) -> MathFunction {
    MathFunction {
        name,
        func,
        arity,
        spellings: Spellings {
            math: &[],
            numpy: &[],
            cmath: &[],
        },
        call: CallKind::Plain,
        real,
        complex: Complex::No,
        vector: false,
        max_ulp: None,
        quiet_arg: 0.5,
    }
}

const fn libm(f64: &'static str, f32: &'static str) -> Real {
    Real::Libm { f64, f32 }
}

use MathFn as F;
use Real::Intrinsic as I;

/// The table, in the order docs/vector-math.md lists the vector functions.
pub const MATH_FUNCTIONS: &[MathFunction] = &[
    row("exp", F::Exp, 1, I("llvm.exp"))
        .spelled(&["exp"], &["exp"], &["exp"])
        .complex("cexp", "cexpf")
        .vector(4, 4),
    row("exp2", F::Exp2, 1, I("llvm.exp2"))
        .spelled(&["exp2"], &["exp2"], &[])
        .numpy_complex()
        .vector(4, 4),
    row("expm1", F::Expm1, 1, libm("expm1", "expm1f"))
        .spelled(&["expm1"], &["expm1"], &[])
        .numpy_complex()
        .vector(4, 4),
    row("log", F::Log, 1, I("llvm.log"))
        .spelled(&["log"], &["log"], &["log"])
        .complex("clog", "clogf")
        .vector(4, 4),
    row("log2", F::Log2, 1, I("llvm.log2"))
        .spelled(&["log2"], &["log2"], &[])
        .numpy_complex()
        .vector(4, 4),
    row("log10", F::Log10, 1, I("llvm.log10"))
        .spelled(&["log10"], &["log10"], &["log10"])
        .complex("clog10", "clog10f")
        .vector(4, 4),
    row("log1p", F::Log1p, 1, libm("log1p", "log1pf"))
        .spelled(&["log1p"], &["log1p"], &[])
        .numpy_complex()
        .vector(4, 4),
    row("cbrt", F::Cbrt, 1, libm("cbrt", "cbrtf"))
        .spelled(&["cbrt"], &["cbrt"], &[])
        .vector(4, 4),
    row("sin", F::Sin, 1, I("llvm.sin"))
        .spelled(&["sin"], &["sin"], &["sin"])
        .complex("csin", "csinf")
        .vector(4, 4),
    row("cos", F::Cos, 1, I("llvm.cos"))
        .spelled(&["cos"], &["cos"], &["cos"])
        .complex("ccos", "ccosf")
        .vector(4, 4),
    row("tan", F::Tan, 1, I("llvm.tan"))
        .spelled(&["tan"], &["tan"], &["tan"])
        .complex("ctan", "ctanf")
        .vector(4, 4),
    row("asin", F::Asin, 1, I("llvm.asin"))
        .spelled(&["asin"], &["arcsin", "asin"], &["asin"])
        .complex("casin", "casinf")
        .vector(4, 4),
    row("acos", F::Acos, 1, I("llvm.acos"))
        .spelled(&["acos"], &["arccos", "acos"], &["acos"])
        .complex("cacos", "cacosf")
        .vector(4, 4),
    row("atan", F::Atan, 1, I("llvm.atan"))
        .spelled(&["atan"], &["arctan", "atan"], &["atan"])
        .complex("catan", "catanf")
        .vector(4, 4),
    row("sinh", F::Sinh, 1, I("llvm.sinh"))
        .spelled(&["sinh"], &["sinh"], &["sinh"])
        .complex("csinh", "csinhf")
        .vector(4, 4),
    row("cosh", F::Cosh, 1, I("llvm.cosh"))
        .spelled(&["cosh"], &["cosh"], &["cosh"])
        .complex("ccosh", "ccoshf")
        .vector(4, 4),
    row("tanh", F::Tanh, 1, I("llvm.tanh"))
        .spelled(&["tanh"], &["tanh"], &["tanh"])
        .complex("ctanh", "ctanhf")
        .vector(4, 4),
    row("asinh", F::Asinh, 1, libm("asinh", "asinhf"))
        .spelled(&["asinh"], &["arcsinh", "asinh"], &["asinh"])
        .complex("casinh", "casinhf")
        .vector(4, 4),
    // Defined from 1 up.
    row("acosh", F::Acosh, 1, libm("acosh", "acoshf"))
        .spelled(&["acosh"], &["arccosh", "acosh"], &["acosh"])
        .complex("cacosh", "cacoshf")
        .vector(4, 4)
        .quiet_at(2.0),
    row("atanh", F::Atanh, 1, libm("atanh", "atanhf"))
        .spelled(&["atanh"], &["arctanh", "atanh"], &["atanh"])
        .complex("catanh", "catanhf")
        .vector(4, 4),
    row("erf", F::Erf, 1, libm("erf", "erff"))
        .spelled(&["erf"], &[], &[])
        .vector(4, 4),
    row("erfc", F::Erfc, 1, libm("erfc", "erfcf"))
        .spelled(&["erfc"], &[], &[])
        .vector(4, 4),
    row("pow", F::Pow, 2, I("llvm.pow"))
        .spelled(&["pow"], &["power", "pow"], &[])
        .calls(CallKind::PowerOperator)
        .complex(CPOW_C128, CPOW_C64)
        .vector(4, 4),
    row("atan2", F::Atan2, 2, I("llvm.atan2"))
        .spelled(&["atan2"], &["arctan2", "atan2"], &[])
        .vector(4, 4),
    row("hypot", F::Hypot, 2, libm("hypot", "hypotf"))
        .spelled(&["hypot"], &["hypot"], &[])
        .vector(4, 4),
    // One instruction (or exact): LLVM's own lowering, never a library call.
    row("sqrt", F::Sqrt, 1, I("llvm.sqrt"))
        .spelled(&["sqrt"], &["sqrt"], &["sqrt"])
        .complex("csqrt", "csqrtf"),
    row("floor", F::Floor, 1, I("llvm.floor"))
        .spelled(&["floor"], &["floor"], &[])
        .calls(CallKind::RoundToInt),
    row("ceil", F::Ceil, 1, I("llvm.ceil"))
        .spelled(&["ceil"], &["ceil"], &[])
        .calls(CallKind::RoundToInt),
    row("trunc", F::Trunc, 1, I("llvm.trunc"))
        .spelled(&["trunc"], &["trunc"], &[])
        .calls(CallKind::RoundToInt),
    row("rint", F::Rint, 1, I("llvm.rint"))
        .spelled(&[], &["rint"], &[])
        .numpy_complex(),
    // `np.abs`/`abs` are `lower::builtins`' (ints kept); complex abs is hypot of the parts.
    row("fabs", F::Abs, 1, I("llvm.fabs")).spelled(&["fabs"], &["fabs"], &[]),
    row("copysign", F::Copysign, 2, I("llvm.copysign")).spelled(&["copysign"], &["copysign"], &[]),
    // The C library only.
    row("gamma", F::Gamma, 1, libm("tgamma", "tgammaf")).spelled(&["gamma"], &[], &[]),
    row("lgamma", F::Lgamma, 1, libm("lgamma", "lgammaf")).spelled(&["lgamma"], &[], &[]),
    row(
        "nextafter",
        F::Nextafter,
        2,
        libm("nextafter", "nextafterf"),
    )
    .spelled(&[], &["nextafter"], &[]),
];

/// svml-shim's complex power for complex128 and complex64 (NumPy's `npy_cpow`; C99 ABI).
pub const CPOW_C128: &str = "ufg_cpow";
/// See [`CPOW_C128`].
pub const CPOW_C64: &str = "ufg_cpowf";

/// The row of an IR operation, if it is a table function.
pub fn by_func(func: MathFn) -> Option<&'static MathFunction> {
    MATH_FUNCTIONS.iter().find(|f| f.func == func)
}

/// The row named `name` (`exp`, `fabs`).
pub fn by_name(name: &str) -> Option<&'static MathFunction> {
    MATH_FUNCTIONS.iter().find(|f| f.name == name)
}

/// The function `module.name` spells (`numpy`, `arcsin`), if it is a table function.
pub fn by_spelling(module: crate::spec::ModuleKind, name: &str) -> Option<&'static MathFunction> {
    MATH_FUNCTIONS
        .iter()
        .find(|f| f.names_in(module).contains(&name))
}

/// The functions svml-shim vectorizes, in table order.
pub fn vector_functions() -> impl Iterator<Item = &'static MathFunction> {
    MATH_FUNCTIONS.iter().filter(|f| f.vector)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ModuleKind;
    use std::collections::BTreeSet;

    #[test]
    fn names_funcs_and_spellings_are_unique() {
        let mut names = BTreeSet::new();
        let mut funcs = Vec::new();
        let mut spellings = BTreeSet::new();
        for f in MATH_FUNCTIONS {
            assert!(names.insert(f.name), "{} twice", f.name);
            assert!(!funcs.contains(&f.func), "{:?} twice", f.func);
            funcs.push(f.func);
            for m in [ModuleKind::Math, ModuleKind::Numpy, ModuleKind::Cmath] {
                for s in f.names_in(m) {
                    assert!(spellings.insert((m as u8, *s)), "{m:?}.{s} twice");
                }
            }
        }
    }

    #[test]
    fn rows_are_consistent() {
        for f in MATH_FUNCTIONS {
            assert!(matches!(f.arity, 1 | 2), "{}", f.name);
            // cmath functions are complex by definition.
            assert!(
                f.spellings.cmath.is_empty() || matches!(f.complex, Complex::Libm { .. }),
                "{}: cmath spelling without a complex implementation",
                f.name
            );
            assert_eq!(
                f.vector,
                f.max_ulp.is_some(),
                "{}: ULP bound iff vector",
                f.name
            );
            if let Some((a, b)) = f.max_ulp {
                assert!(
                    a <= 4 && b <= 4,
                    "{}: a bound above 4 needs a reason",
                    f.name
                );
            }
            let spelled = f.spellings.math.len() + f.spellings.numpy.len();
            assert!(spelled > 0, "{}: no spelling reaches it", f.name);
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(
            by_spelling(ModuleKind::Numpy, "arcsin").unwrap().func,
            MathFn::Asin
        );
        assert_eq!(
            by_spelling(ModuleKind::Numpy, "asin").unwrap().func,
            MathFn::Asin
        );
        assert!(by_spelling(ModuleKind::Math, "arcsin").is_none());
        assert!(by_spelling(ModuleKind::Cmath, "cbrt").is_none());
        assert_eq!(by_func(MathFn::Gamma).unwrap().name, "gamma");
        assert!(by_func(MathFn::Sign).is_none());
    }

    /// svml-shim's entry points are exactly the table's vector functions: scalar entries
    /// `ufg_<name>_f64/_f32` and one vector entry per shape (`_f64x8`, ...).
    #[test]
    fn svml_shim_entries_match_the_table() {
        let scalars: BTreeSet<&str> = crate::vecmath::scalar_entry_names().into_iter().collect();
        let want: BTreeSet<String> = vector_functions()
            .flat_map(|f| [format!("ufg_{}_f64", f.name), format!("ufg_{}_f32", f.name)])
            .collect();
        let got: BTreeSet<String> = scalars.iter().map(|s| s.to_string()).collect();
        assert!(
            got == want,
            "svml-shim's UFG_UNARY/UFG_BINARY vs MATH_FUNCTIONS: only in the shim {:?}, only in \
             the table {:?}",
            got.difference(&want).collect::<Vec<_>>(),
            want.difference(&got).collect::<Vec<_>>()
        );
        let entries = crate::vecmath::entry_names();
        let mut shapes = BTreeSet::new();
        for e in &entries {
            let f = vector_functions()
                .find(|f| {
                    e.strip_prefix("ufg_")
                        .and_then(|r| r.strip_prefix(f.name))
                        .is_some_and(|r| r.starts_with("_f"))
                })
                .unwrap_or_else(|| panic!("{e}: not a vector function of the table"));
            shapes.insert(&e["ufg_".len() + f.name.len() + 1..]);
        }
        assert!(!shapes.is_empty());
        for f in vector_functions() {
            for s in &shapes {
                let name = format!("ufg_{}_{s}", f.name);
                assert!(entries.contains(&name.as_str()), "{name} missing");
            }
        }
    }

    /// docs/vector-math.md lists the vector functions (prose and accuracy table) in table
    /// order, and holds the table of every function as `markdown_table` renders it.
    #[test]
    fn docs_match_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vector-math.md");
        let doc = std::fs::read_to_string(&path).expect("docs/vector-math.md");
        let want: Vec<&str> = vector_functions().map(|f| f.name).collect();

        let covered = doc
            .split_once("Functions covered")
            .and_then(|(_, rest)| rest.split_once("):"))
            .and_then(|(_, rest)| rest.split_once('.'))
            .map(|(list, _)| list.split_whitespace().collect::<Vec<_>>())
            .expect("a 'Functions covered (...): f g h.' sentence");
        assert_eq!(covered, want, "docs/vector-math.md: 'Functions covered'");

        let accuracy: Vec<&str> = doc
            .split_once("| function | f64 SVML")
            .expect("the accuracy table")
            .1
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.split('|').nth(1).map(str::trim))
            .collect();
        assert_eq!(accuracy, want, "docs/vector-math.md: the accuracy table");

        let (begin, end) = (
            "<!-- generated from math_functions.rs: begin -->\n",
            "<!-- generated from math_functions.rs: end -->",
        );
        let start = doc.find(begin).expect("the generated table's begin marker") + begin.len();
        let stop = doc.find(end).expect("the generated table's end marker");
        let table = markdown_table();
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, format!("{}{table}{}", &doc[..start], &doc[stop..]))
                .expect("write docs/vector-math.md");
            return;
        }
        assert!(
            doc[start..stop] == table,
            "docs/vector-math.md's table of math functions is stale (BLESS=1 rewrites it):\n{table}"
        );
    }

    /// Every function: spellings, arity, complex support, vector entries, accuracy bound.
    fn markdown_table() -> String {
        let mut out = String::from(
            "| function | `math.` | `np.` | `cmath.` | args | complex | vector entries | max ULP f64 / f32 |\n\
             | --- | --- | --- | --- | --: | --- | --- | --: |\n",
        );
        let list = |names: &[&str]| {
            if names.is_empty() {
                "—".to_string()
            } else {
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        for f in MATH_FUNCTIONS {
            let math = match f.call {
                CallKind::RoundToInt => format!("{} (int result)", list(f.spellings.math)),
                _ => list(f.spellings.math),
            };
            let numpy = match f.call {
                CallKind::PowerOperator => {
                    format!("{} (the `**` operator)", list(f.spellings.numpy))
                }
                _ => list(f.spellings.numpy),
            };
            let complex = match f.complex {
                Complex::No => "—".to_string(),
                Complex::Libm { c128, c64 } => format!("`{c128}`, `{c64}`"),
                Complex::NumpyLoop => "NumPy's loop (`np.` only)".to_string(),
            };
            let vector = if f.vector {
                format!("`ufg_{}_f64x8`, ...", f.name)
            } else {
                "—".to_string()
            };
            let ulp = f
                .max_ulp
                .map_or("—".to_string(), |(a, b)| format!("{a} / {b}"));
            out += &format!(
                "| {} | {math} | {numpy} | {} | {} | {complex} | {vector} | {ulp} |\n",
                f.name,
                list(f.spellings.cmath),
                f.arity
            );
        }
        out
    }

    extern "C" {
        fn feclearexcept(excepts: i32) -> i32;
        fn fetestexcept(excepts: i32) -> i32;
    }
    /// x86-64 glibc: invalid, divide-by-zero, overflow, underflow (inexact left out).
    const FE_FLAGS: i32 = 0x01 | 0x04 | 0x08 | 0x10;

    /// Every vector function's quiet argument raises no flag but inexact, through the shim's
    /// scalar entry (libm).
    #[test]
    fn quiet_arguments_raise_no_flag() {
        for f in vector_functions() {
            for bits in [32, 64] {
                let name = format!("ufg_{}_f{bits}", f.name);
                let (addr, _) = crate::vecmath::resolve(&name).expect("a scalar entry");
                // SAFETY: the scalar entries are `T ufg_<f>_f<bits>(T[, T])`; the flags are
                // this thread's.
                let raised = unsafe {
                    feclearexcept(FE_FLAGS);
                    let x = f.quiet_arg;
                    match (bits, f.arity) {
                        (64, 1) => {
                            let g: extern "C" fn(f64) -> f64 = std::mem::transmute(addr);
                            std::hint::black_box(g(x));
                        }
                        (64, _) => {
                            let g: extern "C" fn(f64, f64) -> f64 = std::mem::transmute(addr);
                            std::hint::black_box(g(x, x));
                        }
                        (_, 1) => {
                            let g: extern "C" fn(f32) -> f32 = std::mem::transmute(addr);
                            std::hint::black_box(g(x as f32));
                        }
                        _ => {
                            let g: extern "C" fn(f32, f32) -> f32 = std::mem::transmute(addr);
                            std::hint::black_box(g(x as f32, x as f32));
                        }
                    }
                    fetestexcept(FE_FLAGS)
                };
                assert_eq!(
                    raised, 0,
                    "{name}({}) raised flags {raised:#x}",
                    f.quiet_arg
                );
            }
        }
    }
}
