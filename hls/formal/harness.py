"""The formal harness around a generated design: free arguments, the requires assumed, the ensures asserted
when the results come out, and a bound on when they must.

The harness drives the design through its real interface, as the co-simulation testbench does, but with
every argument a free constant (``anyconst``) instead of a vector's value, so the solver checks every input
the ports and the requires allow. Only scalar interfaces are modelled so far: a design with array ports
raises :class:`NotModelled` (the stage then says so), as does the ``ap_ctrl`` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hls.formal.expr import EUCLID_FUNCTIONS, Signal, Untranslatable, clause_to_verilog
from hls.render import render
from hls.rtl_result import RtlResult
from hls.verilog_ports import read_ports_from_files
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

    @property
    def checked(self) -> list[Clause]:
        return [c for c in self.clauses if c.kind == "ensures" and c.verilog is not None]

    @property
    def unchecked(self) -> list[Clause]:
        return [c for c in self.clauses if c.verilog is None]


def _range(width: int) -> str:
    return f"[{width - 1}:0] " if width > 1 else ""


def build_harness(rtl: RtlResult, hw: HwInterface, task: Task, depth: int) -> Harness:
    """The harness for ``rtl`` (its ports read from the Verilog), checking ``task``'s pinned clauses.

    Raises:
        NotModelled: array ports, or a protocol other than ``handshake``.
    """
    iface = rtl.interface
    if iface.protocol != "handshake":
        raise NotModelled(f"the {iface.protocol} protocol is not modelled by the formal harness yet")
    arrays = [p.name for p in hw.ports if p.role in ARRAY_ROLES]
    if arrays:
        raise NotModelled(f"array ports ({', '.join(sorted(set(arrays)))}) are not modelled by the formal "
                          f"harness yet")
    ports = read_ports_from_files(rtl.verilog_files, rtl.top_module)
    widths = {p.name: p.width for p in ports}
    dafny_of = {p.name: p for p in hw.ports}
    signals: dict[str, Signal] = {}
    args, inputs, outputs, connections = [], [], [], []
    tied: list[str] = []
    driven: dict[str, str] = {}
    for p in iface.of_kind("in", "ctrl_in"):
        inputs.append({"valid": p.signals["valid"], "ready": p.signals["ready"]})
        if "data" not in p.signals:
            continue
        data = p.signals["data"]
        if p.arg.endswith("__in"):  # the input half of an in/out result pointer: 0, as in the testbench
            driven[data] = f"{widths[data]}'d0"
            continue
        hp = dafny_of[p.arg]
        reg = f"p2s_arg_{hp.dafny_name or p.arg}"
        args.append({"name": reg, "range": _range(widths[data]), "dafny": hp.dafny_name or p.arg})
        driven[data] = reg
        signals[hp.dafny_name or p.arg] = _signal(reg, widths[data], hp)
    for i, p in enumerate(iface.of_kind("out", "ctrl_out")):
        data = p.signals.get("data", "")
        tied.append(p.signals["ready"])
        capture, got = f"p2s_res{i}", f"p2s_got{i}"
        width = widths.get(data, 1)
        outputs.append({"valid": p.signals["valid"], "data": data, "capture": capture, "got": got,
                        "range": _range(width)})
        if p.arg:
            hp = hw.return_port if p.arg == "return" else dafny_of.get(p.arg)
            if hp is not None and hp.dafny_name:
                signals[hp.dafny_name] = _signal(capture, width, hp)
    reset_on = iface.reset_active_high
    for port in ports:
        if port.name == iface.clock:
            connections.append({"port": port.name, "signal": iface.clock})
        elif port.name == iface.reset:
            connections.append({"port": port.name, "signal": iface.reset})
        else:
            connections.append({"port": port.name, "signal": driven.get(port.name, port.name)})
    wires = [{"name": p.name, "range": _range(p.width)} for p in ports
             if p.direction != "input"]
    clauses = _clauses(task, signals, hw)
    assumptions = [{"text": c.verilog, "label": c.label} for c in clauses
                   if c.kind in ("requires", "type") and c.verilog is not None]
    checks = [{"text": c.verilog, "label": c.label} for c in clauses if c.kind == "ensures" and c.verilog]
    context: dict[str, Any] = {
        "top": rtl.top_module, "task": task.id, "clock": iface.clock, "reset": iface.reset,
        "reset_expr": "p2s_step < 16'd3" if reset_on else "p2s_step >= 16'd3",
        "args": args, "inputs": inputs, "outputs": outputs, "tied_high": tied, "wires": wires,
        "connections": connections, "all_got": " && ".join(o["got"] for o in outputs) or "1'b1",
        "assumptions": assumptions, "checks": checks, "depth": depth, "functions": EUCLID_FUNCTIONS,
    }
    text = render("formal/handshake_formal.sv.j2", **context)
    lines = {}
    for n, line in enumerate(text.splitlines(), 1):
        if "assert (" in line:
            lines[n] = line.split("//", 1)[1].strip() if "//" in line else line.strip()
    return Harness(text, depth, clauses, lines, {a["name"]: a["dafny"] for a in args})


def _signal(name: str, width: int, port: HwPort) -> Signal:
    """The harness signal of a port, typed by the task's parameter (bool, bvN, or an integer)."""
    kind = port.dafny_type or ""
    bv = int(kind[2:]) if kind.startswith("bv") and kind[2:].isdigit() else None
    return Signal(name, width, port.signed, kind == "bool", bv)


def _clauses(task: Task, signals: dict[str, Signal], hw: HwInterface) -> list[Clause]:
    out: list[Clause] = []
    for p in hw.ports:
        if p.dafny_type == "nat" and p.dafny_name in signals and p.role == "in":
            out.append(Clause("type", 0, f"{p.dafny_name}: nat", clause_to_verilog(f"{p.dafny_name} >= 0",
                                                                                   signals)))
    for kind, exprs in (("requires", task.requires), ("ensures", task.ensures)):
        for k, text in enumerate(exprs, 1):
            try:
                out.append(Clause(kind, k, text, clause_to_verilog(text, signals)))
            except Untranslatable as exc:
                out.append(Clause(kind, k, text, None, str(exc)))
    return out
