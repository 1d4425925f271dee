"""The control-flow graph cut into acyclic regions, each run as one straight stretch of clock cycles.

A region starts at the function's entry or at a loop header and takes in every block reachable from there
without passing another region's start; since every cycle of a structured program passes through a loop
header, a region is a DAG. Its branches are if-converted: each block gets a *predicate* (it is on the path
taken), operations run speculatively (they are pure; stores are guarded by their block's predicate), block
arguments inside the region become multiplexers, and the region ends by taking one of its *exits*: an edge to
a region start (a back edge, a loop's exit, the next loop) or a ``return``. One loop iteration without memory
accesses is thus one clock cycle, however many ``if``s its body has.

A loop's exit target starts a region of its own only when what follows it accesses memory (otherwise it is
cheaper to fold it into the loop's region); a block two regions reach starts a region of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hls.static.ir import Block, Function


@dataclass
class Exit:
    """A way out of a region: from ``block`` along edge ``index`` of its terminator (``return``: -1)."""

    block: int
    index: int
    target: int | None  # the region start it goes to; None for a return


@dataclass
class Region:
    """One region: its start block, its blocks in topological order, its exits."""

    start: int
    blocks: list[int]
    exits: list[Exit] = field(default_factory=list)
    # block -> [(predecessor block, edge index)] for edges inside the region (none into the start: an edge to a
    # region's start is an exit)
    preds: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


def successors(block: Block) -> list[int]:
    assert block.term is not None
    return [e.target for e in block.term.edges]


def natural_loops(func: Function) -> dict[int, set[int]]:
    """Each loop header with the blocks of its loop (those that reach a back edge's source without passing the
    header), from the back edges of a depth-first search from the entry."""
    _, back = func.depth_first()
    preds = func.predecessors()
    loops: dict[int, set[int]] = {}
    for tail, head in back:
        body = loops.setdefault(head, {head})
        work = [tail]
        while work:
            b = work.pop()
            if b not in body:
                body.add(b)
                work += [src for src, _ in preds[b]]
    return loops


def _reach(func: Function, start: int, starts: set[int]) -> list[int]:
    """Blocks reachable from ``start`` without entering another member of ``starts``, in topological order."""
    seen: set[int] = set()
    order: list[int] = []

    def visit(b: int) -> None:  # post-order DFS; regions are small DAGs
        seen.add(b)
        for s in successors(func.blocks[b]):
            if s not in seen and s not in starts:
                visit(s)
        order.append(b)

    visit(start)
    return order[::-1]


def _accesses_memory(func: Function, blocks: list[int]) -> bool:
    return any(op.name.startswith("memref.load") or op.name == "memref.store"
               for b in blocks for op in func.blocks[b].ops)


def region_starts(func: Function) -> set[int]:
    """The entry, every loop header, loop exit targets followed by memory accesses, and blocks two regions
    would share (so that every block belongs to one region, and a value read in its own region always comes
    from the same pass through it)."""
    loops = natural_loops(func)
    starts = {0} | set(loops)
    exits = {s for body in loops.values() for b in body for s in successors(func.blocks[b]) if s not in body}
    for _ in range(len(func.blocks) + 1):  # each choice changes what the regions reach: to a fixpoint
        grown = starts | {s for s in exits if _accesses_memory(func, _reach(func, s, starts))}
        owner: dict[int, int] = {}
        shared = set()
        for start in sorted(grown):
            for b in _reach(func, start, grown):
                if owner.setdefault(b, start) != start:
                    shared.add(b)
        grown |= shared
        if grown == starts:
            break
        starts = grown
    return starts


def build_regions(func: Function) -> list[Region]:
    """Every region of ``func``, the entry's first."""
    starts = region_starts(func)
    regions = []
    for start in sorted(starts):
        blocks = _reach(func, start, starts)
        region = Region(start, blocks, preds={b: [] for b in blocks})
        inside = set(blocks)
        for b in blocks:
            term = func.blocks[b].term
            assert term is not None
            if term.kind == "return":
                region.exits.append(Exit(b, -1, None))
            for i, e in enumerate(term.edges):
                if e.target in starts:
                    region.exits.append(Exit(b, i, e.target))
                elif e.target in inside:
                    region.preds[e.target].append((b, i))
        regions.append(region)
    return regions
