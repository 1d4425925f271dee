"""The typed IR between the Python AST and C: symbols, scalar expressions, array expressions, statements.

Every scalar expression carries its C type (``.t``). Array-valued expressions (slices, concatenations,
literals, fills, comprehensions, updates, calls that return arrays) appear only on the right of an
:class:`ArrAssign`; the sequence pass (:mod:`hls.hls_c.lower`) turns each of those into loops over
bounded buffers, so the code generator sees only the C subset listed in the package docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hls.hls_c.ctype import LEN, Arr2T, ArrT, CType, IntT, Scalar

# --------------------------------------------------------------------------------------------- symbols


@dataclass(eq=False)
class Sym:
    """A C variable. Arrays carry their capacity and the name of their run-time length variable(s).

    ``role``: ``param`` (argument), ``local``, ``out`` (result pointer / result array), ``temp`` (compiler made).
    ``bound``: capacity of a 1-D array, rows of a 2-D array; ``cols``: columns of a 2-D array.
    """

    name: str
    type: CType
    role: str = "local"
    py_name: str | None = None
    bound: int = 0
    cols: int = 0
    line: int | None = None
    storage: str | None = None  # a local array that lives in a result buffer: that buffer's name

    @property
    def buffer(self) -> str:
        """The C array that holds this symbol's elements."""
        return self.storage or self.name

    @property
    def is_array(self) -> bool:
        return isinstance(self.type, (ArrT, Arr2T))

    @property
    def len_name(self) -> str:
        return f"{self.name}_len"

    @property
    def rows_name(self) -> str:
        return f"{self.name}_rows"

    @property
    def cols_name(self) -> str:
        return f"{self.name}_cols"

    def __repr__(self) -> str:
        return f"Sym({self.name}: {self.type})"


# --------------------------------------------------------------------------------------------- scalar expressions


class Expr:
    t: CType


@dataclass(eq=False)
class Const(Expr):
    value: int | bool
    t: Scalar


@dataclass(eq=False)
class Ref(Expr):
    sym: Sym

    @property
    def t(self) -> CType:  # type: ignore[override]
        return self.sym.type


@dataclass(eq=False)
class Deref(Expr):
    """``*p``: only as an assignment target (result pointers are written, never read)."""

    sym: Sym

    @property
    def t(self) -> CType:  # type: ignore[override]
        return self.sym.type


@dataclass(eq=False)
class Len(Expr):
    """Run-time length of an array: ``a_len``, or ``a_rows``/``a_cols`` (``dim`` 0/1) of a 2-D array."""

    sym: Sym
    dim: int = 0
    t: IntT = LEN


@dataclass(eq=False)
class Load(Expr):
    """``a[i]`` or ``a[i][j]``; also an assignment target."""

    sym: Sym
    index: list[Expr]

    @property
    def t(self) -> CType:  # type: ignore[override]
        assert isinstance(self.sym.type, (ArrT, Arr2T))
        return self.sym.type.elem


@dataclass(eq=False)
class Bin(Expr):
    op: str  # a C operator
    left: Expr
    right: Expr
    t: Scalar


@dataclass(eq=False)
class Un(Expr):
    op: str  # - ! ~
    operand: Expr
    t: Scalar


@dataclass(eq=False)
class Cond(Expr):
    cond: Expr
    then: Expr
    other: Expr
    t: Scalar


@dataclass(eq=False)
class Cast(Expr):
    expr: Expr
    t: Scalar


@dataclass(eq=False)
class Call(Expr):
    """A call of a design function (or a ``p2s_`` helper) whose C return value is a scalar.

    ``args`` holds scalar expressions, :class:`ArrArg` (an array and its length(s)) and :class:`OutArg`.
    """

    func: str
    args: list[object]
    t: CType


@dataclass(eq=False)
class ArrArg:
    """An array passed to a function: the buffer and its length variable(s)."""

    sym: Sym


@dataclass(eq=False)
class OutArg:
    """A result slot passed to a function: ``&x`` for a scalar, ``buf, &buf_len`` for an array."""

    sym: Sym


# --------------------------------------------------------------------------------------------- array expressions


class AExpr:
    """An array-valued expression (lowered to loops by the sequence pass)."""

    line: int | None


@dataclass(eq=False)
class ARef(AExpr):
    sym: Sym
    line: int | None = None


@dataclass(eq=False)
class ASlice(AExpr):
    """``base[lo:hi]`` (``None`` bounds: the start / the end)."""

    base: Sym
    lo: Expr | None
    hi: Expr | None
    line: int | None = None


@dataclass(eq=False)
class AConcat(AExpr):
    parts: list[AExpr]
    line: int | None = None


@dataclass(eq=False)
class ALit(AExpr):
    items: list[Expr]
    line: int | None = None


@dataclass(eq=False)
class AFill(AExpr):
    """``[value] * count``."""

    value: Expr
    count: Expr
    line: int | None = None
    text: str = ""  # the size as the Python model writes it (for messages)


@dataclass(eq=False)
class AComp(AExpr):
    """``[elem for var in range(lo, hi)]``: ``prelude`` computes what ``elem`` needs, per element."""

    var: Sym
    lo: Expr
    hi: Expr
    elem: Expr
    prelude: list[Stmt] = field(default_factory=list)
    line: int | None = None


