"""Writes result_types.tsv: the dtype NumPy gives each operator for each operand dtype.

Run with any Python that has NumPy 2 (NEP 50 rules); the front-end test
`frontend_numpy_types.rs` lowers the same expressions and compares.
Columns: expression, left dtype, right dtype (or "-" for unary / a Python literal), result
dtype or "error".
"""

import warnings

import numpy as np

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float32", "float64", "complex64", "complex128"]
BINARY = ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>", "<", "=="]
LITERALS = ["2", "2.0", "2j"]
UNARY = ["-", "~"]


def result(expr, env):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return str(np.asarray(eval(expr, {"np": np}, env)).dtype)
        except Exception:
            return "error"


def main():
    rows = []
    for op in BINARY:
        for a in DTYPES:
            for b in DTYPES:
                env = {"a": np.ones(1, a), "b": np.ones(1, b)}
                rows.append((f"a {op} b", a, b, result(f"a {op} b", env)))
            for lit in LITERALS:
                env = {"a": np.ones(1, a)}
                rows.append((f"a {op} {lit}", a, "-", result(f"a {op} {lit}", env)))
    for op in UNARY:
        for a in DTYPES:
            rows.append((f"{op}a", a, "-", result(f"{op}a", {"a": np.ones(1, a)})))
    with open(__file__.replace("generate.py", "result_types.tsv"), "w") as f:
        f.write(f"# numpy {np.__version__}\n")
        for r in rows:
            f.write("\t".join(r) + "\n")


main()
