"""The Python API for research scripts: load tasks and suites, run the pipeline or one stage, read reports.

Everything here returns typed records (:class:`~pipeline.task.Task`, :class:`RunReport`,
:class:`~pipeline.stage.StageResult`), so a script can sweep a parameter and plot the outcome without
parsing files by hand. Example: ``benchmarks/sweep_clock.py``.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.batch import BatchConfig, run_batch
from pipeline.errors import TaskFormatError
from pipeline.runner import run_dafny_file, run_stages
from pipeline.stage import RunContext, RunOptions, StageResult, Status
from pipeline.task import HARDWARE_FIELDS, Task, check_hardware, load_task

__all__ = [
    "BatchConfig", "RunOptions", "RunReport", "StageResult", "Status", "Task", "load_report", "load_suite",
    "load_task", "run_batch", "run_pipeline", "run_stage", "with_hardware",
]


@dataclass
class RunReport:
    """A run's ``report.json`` as a typed record."""

    task: str
    ok: bool
    stages: list[StageResult]
    out_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def stage(self, name: str) -> StageResult | None:
        return next((s for s in self.stages if s.stage == name), None)

    def metric(self, stage: str, name: str, default: Any = None) -> Any:
        s = self.stage(stage)
        return s.metrics.get(name, default) if s else default


def load_report(run_dir: str | Path) -> RunReport:
    """Read ``run_dir/report.json``."""
    path = Path(run_dir) / "report.json"
    data = json.loads(path.read_text())
    stages = [StageResult.from_dict(s) for s in data.pop("stages")]
    return RunReport(task=data.pop("task"), ok=data.pop("ok"), stages=stages, out_dir=Path(run_dir), extra=data)


def load_suite(name_or_dir: str, split: str | None = None) -> list[Task]:
    """The tasks of a bundled suite (``core``) or of a folder of task YAML files."""
    from pipeline.suites import load_suite as _load

    return _load(name_or_dir, split=split)


def with_hardware(task: Task, **changes: Any) -> Task:
    """A copy of ``task`` with some hardware options changed (e.g. ``clock_period_ns=5``).

    The options are :class:`~pipeline.task.HardwareOptions` fields (``extra=`` replaces the mapping of the
    other ``hardware:`` keys, such as ``width_proof``). Each value is checked as the loader checks a task file's.

    Raises:
        TaskFormatError: an unknown option, or a value the task format does not accept (the message names
            the option and the valid values).
    """
    where = f"with_hardware(task {task.id})"
    for key in changes:
        if key not in HARDWARE_FIELDS and key != "extra":
            raise TaskFormatError(where, f"hardware.{key}", f"not a hardware option (known: "
                                  f"{', '.join(HARDWARE_FIELDS)}; other task-file keys go in extra={{...}})")
    if "extra" in changes and not isinstance(changes["extra"], dict):
        raise TaskFormatError(where, "hardware.extra", f"expected a mapping, got {type(changes['extra']).__name__}")
    hw = check_hardware(dataclasses.replace(task.hardware, **changes), where)
    return dataclasses.replace(task, hardware=hw)


def run_pipeline(
    task: Task,
    dafny: str | Path | None = None,
    out_dir: str | Path | None = None,
    options: RunOptions | None = None,
    stages: list[str] | None = None,
) -> RunReport:
    """Run the stages on a Dafny program (default: the task's reference solution).

    Args:
        task: the task (its tests and hardware options drive every stage).
        dafny: a Dafny file or program text; ``None`` uses ``task.reference``.
        out_dir: the run folder (default: a new temporary folder).
        options: run options (HLS backend, simulator, limits).
        stages: stage names to run, in order (default: all of them).
    """
    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix=f"p2s-{task.id}-"))
    out.mkdir(parents=True, exist_ok=True)
    run_dafny_file(task, _program_file(task, dafny, out), out, options, stages)
    return load_report(out)


def run_stage(ctx: RunContext, name: str) -> StageResult:
    """Run one stage on an existing context (its artifacts must hold what the stage reads)."""
    return run_stages(ctx, [name])[-1]


def _program_file(task: Task, dafny: str | Path | None, out: Path) -> Path:
    """A file holding the program to run: ``dafny`` if it names a file, else its text (or the reference)."""
    if isinstance(dafny, Path) or (isinstance(dafny, str) and "\n" not in dafny and dafny.endswith(".dfy")):
        return Path(dafny)
    if dafny is None and not task.reference:
        from pipeline.errors import UserError

        raise UserError(f"task {task.id} has no reference solution: pass a Dafny program")
    path = out / "input.dfy"
    path.write_text(str(dafny) if dafny is not None else task.reference or "")
    return path
