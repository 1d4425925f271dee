"""HLS backends by name: ``get_backend(name)`` returns an instance of the class named after its module.

``SUPPORTED_BACKENDS`` maps each name to ``module:Class`` so that a backend's imports load only when chosen.
"""

from __future__ import annotations

import importlib

from hls.backends.base import HlsBackend, HlsOptions
from hls.launchers import Launcher
from pipeline.errors import UserError

SUPPORTED_BACKENDS: dict[str, str] = {
    "circt": "hls.backends.circt:Circt",
    "bambu": "hls.backends.bambu:Bambu",
    "vitis": "hls.backends.vitis:Vitis",
    "vivado": "hls.backends.vivado:Vivado",
}
DEFAULT_BACKEND = "circt"


def get_backend(name: str, launcher: Launcher | None = None) -> HlsBackend:
    """The backend called ``name``.

    Raises:
        UserError: ``name`` is not a backend (the message lists the valid ones).
    """
    if name not in SUPPORTED_BACKENDS:
        raise UserError(f"unknown HLS backend '{name}' (choose from: {', '.join(SUPPORTED_BACKENDS)})")
    module, cls = SUPPORTED_BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)(launcher)


__all__ = ["SUPPORTED_BACKENDS", "DEFAULT_BACKEND", "HlsBackend", "HlsOptions", "get_backend"]
