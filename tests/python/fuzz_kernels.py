"""The differential fuzzer's generator and reference: hypothesis strategies that build well-typed
kernels of the kernel language, and an evaluator that gives NumPy's answer and FP flags for
each element (test_fuzz_differential.py compares the compiled ufunc with it).

Typing is NumPy's own: the result type of every operator, call and weak literal is what the
NumPy ufunc returns for 1-element arrays of those dtypes and Python scalars (NEP 50), asked of
NumPy once at import. The reference runs each element alone through NumPy's loops (1-element
arrays, never NumPy scalars: scalar arithmetic checks integer overflow where loops wrap), takes
only the branch a conditional takes, and collects the flags of each operation through
``np.errstate(call=...)``. Every operation also leaves an :class:`Event`, so a known defect can
be excused for exactly the elements that reach it (``KNOWN_DEFECTS`` in the test module).
"""

from __future__ import annotations

import itertools
import linecache
import math
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

BOOL = np.dtype(bool)
INTS = [np.dtype(t) for t in "int8 uint8 int16 uint16 int32 uint32 int64 uint64".split()]
FLOATS = [np.dtype(np.float32), np.dtype(np.float64)]
COMPLEXES = [np.dtype(np.complex64), np.dtype(np.complex128)]
STRONG = [BOOL, *INTS, *FLOATS, *COMPLEXES]
# Python literals are weak (NEP 50): they take the type of the strong operand beside them.
WEAK = ["int", "float", "complex"]

# NumPy's FP flag bits as np.errstate's call handler reports them.
DIVIDE, OVER, UNDER, INVALID = 1, 2, 4, 8
FLAG_NAMES = {DIVIDE: "divide", OVER: "over", UNDER: "under", INVALID: "invalid"}

ARITH = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "//": np.floor_divide,
    "%": np.remainder,
    "**": np.power,
}
BITWISE = {
    "&": np.bitwise_and,
    "|": np.bitwise_or,
    "^": np.bitwise_xor,
    "<<": np.left_shift,
    ">>": np.right_shift,
}
COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
BINARY = {**ARITH, **BITWISE, **COMPARE}
UNARY = {"-": np.negative, "+": np.positive, "~": np.invert, "not ": np.logical_not}
# Calls whose result is correctly rounded in every implementation: compared bit for bit anywhere.
EXACT_CALLS = {
    "np.sqrt": np.sqrt,
    "np.fabs": np.fabs,
    "np.floor": np.floor,
    "np.ceil": np.ceil,
    "np.trunc": np.trunc,
    "np.rint": np.rint,
    "abs": np.absolute,
    "np.minimum": np.minimum,
    "np.maximum": np.maximum,
    "np.copysign": np.copysign,
}
# Library functions (several ulp apart between libraries): only at a kernel's root, so that no
# comparison or cancellation can amplify an ulp into a different answer.
MATH_CALLS = {
    f"np.{name}": getattr(np, name)
    for name in (
        "exp exp2 expm1 log log2 log10 log1p cbrt sin cos tan arcsin arccos arctan "
        "sinh cosh tanh arcsinh arccosh arctanh arctan2 hypot"
    ).split()
}
# Python's spelling: math.floor/ceil/trunc of a float are int64 (API.md).
INT_ROUNDING = {"math.floor": np.floor, "math.ceil": np.ceil, "math.trunc": np.trunc}

_SAMPLE_WEAK = {"int": 1, "float": 1.0, "complex": 1j}


def _sample(t):
    return _SAMPLE_WEAK[t] if isinstance(t, str) else np.ones(1, t)


def _result_type(ufunc, *types):
    """NumPy's result dtype for ``ufunc`` over these operand types, None if NumPy refuses them."""
    try:
        with np.errstate(all="ignore"):
            out = ufunc(*(_sample(t) for t in types))
    except (TypeError, ValueError):
        return None
    return out.dtype


def _is_bool(t) -> bool:
    return t == BOOL


def _build_binary_table() -> dict:
    """(op, left type, right type) -> result dtype, for every pair the generator may use."""
    table = {}
    types = STRONG + WEAK
    for op, ufunc in BINARY.items():
        for a, b in itertools.product(types, types):
            if isinstance(a, str) and isinstance(b, str):
                continue  # literal-only arithmetic is Python's, folded before typing
            if op in ARITH and _is_bool(a) and _is_bool(b):
                continue  # bool + bool is Python's int arithmetic in kernels, NumPy's OR in loops
            if op in COMPARE and op not in ("==", "!=") and "c" in (_kind(a), _kind(b)):
                continue  # complex is unordered in Python (NumPy orders it lexicographically)
            res = _result_type(ufunc, a, b)
            if res is not None:
                table[(op, a, b)] = res
    return table


