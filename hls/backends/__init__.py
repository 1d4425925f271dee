"""HLS backends by name: ``get_backend(name)`` returns an instance of the class named after its module.

:data:`BACKENDS` is a :class:`~pipeline.registry.Registry` (the project's one registry type, shared with the
simulators and estimators), so a backend's imports load only when it is chosen and an unknown name is a
:class:`~pipeline.errors.UserError` listing the valid ones.
"""

from __future__ import annotations

from hls.backends.base import HlsBackend, HlsOptions
from hls.launchers import Launcher
from pipeline.registry import Registry
from pipeline.stage import DEFAULT_HLS

BACKENDS: Registry[type[HlsBackend]] = Registry(
    "HLS backend",
    "--hls",
    targets={
        "circt": "hls.backends.circt:Circt",
        "static": "hls.backends.static:Static",
        "bambu": "hls.backends.bambu:Bambu",
        "vitis": "hls.backends.vitis:Vitis",
        "vivado": "hls.backends.vivado:Vivado",
    },
    help={
        "circt": "circt  CIRCT HLS flow in the project's HLS environment",
        "static": "static  our static scheduler: FSM + datapath, ap_ctrl and ap_memory ports (the default)",
        "bambu": "bambu  PandA Bambu",
        "vitis": "vitis  AMD Vitis HLS",
        "vivado": "vivado  Vivado HLS (2020.1 or older)",
    },
)
DEFAULT_BACKEND = DEFAULT_HLS


def get_backend(name: str, launcher: Launcher | None = None) -> HlsBackend:
    """The backend called ``name``.

    Raises:
        UserError: ``name`` is not a backend (the message lists the valid ones).
    """
    return BACKENDS.get(name)(launcher)


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "HlsBackend", "HlsOptions", "get_backend"]
