"""Synthesis estimates: yosys maps the RTL onto an FPGA family and counts LUTs, flip-flops, DSPs, block RAMs.

``ice40`` (default) uses ``synth_ice40`` and, where nextpnr-ice40 is installed, places and routes on an
iCE40-HX8K for an Fmax figure (optional and time-limited: place and route is the slow part); ``xilinx``
uses ``synth_xilinx`` (7-series cells); ``generic`` uses ``synth`` and maps to 4-input LUTs with abc.
The counts are estimates of the logic the design needs, not a vendor tool's post-implementation report.

The tools are classes in :mod:`hls.estimators` (:class:`~hls.estimators.yosys.Yosys`,
:class:`~hls.estimators.nextpnr.NextpnrIce40`); :func:`estimate` picks them from the family and the Fmax
flag, the choice the ``estimate`` stage and ``p2s synth --family/--no-fmax`` offer.
"""

from __future__ import annotations

from pathlib import Path

from hls.estimators import ESTIMATORS, EstimateResult
from hls.estimators.nextpnr import ICE40_HX8K_LUTS
from hls.estimators.yosys import FAMILIES, parse_stat, resources
from hls.launchers import Launcher, LocalLauncher

__all__ = ["FAMILIES", "ICE40_HX8K_LUTS", "EstimateResult", "estimate", "parse_stat", "resources"]


def estimate(
    verilog_files: list[str],
    top: str,
    work_dir: str | Path,
    family: str = "ice40",
    fmax: bool = True,
    timeout: float = 900.0,
    fmax_timeout: float = 300.0,
    launcher: Launcher | None = None,
) -> EstimateResult:
    """Synthesize ``top`` with yosys and count its resources (and Fmax with nextpnr-ice40 if asked).

    Args:
        timeout: the synthesis time limit in seconds; ``fmax_timeout`` is place and route's.
        launcher: where the tools run (local by default; ``--runner docker``: the toolchain image).

    Raises:
        ToolMissingError: yosys is not installed.
        UserError: an unknown family, or yosys fails (first error line and log path).
    """
    launcher = launcher or LocalLauncher()
    synth = ESTIMATORS.get("yosys")(launcher, family=family)
    synth.check()
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    log = work / "estimate.log"
    log.write_text("")
    if family == "ice40" and fmax:
        return ESTIMATORS.get("nextpnr-ice40")(launcher, synth=synth, pnr_timeout=fmax_timeout).estimate(
            verilog_files, top, work, timeout, log)
    result = synth.estimate(verilog_files, top, work, timeout, log)
    if family == "ice40":
        result.fmax_note = "place and route not requested"
    return result
