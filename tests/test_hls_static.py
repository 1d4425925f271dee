"""The static-scheduled backend: regions of the control-flow graph, the schedule's chaining and memory rules, and
every hand-written C program through the backend and Icarus against its vectors."""

from __future__ import annotations

import math

import pytest

from hls.backends import HlsOptions, get_backend
from hls.c_to_mlir import CToMlir
from hls.cfront import parse_c
from hls.cosim import run_cosim
from hls.static.ir import read_function
from hls.static.prefetch import plan
from hls.static.regions import build_regions, natural_loops
from hls.static.schedule import constant_values, schedule_region
from hls.vectors import port_vectors
from pipeline.errors import UserError
from tests.hls_data.helpers import all_programs, program
from tests.support import needs_iverilog

LOOP_WITH_IF = """
#include <stdint.h>
int32_t f(int32_t n, int32_t a[16]) {
    int32_t s = 0;
    for (int32_t i = 0; i < n; i++) {
        if (a[i] > 0) { s = s + a[i]; } else { s = s - 1; }
    }
    return s;
}
"""

CHAIN = """
#include <stdint.h>
int32_t g(int32_t x, int32_t y) {
    int32_t t = x + y;
    t = t + x;
    t = t + y;
    return t + 1;
}
"""

STORE_THEN_LOAD = """
#include <stdint.h>
int32_t h(int32_t a[16]) {
    a[0] = 5;
    return a[0];
}
"""


def function(source: str, top: str):
    program_ = parse_c(source)
    module = CToMlir(program_.functions, top).lower(program_.pragmas)
    return read_function(module.text, top)


def schedules(source: str, top: str, clock: float = 10.0):
    func = function(source, top)
    constants = constant_values(func)
    return [schedule_region(func, r, clock, constants) for r in build_regions(func)]


def test_a_loop_body_with_branches_is_one_region_and_its_ifs_become_predicates():
    func = function(LOOP_WITH_IF, "f")
    loops = natural_loops(func)
    assert len(loops) == 1
    regions = build_regions(func)
    assert [r.start for r in regions][0] == 0 and set(loops) <= {r.start for r in regions}
    loop = next(r for r in regions if r.start in loops)
    assert len(loop.blocks) > 3  # the if's two arms and their join are inside the loop's region
    assert any(e.target == loop.start for e in loop.exits)  # the back edge is an exit to its own start
    assert any(e.target is None for r in regions for e in r.exits)  # and some region returns


def test_chained_additions_share_a_cycle_until_the_clock_budget_splits_them():
    (fast,) = schedules(CHAIN, "g", clock=10.0)
    assert fast.length == 1  # four 32-bit adds fit in 10 ns
    (slow,) = schedules(CHAIN, "g", clock=3.0)
    assert slow.length == 4  # one add per cycle at 3 ns


def test_a_load_after_a_store_to_the_same_memory_waits_a_cycle():
    (sched,) = schedules(STORE_THEN_LOAD, "h")
    store = next(a for a in sched.accesses if a.op.name == "memref.store")
    load = next(a for a in sched.accesses if a.op.name == "memref.load")
    assert load.cycle > store.cycle
    assert sched.values[load.op.result].cycle == load.cycle + 1  # the data comes a cycle after the address


SUM = """
#include <stdint.h>
int32_t s(int32_t a[16], int32_t n) {
    int32_t t = 0;
    for (int32_t i = 0; i < n; i++) { t = t + a[i]; }
    return t;
}
"""

INCREMENT = """
#include <stdint.h>
void inc(int32_t a[16], int32_t n) {
    for (int32_t i = 0; i < n; i++) { a[i] = a[i] + 1; }
}
"""


def planned(source: str, top: str):
    func = function(source, top)
    constants = constant_values(func)
    return plan(func, build_regions(func), 10.0, constants)


def test_a_loop_reads_its_next_element_as_it_loops_back_one_cycle_per_element():
    scheds, ports = planned(SUM, "s")
    loop = next(s for s in scheds if s.region.start != 0)
    assert len(loop.prefetched) == 1 and loop.length == 1
    assert not loop.accesses  # the load is issued by the regions entering the loop, not in it


def test_no_read_ahead_where_the_entering_cycle_stores_to_the_same_memory():
    scheds, ports = planned(INCREMENT, "inc")
    loop = next(s for s in scheds if s.region.start != 0)
    store = next(a for a in loop.accesses if a.op.name == "memref.store")
    assert store.cycle == loop.exit_cycle()  # the back edge leaves from the storing cycle
    assert not loop.prefetched  # a read there would miss the write


