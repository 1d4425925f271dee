"""The Dafny syntax tree: types, expressions, statements and declarations, each node with its source line.

The parser builds it from Dafny text (the resolved, ghost-free program that Dafny prints, or ordinary source: spec
clauses, ghost code and loop invariants are kept in their own fields), the checker annotates every expression
with its type (``Expr.ty``), and back ends read it: the Python emitter, and later a range-checked Dafny variant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ----------------------------------------------------------------------------------------------------- types


@dataclass(frozen=True)
class Type:
    """A Dafny type as written: ``name`` with type arguments.

    Built-in names: ``int``, ``nat``, ``bool``, ``char``, ``real``, ``string``, ``ORDINAL``, ``bvN``, ``seq``,
    ``set``, ``iset``, ``multiset``, ``map``, ``imap``, ``array``, ``array2`` (``arrayN``), ``tuple`` (the
    arguments are the components), ``->`` / ``-->`` / ``~>`` (arguments: parameter types then the result).
    Any other name is a user type (datatype, newtype, subset type, synonym, class) or a type parameter,
    possibly qualified (``M.Opt``). ``nullable`` marks ``array?<T>`` and ``C?``.
    """

    name: str
    args: tuple[Type, ...] = ()
    nullable: bool = False

    @property
    def bv_width(self) -> int | None:
        """``N`` for ``bvN``, else ``None``."""
        if self.name.startswith("bv") and self.name[2:].isdigit():
            return int(self.name[2:])
        return None

    @property
    def array_dims(self) -> int | None:
        """1 for ``array<T>``, N for ``arrayN<T>``, else ``None``."""
        if self.name == "array":
            return 1
        if self.name.startswith("array") and self.name[5:].isdigit():
            return int(self.name[5:])
        return None

    def __str__(self) -> str:
        q = "?" if self.nullable else ""
        if self.name == "tuple":
            return "(" + ", ".join(str(a) for a in self.args) + ")"
        if self.name in ("->", "-->", "~>"):
            params, result = self.args[:-1], self.args[-1]
            left = str(params[0]) if len(params) == 1 and params[0].name != "tuple" else (
                "(" + ", ".join(str(p) for p in params) + ")")
            return f"{left} {self.name} {result}"
        if self.args:
            return f"{self.name}{q}<" + ", ".join(str(a) for a in self.args) + ">"
        return self.name + q


INT = Type("int")
NAT = Type("nat")
BOOL = Type("bool")
CHAR = Type("char")
REAL = Type("real")
STRING = Type("string")


INFERRED = Type("_")  # an element type left to Dafny's inference: `new [3] [a, b, c]`


def seq_of(t: Type) -> Type:
    return Type("seq", (t,))


# ----------------------------------------------------------------------------------------------- base node


@dataclass(eq=False)
class Node:
    """Every node knows the line it starts on (1-based; 0 when synthesized)."""

    line: int = field(default=0, kw_only=True)


@dataclass(eq=False)
class Attribute(Node):
    """``{:name args}``."""

    name: str
    args: list[Expr] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------- expressions


@dataclass(eq=False)
class Expr(Node):
    """Base of expressions; ``ty`` is filled in by the checker."""

    ty: Type | None = field(default=None, kw_only=True, repr=False)


@dataclass(eq=False)
class Literal(Expr):
    """``kind``: ``int`` (value int), ``real`` (value: the decimal text), ``bool``, ``char``, ``string``, ``null``."""

    kind: str
    value: object


@dataclass(eq=False)
class Name(Expr):
    """An identifier, with explicit type arguments when written (``Compare<int>``)."""

    name: str
    type_args: list[Type] = field(default_factory=list)


@dataclass(eq=False)
class This(Expr):
    pass


@dataclass(eq=False)
class Unary(Expr):
    """``-e`` or ``!e``."""

    op: str
    operand: Expr


@dataclass(eq=False)
class Binary(Expr):
    """Every binary operator except chained comparisons: ``+ - * / % << >> & | ^ && || ==> <== <==> in !in !!``
    and single comparisons."""

    op: str
    left: Expr
    right: Expr


@dataclass(eq=False)
class Chain(Expr):
    """A chain of two or more comparisons ``a < b <= c`` (``ops[i]`` sits between ``operands[i]`` and ``[i+1]``)."""

    ops: list[str]
    operands: list[Expr]


@dataclass(eq=False)
class Ite(Expr):
    """``if cond then a else b``."""

    cond: Expr
    then: Expr
    else_: Expr


@dataclass(eq=False)
class Call(Expr):
    """``f(args)``: a function, a datatype constructor, a function value, or (as a statement or right-hand
    side) a method."""

    callee: Expr
    args: list[Expr]


@dataclass(eq=False)
class Member(Expr):
    """``e.name``: a field or destructor, ``.Length``, ``.Keys``, a discriminator ``.Ctor?``, a tuple ``.0``,
    or a qualified name (``M.f``)."""

    obj: Expr
    name: str
    type_args: list[Type] = field(default_factory=list)


@dataclass(eq=False)
class Index(Expr):
    """``e[i]`` (``indices`` has one element) or a multi-dimensional array access ``a[i, j]``."""

    obj: Expr
    indices: list[Expr]


@dataclass(eq=False)
class Slice(Expr):
    """``e[lo..hi]``, ``e[..hi]``, ``e[lo..]``, ``e[..]``."""

    obj: Expr
    lo: Expr | None
    hi: Expr | None


@dataclass(eq=False)
class UpdateExpr(Expr):
    """``e[k := v]`` on a sequence, map or multiset."""

    obj: Expr
    key: Expr
    value: Expr


@dataclass(eq=False)
class SeqDisplay(Expr):
    items: list[Expr]


@dataclass(eq=False)
class SetDisplay(Expr):
    items: list[Expr]


@dataclass(eq=False)
class MultisetDisplay(Expr):
    items: list[Expr]


@dataclass(eq=False)
class MultisetOf(Expr):
    """``multiset(e)`` of a sequence or set."""

    operand: Expr


@dataclass(eq=False)
class MapDisplay(Expr):
    items: list[tuple[Expr, Expr]]


@dataclass(eq=False)
class TupleExpr(Expr):
    """``(a, b)``; ``()`` is the unit value."""

    items: list[Expr]


@dataclass(eq=False)
class Paren(Expr):
    """A parenthesized expression (kept so that a printer can reproduce the source's grouping)."""

    inner: Expr


@dataclass(eq=False)
class Card(Expr):
    """``|e|``."""

    operand: Expr


@dataclass(eq=False)
class BoundVar(Node):
    """A variable bound by a quantifier, comprehension, lambda, let or pattern (``type`` may be ``None``)."""

    name: str
    type: Type | None = None


@dataclass(eq=False)
class Lambda(Expr):
    params: list[BoundVar]
    body: Expr
    requires: list[Expr] = field(default_factory=list)
    reads: list[Expr] = field(default_factory=list)


@dataclass(eq=False)
class Quantifier(Expr):
    """``forall xs | range :: body`` / ``exists``; ``range`` is ``None`` when absent."""

    kind: str
    vars: list[BoundVar]
    range: Expr | None
    body: Expr
    attributes: list[Attribute] = field(default_factory=list)


@dataclass(eq=False)
class SetComp(Expr):
    """``set xs | range :: term`` (``term`` ``None``: the single bound variable itself)."""

    vars: list[BoundVar]
    range: Expr
    term: Expr | None
    attributes: list[Attribute] = field(default_factory=list)


@dataclass(eq=False)
class MapComp(Expr):
    """``map xs | range :: value`` or ``map xs | range :: key := value``."""

    vars: list[BoundVar]
    range: Expr
    key: Expr | None
    value: Expr
    attributes: list[Attribute] = field(default_factory=list)


@dataclass(eq=False)
class SeqInit(Expr):
    """``seq(n, f)`` (Dafny 3+)."""

    length: Expr
    init: Expr


@dataclass(eq=False)
class Let(Expr):
    """``var x := e; body`` (several variables allowed) or the pattern form ``var C(a, b) := e; body``."""

    vars: list[BoundVar]
    rhss: list[Expr]
    body: Expr
    pattern: Pattern | None = None
    such_that: bool = False


@dataclass(eq=False)
class Pattern(Node):
    """A case pattern: a constructor with argument patterns, a variable (``ctor`` ``None``), a tuple
    (``ctor`` ``"tuple"``) or a literal (``literal`` set)."""

    ctor: str | None
    args: list[Pattern] = field(default_factory=list)
    var: BoundVar | None = None
    literal: Literal | None = None


@dataclass(eq=False)
class MatchCase(Node):
    pattern: Pattern
    body: Expr | list[Stmt]


@dataclass(eq=False)
class MatchExpr(Expr):
    scrutinee: Expr
    cases: list[MatchCase]


@dataclass(eq=False)
class Conversion(Expr):
    """``e as T``."""

    operand: Expr
    target: Type


@dataclass(eq=False)
class TypeTest(Expr):
    """``e is T``."""

    operand: Expr
    target: Type


@dataclass(eq=False)
class Old(Expr):
    """``old(e)``, ``fresh(e)``, ``allocated(e)``, ``unchanged(e)`` (ghost-only: ``kind`` names which)."""

    kind: str
    operand: Expr


@dataclass(eq=False)
class StmtExpr(Expr):
    """``assert P; e`` / ``reveal f(); e`` / ``calc ...; e`` inside an expression (the statement is ghost)."""

    stmt: Stmt
    body: Expr


# ----------------------------------------------------------------------------------------------- statements


@dataclass(eq=False)
class Stmt(Node):
    labels: list[str] = field(default_factory=list, kw_only=True)


@dataclass(eq=False)
class LocalVar(Node):
    name: str
    type: Type | None
    ghost: bool = False


@dataclass(eq=False)
class NewArray(Node):
    """``new T[d1, d2]``, ``new T[n] [a, b]`` (display) or ``new T[n] (f)`` (initializer function)."""

    elem: Type
    dims: list[Expr | None]
    display: list[Expr] | None = None
    init: Expr | None = None


@dataclass(eq=False)
class NewObject(Node):
    """``new C(args)`` / ``new C.Init(args)``."""

    type: Type
    ctor: str | None
    args: list[Expr]


Rhs = Expr | NewArray | NewObject


@dataclass(eq=False)
class VarDecl(Stmt):
    """``var xs := rhss;`` / ``var xs :| cond;`` / ``var xs;`` (``rhss`` empty)."""

    vars: list[LocalVar]
    rhss: list[Rhs] = field(default_factory=list)
    such_that: Expr | None = None
    pattern: Pattern | None = None


@dataclass(eq=False)
class Assign(Stmt):
    """``lhss := rhss;`` (a method call is a single :class:`Call` right-hand side)."""

    lhss: list[Expr]
    rhss: list[Rhs]


@dataclass(eq=False)
class AssignSuchThat(Stmt):
    lhss: list[Expr]
    cond: Expr


@dataclass(eq=False)
class CallStmt(Stmt):
    """A method call whose results (if any) are not assigned."""

    call: Call


@dataclass(eq=False)
class Block(Stmt):
    stmts: list[Stmt]


@dataclass(eq=False)
class If(Stmt):
    """``if cond {then} else ...``; ``cond`` ``None`` is ``if *``."""

    cond: Expr | None
    then: Block
    else_: Block | If | None = None


@dataclass(eq=False)
class GuardedCase(Node):
    guard: Expr
    body: list[Stmt]


@dataclass(eq=False)
class AltIf(Stmt):
    """``if { case g1 => S1 case g2 => S2 }``."""

    cases: list[GuardedCase]


@dataclass(eq=False)
class While(Stmt):
    """``while cond {body}``; ``cond`` ``None`` is ``while *``; ``body`` ``None`` for a body-less loop."""

    cond: Expr | None
    body: Block | None
    invariants: list[Expr] = field(default_factory=list)
    decreases: list[Expr] = field(default_factory=list)
    modifies: list[Expr] = field(default_factory=list)


@dataclass(eq=False)
class AltWhile(Stmt):
    cases: list[GuardedCase]
    invariants: list[Expr] = field(default_factory=list)
    decreases: list[Expr] = field(default_factory=list)


@dataclass(eq=False)
class ForLoop(Stmt):
    """``for i := lo to hi {body}`` (``down``: ``downto``; ``hi`` ``None``: ``to *``)."""

    var: LocalVar
    lo: Expr
    hi: Expr | None
    down: bool
    body: Block | None
    invariants: list[Expr] = field(default_factory=list)
    decreases: list[Expr] = field(default_factory=list)


@dataclass(eq=False)
class MatchStmt(Stmt):
    scrutinee: Expr
    cases: list[MatchCase]


@dataclass(eq=False)
class ForallStmt(Stmt):
    """``forall xs | range ensures ... { body }``: as code, a simultaneous assignment over the range."""

    vars: list[BoundVar]
    range: Expr | None
    body: Block | None
    ensures: list[Expr] = field(default_factory=list)
    header_names: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Print(Stmt):
    args: list[Expr]


@dataclass(eq=False)
class Return(Stmt):
    values: list[Rhs] = field(default_factory=list)


@dataclass(eq=False)
class Break(Stmt):
    """``break;`` / ``break L;`` / ``break break;`` (``count`` levels)."""

    label: str | None = None
    count: int = 1


@dataclass(eq=False)
class GhostStmt(Stmt):
    """A proof-only statement kept for printers: ``assert``, ``assume``, ``expect``, ``calc``, ``reveal``,
    ``modify``; ``exprs`` are its expressions when simple."""

    kind: str
    exprs: list[Expr] = field(default_factory=list)
    text: str = ""


@dataclass(eq=False)
class Expect(Stmt):
    """``expect cond, message;`` (compiled: a run-time check)."""

    cond: Expr
    message: Expr | None = None


# ----------------------------------------------------------------------------------------------- declarations


@dataclass(eq=False)
class TypeParam(Node):
    name: str
    characteristics: str = ""
    variance: str = ""


@dataclass(eq=False)
class Formal(Node):
    name: str
    type: Type
    ghost: bool = False
    default: Expr | None = None


@dataclass(eq=False)
class Decl(Node):
    name: str
    attributes: list[Attribute] = field(default_factory=list, kw_only=True)


@dataclass(eq=False)
class Ctor(Node):
    name: str
    fields: list[Formal]
    ghost: bool = False


@dataclass(eq=False)
class Datatype(Decl):
    type_params: list[TypeParam]
    ctors: list[Ctor]
    co: bool = False
    members: list[Decl] = field(default_factory=list)


@dataclass(eq=False)
class SubsetType(Decl):
    """``type N = x: Base | constraint`` (``newtype`` when ``is_newtype``); ``var`` ``None`` for plain
    ``newtype N = Base``."""

    type_params: list[TypeParam]
    var: str | None
    base: Type
    constraint: Expr | None
    witness: Expr | None = None
    is_newtype: bool = False


@dataclass(eq=False)
class TypeSynonym(Decl):
    """``type N<T> = T'`` or an opaque ``type N`` (``rhs`` ``None``)."""

    type_params: list[TypeParam]
    rhs: Type | None


@dataclass(eq=False)
class Const(Decl):
    type: Type | None
    value: Expr | None
    ghost: bool = False
    static: bool = False


@dataclass(eq=False)
class Field(Decl):
    type: Type
    ghost: bool = False


@dataclass(eq=False)
class Function(Decl):
    """A function or predicate; ``compiled`` for ``function method`` (Dafny 3) / non-ghost ``function``."""

    type_params: list[TypeParam]
    params: list[Formal]
    result: Type
    body: Expr | None
    compiled: bool = True
    is_predicate: bool = False
    result_name: str | None = None
    requires: list[Expr] = field(default_factory=list)
    ensures: list[Expr] = field(default_factory=list)
    reads: list[Expr] = field(default_factory=list)
    decreases: list[Expr] = field(default_factory=list)
    static: bool = False


@dataclass(eq=False)
class Method(Decl):
    """A method, lemma (``kind`` ``lemma``, ghost) or constructor."""

    type_params: list[TypeParam]
    ins: list[Formal]
    outs: list[Formal]
    body: Block | None
    kind: str = "method"
    ghost: bool = False
    requires: list[Expr] = field(default_factory=list)
    ensures: list[Expr] = field(default_factory=list)
    modifies: list[Expr] = field(default_factory=list)
    decreases: list[Expr] = field(default_factory=list)
    static: bool = False


@dataclass(eq=False)
class ClassDecl(Decl):
    """``class``/``trait`` with members (``kind`` names which)."""

    type_params: list[TypeParam]
    members: list[Decl]
    kind: str = "class"
    extends: list[Type] = field(default_factory=list)


@dataclass(eq=False)
class ModuleDecl(Decl):
    decls: list[Decl]
    abstract: bool = False


@dataclass(eq=False)
class Import(Decl):
    target: str
    opened: bool = False


@dataclass(eq=False)
class Program(Node):
    decls: list[Decl]

    def find(self, name: str) -> Decl | None:
        """The top-level declaration called ``name``."""
        return next((d for d in self.decls if d.name == name), None)
