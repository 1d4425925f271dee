"""Compares that the value ranges decide, turned into constants, and the branches on them into jumps.

Why: the C computes Dafny's Euclidean ``%`` with a fix-up for a negative remainder; when both operands are known
not to be negative (a ``nat``), the fix-up can never run, and leaving it in costs a compare, an adder and a
multiplexer on every iteration, and often a cycle. Folding is only as sound as :mod:`hls.static.ranges`: a
branch is removed only where no value the inputs allow can take it.
"""

from __future__ import annotations

from dataclasses import replace

from hls.static.ir import Block, Function, Operation, Terminator
from hls.static.ranges import Interval, decided


def fold_decided(func: Function, ranges: dict[str, Interval]) -> Function:
    """``func`` with every decided compare a constant, branches on them jumps, unreachable blocks gone."""
    known: dict[str, bool] = {}
    blocks: dict[int, Block] = {}
    for b in func.blocks.values():
        ops = []
        for op in b.ops:
            value = decided(op, ranges)
            if value is None:
                ops.append(op)
                continue
            assert op.result is not None
            known[op.result] = value
            ops.append(Operation(op.result, "arith.constant", [], "i1", "1" if value else "0"))
        term = b.term
        assert term is not None
        if term.kind == "cond_br" and term.cond in known:
            term = Terminator("br", [term.edges[0 if known[term.cond] else 1]])
        blocks[b.id] = replace(b, ops=ops, term=term)
    folded = replace(func, blocks=blocks)
    reached = set(folded.depth_first()[0])
    return replace(folded, blocks={k: v for k, v in blocks.items() if k in reached})
