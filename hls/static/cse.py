"""Repeated computations merged: an ``arith`` operation equal to one that dominates it reuses that one's value.

Why: the C the pipeline emits spells out every use (``(r + 1) * (r + 1)`` is two adders, every literal its own
constant), and a static schedule keeps what it is given: each copy is an operator and its chained delay. Two
operations are equal when they have the same name, type, predicate or value and, after earlier merges, the same
operands (in either order for the commutative ones). Only ``arith`` operations merge: they have no effect beyond
their value; loads and stores keep their place. The dominating one is kept, so the value exists wherever the
merged one was used.
"""

from __future__ import annotations

from dataclasses import replace

from hls.static.ir import Block, Edge, Function, Operation, Terminator

COMMUTATIVE = {"arith.addi", "arith.muli", "arith.andi", "arith.ori", "arith.xori", "arith.maxsi", "arith.minsi",
               "arith.maxui", "arith.minui"}


def dominators(func: Function) -> dict[int, int | None]:
    """Each reachable block's immediate dominator (the entry's is None), by the iterative data-flow method."""
    post, _ = func.depth_first()
    order = post[::-1]
    preds = func.predecessors()
    dom: dict[int, set[int]] = {b: set(order) for b in order}
    dom[0] = {0}
    changed = True
    while changed:
        changed = False
        for b in order[1:]:
            inputs = [dom[p] for p, _ in preds[b] if p in dom]
            new = set.intersection(*inputs) | {b} if inputs else {b}
            if new != dom[b]:
                dom[b], changed = new, True
    # the immediate dominator is the strict dominator that every other strict dominator dominates
    return {b: (max(dom[b] - {b}, key=lambda d: len(dom[d])) if b != 0 else None) for b in order}


def _key(op: Operation, names: dict[str, str]) -> tuple | None:
    if not op.result or not op.name.startswith("arith."):
        return None
    operands = [names.get(x, x) for x in op.operands]
    if op.name in COMMUTATIVE:
        operands.sort()
    return (op.name, tuple(operands), op.type, op.attr, op.source_type)


def merge_repeated(func: Function) -> tuple[Function, dict[str, str]]:
    """``func`` with repeated ``arith`` operations merged into the dominating one (see the module docstring),
    and what became of each merged value (merged -> kept)."""
    idom = dominators(func)
    children: dict[int, list[int]] = {b: [] for b in idom}
    for b, d in idom.items():
        if d is not None:
            children[d].append(b)
    names: dict[str, str] = {}
    kept_ops: dict[int, list[Operation]] = {}
    stack: list[tuple[int, dict[tuple, str]]] = [(0, {})]
    while stack:  # the dominator tree, each block seeing what its dominators computed
        b, seen = stack.pop()
        seen = dict(seen)
        kept_ops[b] = []
        for op in func.blocks[b].ops:
            key = _key(op, names)
            if key is not None and key in seen:
                names[op.result] = seen[key]  # type: ignore[index]
                continue
            if key is not None:
                seen[key] = op.result  # type: ignore[assignment]
            kept_ops[b].append(op)
        stack.extend((c, seen) for c in children[b])

    def rename(x: str) -> str:
        return names.get(x, x)

    blocks: dict[int, Block] = {}
    for b, ops in kept_ops.items():
        block = func.blocks[b]
        term = block.term
        assert term is not None
        edges = [Edge(e.target, [rename(a) for a in e.args]) for e in term.edges]
        blocks[b] = replace(block, ops=[replace(op, operands=[rename(x) for x in op.operands]) for op in ops],
                            term=Terminator(term.kind, edges, rename(term.cond) if term.cond else "",
                                            [rename(v) for v in term.values]))
    return replace(func, blocks={b: blocks[b] for b in func.blocks if b in blocks}), names
