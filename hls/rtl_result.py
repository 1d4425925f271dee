"""What an HLS backend hands to the later stages: the Verilog, its top module and how to drive it.

:class:`RtlInterface` describes the generated module's real ports, grouped per argument of the C top
function, so that the co-simulation testbench can drive any backend's design through its own protocol:

* ``handshake`` (CIRCT's dynamically scheduled circuits): every argument and result is a ready/valid
  channel (``inN``/``inN_valid``/``inN_ready``, ``outN``/...); one extra control channel starts the
  function (``in{last}_valid``) and one signals completion (``out{last}_valid``); each array argument becomes
  one load channel pair per load in the C (``inN_ldK_addr``/``_addr_valid``/``_addr_ready`` out,
  ``inN_ldK_data``/``_data_valid``/``_data_ready`` in) and one store channel per store
  (``inN_stK_address``/``_data``/``_valid``/``_ready`` out, ``inN_stK_done_valid``/``_done_ready`` in).
* ``ap_ctrl`` (Vitis/Vivado HLS ``ap_ctrl_hs``, Bambu): ``start``/``done``/``idle``/``ready`` block control,
  scalars as plain data ports, results as data ports with an optional ``_ap_vld`` strobe, the C return
  value as ``ap_return``, and arrays as ``ap_memory`` block-RAM ports (``address``/``ce``/``we``/``d``/``q``,
  read latency one cycle).

A CIRCT design may keep several C arrays in one memory argument (a *bank*, see :func:`hls.c_to_mlir.c_to_mlir`):
its load/store groups carry the bank's name as ``arg``, and ``banks`` says where each array lives in it.

Group ``kind`` values: ``in``, ``ctrl_in``, ``out``, ``ctrl_out``, ``load``, ``store`` (handshake);
``in``, ``out``, ``return``, ``mem`` (ap_ctrl). ``signals`` maps a role (``data``, ``valid``, ``ready``,
``addr``, ``address``, ``ce``, ``we``, ``d``, ``q``, ...) to the RTL port name.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RtlPort:
    """A group of RTL signals carrying one C argument, result, memory port or control channel."""

    kind: str
    arg: str = ""  # the C parameter (HwPort name) it carries; "return" for the C return value; "" for control
    signals: dict[str, str] = field(default_factory=dict)
    width: int = 0  # data width in bits
    addr_width: int = 0


@dataclass
class RtlInterface:
    """The protocol of the top module and its port groups."""

    protocol: str  # handshake | ap_ctrl
    clock: str = "clock"
    reset: str = "reset"
    reset_active_high: bool = True
    control: dict[str, str] = field(default_factory=dict)  # ap_ctrl: start, done, idle, ready
    ports: list[RtlPort] = field(default_factory=list)
    # Memories shared by several C arrays: name -> {width, depth, members: {array: {offset, depth, width}}}.
    banks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of_kind(self, *kinds: str) -> list[RtlPort]:
        return [p for p in self.ports if p.kind in kinds]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RtlInterface:
        return cls(
            protocol=data["protocol"],
            clock=data.get("clock", "clock"),
            reset=data.get("reset", "reset"),
            reset_active_high=data.get("reset_active_high", True),
            control=dict(data.get("control", {})),
            ports=[RtlPort(**p) for p in data.get("ports", [])],
            banks=dict(data.get("banks", {})),
        )


@dataclass
class RtlResult:
    """One backend run: Verilog files, top module, interface, tool reports, log and time."""

    backend: str
    top_module: str
    verilog_files: list[str]
    interface: RtlInterface
    reports: dict[str, Any] = field(default_factory=dict)
    log_path: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, default=str))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RtlResult:
        return cls(
            backend=data["backend"],
            top_module=data["top_module"],
            verilog_files=list(data["verilog_files"]),
            interface=RtlInterface.from_dict(data["interface"]),
            reports=dict(data.get("reports", {})),
            log_path=data.get("log_path", ""),
            seconds=data.get("seconds", 0.0),
        )

    @classmethod
    def load(cls, path: str | Path) -> RtlResult:
        return cls.from_dict(json.loads(Path(path).read_text()))
