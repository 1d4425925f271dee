"""Value ranges of the scheduled function, so that registers are only as wide as what they can hold.

A sound interval analysis over the SSA form: every value gets ``[lo, hi]`` (its signed reading), starting from what
the caller knows of the inputs (a length port is at most its array's depth, a ``nat`` is not negative) and the
types' own bounds. Branches refine what they test: on the edge where ``i < n`` holds, ``i`` is at most ``hi(n) -
1``, also through the boolean block arguments the C lowering threads conditions through. A refined value passes its
bound back through what computed it where that is exact (``i + 1 < n`` bounds ``i``; ``r * r <= n`` bounds ``r``
when the product cannot overflow). Loops iterate to a fixed point; a bound still growing after a few rounds is
widened to the next landmark (a constant of the program or an input's bound, give or take one; else the type's
bound), so the analysis ends; then a few narrowing rounds recompute every range from the others without the join,
which wins back what widening overshot (a loop bounded only by its exit test). Any operation it does not model gets
its type's full range: a register is never narrower than what the program can store in it.
"""

from __future__ import annotations

import math

from hls.static.ir import Function, Operation, width

Interval = tuple[int, int]
ROUNDS = 6  # fixpoint rounds before widening
NARROWING = 3  # rounds recomputing the ranges from a fixed point (each one stays sound)
GIVE_UP = 80  # rounds after which the analysis claims nothing (never reached on the suite)


def type_range(typ: str) -> Interval:
    w = width(typ)
    return (0, 1) if w == 1 else (-(1 << (w - 1)), (1 << (w - 1)) - 1)


def signed_value(value: int, w: int) -> int:
    value &= (1 << w) - 1
    return value - (1 << w) if w > 1 and value >> (w - 1) else value


def bits_for(rng: Interval) -> tuple[int, bool]:
    """The fewest bits holding every value of ``rng``, and whether they are read as signed."""
    lo, hi = rng
    if lo >= 0:
        return max(1, hi.bit_length()), False
    return max((-lo - 1).bit_length(), hi.bit_length()) + 1, True


def _clip(rng: Interval, typ: str) -> Interval:
    tlo, thi = type_range(typ)
    lo, hi = rng
    return (lo, hi) if tlo <= lo and hi <= thi else (tlo, thi)


def _meet(old: Interval | None, new: Interval) -> Interval:
    """``new`` kept within ``old``: a narrowing round never widens a range."""
    return new if old is None else (max(old[0], new[0]), min(old[1], new[1]))


def _isqrt_floor(n: int) -> int:
    return math.isqrt(n) if n >= 0 else -1


def _join(a: Interval | None, b: Interval | None) -> Interval | None:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]))


