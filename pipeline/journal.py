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
    """Records keyed by ``key_field``; the latest complete record of a key wins (a task run again replaces its
    line), and :meth:`compact` leaves one line per key in the file."""

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
        """The latest complete record per key, in the order keys first appear; ``keep`` drops records that no
        longer count (a batch drops the results of tasks edited since they ran, so they run again)."""
        latest: dict[str, dict[str, Any]] = {}
        for rec in self.all_records():
            latest[rec[self.key_field]] = rec
        return [rec for rec in latest.values() if keep is None or keep(rec)]

    def done_keys(self, keep: Callable[[dict[str, Any]], bool] | None = None) -> set[str]:
        return {r[self.key_field] for r in self.records(keep)}

    def compact(self) -> None:
        """Rewrite the file with the latest record per key only (atomically: a crash leaves the old file)."""
        self.retain()

    def retain(self, keep: Callable[[dict[str, Any]], bool] | None = None) -> int:
        """Rewrite the file with the latest record per key that ``keep`` accepts (atomically); returns how many
        keys were dropped (a measurement to run again for them)."""
        latest = self.records()
        records = [r for r in latest if keep is None or keep(r)]
        if len(records) == len(self.all_records()):
            return 0
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text("".join(json.dumps(r, default=str, separators=(",", ":")) + "\n" for r in records),
                       encoding="utf-8")
        os.replace(tmp, self.path)
        return len(latest) - len(records)

    def append(self, record: dict[str, Any]) -> None:
        """Append one record durably (one write call, then fsync)."""
        line = (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