def _kind(t) -> str:
    if isinstance(t, str):
        return {"int": "i", "float": "f", "complex": "c"}[t]
    return t.kind


BINARY_TABLE = _build_binary_table()


@dataclass
class Event:
    """One operation the reference performed for an element: what, on which types and values."""

    kind: str  # "binary", "unary", "call", "cast", "untaken"
    op: str
    types: tuple
    args: tuple
    flags: int
    const: bool = False  # every operand a compile-time constant
    # every operand a function of constants and bool inputs only: LLVM can fold it for both of
    # a bool's values (and drops the flags then)
    over_bools: bool = False


@dataclass
class Ctx:
    """One element's evaluation: its inputs, the flags raised so far, the events."""

    env: dict
    flags: int = 0
    events: list = field(default_factory=list)


class _Flags:
    """Collects the flags NumPy reports through errstate's call handler."""

    def __init__(self):
        self.bits = 0

    def __call__(self, _kind, flag):
        self.bits |= flag


def run_numpy(fn):
    """Calls ``fn`` and returns (result, flags NumPy raised)."""
    sink = _Flags()
    with np.errstate(all="call", call=sink):
        res = fn()
    return res, sink.bits


def _values(xs) -> tuple:
    return tuple(x if not isinstance(x, np.ndarray) else x[0] for x in xs)


class Node:
    """An expression: source text, static type (a dtype, or a weak kind for literals)."""

    type: object
    const: bool = False

    @property
    def over_bools(self) -> bool:
        # A bool value (any bool, not only inputs) is an i1 to LLVM: it folds what follows.
        if isinstance(self.type, np.dtype) and self.type == BOOL:
            return True
        return all(c.over_bools for c in self.children())

    def children(self) -> list:
        return [v for v in vars(self).values() if isinstance(v, Node)] + [
            a for v in vars(self).values() if isinstance(v, list) for a in v
        ]

    def src(self) -> str:
        raise NotImplementedError

    def eval(self, ctx: Ctx):
        raise NotImplementedError


@dataclass
class Var(Node):
    name: str
    type: np.dtype
    bool_derived: bool = False
    is_const: bool = False

    @property
    def const(self):
        return self.is_const

    @property
    def over_bools(self):
        return self.bool_derived or self.type == BOOL

    def src(self):
        return self.name

    def eval(self, ctx):
        return ctx.env[self.name]


@dataclass
class Lit(Node):
    value: object
    text: str
    type: str
    const = True
    over_bools = True

    def src(self):
        return self.text

    def eval(self, ctx):
        return self.value


def _op(ctx, node, kind, op, fn, operands, types):
    res, flags = run_numpy(lambda: fn(*operands))
    ctx.flags |= flags
    ctx.events.append(Event(kind, op, types, _values(operands), flags, node.const, node.over_bools))
    return res


@dataclass
class Bin(Node):
    op: str
    left: Node
    right: Node
    type: np.dtype

    @property
    def const(self):
        return self.left.const and self.right.const

    def src(self):
        return f"({self.left.src()} {self.op} {self.right.src()})"

    def eval(self, ctx):
        a, b = self.left.eval(ctx), self.right.eval(ctx)
        types = (self.left.type, self.right.type)
        return _op(ctx, self, "binary", self.op, BINARY[self.op], (a, b), types)


@dataclass
class Un(Node):
    op: str
    arg: Node
    type: np.dtype

    @property
    def const(self):
        return self.arg.const

    def src(self):
        return f"({self.op}{self.arg.src()})"

    def eval(self, ctx):
        a = self.arg.eval(ctx)
        return _op(ctx, self, "unary", self.op, UNARY[self.op], (a,), (self.arg.type,))


@dataclass
class Call(Node):
    fn: str
    args: list
    type: np.dtype

    @property
    def const(self):
        return all(a.const for a in self.args)

    def src(self):
        return f"{self.fn}({', '.join(a.src() for a in self.args)})"

    def eval(self, ctx):
        vals = [a.eval(ctx) for a in self.args]
        types = tuple(a.type for a in self.args)
        if self.fn in INT_ROUNDING:
            rounded = _op(ctx, self, "call", self.fn, INT_ROUNDING[self.fn], vals, types)
            return _cast(ctx, self, rounded, self.args[0].type, self.type)
        fn = EXACT_CALLS.get(self.fn) or MATH_CALLS[self.fn]
        return _op(ctx, self, "call", self.fn, fn, vals, types)


