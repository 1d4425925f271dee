"""One writer per output folder: an advisory lock that two ``p2s bench`` processes on one folder respect.

Without it both would run every task and append both results. The lock is ``fcntl.flock`` on a file in the
folder, so it ends with its process, even under ``kill -9``: a crashed bench never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path
from types import TracebackType

from pipeline.errors import UserError

LOCK_FILE = ".p2s-lock"


class FolderLock:
    """``with FolderLock(out, wait=False):`` holds ``out`` for this process.

    Raises (on enter):
        UserError: another process holds the folder and ``wait`` is false (the message names its pid).
    """

    def __init__(self, folder: str | Path, wait: bool = False) -> None:
        self.folder = Path(folder)
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            if not self.wait:
                os.close(fd)
                raise UserError(f"{self.folder} is in use by another p2s bench (pid {holder}): wait for it to "
                                "finish, pass --wait to queue behind it, or choose another --out") from None
            print(f"waiting for pid {holder} to release {self.folder}", file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
