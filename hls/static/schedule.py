"""Each region's operations placed in clock cycles: as soon as their operands are ready, chained within a cycle while
the estimated delay stays under the clock budget, memory accesses limited per port and kept in program order.

The delays are a coarse model of a mid-range FPGA (nanoseconds; adders and compares grow with the width, a divider
is far longer than a cycle). Where one operation alone is slower than the clock, the cycles may chain up to it
(:func:`chaining_budget`): the design cannot be clocked faster than that operation anyway. Placement is the classic
ASAP list schedule: visiting a region's blocks in topological order, every node (an operation, a block's predicate,
an edge's predicate, a multiplexer for a block argument) lands in the earliest cycle where its inputs exist; an
input from an earlier cycle comes from a register (ready at the cycle's start), one from the same cycle is chained
(its delay adds up). A memory has two ports: port 0 reads and writes, port 1 only reads; a load's data comes out
one cycle after its address (``ap_memory`` read latency). Within a region, a load after a store to the same memory
goes to a later cycle; a store never precedes, in cycles, an access before it in the program.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hls.static.ir import Function, Operation, width
from hls.static.ranges import Interval, bits_for
from hls.static.regions import Region

# ------------------------------------------------------------------------------------ the delay model (ns)
CLOCK_UNCERTAINTY = 0.125  # share of the period kept free, as Vitis HLS does by default
GATE = 0.3  # one level of AND/OR, a predicate
MUX = 0.4
CLOCK_TO_Q = 0.6  # a memory's registered read data
LOAD_PORTS = 2  # port 0 and port 1 read; only port 0 writes


def operator_width(op: Operation, ranges: dict[str, Interval]) -> int:
    """The bits ``op``'s operator really has: its type's, or fewer where the value ranges of its operands and its
    result need fewer (the written registers are that narrow, and synthesis trims bits that stay constant)."""
    w = width(op.source_type or op.type) if not op.type.startswith("memref") else 32
    names = [x for x in [*op.operands, op.result] if x]
    if op.name.endswith(".muli"):  # a multiplier's size is its operands'
        names = list(op.operands)
    if not names or any(x not in ranges for x in names):
        return w
    return min(w, max(bits_for(ranges[x])[0] for x in names))


def delay(op: Operation, types: dict[str, str], ranges: dict[str, Interval] | None = None) -> float:
    """The estimated combinational delay of ``op``."""
    kind = op.name.split(".")[-1]
    w = operator_width(op, ranges or {})
    if kind in ("constant", "index_cast", "extui", "extsi", "trunci"):
        return 0.0
    if kind in ("addi", "subi", "cmpi", "maxsi", "minsi", "maxui", "minui"):
        return 0.8 + 0.04 * w
    if kind in ("andi", "ori", "xori"):
        return GATE
    if kind == "select":
        return MUX
    if kind in ("shli", "shrui", "shrsi"):
        return 0.5 + 0.3 * math.log2(max(w, 2))
    if kind == "muli":
        return 3.0 + 0.05 * w
    if kind in ("divsi", "divui", "remsi", "remui"):
        return 2.0 + 0.5 * w
    return 1.0


@dataclass
class Slot:
    """Where a value exists: from ``cycle`` of its region, ``time`` ns into that cycle."""

    cycle: int
    time: float


@dataclass
class Access:
    """A load or store: its block, the cycle it drives the port, and which port."""

    op: Operation
    block: int
    cycle: int
    port: int


@dataclass
class RegionSchedule:
    """A region's cycles: every value's slot, predicates, accesses, and the region's length in cycles."""

    region: Region
    values: dict[str, Slot] = field(default_factory=dict)  # op results and in-region block arguments
    preds: dict[int, Slot] = field(default_factory=dict)  # block -> its predicate
    edges: dict[tuple[int, int], Slot] = field(default_factory=dict)  # (block, edge index) -> edge predicate
    accesses: list[Access] = field(default_factory=list)
    prefetched: dict[str, int] = field(default_factory=dict)  # load result -> the read port its data is on
    length: int = 1

    def exit_cycle(self) -> int:
        return self.length - 1