def float_to_int_out_of_range(value, dst: np.dtype) -> bool:
    """NaN, inf, or a float whose truncation the integer type cannot hold (issue 9, items 2, 5)."""
    if not np.isfinite(value):
        return True
    info = np.iinfo(dst)
    return not info.min <= math.trunc(float(value)) <= info.max


def _cast(ctx, node, value, src, dst: np.dtype):
    arr = value if isinstance(value, np.ndarray) else np.array([value])
    if arr.dtype.kind == "f" and dst.kind in "iu":
        # API.md: NumPy's scalar conversion (np.int64(np.float64(v))), whatever the length.
        res, flags = run_numpy(lambda: np.array([dst.type(arr[0])], dst))
        wild = float_to_int_out_of_range(arr[0], dst)
    else:
        res, flags = run_numpy(lambda: arr.astype(dst))
        wild = False
    ctx.flags |= flags
    op = "wild" if wild else ""
    ctx.events.append(Event("cast", op, (src, dst), (arr[0],), flags, node.const, node.over_bools))
    return res


@dataclass
class Cast(Node):
    spelling: str
    arg: Node
    type: np.dtype

    @property
    def const(self):
        return self.arg.const

    def src(self):
        return f"{self.spelling}({self.arg.src()})"

    def eval(self, ctx):
        return _cast(ctx, self, self.arg.eval(ctx), self.arg.type, self.type)


def _untaken(ctx, node: Node):
    """Evaluates a branch the element does not take, only to learn whether it would raise flags."""
    side = Ctx(dict(ctx.env))
    try:
        node.eval(side)
    except (ValueError, ArithmeticError):
        pass
    if side.flags:
        ctx.events.append(Event("untaken", "", (), (), side.flags))


@dataclass
class IfExp(Node):
    cond: Node
    then: Node
    other: Node
    type: np.dtype

    def src(self):
        return f"({self.then.src()} if {self.cond.src()} else {self.other.src()})"

    def eval(self, ctx):
        taken, skipped = (
            (self.then, self.other) if self.cond.eval(ctx)[0] else (self.other, self.then)
        )
        _untaken(ctx, skipped)
        return taken.eval(ctx)


@dataclass
class BoolOp(Node):
    op: str  # "and" / "or"
    left: Node
    right: Node
    type: np.dtype = BOOL

    def src(self):
        return f"({self.left.src()} {self.op} {self.right.src()})"

    def eval(self, ctx):
        a = self.left.eval(ctx)
        if bool(a[0]) == (self.op == "or"):
            _untaken(ctx, self.right)
            return a
        return self.right.eval(ctx)


# --- statements --------------------------------------------------------------------------------


@dataclass
class Assign:
    name: str
    value: Node
    unused: bool = False

    def lines(self, indent):
        return [f"{indent}{self.name} = {self.value.src()}"]

    def run(self, ctx):
        if self.unused:
            # API.md: flags of an operation whose result is unused may be dropped.
            side = Ctx(ctx.env)
            ctx.env[self.name] = self.value.eval(side)
            ctx.events += side.events
            if side.flags:
                ctx.events.append(Event("unused", "", (), (), side.flags))
            return
        ctx.env[self.name] = self.value.eval(ctx)


@dataclass
class IfStmt:
    cond: Node
    then: list
    other: list

    def lines(self, indent):
        out = [f"{indent}if {self.cond.src()}:"]
        for s in self.then:
            out += s.lines(indent + "    ")
        out.append(f"{indent}else:")
        for s in self.other:
            out += s.lines(indent + "    ")
        return out

    def run(self, ctx):
        taken, skipped = (
            (self.then, self.other) if self.cond.eval(ctx)[0] else (self.other, self.then)
        )
        side = Ctx(dict(ctx.env))
        try:
            for s in skipped:
                s.run(side)
        except (ValueError, ArithmeticError):
            pass
        if side.flags:
            ctx.events.append(Event("untaken", "", (), (), side.flags))
        for s in taken:
            s.run(ctx)


