//! Parsing of Numba-style signature strings (never `eval`).
//!
//! Grammar (whitespace allowed between tokens):
//! `signature := [type] '(' type (',' type)* [','] ')'` and `type := name ['[' dims ']']`.
//! Array types and `void` are recognised so that the errors can point users at `guvectorize`.

use crate::types::Scalar;

/// One argument type in a signature: a scalar, or (in `guvectorize`) an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgType {
    Scalar(Scalar),
    Array(ArrayType),
}

/// An array argument type such as `float64[:, :]` or `float64[::1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArrayType {
    pub dtype: Scalar,
    pub ndim: u32,
    /// The contiguity the signature promises (the caller checks it; codegen may rely on it).
    pub contiguity: Contiguity,
}

/// Memory order an array type promises: Numba's `[:]` (any), `[:, ::1]` (C), `[::1, :]` (F).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Contiguity {
    Any,
    C,
    F,
}

/// A parsed signature: `"float64(float64, float64)"`, `"f8(f8,f8)"`, `"(f4, f4)"`, or for
/// `guvectorize` `"void(f8[:], f8[:])"`, `"(f8[:], i8)"`, `"f8[:], f8[:]"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// `None` when the string gave no return type (it is then inferred from the kernel), and
    /// always for `guvectorize` signatures (which return `void`).
    pub ret: Option<Scalar>,
    pub args: Vec<ArgType>,
}