class _Placer:
    """The ASAP placement of one region (see the module docstring)."""

    def __init__(self, func: Function, region: Region, budget: float, constants: set[str],
                 prefetched: dict[str, int], ranges: dict[str, Interval]) -> None:
        self.func = func
        self.ranges = ranges
        self.prefetched = prefetched
        self.types = func.types()
        self.budget = budget
        self.constants = constants
        self.s = RegionSchedule(region)
        self.ports: dict[tuple[str, int, int], bool] = {}  # (memory, cycle, port) taken
        self.last_store: dict[str, int] = {}  # memory -> cycle of the latest store placed
        self.last_access: dict[str, int] = {}  # memory -> latest cycle of any access placed

    def slot(self, name: str) -> Slot | None:
        """A value's slot in this region; None where it is ready in every cycle (a constant, an argument, a
        register of an earlier region or of the region's start)."""
        if name in self.constants:
            return None
        return self.s.values.get(name)

    def place(self, inputs: list[Slot | None], cost: float, earliest: int = 0) -> Slot:
        cycle = max([earliest] + [i.cycle for i in inputs if i is not None])
        start = max([0.0] + [i.time for i in inputs if i is not None and i.cycle == cycle])
        if start > 0 and start + cost > self.budget:
            return Slot(cycle + 1, cost)
        return Slot(cycle, start + cost)

    def run(self) -> RegionSchedule:
        region = self.s.region
        for b in region.blocks:
            self.block(b)
        ends = [slot.cycle for slot in self.s.values.values()]
        ends += [slot.cycle for slot in self.s.edges.values()]
        ends += [a.cycle for a in self.s.accesses]
        self.s.length = max(ends, default=0) + 1
        return self.s

    def block(self, b: int) -> None:
        region = self.s.region
        block = self.func.blocks[b]
        incoming = region.preds[b]
        if not incoming:  # the start
            self.s.preds[b] = Slot(0, 0.0)
        else:
            ins = [self.s.edges[e] for e in incoming]
            self.s.preds[b] = self.place(ins, GATE if len(ins) > 1 else 0.0)
            for k, (name, _) in enumerate(block.params):
                sources = [self.s.edges[e] for e in incoming]
                sources += [self.slot(self.func.edge_arg(e, k)) for e in incoming]
                self.s.values[name] = self.place(sources, MUX * (len(incoming) - 1))
        for op in block.ops:
            self.operation(op, b)
        term = block.term
        assert term is not None
        pred = self.s.preds[b]
        if term.kind == "cond_br":
            cond = self.slot(term.cond)
            for i in range(2):
                self.s.edges[(b, i)] = self.place([pred, cond], GATE)
        elif term.kind == "br":
            self.s.edges[(b, 0)] = pred

    def operation(self, op: Operation, b: int) -> None:
        if op.result in self.constants or op.name == "memref.alloca":
            return
        inputs = [self.slot(x) for x in op.operands]
        if op.name == "memref.load":
            self.load(op, b, inputs)
        elif op.name == "memref.store":
            self.store(op, b, inputs + [self.s.preds[b]])
        else:
            assert op.result is not None
            self.s.values[op.result] = self.place(inputs, delay(op, self.types, self.ranges))

    def _address_cost(self, op: Operation) -> float:
        return 0.0 if len(op.operands) <= 1 or op.name == "memref.store" and len(op.operands) <= 2 else 4.0

    def load(self, op: Operation, b: int, inputs: list[Slot | None]) -> None:
        assert op.result is not None
        if op.result in self.prefetched:  # read as the region was entered: the data is there in cycle 0
            self.s.prefetched[op.result] = self.prefetched[op.result]
            self.s.values[op.result] = Slot(0, CLOCK_TO_Q)
            return
        addr = self.place(inputs, self._address_cost(op), earliest=self.last_store.get(op.memory, -1) + 1)
        cycle = addr.cycle
        while True:
            port = next((p for p in range(LOAD_PORTS) if not self.ports.get((op.memory, cycle, p))), None)
            if port is not None:
                break
            cycle += 1
        self.ports[(op.memory, cycle, port)] = True
        self.last_access[op.memory] = max(self.last_access.get(op.memory, 0), cycle)
        self.s.accesses.append(Access(op, b, cycle, port))
        assert op.result is not None
        self.s.values[op.result] = Slot(cycle + 1, CLOCK_TO_Q)

    def store(self, op: Operation, b: int, inputs: list[Slot | None]) -> None:
        after = max(self.last_access.get(op.memory, 0), self.last_store.get(op.memory, -1) + 1)
        slot = self.place(inputs, self._address_cost(op), earliest=after)
        cycle = slot.cycle
        while self.ports.get((op.memory, cycle, 0)):
            cycle += 1
        self.ports[(op.memory, cycle, 0)] = True
        self.last_store[op.memory] = cycle
        self.last_access[op.memory] = max(self.last_access.get(op.memory, 0), cycle)
        self.s.accesses.append(Access(op, b, cycle, 0))


def constant_values(func: Function) -> set[str]:
    """Names of values that are constants: ``arith.constant`` and casts of constants (literals everywhere)."""
    out: set[str] = set()
    for b in func.blocks.values():
        for op in b.ops:
            if op.name == "arith.constant":
                assert op.result is not None
                out.add(op.result)
    changed = True
    while changed:
        changed = False
        for b in func.blocks.values():
            for op in b.ops:
                if (op.result and op.result not in out and op.name.startswith("arith.") and op.operands
                        and op.name.split(".")[-1] in ("index_cast", "extui", "extsi", "trunci")
                        and all(x in out for x in op.operands)):
                    out.add(op.result)
                    changed = True
    return out


def chaining_budget(func: Function, clock_period_ns: float, ranges: dict[str, Interval] | None = None) -> float:
    """The delay one cycle may chain: the clock period less its uncertainty, or, where one operation alone is
    slower (a combinational divider), that operation and the multiplexer in front of a register: the clock
    cannot be faster than that operation, so filling its cycle up to it costs no frequency."""
    types = func.types()
    slowest = max((delay(op, types, ranges) for b in func.blocks.values() for op in b.ops
                   if op.result and not op.type.startswith("memref")), default=0.0)
    return max(clock_period_ns * (1 - CLOCK_UNCERTAINTY), slowest + MUX)


def schedule_region(func: Function, region: Region, clock_period_ns: float, constants: set[str],
                    prefetched: dict[str, int] | None = None,
                    ranges: dict[str, Interval] | None = None) -> RegionSchedule:
    """Place ``region``'s operations (see the module docstring); ``prefetched``: loads read while entering the
    region (:mod:`hls.static.prefetch`), by result, with the port their data is on; ``ranges``: the value
    ranges (:mod:`hls.static.ranges`), which narrow the operators and so their delays."""
    ranges = ranges or {}
    return _Placer(func, region, chaining_budget(func, clock_period_ns, ranges), constants, prefetched or {},
                   ranges).run()