@dataclass
class Kernel:
    """A generated kernel: parameters, body statements, returned expression."""

    params: list  # [(name, dtype)]
    body: list
    ret: Node
    exact: bool = True  # False when the root is a library math function

    @property
    def signature(self) -> str:
        args = ", ".join(d.name for _, d in self.params)
        return f"{self.ret.type.name}({args})"

    @property
    def source(self) -> str:
        lines = [f"def kernel({', '.join(n for n, _ in self.params)}):"]
        for s in self.body:
            lines += s.lines("    ")
        lines.append(f"    return {self.ret.src()}")
        return "\n".join(lines) + "\n"

    def evaluate(self, inputs: list) -> Ctx:
        """NumPy's answer for one element (``inputs``: one 1-element array per parameter);
        ``ctx.env['return']`` is the result, or the exception NumPy raised."""
        ctx = Ctx({n: x for (n, _), x in zip(self.params, inputs, strict=True)})
        try:
            for s in self.body:
                s.run(ctx)
            res = self.ret.eval(ctx)
            if not isinstance(res, np.ndarray) or res.dtype != self.ret.type:
                res = np.asarray(res, self.ret.type).reshape(1)
            ctx.env["return"] = res
        except ValueError as exc:
            ctx.env["return"] = exc
        return ctx


def _walk(node: Node):
    yield node
    for child in node.children():
        yield from _walk(child)


_counter = itertools.count()


def compile_source(source: str, name: str = "kernel"):
    """Runs generated source as if it lived in a file, so inspect.getsource (the compiler's
    front end) finds it."""
    filename = f"<fuzz-kernel-{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"math": math, "np": np}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


# --- strategies --------------------------------------------------------------------------------


def float_edges(dtype: np.dtype) -> list:
    info = np.finfo(dtype)
    return [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -2.5,
        3.0,
        float(info.smallest_subnormal),
        -float(info.smallest_subnormal),
        float(info.tiny),
        float(info.tiny) / 2,
        float(info.max),
        -float(info.max),
        1e30 if dtype.itemsize == 4 else 1e300,
        math.inf,
        -math.inf,
        math.nan,
    ]


def edge_values(dtype: np.dtype) -> list:
    """The values where implementations part ways, for one dtype."""
    if dtype.kind == "b":
        return [False, True]
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        vals = [0, 1, -1, 2, -2, 3, 7, info.min, info.min + 1, info.max, info.max - 1]
        return [v for v in vals if info.min <= v <= info.max]
    if dtype.kind == "f":
        return float_edges(dtype)
    part = float_edges(np.dtype(f"f{dtype.itemsize // 2}"))
    return [complex(a, b) for a in part[:8] + part[-3:] for b in part[:8] + part[-3:]]


def element(dtype: np.dtype):
    """One input value: mostly edge values, sometimes anything of the dtype."""
    edges = st.sampled_from(edge_values(dtype))
    if dtype.kind == "c":
        part = np.dtype(f"f{dtype.itemsize // 2}")
        anything = st.builds(
            complex, st.sampled_from(float_edges(part)), st.sampled_from(float_edges(part))
        )
    else:
        from hypothesis.extra import numpy as hnp

        anything = hnp.from_dtype(dtype)
    return st.one_of(edges, anything).map(lambda v: np.array([v], dtype)[0])


# Integer literals beside a float: beyond int64 is issue 9 item 3 (written in full, not 10**k).
BIG_INTS = [2**53 + 1, 2**63 - 1, 2**64 - 1, 10**20]


def _float_literal(v: float) -> str:
    if math.isnan(v):
        return "math.nan"
    if math.isinf(v):
        return "math.inf" if v > 0 else "(-math.inf)"
    text = repr(v)
    return f"({text})" if text.startswith("-") else text


def _int_literal(v: int) -> str:
    return f"({v})" if v < 0 else str(v)


@st.composite
def weak_literal(draw, kind: str, partner):
    """A Python literal that NumPy accepts beside ``partner`` (in range for an integer partner)."""
    if kind == "int":
        if isinstance(partner, np.dtype) and partner.kind in "iu":
            info = np.iinfo(partner)
        else:
            info = np.iinfo(np.int64)
        edges = [v for v in edge_values(np.dtype(np.int64)) if info.min <= v <= info.max]
        edges += [info.min, info.max]
        if isinstance(partner, np.dtype) and partner.kind in "fc":
            edges += BIG_INTS
        v = draw(st.one_of(st.sampled_from(edges), st.integers(int(info.min), int(info.max))))
        return Lit(v, _int_literal(v), "int")
    if kind == "float":
        v = draw(st.sampled_from(float_edges(np.dtype(np.float64)) + [3.4e38, 1e-45, 1e10]))
        return Lit(v, _float_literal(v), "float")
    im = draw(st.sampled_from([1.0, -2.0, 0.0, 0.5, 1e300]))
    re = draw(st.sampled_from([0.0, 1.5, -1.0]))
    text = f"{im!r}j" if re == 0.0 else f"({re!r}{'+' if im >= 0 else '-'}{abs(im)!r}j)"
    # Python's value of the text: -2.0j is -(2.0j), whose real part is -0.0.
    return Lit(complex(eval(text)), text, "complex")


