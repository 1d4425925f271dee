"""Generic traversal of the syntax tree: children of a node, every node below one, renaming references, the
part of a program some roots reach."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterator

from verifiers.front import ast as A


def children(node: A.Node) -> Iterator[A.Node]:
    """The nodes directly below ``node`` (in field order; lists and pairs are flattened)."""
    for f in dataclasses.fields(node):
        if f.name in ("line", "ty"):
            continue
        yield from _nodes_in(getattr(node, f.name))


def _nodes_in(value: object) -> Iterator[A.Node]:
    if isinstance(value, A.Node):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _nodes_in(item)


def walk(node: A.Node) -> Iterator[A.Node]:
    """``node`` and every node below it, parents first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))


def map_names(expr: A.Node, fn: Callable[[str], str]) -> A.Node:
    """Rename every :class:`~verifiers.front.ast.Name` reference below ``expr`` in place; returns ``expr``."""
    for n in walk(expr):
        if isinstance(n, A.Name):
            n.name = fn(n.name)
    return expr


PRUNABLE = (A.Method, A.Function, A.ClassDecl)


def reachable_part(program: A.Program, roots: Collection[str]) -> A.Program:
    """``program`` with only the methods, functions and classes that ``roots`` reach by name.

    Why: a verified program often carries test drivers (``Main`` with ``print`` or ``if *``) and spec-only
    predicates that compiling ``roots`` never needs; refusing them would refuse the program. Reaching is by
    name (a ``Name`` or a type naming the declaration), so it over-approximates: nothing needed is dropped.
    Datatypes, type declarations and constants always stay (what they reach stays too). A root that is not
    declared leaves the program as it is, for the compiler to report.
    """
    by_name = {d.name: d for d in program.decls}
    if not all(r in by_name for r in roots):
        return program
    kept: set[str] = set()
    pending = [r for r in roots] + [d.name for d in program.decls if not isinstance(d, PRUNABLE)]
    while pending:
        name = pending.pop()
        if name in kept or name not in by_name:
            continue
        kept.add(name)
        pending.extend(_names_used(by_name[name]) - kept)
    return A.Program([d for d in program.decls if d.name in kept])


def _names_used(decl: A.Node) -> set[str]:
    """Every identifier ``decl`` refers to: names in expressions and the names of the types it writes."""
    used: set[str] = set()
    for n in walk(decl):
        if isinstance(n, A.Name):
            used.add(n.name)
        for f in dataclasses.fields(n):
            _type_names(getattr(n, f.name), used)
    return used


def _type_names(value: object, out: set[str]) -> None:
    if isinstance(value, A.Type):
        out.add(value.name.split(".")[0])
        for arg in value.args:
            _type_names(arg, out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _type_names(item, out)
