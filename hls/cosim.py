"""RTL co-simulation: a generated Verilog testbench drives the design through its real interface.

The testbench (``hls/templates/cosim/<protocol>_tb.v.j2``) runs every test vector in one simulation: reset,
memory contents and argument tokens in, result tokens and final memory contents out, printed as
``P2S_*`` lines. Comparing happens here in Python, against the reference model's values, so a mismatch
names the port, the vector, what came out and what was expected. A generated Verilog testbench (rather
than cocotb) keeps one simulator process per design and works the same with Icarus and Verilator.
Building and running the simulation is the simulator's business (:mod:`hls.simulators`, one class each,
through a launcher); this module only writes the testbench and reads what it printed.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hls.launchers import Launcher
from hls.render import render, write_if_changed
from hls.rtl_result import RtlInterface, RtlResult
from hls.simulators import DEFAULT_SIMULATOR, Simulator, get_simulator
from hls.vectors import PortVector, from_bits
from hls.verilog_ports import bit_range, read_ports_from_files
from pipeline.errors import UserError
from pipeline.hw_interface import HwInterface

DEFAULT_MAX_CYCLES = 200_000
DRAIN_CYCLES = 4


@dataclass
class VectorOutcome:
    index: int
    ok: bool
    cycles: int | None
    mismatches: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class CosimResult:
    """Every vector's verdict; ``passed`` only when all vectors ran to completion and matched."""

    passed: bool
    simulator: str
    vectors: list[VectorOutcome]
    seconds: float
    log_path: str
    testbench: str

    @property
    def cycles(self) -> list[int | None]:
        return [v.cycles for v in self.vectors]

    def summary(self) -> str:
        good = sum(v.ok for v in self.vectors)
        text = f"{good}/{len(self.vectors)} vectors match on {self.simulator}"
        bad = next((v for v in self.vectors if not v.ok), None)
        if bad is not None:
            text += f"; vector {bad.index}: {'; '.join(bad.mismatches[:3])}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------- testbench


def testbench(rtl: RtlResult, hw: HwInterface, vectors: list[PortVector], max_cycles: int = DEFAULT_MAX_CYCLES) -> str:
    """The Verilog testbench text for ``rtl`` (its protocol chooses the template)."""
    iface = rtl.interface
    ports = read_ports_from_files(rtl.verilog_files, rtl.top_module)
    widths = {p.name: p.width for p in ports}
    directions = {p.name: p.direction for p in ports}
    memories = memory_layout(hw, iface)
    assigned = _assigned_inputs(iface)
    clock_reset = {iface.clock, iface.reset}
    regs = [{"name": n, "range": bit_range(widths[n])} for n in widths
            if directions[n] == "input" and n not in assigned and n not in clock_reset]
    wires = [{"name": n, "range": bit_range(widths[n])} for n in widths if directions[n] != "input" or n in assigned]
    context: dict[str, Any] = {
        "top": rtl.top_module,
        "clock": iface.clock,
        "reset": iface.reset,
        "regs": regs,
        "wires": wires,
        "connections": list(widths),
        "memories": list(memories.values()),
        "dumps": [{**sl, "array": m["array"]} for m in memories.values() for sl in m["slices"]],
        "max_cycles": max_cycles,
        "drain": DRAIN_CYCLES,
    }
    if iface.protocol == "handshake":
        context.update(_handshake_context(iface, hw, memories, vectors, widths))
        return render("cosim/handshake_tb.v.j2", **context)
    if iface.protocol == "ap_ctrl":
        context.update(_ap_ctrl_context(iface, hw, memories, vectors, widths))
        return render("cosim/ap_ctrl_tb.v.j2", **context)
    raise UserError(f"unknown RTL protocol '{iface.protocol}' in rtl.json")


def memory_layout(hw: HwInterface, iface: RtlInterface) -> dict[str, dict[str, Any]]:
    """The testbench's memory arrays by name: one per array argument, one per bank of several arrays.

    Each entry lists its ``slices``: the array arguments stored in it (``arg``, ``offset``, ``depth``).
    """
    mems: dict[str, dict[str, Any]] = {}
    banked = {}
    for name, bank in iface.banks.items():
        mems[name] = {"array": f"p2s_mem_{name}", "depth": bank["depth"], "width": bank["width"], "slices": []}
        for member, place in bank["members"].items():
            banked[member] = (name, place["offset"])
    for port in hw.ports:
        if port.role not in ("array", "array_out"):
            continue
        depth = port.depth or (port.dims[0] if port.dims else 1)
        if port.name in banked:
            name, offset = banked[port.name]
            mems[name]["slices"].append({"arg": port.name, "offset": offset, "depth": depth})
        else:
            mems[port.name] = {"array": f"p2s_mem_{port.name}", "depth": depth, "width": port.width,
                               "slices": [{"arg": port.name, "offset": 0, "depth": depth}]}
    return mems


