"""The estimator interface: one class per tool that turns RTL into resource and timing figures.

As with the simulators (:mod:`hls.simulators`) and the HLS backends, each EDA tool is a class with a name,
the tools it needs (:meth:`Estimator.check` reports a missing one with its install hint) and one method,
:meth:`Estimator.estimate`, whose commands go through a :class:`~hls.launchers.Launcher` so that
``--runner container`` reaches them. Synthesis (:class:`~hls.estimators.yosys.Yosys`) counts the cells; place
and route (:class:`~hls.estimators.nextpnr.NextpnrIce40`) wraps a synthesis estimator and adds Fmax, so a
caller holds one object whichever figures it asked for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hls.eda_tool import EdaTool
from pipeline.process import CommandResult


@dataclass
class EstimateResult:
    """Resource counts of ``top`` on ``family`` and, when placed and routed, its Fmax.

    ``fmax_note`` says where the Fmax came from, or why there is none (place and route is optional).
    """

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
    cached: bool = False  # taken from the estimate cache (the same RTL, family and flow), not run again

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Estimator(EdaTool, ABC):
    """One estimating tool; subclasses set ``name`` and ``tools`` and implement :meth:`estimate`."""


    @abstractmethod
    def estimate(self, sources: list[str], top: str, work: Path, timeout: float,
                 log: Path | None = None) -> EstimateResult:
        """Figures for module ``top`` of the Verilog ``sources``, working in ``work``.

        ``timeout`` limits each tool run; transcripts are appended to ``log`` (default ``work/estimate.log``).

        Raises:
            ToolMissingError: a required tool is not installed.
            UserError: the tool fails or times out (first error line and the log path).
        """

    def _run(self, tool: str, args: list[str], work: Path, timeout: float, log: Path,
             sources: Sequence[str] = ()) -> CommandResult:
        """``tool args`` in ``work`` through the launcher, the sources' folders visible to it."""
        if self.launcher.note:
            with log.open("a") as fh:
                fh.write(f"# {self.launcher.note}\n")
        mounts = sorted({str(Path(s).resolve().parent) for s in sources})
        return self.launcher.run(tool, args, cwd=work, timeout=timeout, log_path=log, mounts=mounts)
