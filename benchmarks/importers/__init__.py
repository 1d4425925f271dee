"""Importers for public Dafny suites: each turns its source format into task YAML files.

``run_import(format, sources, ...)`` returns an :class:`~benchmarks.importers.common.ImportResult` with the
converted tasks, the tasks it could not convert (with the reason) and warnings; ``p2s import`` writes it.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.importers.common import ImportResult

FORMATS = ("mbpp-dfy", "dafnybench", "clover")


def run_import(
    fmt: str, sources: list[str | Path], *, solutions: str | Path | None = None, method: str | None = None
) -> ImportResult:
    """Convert ``sources`` of format ``fmt`` (one of :data:`FORMATS`).

    Raises:
        UserError: unknown format, missing or malformed source.
    """
    from pipeline.errors import UserError

    if fmt == "mbpp-dfy":
        from benchmarks.importers.mbpp_dfy import import_mbpp_dfy

        return import_mbpp_dfy(sources, solutions)
    if solutions is not None:
        raise UserError(f"--solutions applies to mbpp-dfy only, not {fmt}")
    if fmt == "dafnybench":
        from benchmarks.importers.dafnybench import import_dafnybench

        return import_dafnybench(sources, method)
    if fmt == "clover":
        from benchmarks.importers.clover import import_clover

        return import_clover(sources)
    raise UserError(f"unknown import format {fmt!r} (use {', '.join(FORMATS)})")
