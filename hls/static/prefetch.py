"""Loads read one cycle early, while their region is being entered, so a loop over an array takes one cycle per
element instead of two (the address runs one element ahead, as a designer writes it by hand).

A load qualifies when its address depends only on what the region starts with (its block arguments, the
inputs, constants, and operations of the region on those), and no store to its memory comes before it in the
region. It is then issued in the last cycle of every region that enters this one, with the address computed from
the values that region passes (a back edge passes the next iteration's), on a read port free there in all of
them, and never in a cycle that stores to the same memory (the read would miss the write). Its data is on that
port's output in the region's first cycle. Each choice changes the schedules, so the plan is checked again on
the new schedules until every prefetch still holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from hls.static.ir import Function, Operation
from hls.static.ranges import Interval
from hls.static.regions import Exit, Region
from hls.static.schedule import LOAD_PORTS, RegionSchedule, schedule_region


@dataclass(frozen=True)
class Entry:
    """Where a prefetch is issued: the last cycle of region ``source`` when it takes ``exit``."""

    source: int
    exit: Exit


def _stable_address(func: Function, region: Region, op: Operation, constants: set[str]) -> bool:
    params = {name for name, _ in func.blocks[region.start].params}
    args = {name for name, typ in func.args if not typ.startswith("memref")}
    defs = {o.result: o for b in region.blocks for o in func.blocks[b].ops if o.result}
    seen: set[str] = set()

    def stable(name: str) -> bool:
        if name in constants or name in params or name in args or name in seen:
            return True
        d = defs.get(name)
        if d is None or not d.name.startswith("arith."):
            return False
        seen.add(name)
        return all(stable(x) for x in d.operands)

    return all(stable(x) for x in op.operands)


def candidates(func: Function, region: Region, constants: set[str]) -> list[Operation]:
    """Loads of ``region`` whose address is known as it is entered and that no store of it precedes."""
    out, stored = [], set()
    for b in region.blocks:
        for op in func.blocks[b].ops:
            if op.name == "memref.store":
                stored.add(op.memory)
            elif op.name == "memref.load" and op.memory not in stored and _stable_address(func, region, op, constants):
                out.append(op)
    return out


def entries(regions: list[Region], r: int) -> list[Entry]:
    """Every exit of a region into region ``r``."""
    return [Entry(k, ex) for k, reg in enumerate(regions) for ex in reg.exits if ex.target == regions[r].start]


def _free_port(memory: str, sources: list[int], scheds: list[RegionSchedule],
               taken: dict[tuple[int, str], set[int]]) -> int | None:
    """A read port of ``memory`` free in the last cycle of each region in ``sources`` (beside what ``taken``
    already holds there), where nothing stores to it; None if none."""
    busy: set[int] = set()
    for src in sources:
        s = scheds[src]
        here = [a for a in s.accesses if a.op.memory == memory and a.cycle == s.exit_cycle()]
        if any(a.op.name == "memref.store" for a in here):
            return None
        busy |= {a.port for a in here} | taken.get((src, memory), set())
    return next((p for p in range(LOAD_PORTS) if p not in busy), None)


def plan(func: Function, regions: list[Region], clock_period_ns: float, constants: set[str],
         ranges: dict[str, Interval] | None = None) -> tuple[list[RegionSchedule], dict[int, dict[str, int]]]:
    """The schedules with the prefetches that hold on them: per region index, load result -> read port
    (``ranges``: the value ranges, for the operators' delays)."""
    wanted = {r: [op.result for op in candidates(func, reg, constants)] if r else []  # the entry has no entry
              for r, reg in enumerate(regions)}
    ports: dict[int, dict[str, int]] = {r: {name: 0 for name in names if name} for r, names in wanted.items()}
    loads = {op.result: op for b in func.blocks.values() for op in b.ops if op.name == "memref.load"}
    while True:
        scheds = [schedule_region(func, reg, clock_period_ns, constants, ports[r], ranges)
                  for r, reg in enumerate(regions)]
        taken: dict[tuple[int, str], set[int]] = {}
        dropped = False
        for r in range(len(regions)):
            ins = entries(regions, r)
            for name in list(ports[r]):
                port = _free_port(loads[name].memory, [e.source for e in ins], scheds, taken) if ins else None
                if port is None:
                    del ports[r][name]
                    dropped = True
                    continue
                ports[r][name] = port
                for e in ins:
                    taken.setdefault((e.source, loads[name].memory), set()).add(port)
        if not dropped and all(scheds[r].prefetched == ports[r] for r in ports):
            return scheds, ports
