"""``p2s doctor``: which external tools are present, their versions, and how to get what is missing.

Each subsystem contributes checks to :data:`CHECKS` as ``module:function`` strings; a check returns a
:class:`ToolStatus`. Checks must be quick and must never raise.
"""

from __future__ import annotations

import importlib
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


CHECKS: list[str] = [
    "verifiers.dafny:doctor_check",
    "pipeline.doctor:check_z3",
    "pipeline.doctor:check_gcc",
    "hls.doctor:checks",
    "agents.doctor:checks",
]


def run_checks() -> list[ToolStatus]:
    """Run every registered check; a check module that is absent or raises shows as a failed line."""
    statuses: list[ToolStatus] = []
    for ref in CHECKS:
        module, func = ref.split(":")
        try:
            result = getattr(importlib.import_module(module), func)()
        except ModuleNotFoundError:
            continue
        except Exception as exc:  # a broken check must not hide the others
            result = ToolStatus(ref, False, detail=f"check failed: {exc}")
        statuses.extend(result if isinstance(result, list) else [result])
    return statuses
