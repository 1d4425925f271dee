"""JSONL transcripts: every call a run makes (messages, params, completion), one line each.

The transcript is what makes a run reproducible: ``--llm replay:FILE`` answers the same calls from it.
Lines are appended and flushed one at a time so a crashed run still leaves a usable transcript.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agents.llm.base import LLM, Completion, GenParams, Message, call_key
from pipeline.errors import UserError

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


def iter_transcript(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for each non-blank line of a transcript file.

    Raises:
        ValueError: the file cannot be read, is not UTF-8, or a line is not a JSON object (the message names
            the file and the line).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        lineno = exc.object[: exc.start].count(b"\n") + 1
        raise ValueError(f"{path}:{lineno}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x})") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{i}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise ValueError(f"{path}:{i}: not a JSON object (a JSON {type(record).__name__})")
        yield i, record


def read_transcript(path: str | Path) -> list[dict[str, Any]]:
    """All records of a transcript file, in order (blank lines ignored); :func:`iter_transcript` says what it raises."""
    return [record for _, record in iter_transcript(path)]


def replay_records(path: str | Path) -> list[tuple[str, Completion]]:
    """Every recorded call under ``path`` (a transcript file or a folder of them) as ``(call key, completion)``.

    Raises:
        UserError: no transcript there, or a line that is not a recorded call (named by file and line number).
    """
    files = transcript_files(path)
    if not files:
        raise UserError(f"replay transcript {path} not found: give the transcript.jsonl of a recorded run "
                        "(or a folder holding them)")
    fix = "give the transcript.jsonl a run wrote (--llm replay:runs/<run>/transcript.jsonl)"
    out: list[tuple[str, Completion]] = []
    for file in files:
        try:
            for i, record in iter_transcript(file):
                key, completion = record.get("key"), record.get("completion")
                if not isinstance(key, str) or not isinstance(completion, dict):
                    raise ValueError(f"{file}:{i}: not a recorded call (no 'key' and 'completion')")
                try:
                    out.append((key, Completion.from_dict(completion)))
                except (KeyError, TypeError, ValueError) as exc:
                    raise ValueError(f"{file}:{i}: the recorded completion is malformed ({exc!r})") from None
        except ValueError as exc:
            raise UserError(f"replay transcript {exc}: {fix}") from None
    return out


def check_transcripts(path: str | Path) -> None:
    """Raise the :class:`UserError` that replaying ``path`` would, before anything else reads it."""
    replay_records(path)


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
