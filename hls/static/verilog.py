"""The scheduled regions written as one Verilog module: an FSM (a state per region cycle), a datapath of wires
(one per operation, as the schedule chained them), registers only where a value crosses a cycle or a region,
and the ``ap_ctrl_hs`` block protocol with ``ap_memory`` ports, named as Vitis HLS names them.

The first cycle of the entry region is the idle state itself, taken when ``ap_start`` is high: a function
without loops finishes in the cycle it starts. ``ap_done`` (and ``ap_ready``) rise in the cycle a ``return``
exit is taken, with ``ap_return`` and the result ports valid in that cycle; results passed through pointers
come out on ``<name>`` with ``<name>_ap_vld``. Datapath registers have no reset (every one is written before it
is read); only the state register is reset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hls.c_to_mlir import MlirModule
from hls.static.ir import Function, Operation, memref_shape, width
from hls.static.prefetch import entries
from hls.static.ranges import bits_for
from hls.static.schedule import RegionSchedule
from hls.verilog_ports import bit_range


@dataclass
class Memory:
    """An array the design accesses: a C parameter (ports) or a local array (inside the module)."""

    name: str  # the Verilog base name
    depth: int
    dims: list[int]
    width: int
    local: bool
    ports: dict[int, list[tuple[str, str, str, str]]] = field(default_factory=dict)  # port -> (cond, addr, we, d)

    @property
    def addr_width(self) -> int:
        return max(1, (self.depth - 1).bit_length())


def _literal(value: int, w: int) -> str:
    return f"{w}'d{value & ((1 << w) - 1)}"


def constant_value(func: Function, name: str, cache: dict[str, int]) -> int:
    """The value of a constant (an ``arith.constant`` or a cast of one), as a Python int of its type."""
    if name in cache:
        return cache[name]
    op = next(o for b in func.blocks.values() for o in b.ops if o.result == name)
    if op.name == "arith.constant":
        value = int(op.attr)
    else:
        src = constant_value(func, op.operands[0], cache)
        sw, dw = width(op.source_type), width(op.type)
        raw = src & ((1 << sw) - 1)
        if op.name.endswith(("extsi", "index_cast")) and raw >> (sw - 1) & 1:
            raw -= 1 << sw
        value = raw & ((1 << dw) - 1)
    cache[name] = value
    return value


class ModuleWriter:
    """Collects the module's declarations and logic while resolving every read (see :meth:`ref`)."""

    def __init__(self, func: Function, module: MlirModule, scheds: list[RegionSchedule], constants: set[str],
                 untouched: list[Memory], ranges: dict[str, tuple[int, int]]) -> None:
        self.func, self.module, self.scheds = func, module, scheds
        self.ranges = ranges
        self.types = func.types()
        self.constants = constants
        self.const_cache: dict[str, int] = {}
        self.start_of = {s.region.start: i for i, s in enumerate(scheds)}
        self.states: dict[tuple[int, int], int] = {(0, 0): 0}
        for r, s in enumerate(scheds):
            for c in range(s.length):
                self.states.setdefault((r, c), len(self.states))
        self.def_block = {name: b.id for b in func.blocks.values() for name, _ in b.params}
        self.def_block.update({op.result: b.id for b in func.blocks.values() for op in b.ops if op.result})
        self.args = {name: a for (name, _), a in zip(func.args, module.args, strict=True)}
        self.decls: list[str] = []
        self.wires: list[str] = []
        self.local_regs: set[tuple[int, str]] = set()
        self.global_regs: set[str] = set()
        self.writes: list[tuple[str, str, str]] = []  # (condition, register, value)
        self.returns: list[tuple[str, list[str]]] = []  # (condition, the returned values)
        self.next_state: list[tuple[str, int]] = []  # (condition, state)
        self.prefetch_wires: set[str] = set()
        self.memories = self._memories()
        # arrays the C names and the design never reads: their ports stay idle (no access, no enable)
        self.memories.update({f"untouched:{m.name}": m for m in untouched})
        self.stable = [self._stable(s) for s in scheds]

    # ------------------------------------------------------------------------------------------ names

    def _memories(self) -> dict[str, Memory]:
        mems = {}
        for name, typ in self.func.args:
            if typ.startswith("memref"):
                dims, elem = memref_shape(typ)
                mems[name] = Memory(self.args[name].name, math.prod(dims), dims, width(elem), False)
        for b in self.func.blocks.values():
            for op in b.ops:
                if op.name == "memref.alloca":
                    dims, elem = memref_shape(op.type)
                    mems[op.memory] = Memory(f"p2s_m_{op.memory[1:]}", math.prod(dims), dims, width(elem), True)
        return mems

    def _stable(self, s: RegionSchedule) -> set[str]:
        """Signals of a region that hold their value in every cycle of it: computed, through no load, from the
        registers the region starts with (which change only as it exits), the inputs and constants. Such a
        signal is read as its wire in any later cycle: recomputing it costs nothing, a register would."""
        region = s.region
        out: set[str] = set()

        def steady(name: str) -> bool:
            return name in out or not name.startswith("^") and name not in s.values

        for b in region.blocks:
            block = self.func.blocks[b]
            incoming = region.preds[b]
            edges = [f"^e{e[0]}_{e[1]}" for e in incoming]
            if all(steady(e) for e in edges):
                out.add(f"^p{b}")
                if incoming:
                    for k, (name, _) in enumerate(block.params):
                        if all(steady(self.func.edge_arg(e, k)) for e in incoming):
                            out.add(name)
            for op in block.ops:
                if op.result and op.name != "memref.load" and all(steady(x) for x in op.operands):
                    out.add(op.result)
            term = block.term
            assert term is not None
            if f"^p{b}" in out and (term.kind != "cond_br" or steady(term.cond)):
                out |= {f"^e{b}_{i}" for i in range(len(term.edges))}
        return out

    def width_of(self, name: str) -> int:
        if name.startswith("^"):
            return 1
        return width(self.types[name])

    def cond(self, r: int, c: int) -> str:
        """The condition of being in cycle ``c`` of region ``r``."""
        if (r, c) == (0, 0):
            return "(p2s_state == 0 && ap_start)"
        return f"(p2s_state == {self.states[(r, c)]})"

    @staticmethod
    def _id(name: str) -> str:
        return name.lstrip("%^").replace("#", "_")

    def wire(self, r: int, name: str) -> str:
        """The wire of ``name`` in region ``r`` (every internal name starts with ``p2s_``: no C name clashes)."""
        return f"p2s_r{r}_{self._id(name)}"

    def register(self, name: str) -> str:
        """The register holding ``name`` for other regions (and a region start's argument between passes)."""
        return f"p2s_q_{self._id(name)}"

    def local(self, r: int, name: str) -> str:
        """The register holding ``name`` for the later cycles of region ``r``."""
        return f"p2s_lr{r}_{self._id(name)}"

    # ------------------------------------------------------------------------------------------ reads

    def ref(self, r: int, name: str, cycle: int) -> str:
        """The expression that reads ``name`` in cycle ``cycle`` of region ``r``: a literal, an input port, the
        wire of this cycle, a local register (computed earlier in this region) or a global one."""
        if name in self.constants:
            return _literal(constant_value(self.func, name, self.const_cache), self.width_of(name))
        if name in self.args and not self.types[name].startswith("memref"):
            return self.args[name].name
        slot = self.signal_slot(r, name)
        if slot is None:
            self.global_regs.add(name)
            return self.extend(self.register(name), name)
        if slot.cycle == cycle or name in self.stable[r]:
            return self.wire(r, name)
        assert slot.cycle < cycle, (name, slot, cycle)
        self.local_regs.add((r, name))
        return self.extend(self.local(r, name), name)

    def reg_bits(self, name: str) -> tuple[int, bool]:
        """How many bits the register of ``name`` needs (its range's, at most its type's) and whether they are
        read as signed."""
        w = self.width_of(name)
        rng = self.ranges.get(name)
        if rng is not None:
            bits, signed = bits_for(rng)
            if bits < w:
                return bits, signed
        return w, False

    def extend(self, reg: str, name: str) -> str:
        """Read a narrowed register back at its type's width (sign- or zero-extended)."""
        w = self.width_of(name)
        bits, signed = self.reg_bits(name)
        if bits == w:
            return reg
        top = f"{reg}[{bits - 1}]" if signed else "1'b0"
        return f"{{{{{w - bits}{{{top}}}}}, {reg}}}"

    def signal_slot(self, r: int, name: str):
        s = self.scheds[r]
        if name.startswith("^p"):
            return s.preds[int(name[2:])]
        if name.startswith("^e"):
            b, i = name[2:].split("_")
            return s.edges[(int(b), int(i))]
        return s.values.get(name)

    # ------------------------------------------------------------------------------------------ build

    def build(self) -> str:
        for r, s in enumerate(self.scheds):
            self.region(r, s)
        for r, s in enumerate(self.scheds):
            self.prefetches(r, s)
            self.exits(r, s)
        self.global_writes()
        return self.text()

    def region(self, r: int, s: RegionSchedule) -> None:
        region = s.region
        for b in region.blocks:
            block = self.func.blocks[b]
            self.predicate(r, s, b)
            incoming = region.preds[b]
            for k, (name, typ) in enumerate(block.params):
                if not incoming:  # the start's arguments are registers, written as the region is entered
                    continue
                at = s.values[name].cycle
                choices = [(self.ref(r, f"^e{e[0]}_{e[1]}", at), self.ref(r, self.func.edge_arg(e, k), at))
                           for e in incoming]
                expr = choices[-1][1]
                for c, v in reversed(choices[:-1]):
                    expr = f"({c} ? {v} : {expr})"
                self.assign(r, name, width(typ), expr)
            for op in block.ops:
                if op.result in self.constants or op.name == "memref.alloca":
                    continue
                if op.name not in ("memref.load", "memref.store"):
                    assert op.result is not None
                    at = s.values[op.result].cycle
                    refs = [self.ref(r, x, at) for x in op.operands]
                    self.assign(r, op.result, width(op.type), self.expression(op, refs))
        for a in s.accesses:
            self.access(r, a)

    def predicate(self, r: int, s: RegionSchedule, b: int) -> None:
        incoming = s.region.preds[b]
        at = s.preds[b].cycle
        expr = " | ".join(self.ref(r, f"^e{e[0]}_{e[1]}", at) for e in incoming) if incoming else "1'b1"
        self.assign(r, f"^p{b}", 1, expr)
        term = self.func.blocks[b].term
        assert term is not None
        if term.kind == "cond_br":
            at = s.edges[(b, 0)].cycle
            p, c = self.ref(r, f"^p{b}", at), self.ref(r, term.cond, at)
            self.assign(r, f"^e{b}_0", 1, f"({p} & {c})")
            self.assign(r, f"^e{b}_1", 1, f"({p} & ~{c})")
        elif term.kind == "br":
            self.assign(r, f"^e{b}_0", 1, self.wire(r, f"^p{b}"))

    def assign(self, r: int, name: str, w: int, expr: str) -> None:
        self.decls.append(f"  wire {bit_range(w)}{self.wire(r, name)};")
        self.wires.append(f"  assign {self.wire(r, name)} = {expr};")

    def expression(self, op: Operation, a: list[str]) -> str:
        kind = op.name.split(".")[-1]
        s = [f"$signed({x})" for x in a]
        binary = {"addi": "+", "subi": "-", "muli": "*", "andi": "&", "ori": "|", "xori": "^", "shli": "<<",
                  "shrui": ">>", "divui": "/", "remui": "%"}
        if kind in binary:
            return f"({a[0]} {binary[kind]} {a[1]})"
        if kind in ("divsi", "remsi"):
            return f"({s[0]} {'/' if kind == 'divsi' else '%'} {s[1]})"
        if kind == "shrsi":
            return f"({s[0]} >>> {a[1]})"
        if kind == "cmpi":
            pred = op.attr
            ops = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
            sym = ops[pred[1:]] if pred[0] in "su" else ops[pred]
            x = s if pred[0] == "s" else a
            return f"({x[0]} {sym} {x[1]})"
        if kind == "select":
            return f"({a[0]} ? {a[1]} : {a[2]})"
        if kind in ("extsi", "index_cast"):
            return s[0]
        if kind in ("extui", "trunci"):
            return a[0]
        if kind in ("maxsi", "minsi", "maxui", "minui"):
            x = s if kind[3] == "s" else a
            return f"(({x[0]} {'>' if kind.startswith('max') else '<'} {x[1]}) ? {a[0]} : {a[1]})"
        raise AssertionError(op.name)

    def access(self, r: int, a) -> None:
        op: Operation = a.op
        mem = self.memories[op.memory]
        idx = op.operands[1:] if op.name == "memref.store" else op.operands
        flat = self._flat(mem, [self.ref(r, x, a.cycle) for x in idx])
        cond = self.cond(r, a.cycle)
        if op.name == "memref.store":
            we = f"{cond} && {self.ref(r, f'^p{a.block}', a.cycle)}"
            mem.ports.setdefault(0, []).append((cond, flat, we, self.ref(r, op.operands[0], a.cycle)))
        else:
            mem.ports.setdefault(a.port, []).append((cond, flat, "", ""))
            assert op.result is not None
            self.assign(r, op.result, width(op.type), f"{mem.name}_q{a.port}")

    @staticmethod
    def _flat(mem: Memory, refs: list[str]) -> str:
        """The word address of an access with one index per dimension (row-major)."""
        flat = refs[0]
        for d, x in zip(mem.dims[1:], refs[1:], strict=True):
            flat = f"({flat} * 32'd{d} + {x})"
        return flat

    def prefetches(self, r: int, s: RegionSchedule) -> None:
        """Each load region ``r`` reads as it is entered: its data on the port's output in cycle 0, its address
        driven by every region entering ``r`` in its last cycle, computed there from the values it passes."""
        regions = [x.region for x in self.scheds]
        loads = {op.result: op for b in s.region.blocks for op in self.func.blocks[b].ops if op.result}
        for k, (name, port) in enumerate(sorted(s.prefetched.items())):
            op = loads[name]
            mem = self.memories[op.memory]
            self.assign(r, name, width(op.type), f"{mem.name}_q{port}")
            for j, e in enumerate(entries(regions, r)):
                src = self.scheds[e.source]
                last = src.exit_cycle()
                term = self.func.blocks[e.exit.block].term
                assert term is not None
                env = {p: self.ref(e.source, v, last) for (p, _), v in
                       zip(self.func.blocks[s.region.start].params, term.edges[e.exit.index].args, strict=True)}
                tag = f"p2s_pf{r}_{k}_{j}_"
                flat = self._flat(mem, [self._entered(e.source, last, loads, x, env, tag) for x in op.operands])
                taken = self.ref(e.source, f"^e{e.exit.block}_{e.exit.index}", last)
                mem.ports.setdefault(port, []).append((f"{self.cond(e.source, last)} && {taken}", flat, "", ""))

    def _entered(self, src: int, last: int, ops: dict[str, Operation], name: str, env: dict[str, str],
                 tag: str) -> str:
        """``name`` as it will be once the region is entered, computed in region ``src``'s last cycle."""
        if name in env:
            return env[name]
        op = ops.get(name)
        if op is None or name in self.constants:
            return self.ref(src, name, last)  # a constant or an input
        wire = tag + self._id(name)
        if wire not in self.prefetch_wires:
            self.prefetch_wires.add(wire)
            refs = [self._entered(src, last, ops, x, env, tag) for x in op.operands]
            w = width(op.type)
            self.decls.append(f"  wire {bit_range(w)}{wire};")
            self.wires.append(f"  assign {wire} = {self.expression(op, refs)};")
        return wire

    def exits(self, r: int, s: RegionSchedule) -> None:
        last = s.exit_cycle()
        here = self.cond(r, last)
        for c in range(last):
            self.next_state.append((self.cond(r, c), self.states[(r, c + 1)]))
        for ex in s.region.exits:
            term = self.func.blocks[ex.block].term
            assert term is not None
            taken = self.ref(r, f"^p{ex.block}" if ex.index < 0 else f"^e{ex.block}_{ex.index}", last)
            if ex.target is None:
                self.returns.append((f"{here} && {taken}", [self.ref(r, v, last) for v in term.values]))
                self.next_state.append((f"{here} && {taken}", 0))
                continue
            target = self.func.blocks[ex.target]
            edge = term.edges[ex.index]
            for (pname, _), value in zip(target.params, edge.args, strict=True):
                self.writes.append((f"{here} && {taken}", self.register(pname), self.ref(r, value, last)))
                self.global_regs.add(pname)
            self.next_state.append((f"{here} && {taken}", self.states[(self.start_of[ex.target], 0)]))

    def global_writes(self) -> None:
        """Each value another region reads is written, under its block's predicate, where it is computed; each
        value read in a later cycle of its own region, where it is computed."""
        for name in sorted(self.global_regs):
            for r, s in enumerate(self.scheds):
                if name in s.values and name not in dict(self.func.blocks[s.region.start].params):
                    b = self.def_block[name]
                    at = max(s.values[name].cycle, s.preds[b].cycle)
                    cond = f"{self.cond(r, at)} && {self.ref(r, f'^p{b}', at)}"
                    self.writes.append((cond, self.register(name), self.ref(r, name, at)))
        for r, name in sorted(self.local_regs):
            slot = self.signal_slot(r, name)
            self.writes.append((self.cond(r, slot.cycle), self.local(r, name), self.wire(r, name)))

    # ------------------------------------------------------------------------------------------ text

    def text(self) -> str:
        m = self.module
        ports = ["input wire ap_clk", "input wire ap_rst", "input wire ap_start", "output wire ap_done",
                 "output wire ap_idle", "output wire ap_ready"]
        ports += [f"input wire [{width(typ) - 1}:0] {self.args[name].name}" for name, typ in self.func.args
                  if name not in self.memories]
        for mem in (m for m in self.memories.values() if not m.local):
            for p in sorted(mem.ports) or [0]:
                ports += [f"output wire [{mem.addr_width - 1}:0] {mem.name}_address{p}",
                          f"output wire {mem.name}_ce{p}", f"input wire [{mem.width - 1}:0] {mem.name}_q{p}"]
                if any(we for _, _, we, _ in mem.ports.get(p, [])):
                    ports += [f"output wire {mem.name}_we{p}", f"output wire [{mem.width - 1}:0] {mem.name}_d{p}"]
        for res, typ in zip(m.results, self.func.results, strict=True):
            w = width(typ)
            if res.name == "return":
                ports.append(f"output wire [{w - 1}:0] ap_return")
            else:
                ports += [f"output wire [{w - 1}:0] {res.name}", f"output wire {res.name}_ap_vld"]
        nstates = len(self.states)
        sw = max(1, (nstates - 1).bit_length())
        lines = [f"// Generated by Proof2Silicon's static-scheduled backend: {nstates} states.",
                 f"module {m.top} (", ",\n".join(f"  {p}" for p in ports), ");",
                 f"  reg [{sw - 1}:0] p2s_state = 0;"]
        lines += [f"  reg {bit_range(self.reg_bits(n)[0])}{self.register(n)};" for n in sorted(self.global_regs)]
        lines += [f"  reg {bit_range(self.reg_bits(n)[0])}{self.local(r, n)};" for r, n in sorted(self.local_regs)]
        lines += self.decls
        lines += self._memory_logic()
        lines += self.wires
        done = " || ".join(f"({c})" for c, _ in self.returns) or "1'b0"
        lines += [f"  assign ap_done = {done};", "  assign ap_ready = ap_done;", "  assign ap_idle = (p2s_state == 0);"]
        for k, (res, typ) in enumerate(zip(m.results, self.func.results, strict=True)):
            w = width(typ)
            expr = _literal(0, w)
            for c, values in reversed(self.returns):
                expr = f"({c}) ? {values[k]} : {expr}"
            port = "ap_return" if res.name == "return" else res.name
            lines.append(f"  assign {port} = {expr};")
            if res.name != "return":
                lines.append(f"  assign {res.name}_ap_vld = ap_done;")
        lines += ["  always @(posedge ap_clk) begin", "    if (ap_rst) p2s_state <= 0;", "    else begin"]
        lines += [f"      if ({c}) p2s_state <= {target};" for c, target in self.next_state]
        lines += ["    end"]
        lines += [f"    if ({c}) {reg} <= {value};" for c, reg, value in self.writes]
        lines += ["  end", "endmodule", ""]
        return "\n".join(lines)

    def _memory_logic(self) -> list[str]:
        """Each memory port's address, enable, write enable and data, multiplexed by state; a local array's
        storage with its registered read data (the same one-cycle latency as an external block RAM)."""
        lines = []
        for mem in self.memories.values():
            net = "wire " if mem.local else "assign "  # a local port is an internal net, an external one a port
            if mem.local:
                lines.append(f"  reg [{mem.width - 1}:0] {mem.name} [0:{mem.depth - 1}];")
            for p in sorted(mem.ports) or [0]:
                uses = mem.ports.get(p, [])
                addr, ce = "32'd0", " || ".join(c for c, _, _, _ in uses) or "1'b0"
                for c, a, _, _ in reversed(uses):
                    addr = f"{c} ? {a} : {addr}"
                aw = f"[{mem.addr_width - 1}:0] " if mem.local else ""
                lines += [f"  wire [31:0] {mem.name}_addr{p} = {addr};",
                          f"  {net}{aw}{mem.name}_address{p} = {mem.name}_addr{p}[{mem.addr_width - 1}:0];",
                          f"  {net}{mem.name}_ce{p} = {ce};"]
                stores = [(we, d) for _, _, we, d in uses if we]
                if stores:
                    d = _literal(0, mem.width)
                    for w, v in reversed(stores):
                        d = f"({w}) ? {v} : {d}"
                    dw = f"[{mem.width - 1}:0] " if mem.local else ""
                    lines += [f"  {net}{mem.name}_we{p} = {' || '.join(f'({w})' for w, _ in stores)};",
                              f"  {net}{dw}{mem.name}_d{p} = {d};"]
                if mem.local:
                    lines += [f"  reg [{mem.width - 1}:0] {mem.name}_q{p};",
                              f"  always @(posedge ap_clk) if ({mem.name}_ce{p}) begin"]
                    if stores:
                        lines.append(f"    if ({mem.name}_we{p}) {mem.name}[{mem.name}_address{p}] <= {mem.name}_d{p};")
                    lines += [f"    {mem.name}_q{p} <= {mem.name}[{mem.name}_address{p}];", "  end"]
        return lines


def write_module(func: Function, module: MlirModule, scheds: list[RegionSchedule], constants: set[str],
                 untouched: list[Memory] = (), ranges: dict[str, tuple[int, int]] | None = None) -> str:
    """The Verilog text of the scheduled function; ``untouched``: array parameters the MLIR dropped (never
    accessed), which still get their ports; ``ranges``: value ranges (:mod:`hls.static.ranges`) that size
    the registers."""
    return ModuleWriter(func, module, scheds, constants, list(untouched), ranges or {}).build()
