"""Place and route with nextpnr-ice40 on an iCE40-HX8K, for an Fmax figure.

:class:`NextpnrIce40` is an estimator like :class:`~hls.estimators.yosys.Yosys` (same ``estimate``): it
synthesizes with the estimator it wraps (yosys ``synth_ice40`` by default), then places and routes the
netlist. The Fmax is optional and place and route is the slow part, so it has its own time limit, and a
missing nextpnr-ice40, a design too big for the part or a failed run leave the resource counts standing
with ``fmax_note`` saying why there is no Fmax.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from hls.estimators.base import EstimateResult, Estimator
from hls.estimators.yosys import NETLIST, Yosys
from hls.launchers import Launcher
from pipeline.errors import ToolMissingError, UserError

ICE40_HX8K_LUTS = 7680
_FMAX = re.compile(r"Max frequency for clock\s+'[^']*':\s*([\d.]+)\s*MHz")


class NextpnrIce40(Estimator):
    """Synthesis by ``synth`` (an iCE40 netlist), then ``nextpnr-ice40 --hx8k`` for Fmax.

    Args:
        launcher: where nextpnr runs (and the default synthesis).
        synth: the synthesis estimator; ``Yosys(launcher, "ice40")`` when not given.
        pnr_timeout: the place-and-route time limit in seconds (``None``: the ``timeout`` of ``estimate``).
    """

    name = "nextpnr-ice40"
    tools = ("nextpnr-ice40",)

    def __init__(self, launcher: Launcher | None = None, synth: Estimator | None = None,
                 pnr_timeout: float | None = None) -> None:
        super().__init__(launcher)
        self.synth = synth or Yosys(self.launcher, "ice40")
        if getattr(self.synth, "family", "ice40") != "ice40":
            raise UserError(f"nextpnr-ice40 places iCE40 netlists, not {self.synth.family}: synthesize for ice40")
        self.pnr_timeout = pnr_timeout

    def estimate(self, sources: list[str], top: str, work: Path, timeout: float,
                 log: Path | None = None) -> EstimateResult:
        start = time.monotonic()
        work = Path(work)
        log = log or work / "estimate.log"
        result = self.synth.estimate(sources, top, work, timeout, log)
        if result.ff == 0 and result.bram == 0:  # nothing clocked: no register-to-register path to time
            result.fmax_note = "combinational design: no clocked path, no Fmax"
            result.seconds = time.monotonic() - start
            return result
        pnr_timeout = timeout if self.pnr_timeout is None else self.pnr_timeout
        result.fmax_mhz, result.fmax_note = self.place_and_route(work, max(result.lut, result.ff), pnr_timeout, log)
        result.seconds = time.monotonic() - start
        return result

    def place_and_route(self, work: Path, cells: int, timeout: float, log: Path) -> tuple[float | None, str]:
        """Fmax of ``work/netlist.json``; (None, why) when it cannot be had.

        ``cells`` is the larger of the LUT and flip-flop counts: each iCE40 logic cell holds one of each.
        """
        try:
            self.check()
        except ToolMissingError:
            return None, "nextpnr-ice40 not installed (apt-get install nextpnr-ice40)"
        if cells > ICE40_HX8K_LUTS:
            return None, f"{cells} logic cells do not fit an iCE40-HX8K ({ICE40_HX8K_LUTS})"
        res = self._run("nextpnr-ice40", ["--hx8k", "--package", "ct256", "--json", NETLIST,
                                          "--pcf-allow-unconstrained", "--timing-allow-fail", "--freq", "100",
                                          "--quiet", "--log", "nextpnr.log"], work, timeout, log)
        if res.timed_out:
            return None, f"nextpnr-ice40 did not finish within {timeout:.0f} s"
        pnr_log = work / "nextpnr.log"
        text = res.output + (pnr_log.read_text(errors="replace") if pnr_log.exists() else "")
        found = _FMAX.findall(text)
        if found:
            return float(found[-1]), "nextpnr-ice40 --hx8k"
        why = next((ln.strip() for ln in text.splitlines() if "ERROR" in ln), "no timing report")
        return None, f"nextpnr-ice40: {why[:200]}"
