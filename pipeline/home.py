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


def write_cache_entry(path: Path, text: str) -> None:
    """Write one cache entry under ``$P2S_HOME`` whole or not at all (a temporary file renamed into place), so a
    reader, or a run resumed after a kill, never sees half an entry. Raises OSError (a full disk)."""
    import threading

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
