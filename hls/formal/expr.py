"""The task's pinned clauses as Verilog expressions over the harness's signals, for the formal check.

Dafny integers are unbounded; the RTL computes in fixed widths. So every integer here is evaluated in
:data:`WIDE` signed bits (ports are sign- or zero-extended into it, per their signedness), wide enough that
the clauses themselves cannot overflow for the operand counts the translator accepts (the product of at
most three port-width values). Division and modulo follow Dafny's Euclidean definition (the remainder is
never negative), through the harness's ``p2s_div``/``p2s_mod`` functions.

What a clause may use: integer and boolean literals, the task's parameters and results (scalars), ``old(x)``
of a parameter (a scalar in-parameter never changes), ``+ - * / %``, unary ``-``, comparisons and their
chains, ``&& || ! ==> <== <==>``, ``if .. then .. else``, parentheses. Anything else (a function call, a
quantifier, an array, a sequence) raises :class:`Untranslatable` naming it: the clause is listed as
unchecked, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import product

from verifiers.front import ast as A
from verifiers.front.parser import parse_expression

WIDE = 128
MAX_FACTORS = 3  # a product of more port values than this could overflow WIDE bits


# Dafny's Euclidean division and modulo (the remainder is never negative), which the translated clauses call.
EUCLID_FUNCTIONS = f"""\
  function automatic signed [{WIDE - 1}:0] p2s_mod(input signed [{WIDE - 1}:0] x, input signed [{WIDE - 1}:0] y);
    reg signed [{WIDE - 1}:0] r;
    begin
      r = x % y;
      if (r < 0) r = (y < 0) ? r - y : r + y;
      p2s_mod = r;
    end
  endfunction
  function automatic signed [{WIDE - 1}:0] p2s_div(input signed [{WIDE - 1}:0] x, input signed [{WIDE - 1}:0] y);
    begin
      p2s_div = (x - p2s_mod(x, y)) / y;
    end
  endfunction
"""


class Untranslatable(Exception):
    """A clause uses something the harness cannot express; the message names it."""


@dataclass(frozen=True)
class Signal:
    """A harness signal carrying a task parameter or result: its Verilog name, width, signedness and type
    (``is_bool``; ``bv``: the N of a Dafny ``bvN``, whose values are N-bit words)."""

    name: str
    width: int
    signed: bool
    is_bool: bool = False
    bv: int | None = None


@dataclass(frozen=True)
class ArraySignal:
    """An array or sequence parameter in the harness: its length signal and one register per element, now
    (``elems``) and at the start (``inits``, what ``old(a[i])`` reads), with the elements' type."""

    length: Signal
    elems: tuple[str, ...]
    inits: tuple[str, ...]
    element: Signal  # width, signedness and type of an element (its name unused)


@dataclass(frozen=True)
class Scope:
    """What a clause can name: scalar signals, arrays, quantified variables (unrolled to constants), and
    whether it is read inside ``old(...)``."""

    scalars: dict[str, Signal]
    arrays: dict[str, ArraySignal] = field(default_factory=dict)
    bound: dict[str, int] = field(default_factory=dict)
    old: bool = False

    def get(self, name: str) -> Signal | None:
        return self.scalars.get(name)


MAX_UNROLLED = 4096  # quantifier instances a clause may unroll to


@dataclass(frozen=True)
class Value:
    """A translated expression: Verilog text and its kind (``bool``, ``int``: WIDE-bit signed, ``bv``: a
    ``bv``-bit word), the number of port factors it multiplies, and whether it is a bare literal (which takes
    the type of the other operand, as in Dafny)."""

    text: str
    kind: str
    factors: int = 1
    bv: int = 0
    literal: int | None = None

    @property
    def is_bool(self) -> bool:
        return self.kind == "bool"


