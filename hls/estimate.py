"""Synthesis estimates: yosys maps the RTL onto an FPGA family and counts LUTs, flip-flops, DSPs, block RAMs.

``ice40`` (default) uses ``synth_ice40`` and, where nextpnr-ice40 is installed, places and routes on an
iCE40-HX8K for an Fmax figure (optional and time-limited: place and route is the slow part); ``xilinx``
uses ``synth_xilinx`` (7-series cells); ``generic`` uses ``synth`` and maps to 4-input LUTs with abc.
The counts are estimates of the logic the design needs, not a vendor tool's post-implementation report.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hls.render import render, write_if_changed
from pipeline.errors import ToolMissingError, UserError
from pipeline.process import run_command

FAMILIES = ("ice40", "xilinx", "generic")
ICE40_HX8K_LUTS = 7680


@dataclass
class EstimateResult:
    family: str
    top: str
    lut: int
    ff: int
    dsp: int
    bram: int
    cells: dict[str, int] = field(default_factory=dict)
    fmax_mhz: float | None = None
    fmax_note: str = ""
    seconds: float = 0.0
    log_path: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def estimate(
    verilog_files: list[str],
    top: str,
    work_dir: str | Path,
    family: str = "ice40",
    fmax: bool = True,
    timeout: float = 900.0,
    fmax_timeout: float = 300.0,
) -> EstimateResult:
    """Synthesize ``top`` with yosys and count its resources (and Fmax with nextpnr-ice40 if asked).

    Raises:
        ToolMissingError: yosys is not installed.
        UserError: an unknown family, or yosys fails (first error line and log path).
    """
    if family not in FAMILIES:
        raise UserError(f"unknown estimate family '{family}' (choose from: {', '.join(FAMILIES)})")
    if shutil.which("yosys") is None:
        raise ToolMissingError("yosys", "apt-get install yosys (or run 'make setup')")
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    log = work / "estimate.log"
    log.write_text("")
    script = work / "synth.ys"
    write_if_changed(script, render("yosys/synth.ys.j2", top=top, family=family,
                                    files=[str(Path(f).resolve()) for f in verilog_files],
                                    netlist="netlist.json", stat_json="stat.json"))
    start = time.monotonic()
    res = run_command(["yosys", "-q", "-l", "yosys.log", "-s", script.name], cwd=work, timeout=timeout,
                      log_path=log)
    if res.timed_out:
        raise UserError(f"yosys did not finish within {timeout:.0f} s (log: {log})")
    if not res.ok:
        first = next((ln for ln in res.output.splitlines() if "ERROR" in ln), res.output.strip()[-200:])
        raise UserError(f"yosys failed: {first.strip()} (log: {log})")
    cells = parse_stat(json.loads((work / "stat.json").read_text()), top)
    lut, ff, dsp, bram = resources(cells, family)
    result = EstimateResult(family, top, lut, ff, dsp, bram, cells, log_path=str(log))
    if family == "ice40" and fmax:
        result.fmax_mhz, result.fmax_note = place_and_route(work, max(lut, ff), fmax_timeout, log)
    elif family == "ice40":
        result.fmax_note = "place and route not requested"
    result.seconds = time.monotonic() - start
    return result


_FMAX = re.compile(r"Max frequency for clock\s+'[^']*':\s*([\d.]+)\s*MHz")


def place_and_route(work: Path, cells: int, timeout: float, log: Path) -> tuple[float | None, str]:
    """Fmax of the iCE40 netlist from nextpnr-ice40 (HX8K); (None, why) when it cannot be had.

    ``cells`` is the larger of the LUT and flip-flop counts: each iCE40 logic cell holds one of each.
    """
    if shutil.which("nextpnr-ice40") is None:
        return None, "nextpnr-ice40 not installed (apt-get install nextpnr-ice40)"
    if cells > ICE40_HX8K_LUTS:
        return None, f"{cells} logic cells do not fit an iCE40-HX8K ({ICE40_HX8K_LUTS})"
    res = run_command(["nextpnr-ice40", "--hx8k", "--package", "ct256", "--json", "netlist.json",
                       "--pcf-allow-unconstrained", "--timing-allow-fail", "--freq", "100", "--quiet",
                       "--log", "nextpnr.log"], cwd=work, timeout=timeout, log_path=log)
    if res.timed_out:
        return None, f"nextpnr-ice40 did not finish within {timeout:.0f} s"
    text = res.output + ((work / "nextpnr.log").read_text(errors="replace") if (work / "nextpnr.log").exists() else "")
    found = _FMAX.findall(text)
    if found:
        return float(found[-1]), "nextpnr-ice40 --hx8k"
    why = next((ln.strip() for ln in text.splitlines() if "ERROR" in ln), "no timing report")
    return None, f"nextpnr-ice40: {why[:200]}"
