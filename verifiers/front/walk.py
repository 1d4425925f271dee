"""Generic traversal of the syntax tree: children of a node, every node below one, renaming references."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

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
