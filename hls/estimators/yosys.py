"""Yosys synthesis estimates: the RTL mapped onto an FPGA family, its cells counted as LUT/FF/DSP/BRAM.

``ice40`` (default) uses ``synth_ice40``; ``xilinx`` uses ``synth_xilinx`` (7-series cells); ``generic``
uses ``synth`` and maps to 4-input LUTs with abc. The counts are estimates of the logic the design needs,
not a vendor tool's post-implementation report. For ice40 the netlist (``netlist.json``) is left in the work
folder for place and route (:class:`~hls.estimators.nextpnr.NextpnrIce40`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from hls.estimators.base import EstimateResult, Estimator
from hls.launchers import Launcher
from hls.render import render, write_if_changed
from pipeline.errors import UserError

FAMILIES = ("ice40", "xilinx", "generic")
NETLIST = "netlist.json"
STAT_JSON = "stat.json"


def _count(cells: dict[str, int], *prefixes: str) -> int:
    return sum(n for name, n in cells.items() if name.startswith(prefixes))


def resources(cells: dict[str, int], family: str) -> tuple[int, int, int, int]:
    """(LUT, FF, DSP, BRAM) from yosys cell counts of ``family``."""
    if family == "ice40":
        return (_count(cells, "SB_LUT4"), _count(cells, "SB_DFF"), _count(cells, "SB_MAC16"),
                _count(cells, "SB_RAM40_4K"))
    if family == "xilinx":
        return (_count(cells, "LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"),
                _count(cells, "FDRE", "FDSE", "FDCE", "FDPE"), _count(cells, "DSP48"),
                _count(cells, "RAMB18") + 2 * _count(cells, "RAMB36"))
    ffs = _count(cells, "$_DFF", "$_SDFF", "$_DFFE", "$_SDFFE", "$_SDFFCE", "$_DLATCH", "$dff", "$sdff", "$adff")
    return _count(cells, "$lut"), ffs, 0, _count(cells, "$mem")


def parse_stat(stat: dict[str, Any], top: str) -> dict[str, int]:
    """Cell counts by type from ``stat -json`` (the design total, else the top module)."""
    design = stat.get("design") or {}
    if "num_cells_by_type" in design:
        return {k: int(v) for k, v in design["num_cells_by_type"].items()}
    modules = stat.get("modules", {})
    mod = modules.get(f"\\{top}") or modules.get(top) or next(iter(modules.values()), {})
    return {k: int(v) for k, v in mod.get("num_cells_by_type", {}).items()}


class Yosys(Estimator):
    """``yosys -s synth.ys`` (``hls/templates/yosys/synth.ys.j2``) for one family of :data:`FAMILIES`."""

    name = "yosys"
    tools = ("yosys",)

    def __init__(self, launcher: Launcher | None = None, family: str = "ice40") -> None:
        if family not in FAMILIES:
            raise UserError(f"unknown estimate family '{family}' (choose from: {', '.join(FAMILIES)})")
        super().__init__(launcher)
        self.family = family

    def estimate(self, sources: list[str], top: str, work: Path, timeout: float,
                 log: Path | None = None) -> EstimateResult:
        self.check()
        work = Path(work)
        work.mkdir(parents=True, exist_ok=True)
        log = log or work / "estimate.log"
        files = [str(Path(f).resolve()) for f in sources]
        script = work / "synth.ys"
        write_if_changed(script, render("yosys/synth.ys.j2", top=top, family=self.family, files=files,
                                        netlist=NETLIST, stat_json=STAT_JSON))
        start = time.monotonic()
        res = self._run("yosys", ["-q", "-l", "yosys.log", "-s", script.name], work, timeout, log, files)
        if res.timed_out:
            raise UserError(f"yosys did not finish within {timeout:.0f} s (log: {log})")
        if not res.ok:
            first = next((ln for ln in res.output.splitlines() if "ERROR" in ln), res.output.strip()[-200:])
            raise UserError(f"yosys failed: {first.strip()} (log: {log})")
        cells = parse_stat(json.loads((work / STAT_JSON).read_text()), top)
        lut, ff, dsp, bram = resources(cells, self.family)
        return EstimateResult(self.family, top, lut, ff, dsp, bram, cells, seconds=time.monotonic() - start,
                              log_path=str(log))