def wide(sig: Signal) -> str:
    """``sig`` as a WIDE-bit signed value."""
    if sig.signed:
        return f"{{{{{WIDE - sig.width}{{{sig.name}[{sig.width - 1}]}}}}, {sig.name}}}"
    return f"{{{WIDE - sig.width}'d0, {sig.name}}}"


def clause_to_verilog(text: str, signals: dict[str, Signal] | Scope) -> str:
    """The Verilog (1-bit) of one pinned clause over ``signals`` (scalars, or a :class:`Scope` with arrays).

    Raises:
        Untranslatable: the clause uses something outside the translated subset.
    """
    try:
        expr = parse_expression(text)
    except Exception as exc:  # the clause was verified by Dafny; a parse failure here is ours to report
        raise Untranslatable(f"the clause cannot be read ({exc})") from None
    scope = signals if isinstance(signals, Scope) else Scope(dict(signals))
    value = _expr(expr, scope)
    if not value.is_bool:
        raise Untranslatable("the clause is not a boolean")
    return value.text


def _int(v: Value, what: str) -> str:
    if v.kind != "int":
        raise Untranslatable(f"{what} needs an integer, got a {v.kind}")
    return v.text


def _bool(v: Value, what: str) -> str:
    if not v.is_bool:
        raise Untranslatable(f"{what} needs a boolean, got a {v.kind}")
    return v.text


def _as_bv(v: Value, n: int, what: str) -> str:
    """``v`` as an n-bit word: a bv of that width, or a literal that fits it."""
    if v.kind == "bv" and v.bv == n:
        return v.text
    if v.literal is not None and 0 <= v.literal < (1 << n):
        return f"{n}'d{v.literal}"
    raise Untranslatable(f"{what} mixes a bv{n} with a {v.kind if v.kind != 'bv' else f'bv{v.bv}'}")


def _pair(a: Value, b: Value, what: str) -> tuple[str, str, str, int]:
    """Both operands in one domain: (kind, left text, right text, bv width or 0)."""
    if a.kind == "bv" or b.kind == "bv":
        n = a.bv if a.kind == "bv" else b.bv
        return "bv", _as_bv(a, n, what), _as_bv(b, n, what), n
    if a.is_bool or b.is_bool:
        return "bool", _bool(a, what), _bool(b, what), 0
    return "int", a.text, b.text, 0


def _expr(e: A.Expr, signals: Scope) -> Value:
    if isinstance(e, A.Paren):
        inner = _expr(e.inner, signals)
        return Value(f"({inner.text})", inner.kind, inner.factors, inner.bv, inner.literal)
    if isinstance(e, A.Literal):
        if e.kind == "bool":
            return Value("1'b1" if e.value else "1'b0", "bool", 0)
        if e.kind == "int":
            n = int(e.value)  # type: ignore[arg-type]
            return Value(f"{WIDE}'sd{n}" if n >= 0 else f"(-{WIDE}'sd{-n})", "int", 0, literal=n)
        raise Untranslatable(f"a {e.kind} literal")
    if isinstance(e, A.Name):
        if e.name in signals.bound:
            k = signals.bound[e.name]
            return Value(f"{WIDE}'sd{k}", "int", 0, literal=k)
        if e.name in signals.arrays:
            raise Untranslatable(f"the whole array `{e.name}` (only its elements and length)")
        sig = signals.get(e.name)
        if sig is None:
            raise Untranslatable(f"`{e.name}` is not a scalar parameter or result of the target")
        if sig.is_bool:
            return Value(sig.name, "bool")
        if sig.bv:
            return Value(sig.name, "bv", bv=sig.bv)
        return Value(f"$signed({wide(sig)})", "int")
    if isinstance(e, A.Old):
        if e.kind != "old":
            raise Untranslatable(f"{e.kind}(...)")
        return _expr(e.operand, replace(signals, old=True))
    if isinstance(e, (A.Member, A.Card)):
        return _length(e, signals)
    if isinstance(e, A.Index):
        return _element(e, signals)
    if isinstance(e, A.Quantifier):
        return _quantifier(e, signals)
    if isinstance(e, A.Conversion):
        return _conversion(e, signals)
    if isinstance(e, A.Unary):
        v = _expr(e.operand, signals)
        if e.op == "!" and v.kind == "bv":
            return Value(f"(~{v.text})", "bv", 0, v.bv)
        if e.op == "!":
            return Value(f"!({_bool(v, '!')})", "bool", 0)
        if e.op == "-" and v.kind == "bv":
            return Value(f"{v.bv}'(-{v.text})", "bv", 0, v.bv)
        if e.op == "-":
            lit = -v.literal if v.literal is not None else None
            return Value(f"(-({_int(v, 'unary -')}))", "int", v.factors, literal=lit)
        raise Untranslatable(f"unary `{e.op}`")
    if isinstance(e, A.Ite):
        c = _bool(_expr(e.cond, signals), "if")
        a, b = _expr(e.then, signals), _expr(e.else_, signals)
        kind, x, y, n = _pair(a, b, "the branches of an `if`")
        return Value(f"(({c}) ? ({x}) : ({y}))", kind, max(a.factors, b.factors), n)
    if isinstance(e, A.Chain):
        parts = [_expr(x, signals) for x in e.operands]
        links = [_compare(op, parts[i], parts[i + 1]) for i, op in enumerate(e.ops)]
        return Value("(" + " && ".join(links) + ")", "bool", 0)
    if isinstance(e, A.Binary):
        return _binary(e, signals)
    raise Untranslatable(f"{type(e).__name__.lower()} expressions")


