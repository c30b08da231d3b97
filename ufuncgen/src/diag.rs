//! Source spans and compile errors that point at file:line:column.

use std::fmt;

/// A byte range into the kernel's source text (as given in `KernelSpec::source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span covering `start..end` bytes of the kernel source.
    pub fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }
}

/// Which Python exception class a `CompileError` maps to (shared/API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `ufuncgen.CompileError`: anything not covered by the others (LLVM failures, missing source).
    Compile,
    /// `ufuncgen.TypingError`: types that do not fit.
    Typing,
    /// `ufuncgen.UnsupportedError`: valid Python outside the kernel language.
    Unsupported,
    /// `ufuncgen.SignatureError`: a malformed signature or layout.
    Signature,
}

/// Where a kernel's source lives, so byte offsets can be turned into file positions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceMap {
    /// The kernel's source text, exactly as the spans index it.
    pub source: String,
    /// File the source came from (`"<unknown>"` when there is none).
    pub filename: String,
    /// 1-based line number in `filename` of the first line of `source`.
    pub first_line: u32,
    /// Column (0-based, in characters) that was removed from every line by dedenting.
    pub col_offset: u32,
}

impl SourceMap {
    /// 1-based line and 1-based column (in characters) in the original file of a byte offset.
    pub fn position(&self, offset: u32) -> (u32, u32) {
        let offset = (offset as usize).min(self.source.len());
        let before = &self.source[..floor_char_boundary(&self.source, offset)];
        let line_idx = before.matches('\n').count() as u32;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() as u32;
        (self.first_line + line_idx, col + 1 + self.col_offset)
    }

    /// The text of the source line holding `offset` (without its newline).
    pub fn line_text(&self, offset: u32) -> &str {
        let offset = floor_char_boundary(&self.source, (offset as usize).min(self.source.len()));
        let start = self.source[..offset]
            .rfind('\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        let end = self.source[offset..]
            .find('\n')
            .map(|i| offset + i)
            .unwrap_or(self.source.len());
        &self.source[start..end]
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// An error found while compiling one kernel; becomes a Python exception at the boundary.
///
/// It is data: the kind, the bare message and where it points. The "(in function ..., file ...,
/// line ...)" suffix and the source snippet are drawn only when it is displayed (`Display` here,
/// `ufuncgen.errors` in Python, both in the same format).
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    pub kind: ErrorKind,
    /// What went wrong, without position (e.g. "cannot add complex128 and bool").
    pub message: String,
    /// The kernel's Python name.
    pub function: String,
    pub filename: String,
    /// 1-based line in `filename`, 0 when unknown.
    pub lineno: u32,
    /// 1-based column, 0 when unknown.
    pub col: u32,
    /// The offending source line (dedented as the kernel source was), empty when unknown.
    pub line: String,
    /// 0-based character column of the construct within `line`, and its width in characters.
    pub caret: (u32, u32),
}

impl CompileError {
    /// An error located at `span` in the kernel described by `map`.
    pub fn at(
        kind: ErrorKind,
        message: impl Into<String>,
        function: &str,
        map: &SourceMap,
        span: Span,
    ) -> Self {
        let (lineno, col) = map.position(span.start);
        let caret_col = (col - 1).saturating_sub(map.col_offset);
        let width = if span.end > span.start {
            let end = (span.end as usize).min(map.source.len());
            let start = (span.start as usize).min(end);
            map.source
                .get(start..end)
                .map(|s| s.split('\n').next().unwrap_or("").chars().count())
                .unwrap_or(1)
                .max(1)
        } else {
            1
        };
        CompileError {
            kind,
            message: message.into(),
            function: function.to_string(),
            filename: map.filename.clone(),
            lineno,
            col,
            line: map.line_text(span.start).to_string(),
            caret: (caret_col, width as u32),
        }
    }

    /// An error with no precise source position (the decorator line is used when known).
    pub fn general(
        kind: ErrorKind,
        message: impl Into<String>,
        function: &str,
        map: &SourceMap,
    ) -> Self {
        CompileError {
            kind,
            message: message.into(),
            function: function.to_string(),
            filename: map.filename.clone(),
            lineno: map.first_line,
            col: 0,
            line: String::new(),
            caret: (0, 0),
        }
    }

    /// The source line with a caret under the construct, empty when the line is unknown.
    pub fn snippet(&self) -> String {
        if self.line.is_empty() {
            return String::new();
        }
        let (col, width) = self.caret;
        format!(
            "    {}\n    {}{}",
            self.line,
            " ".repeat(col as usize),
            "^".repeat(width.max(1) as usize)
        )
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (in function '{}', file \"{}\", line {}",
            self.message, self.function, self.filename, self.lineno
        )?;
        if self.col > 0 {
            write!(f, ", column {}", self.col)?;
        }
        write!(f, ")")?;
        let snippet = self.snippet();
        if !snippet.is_empty() {
            write!(f, "\n{snippet}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_shifted() {
        let map = SourceMap {
            source: "def f(x):\n    return x + 'a'\n".into(),
            filename: "k.py".into(),
            first_line: 10,
            col_offset: 4,
        };
        let off = map.source.find("'a'").unwrap() as u32;
        assert_eq!(map.position(off), (11, 16 + 4));
        let e = CompileError::at(
            ErrorKind::Unsupported,
            "strings are not supported",
            "f",
            &map,
            Span::new(off, off + 3),
        );
        assert_eq!(e.lineno, 11);
        assert!(e.snippet().contains("^^^"), "{}", e.snippet());
        assert!(e.to_string().contains("k.py"));
    }
}
