//! Python source → ruff AST of the kernel (a `def` or a `lambda`), with spans.