def test_mlir_outside_the_subset_names_the_line():
    with pytest.raises(UserError, match="line 3 is outside the subset"):
        read_function("module {\nfunc.func @f(%arg0: i32) -> (i32) {\n  %v0 = math.absi %arg0 : i32\n"
                      "  return %v0 : i32\n}\n}\n", "f")


@needs_iverilog
def test_every_program_through_the_static_backend_and_icarus(tmp_path):
    """Loops, branches, arrays read and written, local arrays, several outputs, helpers, 2-D, bool, i8 and i64:
    every vector matches; the deliberately wrong program is caught."""
    results = {}
    for name in all_programs():
        p = program(name)
        rtl = get_backend("static").synthesize(p.source, p.top, HlsOptions(), tmp_path / name)
        assert rtl.interface.protocol == "ap_ctrl"
        vectors = port_vectors(p.hw, p.inputs, p.expected)
        results[name] = run_cosim(rtl, p.hw, vectors, tmp_path / name / "cosim", max_cycles=50_000)
    failed = {n: r.summary() for n, r in results.items() if not r.passed}
    assert set(failed) == {"max_array_wrong"}, failed
    assert "expected 9" in results["max_array_wrong"].vectors[0].mismatches[0]
    gcd = results["gcd"]
    assert max(gcd.cycles) <= 6  # a few iterations of one remainder each: no handshake buffers in the way
    assert results["divmod"].cycles == [3] * len(results["divmod"].cycles)  # no loop: fixed latency


def test_ranges_bound_a_counter_by_its_length_input_and_leave_an_accumulator_wide():
    from hls.static.ranges import bits_for, value_ranges

    func = function(SUM, "s")
    ranges = value_ranges(func, {"%arg1": (0, 16)})  # n: the length of a, at most its 16 elements
    loop = next(b for b in func.blocks.values() if b.params and b.id != 0)
    got = {name: bits_for(ranges[name]) for name, _ in loop.params}
    assert sorted(got.values()) == [(5, False), (32, True)]  # i in [0, 16]; the sum may be anything
    wide = value_ranges(func, {})  # without the interface's promise the counter stays wide
    assert min(bits_for(wide[name])[0] for name, _ in loop.params) >= 31


EUCLID = """
#include <stdint.h>
int32_t m(int32_t x, int32_t y) {
    int32_t r = x % y;
    if (r < 0) { r = r + y; }
    return r;
}
"""


def test_a_fix_up_the_ranges_rule_out_is_folded_away():
    from hls.static.fold import fold_decided
    from hls.static.ranges import value_ranges

    func = function(EUCLID, "m")
    nat = (0, (1 << 31) - 1)
    folded = fold_decided(func, value_ranges(func, {"%arg0": nat, "%arg1": (1, nat[1])}))
    assert len(folded.blocks) < len(func.blocks)
    assert not any(op.name == "arith.addi" for b in folded.blocks.values() for op in b.ops)
    kept = fold_decided(func, value_ranges(func, {}))  # x may be negative: the fix-up stays
    assert any(op.name == "arith.addi" for b in kept.blocks.values() for op in b.ops)


# ---------------------------------------------------------------------------- value ranges against real runs


def _signed(value: int, w: int) -> int:
    value &= (1 << w) - 1
    return value - (1 << w) if w > 1 and value >> (w - 1) else value


