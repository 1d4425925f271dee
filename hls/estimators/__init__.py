"""Estimators by name: ``get_estimator(name, launcher, **options)`` returns an instance of the registered class.

:data:`ESTIMATORS` is a :class:`~pipeline.registry.Registry`, like the simulators' and HLS backends', so an
unknown name is a :class:`~pipeline.errors.UserError` listing the valid ones. ``yosys`` takes
``family=`` (ice40, xilinx, generic); ``nextpnr-ice40`` takes ``synth=`` and ``pnr_timeout=``.
"""

from __future__ import annotations

from typing import Any

from hls.estimators.base import EstimateResult, Estimator
from hls.launchers import Launcher
from pipeline.registry import Registry

ESTIMATORS: Registry[type[Estimator]] = Registry(
    "estimator",
    targets={"yosys": "hls.estimators.yosys:Yosys", "nextpnr-ice40": "hls.estimators.nextpnr:NextpnrIce40"},
    help={"yosys": "yosys  synthesis: LUT, FF, DSP, BRAM counts (family ice40, xilinx or generic)",
          "nextpnr-ice40": "nextpnr-ice40  yosys synth_ice40, then place and route on an iCE40-HX8K for Fmax"},
)
DEFAULT_ESTIMATOR = "yosys"


def get_estimator(name: str, launcher: Launcher | None = None, **options: Any) -> Estimator:
    """The estimator called ``name`` with its ``options``, running its tools through ``launcher``.

    Raises:
        UserError: ``name`` is not an estimator (the message lists the valid ones), or a bad option value.
    """
    return ESTIMATORS.get(name)(launcher, **options)


__all__ = ["DEFAULT_ESTIMATOR", "ESTIMATORS", "EstimateResult", "Estimator", "get_estimator"]
