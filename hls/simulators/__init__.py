"""RTL simulators by name: ``get_simulator(name, launcher)`` returns an instance of the registered class.

:data:`SIMULATORS` is a :class:`~pipeline.registry.Registry`, like the HLS backends', so a simulator loads
only when chosen and an unknown name is a :class:`~pipeline.errors.UserError` listing the valid ones.
"""

from __future__ import annotations

from hls.launchers import Launcher
from hls.simulators.base import Simulator
from pipeline.registry import Registry

SIMULATORS: Registry[type[Simulator]] = Registry(
    "simulator",
    "--simulator",
    targets={"icarus": "hls.simulators.icarus:Icarus", "verilator": "hls.simulators.verilator:Verilator"},
    help={"icarus": "icarus  Icarus Verilog (iverilog + vvp; the default)",
          "verilator": "verilator  Verilator --binary (slower to build, faster to run)"},
)
DEFAULT_SIMULATOR = "icarus"


def get_simulator(name: str, launcher: Launcher | None = None) -> Simulator:
    """The simulator called ``name``, running its tools through ``launcher`` (local by default).

    Raises:
        UserError: ``name`` is not a simulator (the message lists the valid ones).
    """
    return SIMULATORS.get(name)(launcher)


__all__ = ["DEFAULT_SIMULATOR", "SIMULATORS", "Simulator", "get_simulator"]