CAST_SPELLING = {d: f"np.{d.name}" for d in STRONG}
CAST_SPELLING[BOOL] = "np.bool_"


def _cast_sources(dst: np.dtype) -> list:
    if dst.kind == "c":
        return STRONG
    return [d for d in STRONG if d.kind != "c"]


@dataclass
class Scope:
    """What the generator may reference: variables by dtype."""

    vars: list  # [(name, dtype)]
    bool_derived: set = field(default_factory=set)
    consts: set = field(default_factory=set)

    def of(self, dtype):
        return [n for n, d in self.vars if d == dtype]


@st.composite
def expr(draw, dtype: np.dtype, scope: Scope, depth: int) -> Node:
    """An expression of static type ``dtype``; simpler productions first, so shrinking ends
    with them."""
    choices = []
    names = scope.of(dtype)
    if names:
        choices.append("var")
    choices.append("cast")
    if depth > 0:
        choices += ["binary", "unary", "ifexp", "call"]
        if dtype == BOOL:
            choices.append("boolop")
    what = draw(st.sampled_from(choices))
    if what == "var":
        name = draw(st.sampled_from(names))
        return Var(name, dtype, name in scope.bool_derived, name in scope.consts)
    if what == "cast":
        return draw(cast_of(dtype, scope, depth))
    if what == "binary":
        cands = [k for k, res in BINARY_TABLE.items() if res == dtype]
        if not cands:
            return draw(cast_of(dtype, scope, depth))
        op, a, b = draw(st.sampled_from(cands))
        left = draw(operand(a, b, scope, depth - 1))
        right = draw(operand(b, a, scope, depth - 1))
        return Bin(op, left, right, dtype)
    if what == "unary":
        cands = [
            # (np.dtype(None) is float64, so None == float64 holds: compare with `is`.)
            (op, t)
            for op in UNARY
            for t in STRONG
            if _unary_type(op, t) is dtype
        ]
        if not cands:
            return draw(cast_of(dtype, scope, depth))
        op, t = draw(st.sampled_from(cands))
        return Un(op, draw(expr(t, scope, depth - 1)), dtype)
    if what == "ifexp":
        cond = draw(expr(BOOL, scope, depth - 1))
        return IfExp(
            cond, draw(expr(dtype, scope, depth - 1)), draw(expr(dtype, scope, depth - 1)), dtype
        )
    if what == "boolop":
        op = draw(st.sampled_from(["and", "or"]))
        return BoolOp(op, draw(expr(BOOL, scope, depth - 1)), draw(expr(BOOL, scope, depth - 1)))
    cands = [(fn, ts) for (fn, ts), res in CALL_TABLE.items() if res == dtype]
    if not cands:
        return draw(cast_of(dtype, scope, depth))
    fn, ts = draw(st.sampled_from(cands))
    return Call(fn, [draw(expr(t, scope, depth - 1)) for t in ts], dtype)


@st.composite
def operand(draw, t, partner, scope, depth):
    if isinstance(t, str):
        return draw(weak_literal(t, partner))
    return draw(expr(t, scope, depth))


@st.composite
def cast_of(draw, dtype: np.dtype, scope: Scope, depth: int) -> Node:
    """``np.<dtype>(x)`` of a variable of another type, or of a literal (a typed constant)."""
    sources = [d for d in _cast_sources(dtype) if scope.of(d)]
    if sources and draw(st.booleans()):
        src = draw(st.sampled_from(sources))
        arg = draw(expr(src, scope, max(depth - 1, 0)))
        if dtype == np.dtype(np.int64) and src.kind in "bif" and src != np.dtype(np.uint64):
            spelling = draw(st.sampled_from([CAST_SPELLING[dtype], "int"]))
        elif dtype == np.dtype(np.float64) and src.kind != "c":
            spelling = draw(st.sampled_from([CAST_SPELLING[dtype], "float"]))
        else:
            spelling = CAST_SPELLING[dtype]
        return Cast(spelling, arg, dtype)
    kinds = {
        "b": ["int"],
        "i": ["int"],
        "u": ["int"],
        "f": ["float", "int"],
        "c": ["complex", "float"],
    }
    lit = draw(weak_literal(draw(st.sampled_from(kinds[dtype.kind])), dtype))
    if (
        dtype.kind in "iu"
        and lit.type == "int"
        and not np.iinfo(dtype).min <= lit.value <= np.iinfo(dtype).max
    ):
        lit = Lit(1, "1", "int")
    return Cast(CAST_SPELLING[dtype], lit, dtype)


