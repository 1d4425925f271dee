"""Stage records: the status every stage reports and the context (manifest) that passes between stages.

A stage is a function ``run(ctx: RunContext) -> StageResult``. It reads the artifacts it understands from
``ctx.artifacts`` (name -> path), writes its own files under ``ctx.stage_dir(name)``, and returns them in
``StageResult.artifacts``; the runner merges them into the manifest for the next stage. Stages never call
their neighbours.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pipeline.errors import ToolMissingError, UserError
from pipeline.task import Task


class Status(StrEnum):
    """``error`` is the infrastructure's failure, not the candidate's (the LLM unreachable after its retries, a
    worker that crashed): such a task is left out of every rate and runs again on the next invocation."""

    PASS = "pass"
    FAIL = "fail"
    SKIPPED = "skipped"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


@dataclass
class StageResult:
    """What one stage reports: status, time, a one-line reason, its files and its figures."""

    stage: str
    status: Status
    seconds: float = 0.0
    detail: str = ""
    artifacts: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    # A skip that leaves sound artifacts for the stages after it (nothing to check against, the output is
    # still right): the run goes on, and still does not count as passed. The runner reads it; not recorded.
    blocks: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "status": self.status.value,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
            "artifacts": dict(self.artifacts),
            "metrics": self.metrics,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageResult:
        return cls(
            stage=data["stage"],
            status=Status(data["status"]),
            seconds=data.get("seconds", 0.0),
            detail=data.get("detail", ""),
            artifacts=dict(data.get("artifacts", {})),
            metrics=dict(data.get("metrics", {})),
        )


FORMAL_MODES = ("auto", "bmc", "prove", "off")  # the formal stage: see hls.formal.stage
DEFAULT_HLS = "static"  # the HLS backend every command and record defaults to (hls.backends.BACKENDS)


@dataclass
class RunOptions:
    """Options every stage may read; one resolved record, dumped into the run folder.

    Precedence is CLI > task YAML > these defaults.
    """

    hls: str = DEFAULT_HLS
    runner: str = "local"
    simulator: str = "icarus"
    verify_timeout: float = 60.0
    exec_timeout: float = 20.0
    exec_memory_mb: int = 1024
    seed: int = 0
    formal: str = "auto"  # the formal stage: auto (where cheap), bmc, prove or off
    formal_timeout: float = 600.0  # the formal stage's solver limit (seconds); past it the stage is skipped
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunContext:
    """The manifest passed along the stages: the task, the run folder, options and artifacts so far."""

    task: Task
    out_dir: Path
    options: RunOptions = field(default_factory=RunOptions)
    artifacts: dict[str, str] = field(default_factory=dict)
    results: list[StageResult] = field(default_factory=list)
    generator: Callable[[RunContext], StageResult] | None = None  # the generate stage's work, in a run from text

    def stage_dir(self, stage: str) -> Path:
        d = self.out_dir / stage
        d.mkdir(parents=True, exist_ok=True)
        return d

    def result(self, stage: str) -> StageResult | None:
        return next((r for r in self.results if r.stage == stage), None)


StageFn = Callable[[RunContext], StageResult]


@dataclass(frozen=True)
class StageSpec:
    """A stage as the runner knows it: where its function lives and which artifacts it reads and writes.

    The runner checks ``reads`` before calling the stage (a missing one fails the stage and names the stage
    that should have written it), so a stage function starts from inputs that exist.
    """

    name: str
    target: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    help: str = ""
    # An optional stage adds a check where it can: skipped (not applicable, no verdict) it does not count
    # against the run; failed it does.
    optional: bool = False


def timed(stage: str, fn: StageFn | Callable[[], StageFn], ctx: RunContext, *, load: bool = False) -> StageResult:
    """Run one stage, filling in its time; here, and only here, exceptions become statuses.

    A missing tool or third-party package (:class:`ToolMissingError`) is ``skipped`` with its fix; bad input
    (:class:`UserError`) is ``fail`` with its message; anything else, including an :class:`ImportError` of the
    project's own code, is a bug: ``fail`` with "internal error" and the traceback in the stage's folder.
    With ``load``, ``fn`` is first called to obtain the stage function (so that importing it is covered too).
    """
    start = time.monotonic()
    try:
        result = (fn() if load else fn)(ctx)  # type: ignore[operator]
    except ToolMissingError as exc:
        result = StageResult(stage, Status.SKIPPED, detail=str(exc))
    except UserError as exc:
        result = StageResult(stage, Status.FAIL, detail=str(exc))
    except ImportError as exc:
        result = _import_failure(stage, exc, ctx)
    except Exception as exc:  # a bug in a stage must not lose the report of the others
        result = StageResult(stage, Status.FAIL, detail=f"internal error: {type(exc).__name__}: {exc}")
        _write_traceback(ctx, stage)
    result.stage = stage
    if not result.seconds:
        result.seconds = time.monotonic() - start
    return result


def _import_failure(stage: str, exc: ImportError, ctx: RunContext) -> StageResult:
    """A third-party package that is not installed skips the stage; our own module failing to import is a bug."""
    from pipeline.registry import is_own_module

    if exc.name and not is_own_module(exc.name):
        return StageResult(stage, Status.SKIPPED, detail=f"Python package {exc.name!r} not installed: run 'make setup'")
    _write_traceback(ctx, stage)
    return StageResult(stage, Status.FAIL, detail=f"internal error: {type(exc).__name__}: {exc}")


def _write_traceback(ctx: RunContext, stage: str) -> None:
    import traceback

    (ctx.stage_dir(stage) / "traceback.txt").write_text(traceback.format_exc())
