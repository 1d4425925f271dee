"""The pipeline: the ordered stage list and the runner that writes one run folder with ``report.json``.

Stages are looked up lazily by ``module:function`` so that heavy toolchains load only when a stage runs.
The runner stops at the first stage that does not pass and marks the rest ``skipped`` with the reason.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline.stage import RunContext, RunOptions, StageFn, StageResult, Status, timed
from pipeline.task import Task, dump_task

STAGES: dict[str, str] = {
    "verify": "verifiers.stage:verify_stage",
    "python": "pipeline.python_stage:python_stage",
    "c": "pipeline.c_stage:c_stage",
    "rtl": "hls.stage:rtl_stage",
    "cosim": "hls.cosim_stage:cosim_stage",
    "estimate": "hls.estimate_stage:estimate_stage",
}
HARDWARE_STAGES = ["python", "c", "rtl", "cosim", "estimate"]


def stage_function(name: str) -> StageFn:
    """Import the function behind a stage name."""
    module, func = STAGES[name].split(":")
    return getattr(importlib.import_module(module), func)


def _unavailable(name: str, exc: ImportError) -> StageFn:
    def stage(ctx: RunContext) -> StageResult:
        return StageResult(name, Status.SKIPPED, detail=f"stage unavailable ({exc}): run 'make setup'")

    return stage


def run_stages(ctx: RunContext, names: list[str], on_stage=None) -> list[StageResult]:
    """Run ``names`` in order on ``ctx``; after a stage that does not pass, the rest are skipped.

    Args:
        ctx: the run context; its ``results`` and ``artifacts`` grow as stages finish.
        names: stage names from :data:`STAGES`.
        on_stage: optional callback ``(name, result_or_None)`` for progress displays.
    """
    blocker: StageResult | None = None
    for name in names:
        if blocker is not None:
            result = StageResult(name, Status.SKIPPED, detail=f"{blocker.stage} {blocker.status.value}")
        else:
            if on_stage:
                on_stage(name, None)
            try:
                fn = stage_function(name)
            except ImportError as exc:  # a stage whose module or toolchain package is not installed
                fn = _unavailable(name, exc)
            result = timed(name, fn, ctx)
            ctx.artifacts.update(result.artifacts)
            if result.status is not Status.PASS:
                blocker = result
        ctx.results.append(result)
        if on_stage:
            on_stage(name, result)
    return ctx.results


def git_hash() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def write_report(ctx: RunContext, extra: dict[str, Any] | None = None) -> Path:
    """Write ``report.json`` atomically: the task id, options, every stage result and run facts."""
    report = {
        "task": ctx.task.id,
        "ok": bool(ctx.results) and all(r.status is Status.PASS for r in ctx.results),
        "stages": [r.to_dict() for r in ctx.results],
        "options": asdict(ctx.options),
        "environment": {"python": platform.python_version(), "git": git_hash(), "time": time.time()},
        **(extra or {}),
    }
    path = ctx.out_dir / "report.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str))
    os.replace(tmp, path)
    return path


def prepare_run(task: Task, out_dir: str | Path, options: RunOptions | None = None) -> RunContext:
    """Create the run folder with the task and options inside, and return a fresh context."""
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    dump_task(task, out / "task.yaml")
    ctx = RunContext(task=task, out_dir=out, options=options or RunOptions())
    (out / "options.json").write_text(json.dumps(asdict(ctx.options), indent=2, default=str))
    return ctx


def run_dafny_file(
    task: Task,
    dafny_path: str | Path,
    out_dir: str | Path,
    options: RunOptions | None = None,
    stages: list[str] | None = None,
) -> RunContext:
    """verify -> python -> c -> rtl -> cosim -> estimate on a Dafny file; writes ``report.json``."""
    ctx = prepare_run(task, out_dir, options)
    source = Path(dafny_path).read_text(encoding="utf-8")
    target = ctx.out_dir / "candidate.dfy"
    target.write_text(source)
    ctx.artifacts["dafny"] = str(target)
    run_stages(ctx, stages or list(STAGES))
    write_report(ctx)
    return ctx
