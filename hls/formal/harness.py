"""The formal harness around a generated design: free arguments, the requires assumed, the ensures asserted
when the results come out, and a bound on when they must.

The harness drives the design through its real interface, as the co-simulation testbench does, but with
every argument a free constant (``anyconst``) instead of a vector's value, so the solver checks every input
the ports and the requires allow (array contents free too). Both protocols are modelled: ``handshake``
(CIRCT's channels) and ``ap_ctrl`` with ``ap_memory`` ports (the static backend, Vitis, Bambu); array results
and 2-D arrays raise :class:`NotModelled` (the stage then says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from hls.cosim import memory_layout
from hls.formal.expr import EUCLID_FUNCTIONS, ArraySignal, Scope, Signal, Untranslatable, clause_to_verilog
from hls.render import render
from hls.rtl_result import RtlResult
from hls.verilog_ports import bit_range, read_ports_from_files
from pipeline.hw_interface import HwInterface, HwPort
from pipeline.task import Task

ARRAY_ROLES = ("array", "array_out", "len")


class NotModelled(Exception):
    """The design's interface is outside what the harness models; the message says what."""


@dataclass
class Clause:
    """One pinned clause: what it says in Dafny, and in Verilog (``None``: unchecked, with the reason)."""

    kind: str  # requires | ensures | type (a parameter's type constraint, e.g. nat)
    index: int
    dafny: str
    verilog: str | None
    why_unchecked: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind} #{self.index}: {self.dafny}" if self.kind != "type" else self.dafny


@dataclass
class Harness:
    """The harness text and what it checks, with the line of each assertion (to name a failing one)."""

    text: str
    depth: int
    clauses: list[Clause] = field(default_factory=list)
    assert_lines: dict[int, str] = field(default_factory=dict)  # harness line -> what it asserts
    arguments: dict[str, str] = field(default_factory=dict)  # anyconst register -> Dafny parameter
    # array parameter -> (its length register, the registers of its initial contents)
    array_regs: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    @property
    def checked(self) -> list[Clause]:
        return [c for c in self.clauses if c.kind == "ensures" and c.verilog is not None]

    @property
    def unchecked(self) -> list[Clause]:
        return [c for c in self.clauses if c.verilog is None]


def build_harness(rtl: RtlResult, hw: HwInterface, task: Task, depth: int) -> Harness:
    """The harness for ``rtl`` (its ports read from the Verilog), checking ``task``'s pinned clauses.

    Raises:
        NotModelled: array results, 2-D arrays, or a protocol other than ``handshake`` and ``ap_ctrl``.
    """
    iface = rtl.interface
    if iface.protocol not in ("handshake", "ap_ctrl"):
        raise NotModelled(f"the {iface.protocol} protocol is not modelled by the formal harness yet")
    results = [p.name for p in hw.ports if p.role == "array_out"]
    if results:
        raise NotModelled(f"array results ({', '.join(sorted(results))}) are not modelled by the formal harness "
                          f"yet")
    if any(p.dims and len(p.dims) > 1 for p in hw.ports):
        raise NotModelled("two-dimensional arrays are not modelled by the formal harness yet")
    ports = read_ports_from_files(rtl.verilog_files, rtl.top_module)
    widths = {p.name: p.width for p in ports}
    io = _ap_ctrl_io(iface, hw, widths) if iface.protocol == "ap_ctrl" else _handshake_io(iface, hw, widths)
    mem = _memories(rtl, hw, widths, io.lengths)
    reset_on = iface.reset_active_high
    connections = [{"port": port.name, "signal": io.driven.get(port.name, port.name)} for port in ports]
    wires = [{"name": p.name, "range": bit_range(p.width)} for p in ports if p.direction != "input"]
    clauses = _clauses(task, Scope(io.signals, mem.arrays), hw) + mem.length_clauses
    assumptions = [{"text": c.verilog, "label": c.label} for c in clauses
                   if c.kind in ("requires", "type") and c.verilog is not None]
    checks = [{"text": c.verilog, "label": c.label} for c in clauses if c.kind == "ensures" and c.verilog]
    context: dict[str, Any] = {
        "top": rtl.top_module, "task": task.id, "clock": iface.clock, "reset": iface.reset,
        "reset_expr": "p2s_step < 16'd3" if reset_on else "p2s_step >= 16'd3",
        "args": io.args, "wires": wires, "connections": connections,
        "assumptions": assumptions, "checks": checks, "depth": depth + mem.drain, "functions": EUCLID_FUNCTIONS,
        "memory_decls": mem.decls, "memory_logic": mem.logic, "drain": mem.drain, **io.context,
    }
    text = render(f"formal/{iface.protocol}_formal.sv.j2", **context)
    lines = {}
    for n, line in enumerate(text.splitlines(), 1):
        if "assert (" in line:
            lines[n] = line.split("//", 1)[1].strip() if "//" in line else line.strip()
    return Harness(text, depth + mem.drain, clauses, lines, {a["name"]: a["dafny"] for a in io.args},
                   {name: (a.length.name, list(a.inits)) for name, a in mem.arrays.items()})


