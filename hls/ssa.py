"""An SSA builder for MLIR's ``cf`` dialect: blocks, block arguments as phis, and text rendering.

Scalar C variables become SSA values with the on-the-fly construction of Braun et al. ("Simple and Efficient
Construction of Static Single Assignment Form", CC 2013): each block records the current definition of each
variable; a read in a block with several predecessors creates a block argument (a phi), and blocks are
*sealed* once all their predecessors are known. Trivial phis (all incoming values the same) are removed
before rendering, so loops carry only the variables they change. The result is the minimal set of block
arguments, which matters here: every block argument becomes a multiplexer in the dataflow circuit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


class Val:
    """An SSA value of MLIR type ``ty`` (``i32``, ``index``, ``memref<16xi32>``)."""

    _ids = itertools.count()

    def __init__(self, ty: str) -> None:
        self.id = next(Val._ids)
        self.ty = ty

    def __repr__(self) -> str:
        return f"%{self.id}:{self.ty}"


class Phi(Val):
    """A block argument; ``operands`` maps each predecessor block to the value it passes."""

    def __init__(self, ty: str, block: Block) -> None:
        super().__init__(ty)
        self.block = block
        self.operands: dict[int, Val] = {}


@dataclass(eq=False)
class Op:
    """One operation: ``result = fmt.format(*args)``; ``args`` are values rendered as their names."""

    result: Val | None
    fmt: str
    args: tuple[Val, ...]


@dataclass(eq=False)
class Block:
    id: int
    ops: list[Op] = field(default_factory=list)
    preds: list[Block] = field(default_factory=list)
    phis: list[Phi] = field(default_factory=list)
    sealed: bool = False
    # ("br", target) | ("cond_br", cond, if_true, if_false) | ("return", values)
    term: tuple | None = None


class SsaBuilder:
    """Builds one ``func.func`` body: blocks, operations, variables (by key) and terminators."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._defs: dict[object, dict[int, Val]] = {}
        self._types: dict[object, str] = {}
        self._incomplete: dict[int, dict[object, Phi]] = {}
        self._replaced: dict[int, Val] = {}
        self.entry = self.new_block()
        self.entry.sealed = True
        self.cur: Block | None = self.entry

    # ----------------------------------------------------------------------------------------- blocks

    def new_block(self) -> Block:
        block = Block(len(self.blocks))
        self.blocks.append(block)
        return block

    def op(self, ty: str | None, fmt: str, *args: Val) -> Val | None:
        """Append an operation to the current block; returns its result (``None`` for ``ty=None``)."""
        assert self.cur is not None, "emitting into unreachable code"
        result = Val(ty) if ty else None
        self.cur.ops.append(Op(result, fmt, args))
        return result

    def br(self, target: Block) -> None:
        if self.cur is None:
            return
        self.cur.term = ("br", target)
        target.preds.append(self.cur)
        self.cur = None

    def cond_br(self, cond: Val, if_true: Block, if_false: Block) -> None:
        assert if_true is not if_false
        if self.cur is None:
            return
        self.cur.term = ("cond_br", cond, if_true, if_false)
        if_true.preds.append(self.cur)
        if_false.preds.append(self.cur)
        self.cur = None

    def ret(self, values: list[Val]) -> None:
        if self.cur is None:
            return
        self.cur.term = ("return", values)
        self.cur = None

    def enter(self, block: Block) -> None:
        """Continue emitting into ``block``; a block nobody branches to is unreachable (``cur`` = None)."""
        self.cur = block if (block.preds or block is self.entry) else None

    # ----------------------------------------------------------------------------------------- variables

    def declare(self, key: object, ty: str) -> None:
        self._types[key] = ty
        self._defs.setdefault(key, {})

    def write(self, key: object, value: Val, block: Block | None = None) -> None:
        block = block or self.cur
        if block is None:
            return
        self._defs[key][block.id] = value

    def read(self, key: object, block: Block | None = None) -> Val:
        block = block or self.cur
        assert block is not None
        if block.id in self._defs[key]:
            return self._defs[key][block.id]
        return self._read_recursive(key, block)

    def _read_recursive(self, key: object, block: Block) -> Val:
        ty = self._types[key]
        if not block.sealed:
            phi = Phi(ty, block)
            block.phis.append(phi)
            self._incomplete.setdefault(block.id, {})[key] = phi
            value: Val = phi
        elif not block.preds:
            value = self._undefined(ty, block)  # read before any write: C leaves it indeterminate; use 0
        elif len(block.preds) == 1:
            value = self.read(key, block.preds[0])
        else:
            phi = Phi(ty, block)
            block.phis.append(phi)
            self.write(key, phi, block)
            self._add_operands(key, phi)
            value = phi
        self.write(key, value, block)
        return value

    def _undefined(self, ty: str, block: Block) -> Val:
        value = Val(ty)
        block.ops.insert(0, Op(value, f"arith.constant 0 : {ty}", ()))
        return value

    def _add_operands(self, key: object, phi: Phi) -> None:
        for pred in phi.block.preds:
            phi.operands[pred.id] = self.read(key, pred)

    def seal(self, block: Block) -> None:
        """All predecessors of ``block`` are known: complete its pending phis."""
        for key, phi in self._incomplete.pop(block.id, {}).items():
            self._add_operands(key, phi)
        block.sealed = True

    # ----------------------------------------------------------------------------------------- output

    def resolve(self, value: Val) -> Val:
        while value.id in self._replaced:
            value = self._replaced[value.id]
        return value

    def _remove_trivial_phis(self, live: list[Block]) -> None:
        changed = True
        while changed:
            changed = False
            for block in live:
                for phi in list(block.phis):
                    incoming = {self.resolve(v) for v in phi.operands.values()} - {phi}
                    if len(incoming) == 1:
                        self._replaced[phi.id] = incoming.pop()
                        block.phis.remove(phi)
                        changed = True

    def _binarize_merges(self, live: list[Block]) -> None:
        """Give every block at most two predecessors, adding merge blocks in front of it.

        ``lower-cf-to-handshake`` needs two-way merges ("expected a merge block to have two predecessors"),
        each closing one branch, properly nested ("expected only reducible control flow" otherwise). So the
        predecessors that split last (the deepest nearest common dominator) are merged first. CIRCT's
        ``insert-merge-blocks`` pass does this too but crashed (segmentation fault) on some functions with
        circt 1.162, so the emitter does it itself.
        """
        idom, order = self._dominators(live)

        def common(x: int, y: int) -> int:
            return _nearest_common_dominator(idom, order, x, y)

        def depth(x: int) -> int:
            d = 0
            while idom[x] != x:
                x, d = idom[x], d + 1
            return d

        for b in list(live):
            anchors = {p.id: p.id for p in b.preds}  # the block whose dominance a (merged) predecessor has
            while len(b.preds) > 2:
                pairs = [(depth(common(anchors[p.id], anchors[q.id])), i, j)
                         for i, p in enumerate(b.preds) for j, q in enumerate(b.preds) if i < j]
                _, i, j = max(pairs)
                first, second = b.preds[i], b.preds[j]
                merge = self.new_block()
                merge.sealed = True
                merge.preds = [first, second]
                for phi in b.phis:
                    inner = Phi(phi.ty, merge)
                    inner.operands = {first.id: phi.operands.pop(first.id), second.id: phi.operands.pop(second.id)}
                    merge.phis.append(inner)
                    phi.operands[merge.id] = inner
                for pred in (first, second):
                    pred.term = tuple(merge if t is b else t for t in pred.term)
                merge.term = ("br", b)
                anchors[merge.id] = common(anchors[first.id], anchors[second.id])
                idom[merge.id], order[merge.id] = anchors[merge.id], len(order) + len(self.blocks)
                b.preds = [merge] + [p for k, p in enumerate(b.preds) if k not in (i, j)]
                live.insert(live.index(b), merge)

    def _dominators(self, live: list[Block]) -> tuple[dict[int, int], dict[int, int]]:
        """Immediate dominators (Cooper, Harvey and Kennedy) and reverse-postorder numbers of ``live``."""
        post: list[Block] = []
        seen: set[int] = set()
        stack: list[tuple[Block, int]] = [(self.entry, 0)]
        while stack:
            block, k = stack.pop()
            succs = [t for t in (block.term or ())[1:] if isinstance(t, Block)]
            if k == 0:
                if block.id in seen:
                    continue
                seen.add(block.id)
            if k < len(succs):
                stack.append((block, k + 1))
                if succs[k].id not in seen:
                    stack.append((succs[k], 0))
            else:
                post.append(block)
        rpo = list(reversed(post))
        order = {b.id: i for i, b in enumerate(rpo)}
        idom = {self.entry.id: self.entry.id}
        changed = True
        while changed:
            changed = False
            for block in rpo[1:]:
                done = [p.id for p in block.preds if p.id in idom]
                if not done:
                    continue
                new = done[0]
                for other in done[1:]:
                    new = _nearest_common_dominator(idom, order, other, new)
                if idom.get(block.id) != new:
                    idom[block.id] = new
                    changed = True
        return idom, order

    def _live_blocks(self) -> list[Block]:
        seen: set[int] = set()
        stack = [self.entry]
        while stack:
            b = stack.pop()
            if b.id in seen:
                continue
            seen.add(b.id)
            term = b.term or ()
            stack.extend(t for t in term[1:] if isinstance(t, Block))
        return [b for b in self.blocks if b.id in seen]

    def render(self, name: str, args: list[Val], results: list[str]) -> str:
        """The ``func.func`` text; ``args`` are the entry block's values (the function parameters)."""
        live = self._live_blocks()
        live_ids = {b.id for b in live}
        for b in live:
            b.preds = [p for p in b.preds if p.id in live_ids]
            for phi in b.phis:
                phi.operands = {k: v for k, v in phi.operands.items() if k in live_ids}
        self._remove_trivial_phis(live)
        self._binarize_merges(live)
        self._remove_trivial_phis(live)
        names: dict[int, str] = {a.id: f"%arg{i}" for i, a in enumerate(args)}
        self.names = names  # the rendered name of every value, for what the caller knows of them
        counter = itertools.count()

        def nm(v: Val) -> str:
            v = self.resolve(v)
            if v.id not in names:
                names[v.id] = f"%v{next(counter)}"
            return names[v.id]

        label = {b.id: f"^bb{i}" for i, b in enumerate(live)}
        sig = ", ".join(f"{nm(a)}: {a.ty}" for a in args)
        res = f" -> ({', '.join(results)})" if results else ""
        lines = [f"func.func @{name}({sig}){res} {{"]
        for b in live:
            if b is not self.entry:
                params = ", ".join(f"{nm(p)}: {p.ty}" for p in b.phis)
                lines.append(f"{label[b.id]}({params}):" if params else f"{label[b.id]}:")
            for op in b.ops:
                text = op.fmt.format(*(nm(a) for a in op.args))
                lines.append(f"  {nm(op.result)} = {text}" if op.result else f"  {text}")
            lines.append("  " + self._render_term(b, nm, label))
        lines.append("}")
        return "\n".join(lines)

    def _render_term(self, b: Block, nm, label: dict[int, str]) -> str:
        term = b.term
        if term is None:
            raise AssertionError(f"block {b.id} has no terminator")

        def dest(t: Block) -> str:
            if not t.phis:
                return label[t.id]
            vals = [phi.operands[b.id] for phi in t.phis]
            return f"{label[t.id]}({', '.join(nm(v) for v in vals)} : {', '.join(v.ty for v in t.phis)})"

        if term[0] == "br":
            return f"cf.br {dest(term[1])}"
        if term[0] == "cond_br":
            return f"cf.cond_br {nm(term[1])}, {dest(term[2])}, {dest(term[3])}"
        values = term[1]
        if not values:
            return "return"
        return f"return {', '.join(nm(v) for v in values)} : {', '.join(v.ty for v in values)}"


def _nearest_common_dominator(idom: dict[int, int], order: dict[int, int], x: int, y: int) -> int:
    """Walk two blocks up the dominator tree (``idom``) by reverse-postorder number until they meet."""
    while x != y:
        while order[x] > order[y]:
            x = idom[x]
        while order[y] > order[x]:
            y = idom[y]
    return x
