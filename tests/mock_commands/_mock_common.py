"""Shared helpers of the fake HLS tools in this folder (stand-ins at the tool boundary for tests).

Each fake records its argv (one JSON line per call) in ``$P2S_MOCK_ARGV`` (default ``mock_argv.jsonl`` in
the working folder), then writes the files the real tool would write, from ``tests/hls_data``. Setting
``P2S_MOCK_FAIL=1`` makes it print a tool-style error and exit 1.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "hls_data"


def record(tool: str) -> None:
    path = Path(os.environ.get("P2S_MOCK_ARGV", "mock_argv.jsonl"))
    with path.open("a") as fh:
        fh.write(json.dumps({"tool": tool, "argv": sys.argv[1:], "cwd": os.getcwd()}) + "\n")


def maybe_fail(message: str) -> None:
    if os.environ.get("P2S_MOCK_FAIL"):
        print(message)
        sys.exit(1)


def design(prefix: str, top: str) -> str:
    src = DATA / "rtl" / f"{prefix}_{top}.v"
    if not src.exists():
        print(f"ERROR: mock {prefix} has no stand-in design for '{top}'")
        sys.exit(1)
    return src.read_text()