def _conversion(e: A.Conversion, signals: Scope) -> Value:
    """``x as int`` / ``x as nat`` of a bv (its unsigned value), ``x as bvN`` of an integer or a bv."""
    v = _expr(e.operand, signals)
    target = e.target.name
    if target in ("int", "nat"):
        if v.kind == "bv":
            return Value(f"$signed({{{WIDE - v.bv}'d0, {v.text}}})", "int", 1)
        if v.kind == "int":
            return v
    if target.startswith("bv") and target[2:].isdigit():
        n = int(target[2:])
        if v.kind in ("int", "bv"):  # Dafny proves the value fits, so truncating to n bits keeps it
            return Value(f"{n}'({v.text})", "bv", 0, n)
    raise Untranslatable(f"the conversion `as {target}` of a {v.kind}")


COMPARE = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
LOGIC = {"&&", "||", "==>", "<==", "<==>"}
BITWISE = {"&", "|", "^"}


def _compare(op: str, a: Value, b: Value) -> str:
    if op not in COMPARE:
        raise Untranslatable(f"the comparison `{op}`")
    kind, x, y, _ = _pair(a, b, op)
    if kind == "bool" and op not in ("==", "!="):
        raise Untranslatable(f"`{op}` on booleans")
    return f"(({x}) {COMPARE[op]} ({y}))"


