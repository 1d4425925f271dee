"""``$P2S_HOME``: where what outlives a clone is kept (models, runtime wheels, the HLS venv, caches).

Ground of the layers: the verifier cache, the HLS toolchain environment, the model files and the runtime
build all resolve it here, so one variable moves them all.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = "~/.cache/proof2silicon"


def p2s_home() -> Path:
    """``$P2S_HOME`` (``~`` expanded), default ``~/.cache/proof2silicon``."""
    return Path(os.environ.get("P2S_HOME") or DEFAULT_HOME).expanduser()