@dataclass
class _Io:
    """How the harness drives a design's arguments and reads its results: the free argument registers, what
    drives each input port, the results and lengths as the clauses see them, the template's own variables."""

    args: list[dict[str, str]] = field(default_factory=list)
    driven: dict[str, str] = field(default_factory=dict)
    signals: dict[str, Signal] = field(default_factory=dict)
    lengths: dict[str, Signal] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)

    def argument(self, hw: HwInterface, arg: str, data: str, width: int) -> None:
        """A free register driving input ``data``, the port of task parameter (or length) ``arg``."""
        if arg.endswith("__in"):  # the input half of an in/out result pointer: 0, as in the testbench
            self.driven[data] = f"{width}'d0"
            return
        hp = next(p for p in hw.ports if p.name == arg)
        if hp.role == "len":
            reg = f"p2s_len_{hp.of}"
            self.args.append({"name": reg, "range": bit_range(width), "dafny": f"|{hp.of}|"})
            self.lengths[hp.of or ""] = Signal(reg, width, hp.signed)
        else:
            reg = f"p2s_arg_{hp.dafny_name or arg}"
            self.args.append({"name": reg, "range": bit_range(width), "dafny": hp.dafny_name or arg})
            self.signals[hp.dafny_name or arg] = _signal(reg, width, hp)
        self.driven[data] = reg

    def result(self, hw: HwInterface, arg: str, capture: str, width: int) -> None:
        hp = hw.return_port if arg == "return" else next((p for p in hw.ports if p.name == arg), None)
        if hp is not None and hp.dafny_name:
            self.signals[hp.dafny_name] = _signal(capture, width, hp)


def _handshake_io(iface: Any, hw: HwInterface, widths: dict[str, int]) -> _Io:
    """Every argument token offered once after reset; every result token taken (ready tied high)."""
    io = _Io()
    inputs, outputs, tied = [], [], []
    for p in iface.of_kind("in", "ctrl_in"):
        inputs.append({"valid": p.signals["valid"], "ready": p.signals["ready"]})
        if "data" in p.signals:
            io.argument(hw, p.arg, p.signals["data"], widths[p.signals["data"]])
    for i, p in enumerate(iface.of_kind("out", "ctrl_out")):
        data = p.signals.get("data", "")
        tied.append(p.signals["ready"])
        capture, got = f"p2s_res{i}", f"p2s_got{i}"
        width = widths.get(data, 1)
        outputs.append({"valid": p.signals["valid"], "data": data, "capture": capture, "got": got,
                        "range": bit_range(width)})
        if p.arg:
            io.result(hw, p.arg, capture, width)
    io.context = {"inputs": inputs, "outputs": outputs, "tied_high": tied,
                  "all_got": " && ".join(o["got"] for o in outputs) or "1'b1"}
    return io