def _binary(e: A.Binary, signals: Scope) -> Value:
    a, b = _expr(e.left, signals), _expr(e.right, signals)
    op = e.op
    if op in LOGIC:
        x, y = _bool(a, op), _bool(b, op)
        text = {"&&": f"(({x}) && ({y}))", "||": f"(({x}) || ({y}))", "==>": f"(!({x}) || ({y}))",
                "<==": f"(({x}) || !({y}))", "<==>": f"(({x}) == ({y}))"}[op]
        return Value(text, "bool", 0)
    if op in COMPARE:
        return Value(_compare(op, a, b), "bool", 0)
    if op in ("<<", ">>"):
        if a.kind != "bv":
            raise Untranslatable(f"`{op}` on a {a.kind}")
        amount = b.text if b.kind == "bv" else _int(b, op)
        return Value(f"{a.bv}'({a.text} {op} ({amount}))", "bv", 0, a.bv)
    kind, x, y, n = _pair(a, b, op)
    if kind == "bool":
        raise Untranslatable(f"`{op}` on booleans")
    if kind == "bv":
        if op in BITWISE or op in ("+", "-", "*"):
            return Value(f"{n}'(({x}) {op} ({y}))", "bv", 0, n)
        if op in ("/", "%"):
            return Value(f"{n}'(({x}) {op} ({y}))", "bv", 0, n)  # unsigned: Dafny's bv / and % truncate
        raise Untranslatable(f"the operator `{op}` on bv{n}")
    if op in ("+", "-"):
        return Value(f"(({x}) {op} ({y}))", "int", max(a.factors, b.factors))
    if op == "*":
        factors = a.factors + b.factors
        if factors > MAX_FACTORS:
            raise Untranslatable(f"a product of {factors} values (it could overflow the {WIDE}-bit check)")
        return Value(f"(({x}) * ({y}))", "int", factors)
    if op in ("/", "%"):
        return Value(f"p2s_{'div' if op == '/' else 'mod'}({x}, {y})", "int", max(a.factors, b.factors))
    raise Untranslatable(f"the operator `{op}` on integers")


# ------------------------------------------------------------------------------------------ arrays


def _scalar_value(name: str, sig: Signal) -> Value:
    if sig.is_bool:
        return Value(name, "bool")
    if sig.bv:
        return Value(name, "bv", bv=sig.bv)
    return Value(f"$signed({wide(replace(sig, name=name))})", "int")


def _array_of(e: A.Expr, scope: Scope) -> ArraySignal:
    while isinstance(e, A.Paren):
        e = e.inner
    if isinstance(e, A.Name) and e.name in scope.arrays:
        return scope.arrays[e.name]
    raise Untranslatable("an index or length of something other than an array parameter")


def _length(e: A.Member | A.Card, scope: Scope) -> Value:
    """``a.Length`` / ``|a|`` of an array or sequence parameter (fixed for the whole run)."""
    if isinstance(e, A.Member) and e.name != "Length":
        raise Untranslatable(f"the member `.{e.name}`")
    arr = _array_of(e.obj if isinstance(e, A.Member) else e.operand, scope)
    return _scalar_value(arr.length.name, arr.length)


def _element(e: A.Index, scope: Scope) -> Value:
    """``a[i]``: the element register (a multiplexer when ``i`` is not a constant), ``old`` reads the start."""
    arr = _array_of(e.obj, scope)
    if len(e.indices) != 1:
        raise Untranslatable("a multi-dimensional index")
    index = _expr(e.indices[0], scope)
    regs = arr.inits if scope.old else arr.elems
    if index.literal is not None:
        k = index.literal
        if 0 <= k < len(regs):
            return _scalar_value(regs[k], arr.element)
        # beyond the buffer: only reached under a range that is false there (the length is at most the depth)
        if arr.element.is_bool:
            return Value("1'b0", "bool", 0)
        if arr.element.bv:
            return Value(f"{arr.element.bv}'d0", "bv", 0, arr.element.bv)
        return Value(f"{WIDE}'sd0", "int", 0)
    i = _int(index, "an index")
    words = [_scalar_value(r, arr.element) for r in regs]
    text = words[-1].text
    for k in range(len(words) - 2, -1, -1):
        text = f"(({i}) == {WIDE}'sd{k} ? {words[k].text} : {text})"
    return Value(text, words[0].kind, 1, words[0].bv)


def _conjuncts(e: A.Expr) -> list[A.Expr]:
    while isinstance(e, A.Paren):
        e = e.inner
    if isinstance(e, A.Binary) and e.op == "&&":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