class RangeAnalysis:
    """Ranges of every value of ``func`` (see the module docstring); ``inputs``: argument name -> range;
    ``no_wrap``: values whose operation never wraps around on an input the program is defined for (a signed C
    ``+ - *``, whose overflow C leaves undefined), so their range is the exact one, within their type."""

    def __init__(self, func: Function, inputs: dict[str, Interval], no_wrap: set[str] = frozenset()) -> None:
        self.func = func
        self.no_wrap = no_wrap
        self.types = func.types()
        self.defs: dict[str, Operation] = {op.result: op for b in func.blocks.values() for op in b.ops if op.result}
        self.param_of = {name: (b.id, k) for b in func.blocks.values() for k, (name, _) in enumerate(b.params)}
        self.preds = func.predecessors()
        self.constants: dict[str, Interval] = {  # each constant's value, as a one-point range
            n: (signed_value(int(op.attr), width(op.type)),) * 2 for n, op in self.defs.items()
            if op.name == "arith.constant"}
        self.ranges: dict[str, Interval] = {}
        for name, typ in func.args:
            if not typ.startswith("memref"):
                self.ranges[name] = _clip(inputs.get(name, type_range(typ)), typ)
        self.entry_facts: dict[int, dict[str, Interval]] = {}
        self.reachable: set[int] = {0}  # blocks some input can reach (grows to a fixed point)
        marks = {lo for lo, _ in self.constants.values()}
        marks |= {v for name, rng in self.ranges.items() for v in rng}
        self.thresholds = sorted({m + d for m in marks for d in (-1, 0, 1)})

    def run(self) -> dict[str, Interval]:
        rounds = 0
        post, _ = self.func.depth_first()  # predecessors first, but for back edges; then what is not reached
        order = post[::-1] + sorted(set(self.func.blocks) - set(post))
        while True:  # bounds move through finitely many landmarks, and GIVE_UP caps the rounds: this ends
            before, reached = dict(self.ranges), set(self.reachable)
            facts = {b: dict(f) for b, f in self.entry_facts.items()}
            for b in order:
                self.block(b)
            if self.ranges == before and self.reachable == reached and self.entry_facts == facts:
                for _ in range(NARROWING):
                    for b in order:
                        self.block(b, narrowing=True)
                return {**self.constants, **self.ranges}
            rounds += 1
            if rounds >= GIVE_UP:  # no fixed point in sight: claim nothing beyond the types
                return {n: type_range(t) for n, t in self.types.items() if not t.startswith("memref")}
            if rounds >= ROUNDS:  # still growing: widen what changed to the next landmark
                for name, rng in self.ranges.items():
                    old = before.get(name)
                    if old != rng:
                        self.ranges[name] = self.widen(old, rng, self.types[name])

    def widen(self, old: Interval | None, new: Interval, typ: str) -> Interval:
        """``new`` with each bound that moved pushed to the next threshold (a constant of the program or an
        input's bound, give or take one) or to the type's bound: finitely many steps, so the analysis ends."""
        tlo, thi = type_range(typ)
        lo, hi = new
        if old is None or lo < old[0]:
            lo = max([t for t in self.thresholds if t <= lo] + [tlo])
        if old is None or hi > old[1]:
            hi = min([t for t in self.thresholds if t >= hi] + [thi])
        return (lo, hi)

    def value(self, name: str, facts: dict[str, Interval]) -> Interval | None:
        if name in facts:
            return facts[name]
        if name in self.ranges:
            return self.ranges[name]
        return self.constants.get(name)  # None: not reached yet in this round

    def block(self, b: int, narrowing: bool = False) -> None:
        """Update the ranges of ``b``'s values: joined with what they held while iterating up to the fixed
        point, recomputed and kept within it while ``narrowing``."""
        block = self.func.blocks[b]

        def update(name: str, rng: Interval, typ: str) -> None:
            old = self.ranges.get(name)
            self.ranges[name] = _meet(old, _clip(rng, typ)) if narrowing else _clip(_join(old, rng), typ)

        facts: dict[str, Interval] = {}
        if b != 0:
            incoming = [(e, self.edge_facts(e)) for e in self.preds[b]]
            incoming = [(e, f) for e, f in incoming if f is not None]
            if not incoming:
                return  # no input reaches it (yet): its values and its branches stay out
            self.reachable.add(b)
            for k, (name, typ) in enumerate(block.params):
                got = None
                for (src, i), f in incoming:
                    arg = self.func.edge_arg((src, i), k)
                    got = _join(got, self.value(arg, f))
                if got is not None:
                    update(name, got, typ)
            names = set.intersection(*(set(f) for _, f in incoming)) if incoming else set()
            for n in names:
                joined = None
                for _, f in incoming:
                    joined = _join(joined, f[n])
                facts[n] = joined  # type: ignore[assignment]
        self.entry_facts[b] = facts
        for op in block.ops:
            if op.result and op.name not in ("arith.constant", "memref.alloca"):
                rng = self.transfer(op, facts)
                if rng is not None:
                    update(op.result, rng, op.type)

    def edge_facts(self, edge: tuple[int, int]) -> dict[str, Interval] | None:
        """What holds along ``edge``: the source's facts refined by its branch; None if it cannot be taken."""
        src, i = edge
        if src not in self.reachable:
            return None
        facts = dict(self.entry_facts.get(src, {}))
        term = self.func.blocks[src].term
        assert term is not None
        if term.kind == "cond_br":
            got = self.refine(term.cond, i == 0, facts, src, 4)
            if got is None:
                return None
            facts.update(got)
        return facts

    def refine(self, cond: str, truth: bool, facts: dict[str, Interval], block: int,
               depth: int) -> dict[str, Interval] | None:
        """Ranges implied by ``cond == truth`` (None: impossible); ``block`` is where ``cond`` is read."""
        rng = self.value(cond, facts)
        if rng is not None and rng[0] == rng[1] and bool(rng[0]) != truth:
            return None
        if depth <= 0:
            return {}
        op = self.defs.get(cond)
        if op is not None and op.name == "arith.cmpi":
            return self._compare(op, truth, facts)
        if op is not None and op.name == "arith.xori" and any(self._is_true(x) for x in op.operands):
            other = next(x for x in op.operands if not self._is_true(x))
            return self.refine(other, not truth, facts, block, depth - 1)
        if op is not None and op.name == "arith.andi" and truth:
            out: dict[str, Interval] = {}
            for x in op.operands:
                got = self.refine(x, True, {**facts, **out}, block, depth - 1)
                if got is None:
                    return None
                out.update(got)
            return out
        if cond in self.param_of and self.param_of[cond][0] == block:
            b, k = self.param_of[cond]
            merged: dict[str, Interval] | None = None
            possible = 0
            for e in self.preds[b]:
                ef = self.edge_facts(e) if e[0] != b else None
                if ef is None:
                    continue
                got = self.refine(self.func.edge_arg(e, k), truth, ef, e[0], depth - 1)
                if got is None:
                    continue
                possible += 1
                full = {**ef, **got}
                merged = full if merged is None else {n: _join(merged[n], full[n]) for n in set(merged) & set(full)}  # type: ignore[misc]
            if possible == 0:
                return None
            return {n: r for n, r in (merged or {}).items() if r is not None}
        return {}

    def _is_true(self, name: str) -> bool:
        op = self.defs.get(name)
        return op is not None and op.name == "arith.constant" and op.type == "i1" and op.attr == "1"

    def _compare(self, op: Operation, truth: bool, facts: dict[str, Interval]) -> dict[str, Interval] | None:
        pred = op.attr
        if not truth:
            pred = {"eq": "ne", "ne": "eq", "slt": "sge", "sge": "slt", "sle": "sgt", "sgt": "sle",
                    "ult": "uge", "uge": "ult", "ule": "ugt", "ugt": "ule"}[pred]
        x, y = op.operands
        rx, ry = self.value(x, facts), self.value(y, facts)
        if rx is None or ry is None:
            return {}
        if pred[0] == "u":  # unsigned compares refine only values known not to be negative
            if rx[0] < 0 or ry[0] < 0:
                return {}
            pred = "s" + pred[1:]
        out: dict[str, Interval] = {}
        if pred == "slt":
            out[x], out[y] = (rx[0], min(rx[1], ry[1] - 1)), (max(ry[0], rx[0] + 1), ry[1])
        elif pred == "sle":
            out[x], out[y] = (rx[0], min(rx[1], ry[1])), (max(ry[0], rx[0]), ry[1])
        elif pred == "sgt":
            out[x], out[y] = (max(rx[0], ry[0] + 1), rx[1]), (ry[0], min(ry[1], rx[1] - 1))
        elif pred == "sge":
            out[x], out[y] = (max(rx[0], ry[0]), rx[1]), (ry[0], min(ry[1], rx[1]))
        elif pred == "eq":
            both = (max(rx[0], ry[0]), min(rx[1], ry[1]))
            out[x] = out[y] = both
        elif pred == "ne":  # only a bound equal to the other side's single value moves
            for a, ra, rb in ((x, rx, ry), (y, ry, rx)):
                if rb[0] == rb[1]:
                    out[a] = (ra[0] + (ra[0] == rb[0]), ra[1] - (ra[1] == rb[0]))
        for name in list(out):
            self._backward(name, out, facts, 3)
        if any(r[0] > r[1] for r in out.values()):
            return None  # no value the ranges allow makes the compare come out this way: the edge is never taken
        return {n: r for n, r in out.items() if n not in self.constants}

    def _backward(self, name: str, out: dict[str, Interval], facts: dict[str, Interval], depth: int) -> None:
        """Pass ``out[name]`` back to the operand that computed it, where the operation is exact (cannot wrap)
        over the operand's range: ``a + c``, ``a - c`` with ``c`` constant, ``a * a`` with ``a >= 0``, casts."""
        op = self.defs.get(name)
        rng = out[name]
        if depth <= 0 or op is None or rng[0] > rng[1] or not op.operands:
            return
        kind = op.name.split(".")[-1]
        a = op.operands[0]
        ra = out.get(a) or self.value(a, facts)
        if ra is None or a in self.constants:
            return
        got: Interval | None = None
        exact = name in self.no_wrap
        tlo, thi = type_range(op.type)
        if kind in ("addi", "subi") and op.operands[1] in self.constants:
            c = self.constants[op.operands[1]][0] * (1 if kind == "addi" else -1)
            if exact or (tlo <= ra[0] + c and ra[1] + c <= thi):
                got = (rng[0] - c, rng[1] - c)
        elif kind == "muli" and op.operands[1] == a and ra[0] >= 0 and (exact or ra[1] * ra[1] <= thi):
            root = _isqrt_floor(rng[1])
            lo = _isqrt_floor(rng[0] - 1) + 1 if rng[0] > 0 else 0
            got = (lo, root)
        elif kind in ("extsi", "index_cast") or (kind == "extui" and ra[0] >= 0):
            got = rng
        if got is not None:
            out[a] = (max(ra[0], got[0]), min(ra[1], got[1]))
            self._backward(a, out, facts, depth - 1)

    def transfer(self, op: Operation, facts: dict[str, Interval]) -> Interval | None:
        kind = op.name.split(".")[-1]
        args = [self.value(x, facts) for x in op.operands]
        if kind == "load":
            return type_range(op.type)
        if any(a is None for a in args):
            return None
        a = args  # type: ignore[assignment]
        if kind == "cmpi":
            return (0, 1)
        if kind in ("index_cast", "extsi"):
            return a[0]
        if kind == "extui":
            return a[0] if a[0][0] >= 0 else (0, (1 << width(op.source_type)) - 1)
        if kind == "trunci":
            return a[0] if type_range(op.type)[0] <= a[0][0] and a[0][1] <= type_range(op.type)[1] else \
                type_range(op.type)
        if kind in ("addi", "subi", "muli"):
            if kind == "addi":
                rng = (a[0][0] + a[1][0], a[0][1] + a[1][1])
            elif kind == "subi":
                rng = (a[0][0] - a[1][1], a[0][1] - a[1][0])
            else:
                ends = [x * y for x in a[0] for y in a[1]]
                rng = (min(ends), max(ends))
            if op.result in self.no_wrap:  # exact: what lies beyond the type is never computed
                tlo, thi = type_range(op.type)
                rng = (max(rng[0], tlo), min(rng[1], thi))
                if rng[0] > rng[1]:
                    rng = (tlo, thi)
            return rng
        if kind == "select":
            return _join(a[1], a[2])
        if kind == "andi" and (a[0][0] >= 0 or a[1][0] >= 0):
            return (0, min(x[1] for x in a if x[0] >= 0))
        if kind in ("ori", "xori") and a[0][0] >= 0 and a[1][0] >= 0:
            return (0, (1 << max(a[0][1], a[1][1]).bit_length()) - 1)
        if kind in ("remsi", "remui") and a[1][0] > 0 and a[0][0] >= 0:
            return (0, min(a[0][1], a[1][1] - 1))
        if kind in ("shrui", "shrsi") and a[0][0] >= 0 and a[1][0] >= 0:
            return (a[0][0] >> a[1][1], a[0][1] >> a[1][0])
        if kind in ("divsi", "divui") and a[0][0] >= 0 and a[1][0] > 0:
            return (a[0][0] // a[1][1], a[0][1] // a[1][0])
        return type_range(op.type)


def value_ranges(func: Function, inputs: dict[str, Interval],
                 no_wrap: set[str] = frozenset()) -> dict[str, Interval]:
    """Every value's range (see :class:`RangeAnalysis`)."""
    return RangeAnalysis(func, inputs, no_wrap).run()


def decided(op: Operation, ranges: dict[str, Interval]) -> bool | None:
    """The value of compare ``op`` where the operands' ranges decide it (``x < 0`` for ``x >= 0``), else None."""
    if op.name != "arith.cmpi" or any(x not in ranges for x in op.operands):
        return None
    (alo, ahi), (blo, bhi) = (ranges[x] for x in op.operands)
    pred = op.attr
    if pred[0] == "u":
        if alo < 0 or blo < 0:
            return None
        pred = "s" + pred[1:]
    table = {"slt": (ahi < blo, alo >= bhi), "sle": (ahi <= blo, alo > bhi), "sgt": (alo > bhi, ahi <= blo),
             "sge": (alo >= bhi, ahi < blo), "eq": (alo == ahi == blo == bhi, ahi < blo or bhi < alo),
             "ne": (ahi < blo or bhi < alo, alo == ahi == blo == bhi)}
    true, false = table[pred]
    return True if true else False if false else None
