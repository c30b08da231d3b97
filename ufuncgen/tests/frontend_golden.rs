//! Golden tests for the front end: every `tests/golden/*.py` is a kernel whose header comments
//! give its signatures (`# sig: f8(f8)`) and frozen globals (`# global: K = float 2.5`); the
//! printed typed IR (or diagnostic) per signature must equal `*.expected`.
//! `BLESS=1 cargo test --test frontend_golden` rewrites the expectations (then read them!).
//!
//! Array kernels add `# layout: (n),(n)->()` (signatures are then guvectorize ones), and
//! optionally `# writable: 0 2` and `# boundscheck: False`.
//!
//! Every kernel gets the modules `math`, `np`, `numpy` and `cmath` as globals. Global kinds:
//! `int`/`float`/`complex`/`bool` (Python scalars), a dtype name (NumPy scalar), `callable
//! QUALNAME`, `module math|numpy|cmath`, `other TYPENAME`. Each lowered function is also
//! checked against the IR contract of `ir.rs` (operand types, casts, local types).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use ufuncgen::ir::{self, Const, ExprKind, MathFn, StmtKind};
use ufuncgen::types::{Kind, Scalar};
use ufuncgen::{GlobalValue, KernelSpec, ModuleKind, Options, Signature, SourceMap};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Placeholder for a `function` global until the file's other globals are known.
const FUNCTION: &str = "\u{0}function";

/// The `def name` of a golden file as a callee spec: its lines up to the next top-level
/// statement, reading `globals` (with callees nested up to `depth`).
fn function_spec(
    name: &str,
    file: &str,
    filename: &str,
    globals: &[(String, GlobalValue)],
    depth: u32,
) -> Result<GlobalValue, String> {
    let lines: Vec<&str> = file.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with(&format!("def {name}(")))
        .ok_or(format!("no 'def {name}(' in the file"))?;
    let end = (start + 1..lines.len())
        .find(|&i| !lines[i].is_empty() && !lines[i].starts_with([' ', '#']))
        .unwrap_or(lines.len());
    Ok(GlobalValue::Function(Box::new(ufuncgen::FunctionSpec {
        name: name.into(),
        source: SourceMap {
            source: lines[start..end].join("\n") + "\n",
            filename: filename.into(),
            first_line: start as u32 + 1,
            col_offset: 0,
        },
        globals: link_functions(globals, file, filename, depth)?,
    })))
}

/// `globals` with each `function` placeholder replaced by its spec; past `depth` nesting
/// levels (recursion), callees see no globals of their own.
fn link_functions(
    globals: &[(String, GlobalValue)],
    file: &str,
    filename: &str,
    depth: u32,
) -> Result<Vec<(String, GlobalValue)>, String> {
    let mut out = Vec::with_capacity(globals.len());
    for (name, g) in globals {
        let linked = match g {
            GlobalValue::Other(m) if m == FUNCTION => {
                let inner: &[(String, GlobalValue)] = if depth == 0 { &[] } else { globals };
                function_spec(name, file, filename, inner, depth.saturating_sub(1))?
            }
            other => other.clone(),
        };
        out.push((name.clone(), linked));
    }
    Ok(out)
}

