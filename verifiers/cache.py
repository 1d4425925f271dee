"""Content-addressed cache of verification results, shared safely by several processes.

Key: sha256 of the program text, the Dafny version and the options (``cache_key``). Value: the result as
JSON in ``$P2S_HOME/verify-cache/<2 hex>/<key>.json``. Writers write a temporary file in the same folder and
``os.replace`` it into place, so a reader sees either nothing or a whole entry, and two processes that
verify the same program at once simply write the same value twice. A corrupt entry counts as a miss.
Timeouts and crashes are never stored: they depend on the machine's load, not on the program.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pipeline.home import p2s_home
from verifiers.diagnostics import VerificationResult

ENV_DISABLE = "P2S_NO_VERIFY_CACHE"


def cache_dir() -> Path:
    return p2s_home() / "verify-cache"


def enabled() -> bool:
    return os.environ.get(ENV_DISABLE, "") in ("", "0")


def cache_key(program: str, dafny_version: str, options: dict[str, Any]) -> str:
    payload = json.dumps({"program": program, "dafny": dafny_version, "options": options}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _path(key: str) -> Path:
    return cache_dir() / key[:2] / f"{key}.json"


def load(key: str) -> VerificationResult | None:
    """The cached result for ``key``, or ``None`` (missing, unreadable or disabled)."""
    if not enabled():
        return None
    try:
        data = json.loads(_path(key).read_text(encoding="utf-8"))
        return VerificationResult.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def store(key: str, result: VerificationResult) -> None:
    """Write ``result`` atomically (temporary file + ``os.replace``); a full disk only loses the entry."""
    if not enabled():
        return
    path = _path(key)
    data = result.to_dict()
    data["cached"] = False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass
