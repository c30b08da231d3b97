//! Golden tests for the front end: every `tests/golden/{ok,err}/*.py` is a kernel whose header
//! comments give its signatures (`# sig: f8(f8)`) and frozen globals (`# global: K = float 2.5`);
//! the printed typed IR (or diagnostic) per signature must equal `*.expected`. Cases in `ok/`
//! must lower for every signature, cases in `err/` must give at least one `CompileError`; each
//! file is its own test (listed by `build.rs`).
//! `BLESS=1 cargo test --test frontend_golden` rewrites the expectations (then read them!); a case
//! whose outcome contradicts its folder is never blessed.
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
use ufuncgen::ir::{self, Const};
use ufuncgen::types::{Kind, Scalar};
use ufuncgen::{GlobalValue, KernelSpec, ModuleKind, Options, Signature, SourceMap};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// What a golden case must do: lower cleanly (`ok/`) or fail with a diagnostic (`err/`).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Outcome {
    Ok,
    Err,
}

include!(concat!(env!("OUT_DIR"), "/golden_cases.rs"));

/// Runs one case and compares (or, with `BLESS`, rewrites) its expectation.
fn check_case(outcome: Outcome, stem: &str) {
    let folder = match outcome {
        Outcome::Ok => "ok",
        Outcome::Err => "err",
    };
    let path = golden_dir().join(folder).join(format!("{stem}.py"));
    let (got, errors) = run_case(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match outcome {
        Outcome::Ok => assert_eq!(errors, 0, "{}: ok case gave errors:\n{got}", path.display()),
        Outcome::Err => assert!(errors > 0, "{}: err case lowered:\n{got}", path.display()),
    }
    let expected_path = path.with_extension("expected");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&expected_path, &got).expect("write expectation");
        return;
    }
    let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
    assert!(
        want == got,
        "{}:\n--- expected\n{want}--- got\n{got}",
        path.display()
    );
}

#[test]
fn every_case_is_in_an_outcome_folder() {
    let stray: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("tests/golden exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py" || x == "expected"))
        .collect();
    assert!(stray.is_empty(), "move these into ok/ or err/: {stray:?}");
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
        signatures: Vec::new(),
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
/// The printed outcome of every signature of one case, and how many of them failed.
fn run_case(path: &Path) -> Result<(String, usize), String> {
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
    let mut errors = 0;
    for text in &sigs {
        let _ = writeln!(out, "== {text}");
        let parsed = match &layout {
            None => Signature::parse(text),
            Some(_) => Signature::parse_gufunc(text),
        };
        let sig = match parsed {
            Ok(s) => s,
            Err(e) => {
                errors += 1;
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
                ufuncgen::ir::verify::verify(&f)
                    .map_err(|e| format!("IR contract violated for {text}: {e}\n{f}"))?;
                let _ = write!(out, "{f}");
            }
            Err(e) => {
                errors += 1;
                let _ = writeln!(
                    out,
                    "{:?}Error at {}:{}: {}\n{}",
                    e.kind,
                    e.lineno,
                    e.col,
                    e.message,
                    e.snippet()
                );
            }
        }
    }
    Ok((out, errors))
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