fn parse_global(line: &str) -> Result<(String, GlobalValue), String> {
    let (name, rest) = line
        .split_once('=')
        .ok_or("global needs NAME = KIND VALUE")?;
    let mut words = rest.split_whitespace();
    let kind = words.next().ok_or("missing kind")?;
    let value = words.collect::<Vec<_>>().join(" ");
    let num = |v: &str| v.parse::<f64>().map_err(|e| format!("{v}: {e}"));
    let g = match kind {
        "module" => GlobalValue::Module(match value.as_str() {
            "math" => ModuleKind::Math,
            "numpy" => ModuleKind::Numpy,
            "cmath" => ModuleKind::Cmath,
            m => return Err(format!("unknown module {m}")),
        }),
        "callable" => GlobalValue::Callable(value),
        // `array DTYPE SHAPE... : V V V` (elements in C order)
        "array" => {
            let (head, values) = value.split_once(':').ok_or("array needs ': values'")?;
            let mut words = head.split_whitespace();
            let t = words
                .next()
                .and_then(Scalar::from_name)
                .ok_or("array needs a dtype")?;
            let shape = words
                .map(|w| w.parse::<u64>().map_err(|e| format!("{w}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            let mut data = Vec::new();
            for v in values.split_whitespace() {
                match t {
                    Scalar::F64 => data.extend(num(v)?.to_ne_bytes()),
                    Scalar::F32 => data.extend((num(v)? as f32).to_ne_bytes()),
                    Scalar::I64 => data.extend(
                        v.parse::<i64>()
                            .map_err(|e| format!("{v}: {e}"))?
                            .to_ne_bytes(),
                    ),
                    Scalar::I32 => data.extend(
                        v.parse::<i32>()
                            .map_err(|e| format!("{v}: {e}"))?
                            .to_ne_bytes(),
                    ),
                    other => return Err(format!("golden arrays of {other} are not supported")),
                }
            }
            GlobalValue::Array {
                dtype: t,
                shape,
                data,
            }
        }
        "other" => GlobalValue::Other(value),
        // `function`: the `def NAME` further down this file (filled in by `link_functions`).
        "function" => GlobalValue::Other(FUNCTION.into()),
        "int" => GlobalValue::Const {
            value: Const::Int(value.parse().map_err(|e| format!("{value}: {e}"))?),
            dtype: None,
        },
        "float" => GlobalValue::Const {
            value: Const::Float(num(&value)?),
            dtype: None,
        },
        "bool" => GlobalValue::Const {
            value: Const::Bool(value == "True"),
            dtype: None,
        },
        "complex" => {
            let (r, i) = value.split_once(' ').ok_or("complex needs RE IM")?;
            GlobalValue::Const {
                value: Const::Complex(num(r)?, num(i)?),
                dtype: None,
            }
        }
        dtype => {
            let t = Scalar::from_name(dtype).ok_or(format!("unknown kind {dtype}"))?;
            let value = match t.kind() {
                Kind::Bool => Const::Bool(value == "True"),
                Kind::Int => Const::Int(value.parse().map_err(|e| format!("{value}: {e}"))?),
                Kind::Float => Const::Float(num(&value)?),
                Kind::Complex => Const::Complex(num(&value)?, 0.0),
            };
            GlobalValue::Const {
                value,
                dtype: Some(t),
            }
        }
    };
    Ok((name.trim().to_string(), g))
}

/// Lowers one golden kernel for each of its signatures and prints the results.
fn run_case(path: &Path) -> Result<String, String> {
    let source = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut sigs = Vec::new();
    let mut layout: Option<String> = None;
    let mut writable: Vec<usize> = Vec::new();
    let mut boundscheck = true;
    let mut globals = vec![
        ("math".to_string(), GlobalValue::Module(ModuleKind::Math)),
        ("np".to_string(), GlobalValue::Module(ModuleKind::Numpy)),
        ("numpy".to_string(), GlobalValue::Module(ModuleKind::Numpy)),
        ("cmath".to_string(), GlobalValue::Module(ModuleKind::Cmath)),
    ];
    for line in source.lines() {
        if let Some(s) = line.strip_prefix("# sig:") {
            sigs.push(s.trim().to_string());
        } else if let Some(l) = line.strip_prefix("# layout:") {
            layout = Some(l.trim().to_string());
        } else if let Some(w) = line.strip_prefix("# writable:") {
            for word in w.split_whitespace() {
                writable.push(word.parse().map_err(|e| format!("writable {word}: {e}"))?);
            }
        } else if let Some(b) = line.strip_prefix("# boundscheck:") {
            boundscheck = b.trim() != "False";
        } else if let Some(g) = line.strip_prefix("# global:") {
            let (name, value) = parse_global(g)?;
            globals.retain(|(n, _)| *n != name);
            globals.push((name, value));
        }
    }
    if sigs.is_empty() {
        return Err("no '# sig:' line".into());
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("k");
    let globals = link_functions(&globals, &source, &format!("{stem}.py"), 3)?;
    let spec = KernelSpec {
        name: "kernel".into(),
        source: SourceMap {
            source,
            filename: format!("{stem}.py"),
            first_line: 1,
            col_offset: 0,
        },
        signatures: sigs.clone(),
        globals,
        options: Options::default(),
    };
    let mut out = String::new();
    for text in &sigs {
        let _ = writeln!(out, "== {text}");
        let parsed = match &layout {
            None => Signature::parse(text),
            Some(_) => Signature::parse_gufunc(text),
        };
        let sig = match parsed {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(out, "signature error: {e}");
                continue;
            }
        };
        let lowered = match &layout {
            None => ufuncgen::lower::lower_kernel(&spec, &sig),
            Some(l) => lower_array_kernel(&spec, &sig, l, &writable, boundscheck)?,
        };
        match lowered {
            Ok(f) => {
                verify(&f).map_err(|e| format!("IR contract violated for {text}: {e}\n{f}"))?;
                let _ = write!(out, "{f}");
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{:?}Error at {}:{}: {}\n{}",
                    e.kind, e.lineno, e.col, e.message, e.snippet
                );
            }
        }
    }
    Ok(out)
}

/// Lowers a gufunc kernel; an error in the layout or its match with the signature is printed
/// like a signature error.
fn lower_array_kernel(
    spec: &KernelSpec,
    sig: &Signature,
    layout: &str,
    writable: &[usize],
    boundscheck: bool,
) -> Result<Result<ir::Function, ufuncgen::CompileError>, String> {
    let layout = ufuncgen::spec::layout::Layout::parse(layout)?;
    let general = |m: String| {
        ufuncgen::CompileError::general(ufuncgen::ErrorKind::Signature, m, &spec.name, &spec.source)
    };
    let args = match ufuncgen::spec::gufunc::bind(sig, &layout) {
        Ok(a) => a,
        Err(m) => return Ok(Err(general(m))),
    };
    let kernel = match ufuncgen::parse::parse_kernel(&spec.name, &spec.source) {
        Ok(k) => k,
        Err(e) => return Ok(Err(e)),
    };
    Ok(ufuncgen::lower::lower_gufunc(
        spec,
        &kernel,
        sig,
        &args,
        writable,
        boundscheck,
    ))
}

#[test]
fn golden() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("tests/golden exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 25, "only {} golden cases", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let expected_path = path.with_extension("expected");
        let got = match run_case(path) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        if bless {
            std::fs::write(&expected_path, &got).expect("write expectation");
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if want != got {
            failures.push(format!(
                "{}:\n--- expected\n{want}--- got\n{got}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- the IR contract of ir.rs, checked on every lowered function ----

struct Checker<'a> {
    f: &'a ir::Function,
}

fn verify(f: &ir::Function) -> Result<(), String> {
    if f.locals.len() < f.params as usize {
        return Err("fewer locals than parameters".into());
    }
    let c = Checker { f };
    c.block(&f.body)
}

impl Checker<'_> {
    fn local(&self, l: ir::Local) -> Result<Scalar, String> {
        self.f
            .locals
            .get(l.0 as usize)
            .map(|d| d.ty)
            .ok_or(format!("unknown local {l}"))
    }

    fn block(&self, b: &ir::Block) -> Result<(), String> {
        for s in b {
            match &s.kind {
                StmtKind::Assign { dst, value } => {
                    self.expr(value)?;
                    same(self.local(*dst)?, value.ty, "assignment")?;
                }
                StmtKind::If {
                    cond,
                    then_body,
                    else_body,
                } => {
                    self.bool_expr(cond)?;
                    self.block(then_body)?;
                    self.block(else_body)?;
                }
                StmtKind::While { cond, body, orelse } => {
                    self.bool_expr(cond)?;
                    self.block(body)?;
                    self.block(orelse)?;
                }
                StmtKind::ForRange {
                    var,
                    start,
                    stop,
                    step,
                    body,
                    orelse,
                } => {
                    let t = self.local(*var)?;
                    if !t.is_int() {
                        return Err(format!("range variable of type {t}"));
                    }
                    for e in [start, stop, step] {
                        self.expr(e)?;
                        same(t, e.ty, "range bound")?;
                    }
                    self.block(body)?;
                    self.block(orelse)?;
                }
                StmtKind::Break | StmtKind::Continue | StmtKind::Raise { .. } => {}
                StmtKind::Return(e) => {
                    self.expr(e)?;
                    same(self.f.ret, e.ty, "return")?;
                }
                StmtKind::ReturnVoid => {
                    if !self.f.is_gufunc() {
                        return Err("bare return in a scalar kernel".into());
                    }
                }
                StmtKind::Store {
                    array,
                    index,
                    value,
                } => {
                    let (dtype, ndim, writable) = self.array_expr(array)?;
                    if !writable {
                        return Err(format!("store to read-only array {array}"));
                    }
                    self.index(ndim, index)?;
                    self.expr(value)?;
                    same(dtype, value.ty, "stored value")?;
                }
                StmtKind::BindArray { dst, value } => {
                    let d = self.array(*dst)?;
                    let (dtype, ndim, writable) = self.array_expr(value)?;
                    if (d.dtype, d.ndim) != (dtype, ndim) || (d.writable && !writable) {
                        return Err(format!("array {dst} bound to a {ndim}-d {dtype} value"));
                    }
                }
                StmtKind::Alloc { dst, shape, fill } => {
                    let d = self.array(*dst)?;
                    self.index(d.ndim, shape)?;
                    if let Some(f) = fill {
                        self.expr(f)?;
                        same(d.dtype, f.ty, "fill value")?;
                    }
                }
                StmtKind::StoreSlice { array, value } => {
                    let (dtype, ndim, writable) = self.array_expr(array)?;
                    if !writable {
                        return Err(format!("slice store to read-only array {array}"));
                    }
                    match value {
                        ir::SliceValue::Scalar(e) => {
                            self.expr(e)?;
                            same(dtype, e.ty, "stored value")?;
                        }
                        ir::SliceValue::Array(a) => {
                            let (_, m, _) = self.array_expr(a)?;
                            if m > ndim {
                                return Err(format!("{m}-d array stored into a {ndim}-d view"));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn bool_expr(&self, e: &ir::Expr) -> Result<(), String> {
        self.expr(e)?;
        same(Scalar::Bool, e.ty, "condition")
    }

    fn expr(&self, e: &ir::Expr) -> Result<(), String> {
        match &e.kind {
            ExprKind::Const(c) => match (c, e.ty.kind()) {
                (Const::Bool(_), Kind::Bool) | (Const::Float(_), Kind::Float) => Ok(()),
                (Const::Complex(..), Kind::Complex) => Ok(()),
                (Const::Int(v), Kind::Int) => {
                    let bits = e.ty.bits();
                    let (lo, hi) = if e.ty.is_signed() {
                        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
                    } else {
                        (0, (1i128 << bits) - 1)
                    };
                    if (lo..=hi).contains(v) {
                        Ok(())
                    } else {
                        Err(format!("constant {v} out of range for {}", e.ty))
                    }
                }
                _ => Err(format!("constant {c:?} typed {}", e.ty)),
            },
            ExprKind::Local(l) => same(self.local(*l)?, e.ty, "local read"),
            ExprKind::Cast(x) => {
                self.expr(x)?;
                if x.ty == e.ty {
                    return Err(format!("no-op cast to {}", e.ty));
                }
                if x.ty.is_complex() && !e.ty.is_complex() {
                    return Err(format!("cast from {} to {}", x.ty, e.ty));
                }
                Ok(())
            }
            ExprKind::Unary(op, x) => {
                self.expr(x)?;
                match op {
                    ir::UnaryOp::Real | ir::UnaryOp::Imag => {
                        if !x.ty.is_complex() {
                            return Err(format!("{op:?} of {}", x.ty));
                        }
                        same(x.ty.real_part(), e.ty, "part")
                    }
                    ir::UnaryOp::Not => {
                        same(Scalar::Bool, x.ty, "not")?;
                        same(Scalar::Bool, e.ty, "not")
                    }
                    _ => same(x.ty, e.ty, "unary"),
                }
            }
            ExprKind::Binary(op, a, b) => {
                self.expr(a)?;
                self.expr(b)?;
                same(a.ty, b.ty, "binary operands")?;
                same(a.ty, e.ty, "binary result")?;
                if *op == ir::BinaryOp::Div && e.ty.kind() <= Kind::Int {
                    return Err(format!("true division in {}", e.ty));
                }
                Ok(())
            }
            ExprKind::Compare(_, a, b) => {
                self.expr(a)?;
                self.expr(b)?;
                same(a.ty, b.ty, "compare operands")?;
                same(Scalar::Bool, e.ty, "compare result")
            }
            ExprKind::Logical(_, a, b) => {
                self.expr(a)?;
                self.expr(b)?;
                same(a.ty, e.ty, "logical operand")?;
                same(b.ty, e.ty, "logical operand")
            }
            ExprKind::Select {
                cond,
                then,
                otherwise,
            } => {
                self.bool_expr(cond)?;
                self.expr(then)?;
                self.expr(otherwise)?;
                same(then.ty, e.ty, "select arm")?;
                same(otherwise.ty, e.ty, "select arm")
            }
            ExprKind::Call(func, args) => {
                for a in args {
                    self.expr(a)?;
                    same(args[0].ty, a.ty, "call arguments")?;
                }
                let arg = args.first().map(|a| a.ty).ok_or("call without arguments")?;
                let want = match func {
                    MathFn::IsNan | MathFn::IsInf | MathFn::IsFinite => Scalar::Bool,
                    MathFn::Abs if arg.is_complex() => arg.real_part(),
                    _ => arg,
                };
                same(want, e.ty, "call result")
            }
            ExprKind::Let { local, value, body } => {
                self.expr(value)?;
                self.expr(body)?;
                same(self.local(*local)?, value.ty, "let binding")?;
                same(body.ty, e.ty, "let body")
            }
            ExprKind::MakeComplex(r, i) => {
                self.expr(r)?;
                self.expr(i)?;
                same(e.ty.real_part(), r.ty, "complex part")?;
                same(e.ty.real_part(), i.ty, "complex part")
            }
            ExprKind::Load { array, index } => {
                let (dtype, ndim, _) = self.array_expr(array)?;
                self.index(ndim, index)?;
                same(dtype, e.ty, "loaded value")
            }
            ExprKind::Array(a) => Err(format!("array {a} outside a call")),
            ExprKind::Reduce(_, a) => self.array_expr(a).map(drop),
            ExprKind::Shape(array, axis) => {
                if *axis >= self.array_expr(array)?.1 {
                    return Err(format!("shape axis {axis} of {array}"));
                }
                same(Scalar::I64, e.ty, "shape")
            }
            ExprKind::CallFunction(id, args) => {
                let callee = self
                    .f
                    .callees
                    .get(id.0 as usize)
                    .ok_or(format!("unknown callee {id}"))?;
                verify(callee)?;
                if args.len() != callee.params as usize {
                    return Err(format!("{} arguments for callee {id}", args.len()));
                }
                for (i, (a, d)) in args.iter().zip(&callee.locals).enumerate() {
                    let param = callee.array_of(ir::Local(i as u32));
                    match (&a.kind, param) {
                        (ExprKind::Array(arr), Some(p)) => {
                            let (dtype, ndim, writable) = self.array_expr(arr)?;
                            let p = &callee.arrays[p.0 as usize];
                            if (p.dtype, p.ndim) != (dtype, ndim) || (p.writable && !writable) {
                                return Err(format!("array argument {i} does not fit {id}"));
                            }
                        }
                        (ExprKind::Array(_), None) | (_, Some(_)) => {
                            return Err(format!("argument {i} of {id}: array/scalar mismatch"))
                        }
                        _ => self.expr(a)?,
                    }
                    same(d.ty, a.ty, "callee argument")?;
                }
                same(callee.ret, e.ty, "callee result")
            }
        }
    }

    fn array(&self, id: ir::ArrayId) -> Result<&ir::ArrayDecl, String> {
        self.f
            .arrays
            .get(id.0 as usize)
            .ok_or(format!("unknown array {id}"))
    }

    /// The dtype, dimensions and writability of an array value (views checked on the way).
    fn array_expr(&self, a: &ir::ArrayExpr) -> Result<(Scalar, u32, bool), String> {
        match a {
            ir::ArrayExpr::Var(id) => {
                let d = self.array(*id)?;
                Ok((d.dtype, d.ndim, d.writable))
            }
            ir::ArrayExpr::Table(t) => {
                let t = self
                    .f
                    .tables
                    .get(t.0 as usize)
                    .ok_or(format!("unknown table {t}"))?;
                Ok((t.dtype, t.shape.len() as u32, false))
            }
            ir::ArrayExpr::View { base, dims, .. } => {
                let (dtype, ndim, writable) = self.array_expr(base)?;
                if dims.len() > ndim as usize {
                    return Err(format!("{} view entries for {ndim} dimensions", dims.len()));
                }
                let mut dropped = 0;
                for d in dims {
                    match d {
                        ir::ViewDim::Index(ix) => {
                            dropped += 1;
                            self.expr(ix)?;
                            same(Scalar::I64, ix.ty, "index")?;
                        }
                        ir::ViewDim::Slice { start, stop, step } => {
                            for b in [start, stop, step].into_iter().flatten() {
                                self.expr(b)?;
                                same(Scalar::I64, b.ty, "slice bound")?;
                            }
                        }
                    }
                }
                if dropped == ndim {
                    return Err("a view that indexes every axis".into());
                }
                Ok((dtype, ndim - dropped, writable))
            }
        }
    }

    /// One int64 index per dimension.
    fn index(&self, ndim: u32, index: &[ir::Expr]) -> Result<(), String> {
        if index.len() != ndim as usize {
            return Err(format!("{} indices for {} dimensions", index.len(), ndim));
        }
        for ix in index {
            self.expr(ix)?;
            same(Scalar::I64, ix.ty, "index")?;
        }
        Ok(())
    }
}

fn same(want: Scalar, got: Scalar, what: &str) -> Result<(), String> {
    if want == got {
        Ok(())
    } else {
        Err(format!("{what}: expected {want}, found {got}"))
    }
}
