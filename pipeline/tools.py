"""What a check of an external tool reports (:class:`ToolStatus`) and how a version is read.

Ground of the layers: every package's doctor checks build these records, and ``p2s doctor``
(:mod:`pipeline.doctor`, in the roof) collects them.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass


@dataclass
class ToolStatus:
    """One line of the doctor's table."""

    name: str
    found: bool
    version: str = ""
    detail: str = ""
    hint: str = ""
    required: bool = True


def version_of(argv: list[str], timeout: float = 20.0) -> str | None:
    """First non-empty output line of ``argv`` (a ``--version`` call), or ``None`` when it cannot run."""
    if not shutil.which(argv[0]):
        return None
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [ln.strip() for ln in (out.stdout + out.stderr).splitlines() if ln.strip()]
    return lines[0] if lines else ""


def simple_check(name: str, argv: list[str], hint: str, required: bool = True) -> ToolStatus:
    v = version_of(argv)
    return ToolStatus(name, v is not None, v or "", hint="" if v is not None else hint, required=required)


def check_gcc() -> ToolStatus:
    return simple_check("gcc", ["gcc", "--version"], "apt-get install gcc (or run 'make setup')")


def check_z3() -> ToolStatus:
    return simple_check("z3", ["z3", "--version"], "apt-get install z3 (or run 'make setup')")


def status_lines(statuses: list[ToolStatus]) -> list[str]:
    """The doctor's table: a line per check (ok / MISSING / absent), and the fix under each that is not ok."""
    width = max((len(s.name) for s in statuses), default=10)
    lines = []
    for s in statuses:
        mark = "ok     " if s.found else ("MISSING" if s.required else "absent ")
        line = f"{mark} {s.name:<{width}}  {s.version}"
        if s.detail:
            line += f"  ({s.detail})"
        lines.append(line.rstrip())
        if not s.found and s.hint:
            lines.append(f"        {'':<{width}}  -> {s.hint}")
    return lines


def all_required_found(statuses: list[ToolStatus]) -> bool:
    return all(s.found or not s.required for s in statuses)