def _comparisons(range_: A.Expr) -> list[tuple[A.Expr, str, A.Expr]]:
    """The ``(left, op, right)`` comparisons of a range's conjuncts (chains split into their links)."""
    out = []
    for c in _conjuncts(range_):
        if isinstance(c, A.Chain):
            out += [(c.operands[k], op, c.operands[k + 1]) for k, op in enumerate(c.ops)]
        elif isinstance(c, A.Binary) and c.op in ("<", "<=", ">", ">="):
            out.append((c.left, c.op, c.right))
    flipped = {">": "<", ">=": "<="}
    return [(r, flipped[op], left) if op in flipped else (left, op, r) for left, op, r in out]


def _is_length(e: A.Expr, scope: Scope) -> bool:
    """``a.Length``, ``|a|``, or either minus a non-negative literal."""
    while isinstance(e, A.Paren):
        e = e.inner
    if isinstance(e, A.Binary) and e.op == "-" and isinstance(e.right, A.Literal) and e.right.kind == "int":
        return int(e.right.value) >= 0 and _is_length(e.left, scope)  # type: ignore[arg-type]
    if not isinstance(e, (A.Member, A.Card)):
        return False
    try:
        _length(e, scope)
        return True
    except Untranslatable:
        return False


def _bounded_vars(names: list[str], range_: A.Expr, scope: Scope) -> None:
    """Check that the range keeps every quantified variable within ``0 .. max depth``: a lower bound that is a
    non-negative literal (or another such variable) and an upper bound that is an array's length (or another
    such variable), so that unrolling over that interval checks every instance.

    Raises:
        Untranslatable: some variable's range is not bounded that way (e.g. ``0 <= i < n`` for a scalar n).
    """
    links = _comparisons(range_)

    def name_of(e: A.Expr) -> str | None:
        while isinstance(e, A.Paren):
            e = e.inner
        return e.name if isinstance(e, A.Name) else None

    low = {n for n in scope.bound}
    high = {n for n in scope.bound}
    changed = True
    while changed:
        changed = False
        for left, _, right in links:
            v, w = name_of(right), name_of(left)
            if v in names and v not in low and (
                    (isinstance(left, A.Literal) and left.kind == "int" and int(left.value) >= 0)  # type: ignore
                    or (w in low)):
                low.add(v)
                changed = True
            if w in names and w not in high and (_is_length(right, scope) or name_of(right) in high):
                high.add(w)
                changed = True
    missing = [n for n in names if n not in low or n not in high]
    if missing:
        raise Untranslatable(f"a quantifier over `{missing[0]}` whose range is not within an array's indices")


def _quantifier(e: A.Quantifier, scope: Scope) -> Value:
    """``forall``/``exists`` over array indices, unrolled: every instance from 0 to the largest buffer."""
    if e.kind not in ("forall", "exists") or not scope.arrays:
        raise Untranslatable(f"{e.kind} expressions")
    names = [v.name for v in e.vars]
    body = e.body
    range_ = e.range
    if range_ is None:
        inner = body.inner if isinstance(body, A.Paren) else body
        if e.kind == "forall" and isinstance(inner, A.Binary) and inner.op == "==>":
            range_, body = inner.left, inner.right
        elif e.kind == "exists":
            range_ = body
        else:
            raise Untranslatable("a quantifier without a range")
    _bounded_vars(names, range_, scope)
    top = max(len(a.elems) for a in scope.arrays.values())
    if (top + 1) ** len(names) > MAX_UNROLLED:
        raise Untranslatable(f"a quantifier of {(top + 1) ** len(names)} instances")
    parts = []
    for values in product(range(top + 1), repeat=len(names)):
        inner_scope = replace(scope, bound={**scope.bound, **dict(zip(names, values, strict=True))})
        r = _bool(_expr(range_, inner_scope), "a quantifier's range")
        b = _bool(_expr(body, inner_scope), "a quantifier's body")
        parts.append(f"(!({r}) || ({b}))" if e.kind == "forall" else
                     (f"(({r}) && ({b}))" if range_ is not body else f"({b})"))
    joined = " && ".join(parts) if e.kind == "forall" else " || ".join(parts)
    return Value(f"({joined})", "bool", 0)
