"""Where a published number comes from: the project's commit, the command line, the digest of an input file.

Ground of the layers (the training run and the batch report both stamp their records with these).
"""

from __future__ import annotations

import functools
import hashlib
import shlex
import subprocess
import sys
from pathlib import Path


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The project's commit (with ``+dirty`` when the checkout has uncommitted changes), ``None`` outside git.

    Read once per process: a process runs the code it imported when it started, so a checkout that moves on
    while a long batch runs must not relabel what the batch measured (a batch reads it before its first task).
    """
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return (commit + ("+dirty" if dirty.stdout.strip() else "")) if commit else None


def command_line(argv: list[str] | None = None) -> str:
    """The command as the user typed it (``p2s bench ...``), quoted so that it can be pasted back."""
    args = list(sys.argv if argv is None else argv)
    if args and Path(args[0]).name in ("p2s", "cli.py", "__main__.py", "-m"):
        args[0] = "p2s"
    return " ".join(shlex.quote(a) for a in args)


def file_digest(path: str | Path | None) -> str | None:
    """sha256 of a file (a checkpoint, a transcript), or of a folder's files in name order; ``None`` for none."""
    if not path:
        return None
    p = Path(path).expanduser()
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p] if p.is_file() else []
    if not files:
        return None
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()