def _unary_type(op, t):
    if _is_bool(t) and op in ("-", "+"):
        return None  # NumPy refuses; the kernel language follows Python (-True == -1)
    res = _result_type(UNARY[op], t)
    return None if res is None else next(d for d in STRONG if d == res)


def _build_call_table() -> dict:
    table = {}
    for fn, ufunc in EXACT_CALLS.items():
        nargs = ufunc.nin
        for ts in itertools.product(STRONG, repeat=nargs):
            if fn in ("np.minimum", "np.maximum", "abs"):
                if any(t.kind in "bc" for t in ts):
                    continue
                if nargs == 2 and {ts[0].kind, ts[1].kind} == {"i", "u"}:
                    continue  # may promote to float64 (NumPy): kept, but not through min/max
            elif any(t.kind != "f" for t in ts):
                continue
            res = _result_type(ufunc, *ts)
            if res is not None:
                table[(fn, ts)] = res
    for fn in INT_ROUNDING:
        for t in FLOATS:
            table[(fn, (t,))] = np.dtype(np.int64)
    return table


CALL_TABLE = _build_call_table()


@st.composite
def kernels(draw, max_depth: int = 3) -> Kernel:
    """A whole kernel: 1-3 parameters, a few assignments (maybe under if/else), a return."""
    nparams = draw(st.integers(1, 3))
    params = [(f"x{i}", draw(st.sampled_from(STRONG))) for i in range(nparams)]
    scope = Scope(list(params), {n for n, d in params if d == BOOL})
    body = []
    for i in range(draw(st.integers(0, 2))):
        dtype = draw(st.sampled_from(STRONG))
        name = f"t{i}"
        if draw(st.integers(0, 3)) == 0:
            cond = draw(expr(BOOL, scope, 1))
            then = Assign(name, draw(expr(dtype, scope, max_depth - 1)))
            other = Assign(name, draw(expr(dtype, scope, max_depth - 1)))
            body.append(IfStmt(cond, [then], [other]))
            values = [cond, then.value, other.value]
            if cond.const and not any(isinstance(n, Var) for n in _walk(cond)):
                # The compiler drops the dead branch: the local is what the other one makes it.
                values = [then.value if cond.eval(Ctx({}))[0] else other.value]
        else:
            body.append(Assign(name, draw(expr(dtype, scope, max_depth - 1))))
            values = [body[-1].value]
        if all(v.over_bools for v in values):
            scope.bool_derived.add(name)
        if all(v.const for v in values):
            scope.consts.add(name)
        scope.vars.append((name, dtype))
    if draw(st.integers(0, 4)) == 0:
        # A library math function at the root: compared within ulps, flags exactly.
        fn, ts = draw(st.sampled_from(MATH_SIGS))
        args = [draw(expr(t, scope, max_depth - 1)) for t in ts]
        return _mark_unused(Kernel(params, body, Call(fn, args, ts[0]), exact=False))
    ret_type = draw(st.sampled_from(STRONG))
    return _mark_unused(Kernel(params, body, draw(expr(ret_type, scope, max_depth))))


def _mark_unused(kernel: Kernel) -> Kernel:
    """Marks assignments nothing reads later (their flags may be dropped)."""
    later = {n.name for n in _walk(kernel.ret) if isinstance(n, Var)}
    for stmt in reversed(kernel.body):
        assigns = [stmt] if isinstance(stmt, Assign) else stmt.then + stmt.other
        for a in assigns:
            a.unused = a.name not in later
        for a in assigns:
            later |= {n.name for n in _walk(a.value) if isinstance(n, Var)}
        if isinstance(stmt, IfStmt):
            later |= {n.name for n in _walk(stmt.cond) if isinstance(n, Var)}
    return kernel


MATH_SIGS = [(fn, (t,) * MATH_CALLS[fn].nin) for fn in MATH_CALLS for t in FLOATS]