@dataclass(eq=False)
class AUpdate(AExpr):
    """``base[index := value]``: a copy of ``base`` with one element replaced."""

    base: Sym
    index: Expr
    value: Expr
    line: int | None = None


@dataclass(eq=False)
class AFill2(AExpr):
    """``[[value] * cols for _ in range(rows)]``: a fresh 2-D array."""

    value: Expr
    rows: Expr
    cols: Expr
    line: int | None = None


# --------------------------------------------------------------------------------------------- statements


class Stmt:
    pass


@dataclass(eq=False)
class Assign(Stmt):
    target: Ref | Load | Deref
    value: Expr


@dataclass(eq=False)
class ArrAssign(Stmt):
    """``target := value`` for arrays: a fresh buffer, a copy, a slice, ... (lowered to loops)."""

    target: Sym
    value: AExpr
    line: int | None = None


@dataclass(eq=False)
class SetLen(Stmt):
    """``a_len = n`` (``dim`` 1/2: rows/cols of a 2-D array); ``out``: through the result pointer."""

    sym: Sym
    value: Expr
    dim: int = 0
    out: bool = False


@dataclass(eq=False)
class ExprStmt(Stmt):
    expr: Call


@dataclass(eq=False)
class If(Stmt):
    cond: Expr
    then: list[Stmt]
    other: list[Stmt] = field(default_factory=list)


@dataclass(eq=False)
class While(Stmt):
    cond: Expr
    body: list[Stmt]
    pragmas: list[str] = field(default_factory=list)


@dataclass(eq=False)
class For(Stmt):
    """``for (var = lo; var < hi; var++)`` (``step`` -1: ``var > hi; var--``)."""

    var: Sym
    lo: Expr
    hi: Expr
    step: int
    body: list[Stmt]
    pragmas: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Break(Stmt):
    pass


@dataclass(eq=False)
class Continue(Stmt):
    pass


@dataclass(eq=False)
class Return(Stmt):
    value: Expr | None = None


@dataclass(eq=False)
class Comment(Stmt):
    text: str


# --------------------------------------------------------------------------------------------- functions


@dataclass(eq=False)
class Function:
    """One C function. ``params`` in C order (arrays expand to buffer + length(s) in the code generator);
    ``outs`` are result slots after them; ``ret`` is the scalar C return type (or void)."""

    name: str
    py_name: str
    params: list[Sym]
    outs: list[Sym]
    ret: CType
    body: list[Stmt]
    locals: list[Sym] = field(default_factory=list)
    line: int | None = None
    interface_pragmas: list[str] = field(default_factory=list)
    result_types: list[CType] = field(default_factory=list)  # the Python results, in order
    ns: object = None  # the function's Namespace (passes allocate temporaries in it)


@dataclass(eq=False)
class Program:
    functions: list[Function]  # callees before callers; the top last
    top: str
    helpers: set[str] = field(default_factory=set)  # p2s_ helper functions used


def walk_stmts(stmts: list[Stmt]):
    """Every statement in ``stmts``, depth first (loop and branch bodies included)."""
    for s in stmts:
        yield s
        if isinstance(s, If):
            yield from walk_stmts(s.then)
            yield from walk_stmts(s.other)
        elif isinstance(s, (While, For)):
            yield from walk_stmts(s.body)
        elif isinstance(s, ArrAssign) and isinstance(s.value, AComp):
            yield from walk_stmts(s.value.prelude)


def sub_exprs(e: object):
    """``e`` and every expression inside it."""
    if isinstance(e, Expr):
        yield e
    if isinstance(e, Load):
        for i in e.index:
            yield from sub_exprs(i)
    elif isinstance(e, Bin):
        yield from sub_exprs(e.left)
        yield from sub_exprs(e.right)
    elif isinstance(e, (Un,)):
        yield from sub_exprs(e.operand)
    elif isinstance(e, Cast):
        yield from sub_exprs(e.expr)
    elif isinstance(e, Cond):
        yield from sub_exprs(e.cond)
        yield from sub_exprs(e.then)
        yield from sub_exprs(e.other)
    elif isinstance(e, Call):
        for a in e.args:
            yield from sub_exprs(a)


def same_expr(a: object, b: object) -> bool:
    """Structurally equal pure expressions (constants, variables, lengths, loads, casts, operators)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Const):
        return a.value == b.value  # type: ignore[attr-defined]
    if isinstance(a, (Ref, Len)):
        return a.sym is b.sym and getattr(a, "dim", 0) == getattr(b, "dim", 0)  # type: ignore[attr-defined]
    if isinstance(a, Load):
        return a.sym is b.sym and len(a.index) == len(b.index) and all(  # type: ignore[attr-defined]
            same_expr(x, y) for x, y in zip(a.index, b.index, strict=True)  # type: ignore[attr-defined]
        )
    if isinstance(a, Cast):
        return a.t == b.t and same_expr(a.expr, b.expr)  # type: ignore[attr-defined]
    if isinstance(a, Un):
        return a.op == b.op and same_expr(a.operand, b.operand)  # type: ignore[attr-defined]
    if isinstance(a, Bin):
        return a.op == b.op and same_expr(a.left, b.left) and same_expr(a.right, b.right)  # type: ignore[attr-defined]
    return False
