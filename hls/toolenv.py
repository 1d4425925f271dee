"""Where the HLS toolchain environment lives: the Python 3.13 virtual environment with ``circt``.

The CIRCT wheel the open flow needs (``circt==1.162.0``) requires Python >= 3.13 (on 3.11 pip silently
picks a 2023 wheel without the handshake passes), so it lives in its own environment,
``$P2S_HOME/hls-venv`` (``make setup`` creates it), and the project talks to it only through a subprocess.
``P2S_HLS_PYTHON`` points at another interpreter with ``circt`` installed (e.g. inside a container).
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.home import p2s_home

CIRCT_VERSION = "1.162.0"
SETUP_HINT = "run 'make setup' (creates $P2S_HOME/hls-venv with Python 3.13 and circt==1.162.0)"


def hls_venv() -> Path:
    return p2s_home() / "hls-venv"


def hls_python() -> Path | None:
    """The interpreter of the HLS environment, or ``None`` when it has not been set up."""
    override = os.environ.get("P2S_HLS_PYTHON")
    if override:
        return Path(override) if Path(override).exists() else None
    candidate = hls_venv() / "bin" / "python"
    return candidate if candidate.exists() else None
