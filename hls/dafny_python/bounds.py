"""Finite domains for bound variables: how a quantifier, comprehension or ``:|`` becomes a Python loop.

Dafny compiles ``forall i :: 0 <= i < n ==> P`` and ``set x | x in s && Q`` only when it finds a finite bound for
every variable: an integer range, membership in a collection, or a ``bool``. This module finds the same kinds of
bounds in the range's conjuncts (and a single value, ``x == e``); the full range is still checked as the loop's
filter, so a loose bound is fine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verifiers.front import ast as A
from verifiers.front import printer
from verifiers.front.walk import walk


@dataclass
class Domain:
    """``kind``: ``range`` (``lo``..``hi`` exclusive, Python expressions as AST nodes), ``collection``
    (``coll`` iterated in its runtime order) or ``bool``."""

    kind: str
    lo: A.Expr | None = None
    hi: A.Expr | None = None
    hi_inclusive: bool = False
    lo_exclusive: bool = False
    coll: A.Expr | None = None
    used: list[A.Expr] = field(default_factory=list)  # the constraints the domain guarantees


def conjuncts(e: A.Expr | None) -> list[A.Expr]:
    """The top-level ``&&`` operands of ``e``, with comparison chains split into their links."""
    if e is None:
        return []
    if isinstance(e, A.Paren):
        return conjuncts(e.inner)
    if isinstance(e, A.Binary) and e.op == "&&":
        return conjuncts(e.left) + conjuncts(e.right)
    if isinstance(e, A.Chain):
        out: list[A.Expr] = []
        for op, a, b in zip(e.ops, e.operands, e.operands[1:], strict=False):
            link = A.Binary(op, a, b, line=e.line)
            link.ty = A.BOOL
            out.append(link)
        return out
    return [e]


def implied(e: A.Expr | None) -> list[A.Expr]:
    """Comparisons a chain implies between operands that are not neighbours: ``0 <= i < j < n`` gives
    ``0 < j``, ``0 < n`` and ``i < n``, so ``i`` has an upper bound that does not mention ``j``."""
    out: list[A.Expr] = []
    for c in [e] if isinstance(e, A.Chain) else [x for x in _all_conjunct_nodes(e)]:
        if not isinstance(c, A.Chain):
            continue
        ups = all(op in ("<", "<=") for op in c.ops)
        downs = all(op in (">", ">=") for op in c.ops)
        if not (ups or downs):
            continue
        for i in range(len(c.operands)):
            for j in range(i + 2, len(c.operands)):
                strict = any(op in ("<", ">") for op in c.ops[i:j])
                op = ("<" if strict else "<=") if ups else (">" if strict else ">=")
                link = A.Binary(op, c.operands[i], c.operands[j], line=c.line)
                link.ty = A.BOOL
                out.append(link)
    return out


def forall_antecedent(body: A.Expr) -> A.Expr | None:
    """What bounds a ``forall``'s variables from its body: ``A`` in ``A ==> B``, and the conjuncts shared by
    every antecedent in ``(A1 ==> B1) && (A2 ==> B2)`` (Dafny's resolver splits ``A ==> B && C`` so).

    Sound as a domain: where a shared conjunct is false every antecedent is, and the body holds there.
    """
    parts = _all_conjunct_nodes(body)
    if not parts or not all(isinstance(p, A.Binary) and p.op == "==>" for p in parts):
        return None
    keyed = [{printer.expr(c): c for c in conjuncts(p.left)} for p in parts]  # type: ignore[attr-defined]
    shared = [c for key, c in keyed[0].items() if all(key in other for other in keyed[1:])]
    if not shared:
        return None
    out = shared[0]
    for c in shared[1:]:
        out = A.Binary("&&", out, c, line=c.line)
        out.ty = A.BOOL
    return out


def _all_conjunct_nodes(e: A.Expr | None) -> list[A.Expr]:
    if e is None:
        return []
    if isinstance(e, A.Paren):
        return _all_conjunct_nodes(e.inner)
    if isinstance(e, A.Binary) and e.op == "&&":
        return _all_conjunct_nodes(e.left) + _all_conjunct_nodes(e.right)
    return [e]


def _mentions(e: A.Expr, names: set[str]) -> bool:
    return any(isinstance(n, A.Name) and n.name in names for n in walk(e))


def _is_var(e: A.Expr, name: str) -> bool:
    while isinstance(e, A.Paren):
        e = e.inner
    return isinstance(e, A.Name) and e.name == name


def find_domain(var: A.BoundVar, norm: A.Type, constraints: list[A.Expr], forbidden: set[str]) -> Domain | None:
    """A finite domain for ``var`` from ``constraints`` (expressions that must hold), or ``None``.

    ``forbidden`` are names the bound expressions must not mention (this and later bound variables).
    """
    name = var.name
    for c in constraints:
        if isinstance(c, A.Binary) and c.op == "in" and _is_var(c.left, name) and not _mentions(c.right, forbidden):
            return Domain("collection", coll=c.right, used=[c])
    if norm.name == "bool":
        return Domain("bool")
    if norm.name != "int" and norm.bv_width is None:
        return None
    for c in constraints:  # `x == e` (Dafny's own trigger variables: `_t#0 == i + 1`): the one value e
        if isinstance(c, A.Binary) and c.op == "==":
            other = c.right if _is_var(c.left, name) else c.left if _is_var(c.right, name) else None
            if other is not None and not _mentions(other, forbidden):
                return Domain("range", lo=other, hi=other, hi_inclusive=True, used=[c])
    lo: tuple[A.Expr, bool] | None = None
    hi: tuple[A.Expr, bool] | None = None
    used: list[A.Expr] = []
    for c in constraints:
        if not isinstance(c, A.Binary) or c.op not in ("<", "<=", ">", ">="):
            continue
        left, right, op = c.left, c.right, c.op
        if op in (">", ">="):
            left, right, op = right, left, {">": "<", ">=": "<="}[op]
        # now `left op right` with op in (<, <=)
        if _is_var(right, name) and not _mentions(left, forbidden) and lo is None:
            lo = (left, op == "<")
            used.append(c)
        elif _is_var(left, name) and not _mentions(right, forbidden) and hi is None:
            hi = (right, op == "<=")
            used.append(c)
    if lo is None and (var.type is not None and var.type.name == "nat" or norm.bv_width is not None):
        zero = A.Literal("int", 0)
        zero.ty = A.INT
        lo = (zero, False)
    if lo is None or hi is None:
        return None
    return Domain("range", lo=lo[0], hi=hi[0], hi_inclusive=hi[1], lo_exclusive=lo[1], used=used)
