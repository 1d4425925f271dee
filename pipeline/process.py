"""Running external commands and untrusted code: argv lists, explicit cwd/env, time and memory limits.

Every tool the pipeline drives (Dafny, gcc, simulators, yosys, HLS tools) and every piece of LLM-written
code goes through :func:`run_command`, so limits, logging and timeouts behave the same everywhere.
"""

from __future__ import annotations

import logging
import os
import resource
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_MEMORY_LIMIT_MB = 4096


@dataclass
class CommandResult:
    """What a finished (or killed) command left behind."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def output(self) -> str:
        """stdout and stderr together, the way a user would read them in a terminal."""
        return self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr


def _limits(memory_mb: int | None, cpu_seconds: float | None):
    """Build a preexec hook: new session (so a timeout kills the whole tree) and rlimits."""

    def apply() -> None:
        os.setsid()
        if memory_mb:
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if cpu_seconds:
            cpu = int(cpu_seconds) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

    return apply


def run_command(
    argv: list[str],
    *,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = 60.0,
    memory_mb: int | None = None,
    cpu_seconds: float | None = None,
    stdin: str | None = None,
    log_path: str | Path | None = None,
) -> CommandResult:
    """Run ``argv`` and return its result; a timeout kills the process group and sets ``timed_out``.

    Args:
        argv: the command as a list (never a shell string).
        cwd: working directory; ``None`` keeps the current one.
        env: extra environment variables layered over ``os.environ``.
        timeout: wall-clock limit in seconds (``None``: none).
        memory_mb: address-space limit for the child (use for untrusted code; mono/JVM tools need none).
        cpu_seconds: CPU-time limit for the child.
        stdin: text fed to the child's standard input.
        log_path: where to write the command line, its cwd and its output.

    Returns:
        The :class:`CommandResult`; a missing executable raises ``FileNotFoundError``.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    quoted = shlex.join(str(a) for a in argv)
    log.debug("run: %s (cwd=%s)", quoted, cwd or os.getcwd())
    start = time.monotonic()
    proc = subprocess.Popen(
        [str(a) for a in argv],
        cwd=str(cwd) if cwd else None,
        env=full_env,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        preexec_fn=_limits(memory_mb, cpu_seconds),
    )
    timed_out = False
    try:
        stdout, stderr = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        stdout, stderr = proc.communicate()
    result = CommandResult(
        argv=[str(a) for a in argv],
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        seconds=time.monotonic() - start,
        timed_out=timed_out,
    )
    if log_path:
        _write_log(Path(log_path), quoted, cwd, result)
    return result


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _write_log(path: Path, quoted: str, cwd: str | Path | None, result: CommandResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    status = "TIMEOUT" if result.timed_out else f"exit {result.returncode}"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {quoted}\n# cwd: {cwd or os.getcwd()}\n# {status} after {result.seconds:.2f}s\n")
        fh.write(result.output)
        fh.write("\n")
