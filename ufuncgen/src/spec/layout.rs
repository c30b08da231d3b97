//! Generalized-ufunc layouts: `"(m,n),(n)->(m)"`, with NumPy's fixed (`3`) and optional
//! (`n?`) core dimensions.

use std::fmt;

/// One core dimension of one argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CoreDim {
    /// A named dimension; `optional` for NumPy's `n?`.
    Named { name: String, optional: bool },
    /// A frozen size such as `3`.
    Fixed(usize),
}

/// The core dimensions of one argument (`()` is empty: a scalar).
pub type CoreShape = Vec<CoreDim>;

/// A parsed layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Layout {
    pub inputs: Vec<CoreShape>,
    pub outputs: Vec<CoreShape>,
}

impl Layout {
    /// Parses a layout string; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Layout, String> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let (lhs, rhs) = compact
            .split_once("->")
            .ok_or_else(|| format!("layout {text:?} has no '->' between inputs and outputs"))?;
        if rhs.contains("->") {
            return Err(format!("layout {text:?} has more than one '->'"));
        }
        let inputs = parse_shapes(lhs, text, "inputs")?;
        let outputs = parse_shapes(rhs, text, "outputs")?;
        let layout = Layout { inputs, outputs };
        layout.check_dimension_names(text)?;
        Ok(layout)
    }

    /// Every named dimension must appear in an input or be output-only (given by `out=`);
    /// a name is optional everywhere or nowhere.
    fn check_dimension_names(&self, text: &str) -> Result<(), String> {
        let mut seen: Vec<(&str, bool)> = Vec::new();
        for dim in self.inputs.iter().chain(&self.outputs).flatten() {
            if let CoreDim::Named { name, optional } = dim {
                match seen.iter().find(|(n, _)| n == name) {
                    Some((_, o)) if o != optional => {
                        return Err(format!("layout {text:?}: dimension '{name}' is optional ('?') in one place but not another"))
                    }
                    Some(_) => {}
                    None => seen.push((name, *optional)),
                }
            }
        }
        Ok(())
    }

    /// Number of distinct named dimensions.
    pub fn named_dims(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for dim in self.inputs.iter().chain(&self.outputs).flatten() {
            if let CoreDim::Named { name, .. } = dim {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// True when every argument is a scalar core (`(),()->()`): NumPy then reports no signature.
    pub fn is_elementwise(&self) -> bool {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .all(|s| s.is_empty())
    }
}

fn parse_shapes(part: &str, text: &str, side: &str) -> Result<Vec<CoreShape>, String> {
    if part.is_empty() {
        return Err(format!("layout {text:?} has no {side}"));
    }
    let mut shapes = Vec::new();
    let mut rest = part;
    loop {
        let inner_end = rest
            .strip_prefix('(')
            .and_then(|r| r.find(')'))
            .ok_or_else(|| {
                format!("layout {text:?}: expected '(' ... ')' in the {side}, found {rest:?}")
            })?;
        let inner = &rest[1..=inner_end];
        shapes.push(parse_shape(inner, text)?);
        rest = &rest[inner_end + 2..];
        if rest.is_empty() {
            break;
        }
        rest = rest.strip_prefix(',').ok_or_else(|| {
            format!("layout {text:?}: expected ',' between {side}, found {rest:?}")
        })?;
    }
    Ok(shapes)
}

fn parse_shape(inner: &str, text: &str) -> Result<CoreShape, String> {
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|d| {
            if d.is_empty() {
                return Err(format!("layout {text:?}: empty dimension name"));
            }
            if let Ok(n) = d.parse::<usize>() {
                return Ok(CoreDim::Fixed(n));
            }
            let (name, optional) = match d.strip_suffix('?') {
                Some(n) => (n, true),
                None => (d, false),
            };
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!(
                    "layout {text:?}: {d:?} is not a dimension name or size"
                ));
            }
            Ok(CoreDim::Named {
                name: name.to_string(),
                optional,
            })
        })
        .collect()
}

impl fmt::Display for CoreDim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreDim::Named { name, optional } => {
                write!(f, "{name}{}", if *optional { "?" } else { "" })
            }
            CoreDim::Fixed(n) => write!(f, "{n}"),
        }
    }
}

/// The compact form NumPy keeps (`(m,n),(n)->(m)`).
impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |shapes: &[CoreShape]| -> String {
            shapes
                .iter()
                .map(|s| {
                    format!(
                        "({})",
                        s.iter()
                            .map(|d| d.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        write!(f, "{}->{}", side(&self.inputs), side(&self.outputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_layouts() {
        let l = Layout::parse("(m, n),(n)->(m)").expect("valid");
        assert_eq!(l.inputs.len(), 2);
        assert_eq!(
            l.outputs[0],
            vec![CoreDim::Named {
                name: "m".into(),
                optional: false
            }]
        );
        assert_eq!(l.to_string(), "(m,n),(n)->(m)");
        assert_eq!(l.named_dims(), vec!["m", "n"]);
        let l = Layout::parse("(n),()->(n)").expect("valid");
        assert!(l.inputs[1].is_empty());
        let l = Layout::parse("(3),(n?)->(),(n?)").expect("valid");
        assert_eq!(l.inputs[0], vec![CoreDim::Fixed(3)]);
        assert_eq!(l.outputs.len(), 2);
        assert!(Layout::parse("(),()->()").expect("valid").is_elementwise());
    }

    #[test]
    fn rejects_malformed_layouts_with_reasons() {
        for bad in [
            "",
            "(n)",
            "(n)->",
            "->(n)",
            "(n)->(n)->(n)",
            "(n,)->()",
            "(n)(n)->()",
            "n->()",
            "(1n)->()",
            "(n)->(n?)",
            "((n))->()",
            "(n),->()",
        ] {
            let err = Layout::parse(bad).expect_err(bad);
            assert!(err.contains("layout"), "{bad}: {err}");
        }
    }
}
