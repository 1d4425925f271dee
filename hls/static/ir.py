"""The MLIR that :mod:`hls.c_to_mlir` emits, read back into blocks and operations for the static scheduler.

Why read text rather than reuse the emitter's objects: the text is the one interface both backends share (the
CIRCT flow reads the same file), so the scheduler sees exactly what the handshake flow sees, and a test can
hand it MLIR written by hand. Only the emitter's subset is read: ``func.func`` with ``iN``/``memref``
arguments, ``arith`` operations, ``memref.load``/``store``/``alloca``, ``cf.br``/``cf.cond_br`` and
``return``; anything else is a :class:`~pipeline.errors.UserError` naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.errors import UserError


@dataclass
class Operation:
    """``result = name operands``; ``type`` is the result's type (a store: the stored value's), ``attr`` the
    compare predicate or the constant's value, ``memory`` the memref a load/store/alloca uses."""

    result: str | None
    name: str
    operands: list[str]
    type: str
    attr: str = ""
    memory: str = ""
    source_type: str = ""  # casts: the operand's type


@dataclass
class Edge:
    """A branch target with the values passed to its block arguments."""

    target: int
    args: list[str] = field(default_factory=list)


@dataclass
class Terminator:
    """``br`` (one edge), ``cond_br`` (``cond``: true edge, false edge) or ``return`` (``values``)."""

    kind: str
    edges: list[Edge] = field(default_factory=list)
    cond: str = ""
    values: list[str] = field(default_factory=list)


@dataclass
class Block:
    id: int
    params: list[tuple[str, str]] = field(default_factory=list)
    ops: list[Operation] = field(default_factory=list)
    term: Terminator | None = None


@dataclass
class Function:
    """One ``func.func``: its arguments (name, type), result types and blocks (the entry is ``blocks[0]``)."""

    name: str
    args: list[tuple[str, str]]
    results: list[str]
    blocks: dict[int, Block]

    def edge_arg(self, edge: tuple[int, int], k: int) -> str:
        """The value edge ``(block, index)`` passes to its target's ``k``-th block argument."""
        term = self.blocks[edge[0]].term
        assert term is not None
        return term.edges[edge[1]].args[k]

    def predecessors(self) -> dict[int, list[tuple[int, int]]]:
        """Every block's incoming edges, as ``(source block, edge index)``."""
        out: dict[int, list[tuple[int, int]]] = {b: [] for b in self.blocks}
        for b in self.blocks.values():
            assert b.term is not None
            for i, e in enumerate(b.term.edges):
                out[e.target].append((b.id, i))
        return out

    def depth_first(self) -> tuple[list[int], list[tuple[int, int]]]:
        """A depth-first search from the entry: the blocks it reaches in post-order, and its back edges
        ``(source, loop header)``."""
        post: list[int] = []
        back: list[tuple[int, int]] = []
        state: dict[int, int] = {0: 1}  # 1 on the stack, 2 done
        stack: list[tuple[int, int]] = [(0, 0)]
        while stack:
            node, k = stack.pop()
            term = self.blocks[node].term
            assert term is not None
            if k < len(term.edges):
                stack.append((node, k + 1))
                nxt = term.edges[k].target
                if state.get(nxt) == 1:
                    back.append((node, nxt))
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                post.append(node)
        return post, back

    def types(self) -> dict[str, str]:
        """Every SSA value's type, by name."""
        out = dict(self.args)
        for b in self.blocks.values():
            out.update(dict(b.params))
            out.update({op.result: op.type for op in b.ops if op.result})
        return out


_FUNC = re.compile(r"func\.func @(\w+)\((.*?)\)\s*(?:->\s*\((.*)\))?\s*\{")
_LABEL = re.compile(r"\^bb(\d+)(?:\((.*)\))?:")
_VALUE = r"%[\w#]+"
_BINARY = {"addi", "subi", "muli", "divsi", "divui", "remsi", "remui", "andi", "ori", "xori", "shli", "shrsi",
           "shrui", "maxsi", "minsi", "maxui", "minui"}


def _typed_list(text: str) -> list[tuple[str, str]]:
    out = []
    for part in _split(text):
        name, _, typ = part.partition(":")
        out.append((name.strip(), typ.strip()))
    return out


