"""Synthesis estimates: yosys maps the RTL onto an FPGA family and counts LUTs, flip-flops, DSPs, block RAMs.

``ice40`` (default) uses ``synth_ice40`` and, where nextpnr-ice40 is installed, places and routes on an
iCE40-HX8K for an Fmax figure (optional and time-limited: place and route is the slow part); ``xilinx``
uses ``synth_xilinx`` (7-series cells); ``generic`` uses ``synth`` and maps to 4-input LUTs with abc.
The counts are estimates of the logic the design needs, not a vendor tool's post-implementation report.

An estimate is cached in ``$P2S_HOME/estimate-cache`` by the hash of the RTL text, top, family and whether it
was placed and routed: the same design is not synthesized twice (``EstimateResult.cached`` says so).

The tools are classes in :mod:`hls.estimators` (:class:`~hls.estimators.yosys.Yosys`,
:class:`~hls.estimators.nextpnr.NextpnrIce40`); :func:`estimate` picks them from the family and the Fmax
flag, the choice the ``estimate`` stage and ``p2s synth --family/--no-fmax`` offer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from hls.estimators import ESTIMATORS, EstimateResult
from hls.estimators.nextpnr import ICE40_HX8K_LUTS
from hls.estimators.yosys import FAMILIES, parse_stat, resources
from hls.launchers import Launcher, LocalLauncher
from pipeline.home import p2s_home, write_cache_entry

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
        launcher: where the tools run (local by default; ``--runner container``: the open image).

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
    key = cache_key(verilog_files, top, family, fmax, launcher.identity("yosys"))
    cached = _cached(key)
    if cached is not None:
        log.write_text(f"# the estimate of this exact RTL, flow and family, from {cache_file(key)}\n")
        return replace(cached, log_path=str(log), cached=True)
    if family == "ice40" and fmax:
        result = ESTIMATORS.get("nextpnr-ice40")(launcher, synth=synth, pnr_timeout=fmax_timeout).estimate(
            verilog_files, top, work, timeout, log)
    else:
        result = synth.estimate(verilog_files, top, work, timeout, log)
        if family == "ice40":
            result.fmax_note = "place and route not requested"
    _store(key, result)
    return result


CACHE_VERSION = "2"  # bump when the flow's scripts change what an estimate counts


def cache_key(verilog_files: list[str], top: str, family: str, fmax: bool, where: str = "local") -> str:
    """The estimate's identity: the RTL text, the top, the family, whether it was placed and routed, the flow,
    and what ran the tools (``local``, or the image by digest: a container run is never served a local result)."""
    where_part = "" if where == "local" else f"|{where}"  # local keys as before: the cache stays valid
    digest = hashlib.sha256(f"{CACHE_VERSION}|{top}|{family}|{fmax}{where_part}".encode())
    for f in verilog_files:
        digest.update(b"\0" + Path(f).read_bytes())
    return digest.hexdigest()


def cache_file(key: str) -> Path:
    return p2s_home() / "estimate-cache" / key[:2] / f"{key}.json"


def _cached(key: str) -> EstimateResult | None:
    try:
        data = json.loads(cache_file(key).read_text())
        return EstimateResult(**{k: v for k, v in data.items() if k in EstimateResult.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


def _store(key: str, result: EstimateResult) -> None:
    """Keep a finished estimate (written whole, then renamed: a reader never sees half a file)."""
    try:
        write_cache_entry(cache_file(key), json.dumps(result.to_dict()))
    except OSError:
        pass  # a cache that cannot be written costs time, not correctness