def _ap_ctrl_io(iface: Any, hw: HwInterface, widths: dict[str, int]) -> _Io:
    """``ap_start`` held from reset until ``ap_done``; results captured on their strobe (or on done)."""
    io = _Io()
    done = iface.control["done"]
    for p in iface.of_kind("in"):
        io.argument(hw, p.arg, p.signals["data"], widths[p.signals["data"]])
    outputs = []
    for i, p in enumerate(iface.of_kind("out", "return")):
        data = p.signals["data"]
        capture, got = f"p2s_res{i}", f"p2s_got{i}"
        outputs.append({"strobe": p.signals.get("vld") or done, "data": data, "capture": capture, "got": got,
                        "range": bit_range(widths[data])})
        io.result(hw, p.arg, capture, widths[data])
    io.driven[iface.control["start"]] = "p2s_start"
    io.context = {"outputs": outputs, "done": done,
                  "all_got": " && ".join(["p2s_got_done"] + [o["got"] for o in outputs])}
    return io


@dataclass
class _Memories:
    """The harness's model of the design's memories: declarations, the per-cycle logic serving the load and
    store channels, each array parameter as the clauses see it, and the length assumptions."""

    decls: list[str] = field(default_factory=list)
    logic: list[str] = field(default_factory=list)
    arrays: dict[str, ArraySignal] = field(default_factory=dict)
    length_clauses: list[Clause] = field(default_factory=list)
    drain: int = 0


DRAIN = 4  # cycles after the last token before the memories are read (as the co-simulation does)


def _memories(rtl: RtlResult, hw: HwInterface, widths: dict[str, int], lengths: dict[str, Signal]) -> _Memories:
    """One register per memory word, loaded at reset from free initial contents (``anyconst``); loads answer one
    cycle after the address, stores write and acknowledge, as the co-simulation testbench serves them."""
    iface = rtl.interface
    out = _Memories()
    layout = memory_layout(hw, iface)
    for name, m in layout.items():
        for k in range(m["depth"]):
            out.decls.append(f"(* anyconst *) reg [{m['width'] - 1}:0] p2s_init_{name}_{k};")
            out.decls.append(f"reg [{m['width'] - 1}:0] p2s_mem_{name}_{k};")
            out.logic.append(f"if ({iface.reset}) p2s_mem_{name}_{k} <= p2s_init_{name}_{k};")
    if iface.protocol == "ap_ctrl":
        _ap_memory_ports(iface, layout, widths, out)
    else:
        _handshake_memory_channels(iface, layout, widths, out)
    _array_views(hw, layout, lengths, out)
    return out


def _ap_memory_ports(iface: Any, layout: dict, widths: dict[str, int], out: _Memories) -> None:
    """``ap_memory`` ports served as the co-simulation serves them: on ``ce``, write on ``we`` and read into
    ``q`` (one cycle of latency; a read in the writing cycle sees the old word)."""
    stores = False
    for p in iface.of_kind("mem"):
        sig, m = p.signals, layout[p.arg]
        if "q" in sig:
            out.decls.append(f"reg [{widths[sig['q']] - 1}:0] {sig['q']} = 0;")
        out.logic.append(f"if (!{iface.reset} && {sig['ce']}) begin")
        if sig.get("we"):
            stores = True
            words = " ".join(f"{k}: p2s_mem_{p.arg}_{k} <= {sig['d']};" for k in range(m["depth"]))
            out.logic.append(f"  if ({sig['we']}) case ({sig['address']}) {words} default: ; endcase")
        if "q" in sig:
            words = " ".join(f"{k}: {sig['q']} <= p2s_mem_{p.arg}_{k};" for k in range(m["depth"]))
            out.logic.append(f"  case ({sig['address']}) {words} default: {sig['q']} <= 0; endcase")
        out.logic.append("end")
    out.drain = DRAIN if stores else 0


