"""A SQLite cache of greedy calls keyed by sha256(messages, params).

Greedy decoding (temperature 0) of a frozen model is a function of the prompt, so a repeated call can be
answered from disk; a sampling call is never cached because its point is to differ.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from agents.llm.base import LLM, Completion, GenParams, Message, call_key


class CachingLLM(LLM):
    """Wraps a backend; ``hits``/``misses`` count what the cache did."""

    def __init__(self, inner: LLM, path: str | Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, backend TEXT, completion TEXT)")
        self._db.commit()
        self.hits = 0
        self.misses = 0

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        if params.sampling:
            return self.inner.complete(messages, params)
        key = call_key(messages, params)
        with self._lock:
            row = self._db.execute(
                "SELECT completion FROM calls WHERE key = ? AND backend = ?", (key, self.inner.name)
            ).fetchone()
        if row:
            self.hits += 1
            return Completion.from_dict(json.loads(row[0]))
        self.misses += 1
        completion = self.inner.complete(messages, params)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?)",
                (key, self.inner.name, json.dumps(completion.to_dict())),
            )
            self._db.commit()
        return completion

    def close(self) -> None:
        self._db.close()
        self.inner.close()