def interpret(func, args: dict[str, object], steps: int = 200_000) -> dict[str, set[int]]:
    """Run the MLIR on concrete inputs (C semantics, signed readings) and return every value each SSA name
    took: what a sound range analysis must cover."""
    from hls.static.ir import memref_shape, width

    env: dict[str, object] = dict(args)
    seen: dict[str, set[int]] = {}
    b, incoming = 0, []
    for _ in range(steps):
        block = func.blocks[b]
        for (name, _), v in zip(block.params, incoming, strict=True):
            env[name] = v
            seen.setdefault(name, set()).add(v)
        for op in block.ops:
            kind = op.name.split(".")[-1]
            a = [env[x] for x in op.operands]
            w = width(op.type) if not op.type.startswith("memref") else 0
            if kind == "constant":
                v = _signed(int(op.attr), w)
            elif kind == "alloca":
                env[op.result] = [0] * math.prod(memref_shape(op.type)[0])
                continue
            elif kind == "load":  # the C may read past the end where it does not use the value (&& on a load)
                mem = env[op.memory]
                v = mem[a[0]] if 0 <= a[0] < len(mem) else 0
            elif kind == "store":
                env[op.memory][a[1]] = a[0]
                continue
            elif kind == "cmpi":
                sw = width(op.source_type)
                x, y = (a if op.attr[0] != "u" else [z & ((1 << sw) - 1) for z in a])
                v = int({"eq": x == y, "ne": x != y, "slt": x < y, "sle": x <= y, "sgt": x > y, "sge": x >= y,
                         "ult": x < y, "ule": x <= y, "ugt": x > y, "uge": x >= y}[op.attr])
            elif kind == "select":
                v = a[1] if a[0] else a[2]
            elif kind in ("extsi", "index_cast", "trunci"):
                v = _signed(a[0], w)
            elif kind == "extui":
                v = _signed(a[0] & ((1 << width(op.source_type)) - 1), w)
            elif kind in ("divsi", "remsi"):
                q = abs(a[0]) // abs(a[1]) * (1 if (a[0] >= 0) == (a[1] >= 0) else -1)
                v = _signed(q if kind == "divsi" else a[0] - q * a[1], w)
            else:
                m = (1 << w) - 1
                x, y = a[0] & m, a[1] & m
                v = _signed({"addi": x + y, "subi": x - y, "muli": x * y, "andi": x & y, "ori": x | y,
                             "xori": x ^ y, "shli": x << y, "shrui": x >> y, "shrsi": a[0] >> y,
                             "divui": x // y if y else 0, "remui": x % y if y else 0}[kind], w)
            env[op.result] = v
            seen.setdefault(op.result, set()).add(v)
        term = block.term
        if term.kind == "return":
            return seen
        edge = term.edges[0] if term.kind == "br" or env[term.cond] else term.edges[1]
        b, incoming = edge.target, [env[x] for x in edge.args]
    raise AssertionError("the interpreted program did not return")


def test_value_ranges_cover_every_value_the_programs_compute():
    """Soundness against real runs: every program's vectors, interpreted, stay inside the ranges (with the
    interface's promises as the backend gets them)."""
    from hls.options import input_ranges
    from hls.static.cse import merge_repeated
    from hls.static.ranges import value_ranges
    from hls.vectors import port_vectors

    checked = 0
    for name in all_programs():
        p = program(name)
        prog = parse_c(p.source)
        module = CToMlir(prog.functions, p.top).lower(prog.pragmas)
        func = read_function(module.text, p.top)
        names = {a.name: n for (n, _), a in zip(func.args, module.args, strict=True)}
        func, merged = merge_repeated(func)
        ranges = value_ranges(func, {names[k]: v for k, v in input_ranges(p.hw).items() if k in names},
                              module.no_wrap - set(merged))
        for vec in port_vectors(p.hw, p.inputs, p.expected):
            args = {}
            for (n, typ), arg in zip(func.args, module.args, strict=True):
                if typ.startswith("memref"):
                    depth = math.prod(int(d) for d in typ[7:].split("x")[:-1])
                    args[n] = [_signed(v, arg.ctype.width) for v in vec.memories.get(arg.name, [])]
                    args[n] += [0] * (depth - len(args[n]))
                else:
                    args[n] = _signed(vec.scalars.get(arg.name, 0), arg.ctype.width)
            for value_name, values in interpret(func, args).items():
                lo, hi = ranges.get(value_name, (-(1 << 63), 1 << 63))
                assert all(lo <= v <= hi for v in values), (name, value_name, (lo, hi), sorted(values)[:5])
                checked += 1
    assert checked > 500


CHECKSUM = """
#include <stdint.h>
static inline int32_t emod(int32_t a, int32_t b) {
    int32_t r = a % b;
    if (r < 0) { if (b > 0) { r = r + b; } else { r = r - b; } }
    return r;
}
int32_t sum2(int32_t a[16], int32_t n) {
    int32_t s1 = 0;
    int32_t s2 = 0;
    int32_t i = 0;
    while (i < n) {
        s1 = emod(s1 + a[i], 255);
        s2 = emod(s2 + s1, 255);
        i = i + 1;
    }
    return s2 * 256 + s1;
}
"""


def test_ranges_reach_their_fixed_point_where_a_loop_body_lists_its_blocks_out_of_order():
    """Two inlined fix-ups put the counter's increment in a block numbered before its predecessors: the
    analysis must not stop while what it knows at a block still changes (it once kept i in [0, 1])."""
    from hls.static.ranges import value_ranges

    func = function(CHECKSUM, "sum2")
    ranges = value_ranges(func, {"%arg1": (0, 16)})
    for n in (0, 1, 5, 16):
        for name, values in interpret(func, {"%arg0": list(range(200, 216)), "%arg1": n}).items():
            lo, hi = ranges.get(name, (-(1 << 63), 1 << 63))
            assert all(lo <= v <= hi for v in values), (n, name, (lo, hi), sorted(values))


SQUARE_COUNT = """
#include <stdint.h>
int32_t q(int32_t n) {
    int32_t r = 0;
    while (((r + 1) * (r + 1)) <= n) { r = (r + 1); }
    return r;
}
"""


def lowered(source: str, top: str):
    program_ = parse_c(source)
    return CToMlir(program_.functions, top).lower(program_.pragmas)


def test_repeated_operations_merge_into_the_dominating_one():
    """``(r + 1) * (r + 1)`` and the body's ``r + 1`` are one adder; the literals one constant each."""
    from hls.static.cse import merge_repeated

    func = function(SQUARE_COUNT, "q")
    merged, names = merge_repeated(func)
    adds = [op for b in merged.blocks.values() for op in b.ops if op.name == "arith.addi"]
    assert len(adds) == 1 and len([op for b in func.blocks.values() for op in b.ops if op.name == "arith.addi"]) == 3
    mul = next(op for b in merged.blocks.values() for op in b.ops if op.name == "arith.muli")
    assert mul.operands == [adds[0].result] * 2
    assert set(names.values()) <= {op.result for b in merged.blocks.values() for op in b.ops}


def test_a_signed_square_bounds_its_root_and_narrowing_wins_back_the_widened_counter():
    """From ``(r + 1)^2 <= n`` with ``n < 2^30``, ``r`` fits 15 bits, but only because signed C overflow is
    undefined (the square cannot wrap) and the loop's widened bound is narrowed again; without the promise that
    ``+`` and ``*`` do not wrap, ``r`` stays 32 bits wide."""
    from hls.static.cse import merge_repeated
    from hls.static.ranges import bits_for, value_ranges

    module = lowered(SQUARE_COUNT, "q")
    func, merged = merge_repeated(read_function(module.text, "q"))
    n = {"%arg0": (0, (1 << 30) - 1)}
    loop = next(b for b in func.blocks.values() if b.params)
    exact = value_ranges(func, n, module.no_wrap - set(merged))
    assert exact[loop.params[0][0]] == (0, 32767)
    assert bits_for(value_ranges(func, n)[loop.params[0][0]])[0] >= 31
    for x in (0, 1, 17, (1 << 30) - 1):  # sound on real runs
        for name, values in interpret(func, {"%arg0": x}).items():
            lo, hi = exact.get(name, (-(1 << 63), 1 << 63))
            assert all(lo <= v <= hi for v in values), (x, name, (lo, hi), sorted(values))


def test_unsigned_arithmetic_wraps_so_it_is_not_taken_as_exact():
    module = lowered(SQUARE_COUNT.replace("int32_t", "uint32_t"), "q")
    assert module.no_wrap == set()
    assert lowered(SQUARE_COUNT, "q").no_wrap


def test_input_ranges_take_the_constant_bounds_of_the_requires():
    from hls.options import input_ranges
    from pipeline.hw_interface import HwInterface, HwPort

    hw = HwInterface("f", [HwPort("n", "in", "int32_t", 32, True, dafny_name="n", dafny_type="nat"),
                           HwPort("k", "in", "int32_t", 32, True, dafny_name="k", dafny_type="int"),
                           HwPort("j", "in", "int32_t", 32, True, dafny_name="j", dafny_type="int")])
    got = input_ranges(hw, ["n < 1073741824", "-5 <= k", "j > 3 || j < 0"])
    assert got == {"n": (0, (1 << 30) - 1), "k": (-5, (1 << 31) - 1)}  # a disjunction promises nothing
    assert input_ranges(hw, ["k > 5 && k < 2"]) == {"n": (0, (1 << 31) - 1)}  # contradictory: nothing promised