impl Signature {
    /// Parses one `vectorize` signature string; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Signature, String> {
        let (ret, args) = parse_parts(text, false)?;
        let ret = match ret {
            None => None,
            Some(TypeSpec::Void) => {
                return Err("a 'void' return is for guvectorize; a vectorize signature \
                            returns a scalar type (or leaves the return type out)"
                    .into())
            }
            Some(t) => Some(t.scalar("return type")?),
        };
        let args = args
            .into_iter()
            .map(|t| t.scalar("argument").map(ArgType::Scalar))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Signature { ret, args })
    }

    /// Parses one `guvectorize` signature: arrays and scalars, `void` or no return type, and
    /// the argument list with or without parentheses.
    pub fn parse_gufunc(text: &str) -> Result<Signature, String> {
        let (ret, args) = parse_parts(text, true)?;
        match ret {
            None | Some(TypeSpec::Void) => {}
            Some(_) => {
                return Err(
                    "a guvectorize signature returns 'void' (or leaves the return \
                            type out): outputs are written through array arguments"
                        .into(),
                )
            }
        }
        let args = args
            .into_iter()
            .map(|t| match t {
                TypeSpec::Scalar(s) => Ok(ArgType::Scalar(s)),
                TypeSpec::Array(a) => a.array.map(ArgType::Array),
                TypeSpec::Void => Err("'void' is not a valid argument type".to_string()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Signature { ret: None, args })
    }
}

/// The return type (if written) and argument types of a signature; `bare_list` also accepts
/// `"f8[:], f8[:]"` (an argument list without parentheses).
fn parse_parts(text: &str, bare_list: bool) -> Result<(Option<TypeSpec>, Vec<TypeSpec>), String> {
    let mut tokens = tokenize(text)?;
    if bare_list && !tokens.is_empty() && !tokens.contains(&Token::LParen) {
        tokens.insert(0, Token::LParen);
        tokens.push(Token::RParen);
    }
    let mut p = Parser { tokens, pos: 0 };
    let ret = match p.peek() {
        Some(Token::LParen) => None,
        Some(Token::Name(_)) => Some(p.type_spec()?),
        Some(t) => return Err(format!("expected a type name, found {}", t.describe())),
        None => return Err("the signature is empty".into()),
    };
    if !p.eat(&Token::LParen) {
        return Err(match p.peek() {
            None => "missing argument list: write the argument types in parentheses, \
                     like 'float64(float64, float64)'"
                .into(),
            Some(t) => format!("expected '(' after the return type, found {}", t.describe()),
        });
    }
    let mut args = Vec::new();
    loop {
        if p.eat(&Token::RParen) {
            break;
        }
        args.push(p.type_spec()?);
        match p.next() {
            Some(Token::Comma) => {}
            Some(Token::RParen) => break,
            Some(t) => return Err(format!("expected ',' or ')', found {}", t.describe())),
            None => return Err("missing ')' at the end of the argument list".into()),
        }
    }
    if let Some(t) = p.peek() {
        return Err(format!(
            "unexpected {} after the argument list",
            t.describe()
        ));
    }
    if args.is_empty() {
        return Err("a ufunc needs at least one argument".into());
    }
    Ok((ret, args))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Number(String),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Name(n) => format!("'{n}'"),
            Token::Number(n) => format!("'{n}'"),
            Token::LParen => "'('".into(),
            Token::RParen => "')'".into(),
            Token::LBracket => "'['".into(),
            Token::RBracket => "']'".into(),
            Token::Comma => "','".into(),
            Token::Colon => "':'".into(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        let single = match c {
            '(' => Some(Token::LParen),
            ')' => Some(Token::RParen),
            '[' => Some(Token::LBracket),
            ']' => Some(Token::RBracket),
            ',' => Some(Token::Comma),
            ':' => Some(Token::Colon),
            _ => None,
        };
        if let Some(t) = single {
            tokens.push(t);
            chars.next();
        } else if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let mut end = start;
            while let Some(&(i, d)) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '_' {
                    end = i + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let word = text[start..end].to_string();
            tokens.push(if c.is_ascii_digit() {
                Token::Number(word)
            } else {
                Token::Name(word)
            });
        } else {
            return Err(format!("unexpected character {c:?} in the signature"));
        }
    }
    Ok(tokens)
}

/// A type as written, before deciding whether this kind of signature allows it.
#[derive(Debug, Clone, PartialEq)]
enum TypeSpec {
    Scalar(Scalar),
    Void,
    /// An array type such as `float64[:]`: its text (for messages) and what it means, or why
    /// it is not a valid array type.
    Array(ArraySpec),
}

/// An array type as written.
#[derive(Debug, Clone, PartialEq)]
struct ArraySpec {
    text: String,
    array: Result<ArrayType, String>,
}

impl TypeSpec {
    fn scalar(self, role: &str) -> Result<Scalar, String> {
        match self {
            TypeSpec::Scalar(s) => Ok(s),
            TypeSpec::Void => Err(format!("'void' is not a valid {role} type")),
            TypeSpec::Array(a) => Err(format!(
                "array types like '{}' need guvectorize; vectorize kernels take scalars",
                a.text
            )),
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += usize::from(t.is_some());
        t
    }

    fn eat(&mut self, t: &Token) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `name` or `name[dims]`.
    fn type_spec(&mut self) -> Result<TypeSpec, String> {
        let name = match self.next() {
            Some(Token::Name(n)) => n,
            Some(t) => return Err(format!("expected a type name, found {}", t.describe())),
            None => return Err("expected a type name, found the end of the signature".into()),
        };
        if self.eat(&Token::LBracket) {
            let mut text = format!("{name}[");
            let mut dims: Vec<Vec<Token>> = vec![Vec::new()];
            loop {
                match self.next() {
                    Some(Token::RBracket) => break,
                    Some(Token::Comma) => {
                        text.push_str(", ");
                        dims.push(Vec::new());
                    }
                    Some(t @ (Token::Colon | Token::Number(_))) => {
                        text.push_str(&t.describe().replace('\'', ""));
                        if let Some(d) = dims.last_mut() {
                            d.push(t);
                        }
                    }
                    Some(t) => return Err(format!("unexpected {} in an array type", t.describe())),
                    None => return Err("missing ']' in an array type".into()),
                }
            }
            text.push(']');
            let array = array_type(&name, &dims, &text);
            return Ok(TypeSpec::Array(ArraySpec { text, array }));
        }
        if name == "void" || name == "none" {
            return Ok(TypeSpec::Void);
        }
        Scalar::from_name(&name)
            .map(TypeSpec::Scalar)
            .ok_or_else(|| format!("unknown type '{name}'"))
    }
}

/// The meaning of `name[dims]`, each dimension written `:` or `::1` (at most one `::1`, first
/// or last).
fn array_type(name: &str, dims: &[Vec<Token>], text: &str) -> Result<ArrayType, String> {
    let dtype = match Scalar::from_name(name) {
        Some(s) => s,
        None if name == "void" || name == "none" => {
            return Err(format!("'{text}': arrays of 'void' do not exist"))
        }
        None => return Err(format!("unknown type '{name}' in '{text}'")),
    };
    let colon = Token::Colon;
    let one = Token::Number("1".into());
    let mut unit = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        match d.as_slice() {
            [c] if *c == colon => {}
            [a, b, n] if *a == colon && *b == colon && *n == one => unit.push(i),
            _ => {
                return Err(format!(
                    "'{text}': each array dimension is written ':' (or '::1' for the \
                     contiguous one)"
                ))
            }
        }
    }
    let ndim = dims.len();
    let contiguity = match unit.as_slice() {
        [] => Contiguity::Any,
        [i] if *i == ndim - 1 => Contiguity::C,
        [0] => Contiguity::F,
        _ => {
            return Err(format!(
                "'{text}': only the first or the last dimension can be '::1'"
            ))
        }
    };
    if ndim > 32 {
        return Err(format!("'{text}': NumPy arrays have at most 32 dimensions"));
    }
    Ok(ArrayType {
        dtype,
        ndim: ndim as u32,
        contiguity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Scalar::*;

    fn ok(text: &str) -> (Option<Scalar>, Vec<Scalar>) {
        let sig = Signature::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let args = sig
            .args
            .iter()
            .map(|a| match a {
                ArgType::Scalar(s) => *s,
                ArgType::Array(a) => panic!("{text:?}: unexpected array {a:?}"),
            })
            .collect();
        (sig.ret, args)
    }

    #[test]
    fn numba_spellings() {
        assert_eq!(ok("float64(float64, float64)"), (Some(F64), vec![F64, F64]));
        assert_eq!(ok("f8(f8,f8)"), (Some(F64), vec![F64, F64]));
        assert_eq!(ok("  f4 ( f4 ,\ti8 ) "), (Some(F32), vec![F32, I64]));
        assert_eq!(ok("(f4, f4)"), (None, vec![F32, F32]));
        assert_eq!(ok("c16(c8)"), (Some(C128), vec![C64]));
        assert_eq!(
            ok("boolean(b1, bool, bool_)"),
            (Some(Bool), vec![Bool, Bool, Bool])
        );
        assert_eq!(ok("u1(u2,u4,u8)"), (Some(U8), vec![U16, U32, U64]));
        assert_eq!(ok("intp(uintp)"), (Some(I64), vec![U64]));
        assert_eq!(ok("int32(int16, int8,)"), (Some(I32), vec![I16, I8]));
    }

    #[test]
    fn bad_signatures_are_explained() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("   ", "empty"),
            ("float64", "missing argument list"),
            ("float65(float64)", "unknown type 'float65'"),
            ("f8(f9)", "unknown type 'f9'"),
            ("float64()", "at least one argument"),
            ("()", "at least one argument"),
            ("void(f8, f8)", "guvectorize"),
            ("f8(f8[:])", "array types like 'f8[:]' need guvectorize"),
            ("f8[:](f8)", "need guvectorize"),
            ("f8(f8[:, :])", "need guvectorize"),
            ("f8(f8", "missing ')'"),
            ("f8(f8,", "end of the signature"),
            ("f8(f8 f8)", "expected ',' or ')'"),
            ("f8(f8,,f8)", "expected a type name, found ','"),
            ("f8(f8) junk", "unexpected 'junk'"),
            ("f8(f8)(f8)", "unexpected '('"),
            ("f8((f8))", "expected a type name, found '('"),
            ("f8(f8; f8)", "unexpected character ';'"),
            ("f8(void)", "'void' is not a valid argument type"),
            ("float 64(float64)", "unknown type 'float'"),
            (
                "f8 64(float64)",
                "expected '(' after the return type, found '64'",
            ),
            (")f8(", "expected a type name, found ')'"),
            ("f8(f8[:)", "unexpected ')' in an array type"),
            ("f8(f8[:", "missing ']'"),
            (
                "f8 f8(f8)",
                "expected '(' after the return type, found 'f8'",
            ),
        ];
        for (text, want) in cases {
            match Signature::parse(text) {
                Ok(sig) => panic!("{text:?} parsed as {sig:?}"),
                Err(msg) => assert!(msg.contains(want), "{text:?}: {msg:?} lacks {want:?}"),
            }
        }
    }

    fn arr(dtype: Scalar, ndim: u32, contiguity: Contiguity) -> ArgType {
        ArgType::Array(ArrayType {
            dtype,
            ndim,
            contiguity,
        })
    }

    #[test]
    fn gufunc_spellings() {
        let a1 = arr(F64, 1, Contiguity::Any);
        let cases: &[(&str, Vec<ArgType>)] = &[
            ("void(float64[:], float64[:], float64[:])", vec![a1, a1, a1]),
            (
                "(float64[:], int64, float64[:])",
                vec![a1, ArgType::Scalar(I64), a1],
            ),
            ("f8[:], f8[:]", vec![a1, a1]),
            ("(f8[:], f8[:])", vec![a1, a1]),
            ("none(f8[:])", vec![a1]),
            (
                "void(float32[:, :], f4[::1], i8[:, ::1], c16[::1, :])",
                vec![
                    arr(F32, 2, Contiguity::Any),
                    arr(F32, 1, Contiguity::C),
                    arr(I64, 2, Contiguity::C),
                    arr(C128, 2, Contiguity::F),
                ],
            ),
            (
                "void(i4, u1[:,:,:])",
                vec![ArgType::Scalar(I32), arr(U8, 3, Contiguity::Any)],
            ),
        ];
        for (text, want) in cases {
            let sig = Signature::parse_gufunc(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(&sig.args, want, "{text:?}");
            assert_eq!(sig.ret, None);
        }
    }

    #[test]
    fn bad_gufunc_signatures_are_explained() {
        let cases: &[(&str, &str)] = &[
            ("f8(f8[:])", "returns 'void'"),
            ("void(f8[1])", "written ':'"),
            ("void(f8[::2])", "written ':'"),
            ("void(f8[:, ::1, :])", "first or the last"),
            ("void(f8[::1, ::1])", "first or the last"),
            ("void(void[:])", "arrays of 'void'"),
            ("void(f9[:])", "unknown type 'f9'"),
            ("void(void)", "'void' is not a valid argument type"),
            ("void()", "at least one argument"),
            ("", "empty"),
            ("f8[:] f8[:]", "expected"),
        ];
        for (text, want) in cases {
            match Signature::parse_gufunc(text) {
                Ok(sig) => panic!("{text:?} parsed as {sig:?}"),
                Err(msg) => assert!(msg.contains(want), "{text:?}: {msg:?} lacks {want:?}"),
            }
        }
    }
}
