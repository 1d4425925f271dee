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

from dataclasses import dataclass

from verifiers.front import ast as A
from verifiers.front.parser import parse_expression

WIDE = 128
MAX_FACTORS = 3  # a product of more port values than this could overflow WIDE bits


class Untranslatable(Exception):
    """A clause uses something the harness cannot express; the message names it."""


@dataclass(frozen=True)
class Signal:
    """A harness signal carrying a task parameter or result: its Verilog name, width, signedness and type."""

    name: str
    width: int
    signed: bool
    is_bool: bool = False


@dataclass(frozen=True)
class Value:
    """A translated expression: Verilog text, whether it is boolean, and how many port factors it multiplies."""

    text: str
    is_bool: bool
    factors: int = 1


def wide(sig: Signal) -> str:
    """``sig`` as a WIDE-bit signed value."""
    if sig.signed:
        return f"{{{{{WIDE - sig.width}{{{sig.name}[{sig.width - 1}]}}}}, {sig.name}}}"
    return f"{{{WIDE - sig.width}'d0, {sig.name}}}"


def clause_to_verilog(text: str, signals: dict[str, Signal]) -> str:
    """The Verilog (1-bit) of one pinned clause.

    Raises:
        Untranslatable: the clause uses something outside the translated subset.
    """
    try:
        expr = parse_expression(text)
    except Exception as exc:  # the clause was verified by Dafny; a parse failure here is ours to report
        raise Untranslatable(f"the clause cannot be read ({exc})") from None
    value = _expr(expr, signals)
    if not value.is_bool:
        raise Untranslatable("the clause is not a boolean")
    return value.text


def _int(v: Value, what: str) -> str:
    if v.is_bool:
        raise Untranslatable(f"{what} needs an integer, got a boolean")
    return v.text


def _bool(v: Value, what: str) -> str:
    if not v.is_bool:
        raise Untranslatable(f"{what} needs a boolean, got an integer")
    return v.text


def _expr(e: A.Expr, signals: dict[str, Signal]) -> Value:
    if isinstance(e, A.Paren):
        inner = _expr(e.inner, signals)
        return Value(f"({inner.text})", inner.is_bool, inner.factors)
    if isinstance(e, A.Literal):
        if e.kind == "bool":
            return Value("1'b1" if e.value else "1'b0", True, 0)
        if e.kind == "int":
            n = int(e.value)  # type: ignore[arg-type]
            return Value(f"{WIDE}'sd{n}" if n >= 0 else f"(-{WIDE}'sd{-n})", False, 0)
        raise Untranslatable(f"a {e.kind} literal")
    if isinstance(e, A.Name):
        sig = signals.get(e.name)
        if sig is None:
            raise Untranslatable(f"`{e.name}` is not a scalar parameter or result of the target")
        return Value(sig.name, True) if sig.is_bool else Value(f"$signed({wide(sig)})", False)
    if isinstance(e, A.Old):
        if e.kind != "old":
            raise Untranslatable(f"{e.kind}(...)")
        return _expr(e.operand, signals)
    if isinstance(e, A.Unary):
        v = _expr(e.operand, signals)
        if e.op == "!":
            return Value(f"!({_bool(v, '!')})", True, 0)
        if e.op == "-":
            return Value(f"(-({_int(v, 'unary -')}))", False, v.factors)
        raise Untranslatable(f"unary `{e.op}`")
    if isinstance(e, A.Ite):
        c = _bool(_expr(e.cond, signals), "if")
        a, b = _expr(e.then, signals), _expr(e.else_, signals)
        if a.is_bool != b.is_bool:
            raise Untranslatable("the branches of an `if` have different types")
        return Value(f"(({c}) ? ({a.text}) : ({b.text}))", a.is_bool, max(a.factors, b.factors))
    if isinstance(e, A.Chain):
        parts = [_expr(x, signals) for x in e.operands]
        links = [_compare(op, parts[i], parts[i + 1]) for i, op in enumerate(e.ops)]
        return Value("(" + " && ".join(links) + ")", True, 0)
    if isinstance(e, A.Binary):
        return _binary(e, signals)
    raise Untranslatable(f"{type(e).__name__.lower()} expressions")


COMPARE = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
LOGIC = {"&&", "||", "==>", "<==", "<==>"}


def _compare(op: str, a: Value, b: Value) -> str:
    if op not in COMPARE:
        raise Untranslatable(f"the comparison `{op}`")
    if a.is_bool and b.is_bool and op in ("==", "!="):
        return f"(({a.text}) {op} ({b.text}))"
    return f"(({_int(a, op)}) {COMPARE[op]} ({_int(b, op)}))"


def _binary(e: A.Binary, signals: dict[str, Signal]) -> Value:
    a, b = _expr(e.left, signals), _expr(e.right, signals)
    op = e.op
    if op in LOGIC:
        x, y = _bool(a, op), _bool(b, op)
        text = {"&&": f"(({x}) && ({y}))", "||": f"(({x}) || ({y}))", "==>": f"(!({x}) || ({y}))",
                "<==": f"(({x}) || !({y}))", "<==>": f"(({x}) == ({y}))"}[op]
        return Value(text, True, 0)
    if op in COMPARE:
        return Value(_compare(op, a, b), True, 0)
    x, y = _int(a, op), _int(b, op)
    if op in ("+", "-"):
        return Value(f"(({x}) {op} ({y}))", False, max(a.factors, b.factors))
    if op == "*":
        factors = a.factors + b.factors
        if factors > MAX_FACTORS:
            raise Untranslatable(f"a product of {factors} values (it could overflow the {WIDE}-bit check)")
        return Value(f"(({x}) * ({y}))", False, factors)
    if op in ("/", "%"):
        return Value(f"p2s_{'div' if op == '/' else 'mod'}({x}, {y})", False, max(a.factors, b.factors))
    raise Untranslatable(f"the operator `{op}`")