def _hw_name(arg: str, hw: HwInterface) -> str:
    """The HwPort name of an RTL group's argument (``return`` is the interface's return port)."""
    if arg == "return" and hw.return_port is not None:
        return hw.return_port.name
    return arg


def _assigned_inputs(iface: RtlInterface) -> set[str]:
    """DUT inputs the testbench drives with continuous assignments (memory-channel ready signals)."""
    out = set()
    for p in iface.ports:
        if p.kind == "load":
            out.add(p.signals["addr_ready"])
        elif p.kind == "store":
            out.add(p.signals["ready"])
    return out


def _setup_lines(vec: PortVector, iface: RtlInterface, memories: dict, widths: dict[str, int]) -> list[str]:
    lines = []
    for mem in memories.values():
        contents = [0] * mem["depth"]
        for sl in mem["slices"]:
            values = vec.memories.get(sl["arg"], [])
            contents[sl["offset"] : sl["offset"] + len(values)] = values
        for k, value in enumerate(contents):
            lines.append(f"{mem['array']}[{k}] = {mem['width']}'h{value:x};")
    for p in iface.ports:
        if p.kind == "in" and p.arg.endswith("__in"):
            lines.append(f"{p.signals['data']} = 0;")  # the input half of an in/out result pointer
        elif p.kind == "in" and "data" in p.signals:
            if p.arg not in vec.scalars:
                raise UserError(f"vector {vec.index}: no value for input port '{p.arg}'")
            w = widths[p.signals["data"]]
            lines.append(f"{p.signals['data']} = {w}'h{vec.scalars[p.arg] & ((1 << w) - 1):x};")
    return lines


def _handshake_context(iface, hw, memories, vectors, widths) -> dict[str, Any]:
    inputs = [{"label": p.arg or "control", "valid": p.signals["valid"], "ready": p.signals["ready"]}
              for p in iface.of_kind("in", "ctrl_in")]
    outputs = []
    for i, p in enumerate(iface.of_kind("out", "ctrl_out")):
        data = p.signals.get("data", "")
        outputs.append({"label": p.arg or "control", "arg": _hw_name(p.arg, hw), "valid": p.signals["valid"],
                        "ready": p.signals["ready"], "data": data, "width": widths.get(data, 1),
                        "capture": f"p2s_res{i}", "got": f"p2s_got{i}"})
    loads, stores = [], []
    for p in iface.of_kind("load"):
        mem = memories[p.arg]
        loads.append({**p.signals, "label": p.signals["addr"], "memory": p.arg, "array": mem["array"],
                      "depth": mem["depth"], "width": widths[p.signals["data"]]})
    for p in iface.of_kind("store"):
        mem = memories[p.arg]
        stores.append({**p.signals, "label": p.signals["addr"], "memory": p.arg, "array": mem["array"],
                       "depth": mem["depth"]})
    all_got = " && ".join(o["got"] for o in outputs) or "1'b1"
    vecs = []
    for v in vectors:
        setup = _setup_lines(v, iface, memories, widths)
        setup += [f"{o['got']} = 1'b0;" for o in outputs]
        setup += [f"{o['ready']} = 1'b1;" for o in outputs]
        setup += [f"{s['valid']} = 1'b0;" for s in inputs]
        vecs.append({"index": v.index, "setup": setup})
    return {"inputs": inputs, "outputs": outputs, "loads": loads, "stores": stores, "all_got": all_got,
            "vectors": vecs}


def _ap_ctrl_context(iface, hw, memories, vectors, widths) -> dict[str, Any]:
    ctrl = iface.control
    reset_on = "1'b1" if iface.reset_active_high else "1'b0"
    outputs = []
    for i, p in enumerate(iface.of_kind("out", "return")):
        data = p.signals["data"]
        strobe = p.signals.get("vld") or ctrl["done"]
        outputs.append({"label": p.arg, "arg": _hw_name(p.arg, hw), "data": data, "strobe": strobe,
                        "width": widths[data], "capture": f"p2s_res{i}", "got": f"p2s_got{i}"})
    mem_ports = []
    for p in iface.of_kind("mem"):
        mem = memories[p.arg]
        mem_ports.append({"address": p.signals["address"], "ce": p.signals["ce"], "we": p.signals.get("we", ""),
                          "d": p.signals.get("d", ""), "q": p.signals.get("q", ""), "label": p.signals["address"],
                          "memory": p.arg, "array": mem["array"], "depth": mem["depth"], "width": mem["width"]})
    accept = "1'b1" if ctrl.get("start_mode") == "pulse" else (ctrl.get("ready") or "p2s_done")
    vecs = []
    for v in vectors:
        setup = _setup_lines(v, iface, memories, widths) + [f"{o['got']} = 1'b0;" for o in outputs]
        vecs.append({"index": v.index, "setup": setup})
    return {"outputs": outputs, "mem_ports": mem_ports, "reset_on": reset_on, "start": ctrl["start"],
            "done": ctrl["done"], "accept": accept, "vectors": vecs}


