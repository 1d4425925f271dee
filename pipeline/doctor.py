"""``p2s doctor``: which external tools are present, their versions, and how to get what is missing.

Each subsystem contributes checks to :data:`CHECKS` as ``module:function`` strings; a check returns a
:class:`ToolStatus`. Checks must be quick and must never raise.
"""

from __future__ import annotations

import importlib

from pipeline.tools import ToolStatus

CHECKS: list[str] = [
    "verifiers.dafny:doctor_check",
    "pipeline.tools:check_z3",
    "pipeline.tools:check_gcc",
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
        except Exception as exc:  # a broken check must not hide the others
            result = ToolStatus(ref, False, detail=f"check failed: {exc}")
        statuses.extend(result if isinstance(result, list) else [result])
    return statuses


VERSION_CHECKS = ("verifiers.dafny:doctor_check", "pipeline.tools:check_z3", "pipeline.tools:check_gcc",
                  "hls.doctor:checks")


def tool_versions() -> dict[str, str]:
    """Version line of every tool of the chain that is installed: the doctor's checks of the toolchain (not the
    model's, which loads it)."""
    versions: dict[str, str] = {}
    for ref in VERSION_CHECKS:
        module, func = ref.split(":")
        result = getattr(importlib.import_module(module), func)()
        for status in result if isinstance(result, list) else [result]:
            if status.found:
                versions[status.name] = status.version
    return versions
