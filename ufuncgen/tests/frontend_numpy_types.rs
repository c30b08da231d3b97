//! Operator result types against NumPy itself: `tests/golden/numpy/result_types.tsv` was written
//! by `generate.py` next to it (NumPy 2, NEP 50) and lists the dtype of `a OP b` and `a OP 2.0`
//! for every operand dtype. The front end must agree, except for the deliberate differences
//! listed in `deliberate`, each of which has its reason.

use ufuncgen::types::Scalar;
use ufuncgen::{ErrorKind, KernelSpec, Options, Signature, SourceMap};

/// Where ufuncgen's kernel language departs from NumPy on purpose.
fn deliberate(expr: &str, a: Scalar, b: Option<Scalar>, numpy: &str) -> Option<&'static str> {
    let op = expr.split_whitespace().nth(1).unwrap_or("");
    let both_bool = a == Scalar::Bool && b.is_none_or(|b| b == Scalar::Bool);
    let arithmetic = ["+", "-", "*", "/", "//", "%", "**", "<<", ">>"].contains(&op);
    if both_bool && arithmetic && b.is_some() {
        return Some("bools in arithmetic are Python ints (Numba too)");
    }
    if op == "**" && both_bool {
        return Some("True ** 2 is the Python int 1 (NumPy has no bool power loop: int8)");
    }
    if expr == "-a" && a == Scalar::Bool {
        return Some("-True is the Python int -1");
    }
    let complex = a.is_complex() || b.is_some_and(Scalar::is_complex) || expr.ends_with('j');
    if op == "<" && complex && numpy != "error" {
        return Some("complex numbers are not ordered in Python");
    }
    None
}

fn lower(expr: &str, a: Scalar, b: Option<Scalar>) -> Result<Scalar, ErrorKind> {
    let (params, sig) = match b {
        Some(b) => ("a, b", format!("({a}, {b})")),
        None => ("a", format!("({a})")),
    };
    let source = format!("lambda {params}: {expr}");
    let spec = KernelSpec {
        name: "<lambda>".into(),
        source: SourceMap {
            source,
            filename: "<test>".into(),
            first_line: 1,
            col_offset: 0,
        },
        signatures: vec![sig.clone()],
        globals: Vec::new(),
        options: Options::default(),
    };
    let sig = Signature::parse(&sig).map_err(|_| ErrorKind::Signature)?;
    ufuncgen::lower::lower_kernel(&spec, &sig)
        .map(|f| f.ret)
        .map_err(|e| e.kind)
}

#[test]
fn operator_result_types_match_numpy() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/numpy/result_types.tsv"
    );
    let table = std::fs::read_to_string(path).expect("result_types.tsv exists");
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [expr, a, b, numpy] = cols[..] else {
            panic!("bad row {line:?}");
        };
        let a = Scalar::from_name(a).expect("dtype");
        let b = (b != "-").then(|| Scalar::from_name(b).expect("dtype"));
        if deliberate(expr, a, b, numpy).is_some() {
            continue;
        }
        let ours = match lower(expr, a, b) {
            Ok(t) => t.name().to_string(),
            Err(ErrorKind::Typing) => "error".to_string(),
            Err(k) => format!("{k:?}"),
        };
        checked += 1;
        if ours != numpy {
            mismatches.push(format!(
                "{expr} with {a}, {b:?}: numpy {numpy}, ours {ours}"
            ));
        }
    }
    assert!(checked > 2000, "only {checked} rows checked");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