def _handshake_memory_channels(iface: Any, layout: dict, widths: dict[str, int], out: _Memories) -> None:
    """Load and store channels: loads answer one cycle after the address, stores write and acknowledge."""
    for p in iface.of_kind("load"):
        sig, m = p.signals, layout[p.arg]
        w = widths[sig["data"]]
        out.decls += [f"reg [{w - 1}:0] {sig['data']} = 0;", f"reg {sig['data_valid']} = 1'b0;",
                      f"wire {sig['addr_ready']} = !{sig['data_valid']} || {sig['data_ready']};"]
        words = " ".join(f"{k}: {sig['data']} <= p2s_mem_{p.arg}_{k};" for k in range(m["depth"]))
        out.logic += _channel(iface.reset, f"{sig['addr_valid']} && {sig['addr_ready']}",
                              f"case ({sig['addr']}) {words} default: {sig['data']} <= 0; endcase",
                              sig["data_valid"], sig["data_ready"])
    stores = iface.of_kind("store")
    for p in stores:
        sig, m = p.signals, layout[p.arg]
        out.decls += [f"reg {sig['done_valid']} = 1'b0;",
                      f"wire {sig['ready']} = !{sig['done_valid']} || {sig['done_ready']};"]
        words = " ".join(f"{k}: p2s_mem_{p.arg}_{k} <= {sig['data']};" for k in range(m["depth"]))
        out.logic += _channel(iface.reset, f"{sig['valid']} && {sig['ready']}",
                              f"case ({sig['addr']}) {words} default: ; endcase", sig["done_valid"], sig["done_ready"])
    out.drain = DRAIN if stores else 0


def _array_views(hw: HwInterface, layout: dict, lengths: dict[str, Signal], out: _Memories) -> None:
    """Each array parameter as the clauses see it (its length and words), and its length's assumption."""
    for name, m in layout.items():
        for sl in m["slices"]:
            port = next(p for p in hw.ports if p.name == sl["arg"])
            length = lengths.get(port.name)
            if length is None:
                raise NotModelled(f"array {port.name} has no length port")
            words = range(sl["offset"], sl["offset"] + sl["depth"])
            element = _signal("", port.width, port)
            elem_type = (port.dafny_type or "").split("<", 1)[-1].rstrip(">")
            element = replace(element, is_bool=elem_type == "bool",
                              bv=int(elem_type[2:]) if elem_type.startswith("bv") and elem_type[2:].isdigit()
                              else None)
            out.arrays[port.dafny_name or port.name] = ArraySignal(
                length, tuple(f"p2s_mem_{name}_{k}" for k in words), tuple(f"p2s_init_{name}_{k}" for k in words),
                element)
            text = f"|{port.dafny_name or port.name}| <= {sl['depth']} (the buffer)"
            out.length_clauses.append(Clause("type", 0, text, f"($signed({length.name}) >= 0 && "
                                                              f"$signed({length.name}) <= {sl['depth']})"))


def _channel(reset: str, request: str, action: str, valid: str, ready: str) -> list[str]:
    """One request/answer channel of a memory: on a request, act and raise the answer's valid until taken."""
    return [f"if ({reset}) {valid} <= 1'b0;", f"else if ({request}) begin", f"  {action}",
            f"  {valid} <= 1'b1;", f"end else if ({valid} && {ready}) {valid} <= 1'b0;"]


def _signal(name: str, width: int, port: HwPort) -> Signal:
    """The harness signal of a port, typed by the task's parameter (bool, bvN, or an integer)."""
    kind = port.dafny_type or ""
    bv = int(kind[2:]) if kind.startswith("bv") and kind[2:].isdigit() else None
    return Signal(name, width, port.signed, kind == "bool", bv)


def _clauses(task: Task, signals: Scope, hw: HwInterface) -> list[Clause]:
    out: list[Clause] = []
    for p in hw.ports:
        if p.dafny_type == "nat" and p.dafny_name in signals.scalars and p.role == "in":
            out.append(Clause("type", 0, f"{p.dafny_name}: nat", clause_to_verilog(f"{p.dafny_name} >= 0",
                                                                                   signals)))
    for kind, exprs in (("requires", task.requires), ("ensures", task.ensures)):
        for k, text in enumerate(exprs, 1):
            try:
                out.append(Clause(kind, k, text, clause_to_verilog(text, signals)))
            except Untranslatable as exc:
                out.append(Clause(kind, k, text, None, str(exc)))
    return out
