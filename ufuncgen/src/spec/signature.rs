//! Parsing of Numba-style signature strings (never `eval`).
//!
//! Grammar (whitespace allowed between tokens):
//! `signature := [type] '(' type (',' type)* [','] ')'` and `type := name ['[' dims ']']`.
//! Array types and `void` are recognised so that the errors can point users at `guvectorize`.

use crate::types::Scalar;

/// One argument type in a signature. Arrays come with `guvectorize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgType {
    Scalar(Scalar),
}

/// A parsed `vectorize` signature: `"float64(float64, float64)"`, `"f8(f8,f8)"`, `"(f4, f4)"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// `None` when the string gave no return type (it is then inferred from the kernel).
    pub ret: Option<Scalar>,
    pub args: Vec<ArgType>,
}

impl Signature {
    /// Parses one signature string; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Signature, String> {
        let tokens = tokenize(text)?;
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
        let ret = match ret {
            None => None,
            Some(TypeSpec::Void) => {
                return Err("a 'void' return is for guvectorize; a vectorize signature \
                            returns a scalar type (or leaves the return type out)"
                    .into())
            }
            Some(t) => Some(t.scalar("return type")?),
        };
        if args.is_empty() {
            return Err("a ufunc needs at least one argument".into());
        }
        let args = args
            .into_iter()
            .map(|t| t.scalar("argument").map(ArgType::Scalar))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Signature { ret, args })
    }
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
    /// An array type such as `float64[:]` (kept as text for the message).
    Array(String),
}

impl TypeSpec {
    fn scalar(self, role: &str) -> Result<Scalar, String> {
        match self {
            TypeSpec::Scalar(s) => Ok(s),
            TypeSpec::Void => Err(format!("'void' is not a valid {role} type")),
            TypeSpec::Array(text) => Err(format!(
                "array types like '{text}' need guvectorize; vectorize kernels take scalars"
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
            loop {
                match self.next() {
                    Some(Token::RBracket) => break,
                    Some(Token::Colon) => text.push(':'),
                    Some(Token::Comma) => text.push_str(", "),
                    Some(Token::Number(n)) => text.push_str(&n),
                    Some(t) => return Err(format!("unexpected {} in an array type", t.describe())),
                    None => return Err("missing ']' in an array type".into()),
                }
            }
            text.push(']');
            return Ok(TypeSpec::Array(text));
        }
        if name == "void" || name == "none" {
            return Ok(TypeSpec::Void);
        }
        Scalar::from_name(&name)
            .map(TypeSpec::Scalar)
            .ok_or_else(|| format!("unknown type '{name}'"))
    }
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
}
