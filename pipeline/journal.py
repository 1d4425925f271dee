"""An append-only JSON-lines journal that survives ``kill -9``: the memory of a resumable batch.

Each finished task is one line, written with a single ``write`` on a file opened in append mode and
flushed to disk, so a crash can at worst leave one partial last line; reading drops such a line (and
truncates it away) so the task it described simply runs again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Journal:
    """Records keyed by ``key_field``; the first complete record of a key wins."""

    def __init__(self, path: str | Path, key_field: str = "task") -> None:
        self.path = Path(path)
        self.key_field = key_field
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_tail()

    def _repair_tail(self) -> None:
        """Cut a partial last line left by a crash in the middle of a write."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with self.path.open("r+b") as fh:
                fh.truncate(cut)

    def all_records(self) -> list[dict[str, Any]]:
        """Every complete record in file order, duplicates included."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and rec.get(self.key_field) is not None:
                out.append(rec)
        return out

    def records(self, keep: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        """Every complete record, first per key, in file order; ``keep`` drops records that no longer count
        (a batch drops the results of tasks edited since they ran, so they run again)."""
        seen: dict[str, dict[str, Any]] = {}
        for rec in self.all_records():
            key = rec[self.key_field]
            if key not in seen and (keep is None or keep(rec)):
                seen[key] = rec
        return list(seen.values())

    def done_keys(self, keep: Callable[[dict[str, Any]], bool] | None = None) -> set[str]:
        return {r[self.key_field] for r in self.records(keep)}

    def append(self, record: dict[str, Any]) -> None:
        """Append one record durably (one write call, then fsync)."""
        line = (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
