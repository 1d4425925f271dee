"""JSONL transcripts: every call a run makes (messages, params, completion), one line each.

The transcript is what makes a run reproducible: ``--llm replay:FILE`` answers the same calls from it.
Lines are appended and flushed one at a time so a crashed run still leaves a usable transcript.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from agents.llm.base import LLM, Completion, GenParams, Message, call_key

TRANSCRIPT_VERSION = 1
TRANSCRIPT_NAME = "transcript.jsonl"


def transcript_record(messages: list[Message], params: GenParams, completion: Completion, backend: str) -> dict:
    return {
        "v": TRANSCRIPT_VERSION,
        "key": call_key(messages, params),
        "backend": backend,
        "time": round(time.time(), 3),
        "messages": messages,
        "params": params.to_dict(),
        "completion": completion.to_dict(),
    }


def read_transcript(path: str | Path) -> list[dict[str, Any]]:
    """All records of a transcript file, in order (blank lines ignored)."""
    records = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{i}: not JSON ({exc.msg})") from None
    return records


def transcript_files(path: str | Path) -> list[Path]:
    """The transcript file itself, or every ``transcript.jsonl`` under a folder (sorted); none if neither."""
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(path.rglob(TRANSCRIPT_NAME)) if path.is_dir() else []


class RecordingLLM(LLM):
    """Wraps a backend and appends each call to a JSONL transcript."""

    def __init__(self, inner: LLM, path: str | Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        completion = self.inner.complete(messages, params)
        record = transcript_record(messages, params, completion, self.inner.name)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return completion

    def close(self) -> None:
        self.inner.close()