def _split(text: str) -> list[str]:
    """Split at top-level commas (not inside ``<...>`` or ``[...]``)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch in "<[(") - (ch in ">])")
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _edge(text: str) -> Edge:
    m = re.fullmatch(r"\^bb(\d+)(?:\((.*?)\s*:\s*.*\))?", text.strip())
    if not m:
        raise ValueError(text)
    return Edge(int(m.group(1)), _split(m.group(2)) if m.group(2) else [])


def _operation(line: str) -> Operation | Terminator:
    m = re.fullmatch(rf"(?:({_VALUE}) = )?([a-z_]+(?:\.[a-z_]+)?)\s*(.*)", line)
    if not m:
        raise ValueError(line)
    result, name, rest = m.groups()
    if name == "cf.br":
        return Terminator("br", [_edge(rest)])
    if name == "cf.cond_br":
        cond, _, targets = rest.partition(",")
        edges = _split(targets)
        return Terminator("cond_br", [_edge(edges[0]), _edge(edges[1])], cond=cond.strip())
    if name in ("return", "func.return"):
        values = rest.split(":")[0]
        return Terminator("return", values=_split(values))
    body, _, typ = rest.rpartition(" : ")
    if name == "arith.constant":
        value, _, typ = rest.partition(" : ")
        value = value.strip()
        if value in ("true", "false"):
            return Operation(result, name, [], "i1", "1" if value == "true" else "0")
        return Operation(result, name, [], typ.strip(), value)
    if name == "arith.cmpi":
        pred, _, args = body.partition(",")
        return Operation(result, name, _split(args), "i1", pred.strip(), source_type=typ.strip())
    if name in ("arith.index_cast", "arith.extui", "arith.extsi", "arith.trunci"):
        src, _, dst = typ.partition(" to ")
        return Operation(result, name, [body.strip()], dst.strip(), source_type=src.strip())
    if name == "arith.select" or name.split(".")[-1] in _BINARY:
        return Operation(result, name, _split(body), typ.strip())
    if name == "memref.load":
        mm = re.fullmatch(rf"({_VALUE})\[(.*)\]", body.strip())
        if not mm:
            raise ValueError(line)
        elem = re.search(r"x(i\d+|index)>", typ)
        return Operation(result, name, _split(mm.group(2)), elem.group(1) if elem else "i32", memory=mm.group(1))
    if name == "memref.store":
        value, _, target = body.partition(",")
        mm = re.fullmatch(rf"({_VALUE})\[(.*)\]", target.strip())
        if not mm:
            raise ValueError(line)
        elem = re.search(r"x(i\d+|index)>", typ)
        return Operation(None, name, [value.strip(), *_split(mm.group(2))], elem.group(1) if elem else "i32",
                         memory=mm.group(1))
    if name == "memref.alloca":
        return Operation(result, name, [], typ.strip(), memory=result or "")
    raise ValueError(line)


def read_function(text: str, top: str) -> Function:
    """The function ``top`` of an MLIR module in the emitter's subset.

    Raises:
        UserError: a line outside the subset (its number and text), or no function ``top``.
    """
    func: Function | None = None
    block: Block | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("//") or line in ("module {", "}"):
            continue
        m = _FUNC.match(line)
        if m:
            if func is not None and func.name == top:
                break
            results = [t.strip() for t in _split(m.group(3) or "")]
            func = Function(m.group(1), _typed_list(m.group(2)), results, {0: Block(0)})
            block = func.blocks[0]
            continue
        if func is None or func.name != top:
            continue
        m = _LABEL.fullmatch(line)
        if m:
            block = Block(int(m.group(1)), _typed_list(m.group(2) or ""))
            func.blocks[block.id] = block
            continue
        try:
            item = _operation(line)
        except ValueError:
            raise UserError(f"static backend: MLIR line {number} is outside the subset it reads: {line}") from None
        assert block is not None
        if isinstance(item, Terminator):
            block.term = item
        else:
            block.ops.append(item)
    if func is None or func.name != top:
        raise UserError(f"static backend: no function @{top} in the MLIR")
    missing = [b.id for b in func.blocks.values() if b.term is None]
    if missing:
        raise UserError(f"static backend: block ^bb{missing[0]} of @{top} has no terminator")
    return func


def width(typ: str) -> int:
    """Bits of a scalar type (``index`` is carried as 32 bits, as the emitter casts from ``i32``)."""
    if typ == "index":
        return 32
    m = re.fullmatch(r"i(\d+)", typ)
    if not m:
        raise UserError(f"static backend: no bit width for type {typ}")
    return int(m.group(1))


def memref_shape(typ: str) -> tuple[list[int], str]:
    """``memref<4x4xi32>`` -> ``([4, 4], "i32")``."""
    m = re.fullmatch(r"memref<((?:\d+x)+)(i\d+|index)>", typ.strip())
    if not m:
        raise UserError(f"static backend: unsupported memory type {typ}")
    return [int(d) for d in m.group(1).split("x") if d], m.group(2)
