"""The block-level ``ap_ctrl`` interface of Vitis/Vivado HLS and Bambu designs, read from the RTL ports.

Given the C top function's signature and the generated module's ports, group the ports per argument
(see :mod:`hls.rtl_result`). Port naming differs per tool, so a :class:`ApNaming` says how the tool names
clock, reset, control, return value, result strobes and memory ports; missing ports are a clear error
naming the argument, instead of a testbench that cannot drive the design.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hls.cfront import CSignature
from hls.rtl_result import RtlInterface, RtlPort
from hls.verilog_ports import VerilogPort
from pipeline.errors import UserError


@dataclass(frozen=True)
class ApNaming:
    clock: str
    reset: str
    reset_active_high: bool
    start: str
    done: str
    idle: str
    ready: str
    ret: str
    prefixes: tuple[str, ...] = ("",)
    strobe_suffixes: tuple[str, ...] = ("_ap_vld",)
    start_pulse: bool = False  # Bambu: start is a one-cycle pulse; ap_ctrl_hs: held until ap_ready


VITIS_NAMING = ApNaming("ap_clk", "ap_rst", True, "ap_start", "ap_done", "ap_idle", "ap_ready", "ap_return")
BAMBU_NAMING = ApNaming("clock", "reset", False, "start_port", "done_port", "", "", "return_port",
                        prefixes=("", "_"), strobe_suffixes=("_vld", "_ap_vld"), start_pulse=True)


def ap_ctrl_interface(signature: CSignature, ports: list[VerilogPort], naming: ApNaming, tool: str) -> RtlInterface:
    """Group ``ports`` by the arguments of ``signature``.

    Raises:
        UserError: a control port or an argument's ports are missing.
    """
    names = {p.name: p for p in ports}
    for needed in (naming.clock, naming.reset, naming.start, naming.done):
        if needed not in names:
            raise UserError(f"{tool}: the top module has no '{needed}' port (not an ap_ctrl design?)")
    control = {"start": naming.start, "done": naming.done}
    if naming.start_pulse:
        control["start_mode"] = "pulse"
    for role in ("idle", "ready"):
        name = getattr(naming, role)
        if name and name in names:
            control[role] = name
    groups: list[RtlPort] = []
    for param in signature.params:
        groups.extend(_param_groups(param, names, naming, tool))
    if signature.returns is not None:
        if naming.ret not in names:
            raise UserError(f"{tool}: the top module has no '{naming.ret}' port for the return value")
        groups.append(RtlPort("return", "return", {"data": naming.ret}, names[naming.ret].width))
    return RtlInterface("ap_ctrl", naming.clock, naming.reset, naming.reset_active_high, control, groups)


def _param_groups(param, names: dict[str, VerilogPort], naming: ApNaming, tool: str) -> list[RtlPort]:
    for prefix in naming.prefixes:
        base = prefix + param.name
        if param.kind == "array":
            groups = []
            for k in range(4):
                sig = {role: f"{base}_{role}{k}" for role in ("address", "ce", "we", "d", "q")}
                if sig["address"] not in names:
                    continue
                groups.append(RtlPort("mem", param.name, {r: n for r, n in sig.items() if n in names},
                                      param.ctype.width, names[sig["address"]].width))
            if groups:
                return groups
        elif param.kind == "scalar" and base in names:
            return [RtlPort("in", param.name, {"data": base}, names[base].width)]
        elif param.kind == "pointer":
            out = base if base in names and names[base].direction == "output" else f"{base}_o"
            if out in names:
                sig = {"data": out}
                strobe = next((out + s for s in naming.strobe_suffixes if out + s in names), None)
                if strobe:
                    sig["vld"] = strobe
                groups = [RtlPort("out", param.name, sig, names[out].width)]
                if f"{base}_i" in names:
                    groups.append(RtlPort("in", param.name + "__in", {"data": f"{base}_i"}, names[f"{base}_i"].width))
                return groups
    if param.kind == "array" and any(re.match(r"M(out|_)", n) for n in names):
        raise UserError(f"{tool}: array '{param.name}' uses a memory-mapped bus interface; generate ap_memory "
                        "ports (Bambu: --generate-interface=INFER)")
    raise UserError(f"{tool}: no RTL ports found for argument '{param.name}' ({param.kind}) in the top module")