# --------------------------------------------------------------------------------------------- running


def run_cosim(
    rtl: RtlResult,
    hw: HwInterface,
    vectors: list[PortVector],
    work_dir: str | Path,
    simulator: str | Simulator = DEFAULT_SIMULATOR,
    timeout: float = 300.0,
    max_cycles: int = DEFAULT_MAX_CYCLES,
    launcher: Launcher | None = None,
) -> CosimResult:
    """Simulate ``rtl`` on ``vectors`` and compare every output; see :class:`CosimResult`.

    Args:
        simulator: a name from :data:`~hls.simulators.SIMULATORS`, or a simulator object.
        launcher: where a named simulator's tools run (local by default; ``--runner container``: the image).

    Raises:
        ToolMissingError: the simulator is not installed.
        UserError: an unknown simulator, or the testbench cannot be built (the simulator's first error).
    """
    sim = simulator if isinstance(simulator, Simulator) else get_simulator(simulator, launcher)
    sim.check()
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    tb = work / "p2s_tb.v"
    write_if_changed(tb, testbench(rtl, hw, vectors, max_cycles))
    log = work / "cosim.log"
    log.write_text("")
    start = time.monotonic()
    res = sim.run(tb, rtl.verilog_files, work, timeout, log=log)
    seconds = time.monotonic() - start
    outcomes = compare(res.stdout, hw, vectors)
    if res.timed_out:
        for o in outcomes:
            if o.cycles is None:
                o.mismatches.append(f"simulation timed out after {timeout:.0f} s")
    passed = bool(outcomes) and all(o.ok for o in outcomes) and "P2S_END" in res.stdout
    return CosimResult(passed, sim.name, outcomes, seconds, str(log), str(tb))


# --------------------------------------------------------------------------------------------- comparing

_LINE = re.compile(r"^P2S_(VECTOR|OUT|MEM) (\d+) (.*)$")


def _value(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None  # x or z bits


def parse_output(stdout: str) -> dict[int, dict[str, Any]]:
    """``P2S_*`` lines → per vector: cycles, done, outputs (port -> bits) and memories (port -> list)."""
    runs: dict[int, dict[str, Any]] = {}
    for line in stdout.splitlines():
        m = _LINE.match(line.strip())
        if not m:
            continue
        kind, index, rest = m.group(1), int(m.group(2)), m.group(3).split()
        run = runs.setdefault(index, {"cycles": None, "done": False, "outputs": {}, "got": {}, "memories": {}})
        if kind == "VECTOR":
            fields = dict(item.split("=") for item in rest)
            run["cycles"] = int(fields["cycles"])
            run["done"] = fields["done"] == "1"
        elif kind == "OUT":
            run["outputs"][rest[0]] = _value(rest[1])
            run["got"][rest[0]] = rest[2] == "1"
        else:
            run["memories"].setdefault(rest[0], {})[int(rest[1])] = _value(rest[2])
    return runs


def compare(stdout: str, hw: HwInterface, vectors: list[PortVector]) -> list[VectorOutcome]:
    """Every expected value of every vector against what the simulation printed."""
    runs = parse_output(stdout)
    outcomes = []
    for vec in vectors:
        run = runs.get(vec.index)
        if run is None:
            outcomes.append(VectorOutcome(vec.index, False, None, ["the simulation did not reach this vector"]))
            continue
        out = VectorOutcome(vec.index, True, run["cycles"])
        if not run["done"]:
            out.mismatches.append(f"no completion within the cycle limit ({run['cycles']} cycles)")
        if not vec.expected:
            out.mismatches.append("no expected values to compare")
        for name, want in vec.expected.items():
            port = hw.port(name)
            if isinstance(want, list):
                mem = run["memories"].get(name, {})
                got = [None if mem.get(k) is None else from_bits(mem[k], port.width, port.signed)
                       for k in range(vec.expected_lengths.get(name, len(want)))]
                out.outputs[name] = got
                if got != want:
                    first = next(k for k, (g, w) in enumerate(zip(got, want, strict=False)) if g != w)
                    out.mismatches.append(f"{name}[{first}] = {_show(got[first])}, expected {want[first]}")
            else:
                bits = run["outputs"].get(name)
                got_token = run["got"].get(name, False)
                got = None if bits is None or not got_token else from_bits(bits, port.width, port.signed)
                out.outputs[name] = got
                if got != want:
                    out.mismatches.append(f"{name} = {_show(got)}, expected {want}")
        out.ok = not out.mismatches
        outcomes.append(out)
    return outcomes


def _show(value: Any) -> str:
    return "no value" if value is None else str(value)
