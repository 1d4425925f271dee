"""The pipeline: the ordered stage list and the runner that writes one run folder with ``report.json``.

Stages are looked up lazily by ``module:function`` so that heavy toolchains load only when a stage runs; each
declares the artifacts it reads, which the runner checks before calling it. The runner (with
:func:`pipeline.stage.timed`) alone turns exceptions into statuses: a missing tool is skipped, bad input fails,
our own bug fails with its traceback.
The runner stops at the first stage that does not pass and marks the rest ``skipped`` with the reason.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline.errors import UserError
from pipeline.provenance import git_commit
from pipeline.registry import Registry, import_target
from pipeline.stage import RunContext, RunOptions, StageFn, StageResult, StageSpec, Status, timed
from pipeline.task import Task, dump_task

STAGES: Registry[StageSpec] = Registry("stage", "--stages")
for _spec in (
    StageSpec("generate", "pipeline.generate:generate_stage", writes=("dafny",),
              help="the agent drives the LLM until a candidate verifies or the budget ends (runs from text)"),
    StageSpec("verify", "verifiers.stage:verify_stage", reads=("dafny",), writes=("verified_dfy", "verify_json"),
              help="Dafny verifies the program and the integrity gate holds"),
    StageSpec("python", "hls.python_stage:python_stage", reads=("dafny",), writes=("python", "python_results"),
              help="the Python reference model matches every test vector"),
    StageSpec("c", "hls.c_stage:c_stage", reads=("python",), writes=("c", "interface"),
              help="the width proof holds and the HLS C matches the model on every vector"),
    StageSpec("rtl", "hls.stage:rtl_stage", reads=("c", "interface"), writes=("verilog", "rtl_json"),
              help="the HLS backend turns the C into Verilog with the expected ports"),
    StageSpec("cosim", "hls.cosim_stage:cosim_stage", reads=("rtl_json", "interface"), writes=("cosim_results",),
              help="the RTL simulation matches the model on every vector"),
    StageSpec("formal", "hls.formal.stage:formal_stage", reads=("rtl_json", "interface"), writes=("formal_json",),
              help="the RTL meets the pinned contract for every input (yosys-smtbmc; --formal)", optional=True),
    StageSpec("estimate", "hls.estimate_stage:estimate_stage", reads=("rtl_json",), writes=("estimate_json",),
              help="synthesis sizes the RTL (LUT, FF, DSP, BRAM, Fmax)"),
):
    STAGES.add(_spec.name, _spec, _spec.help)
STAGE_ORDER: list[str] = ["verify", "python", "c", "rtl", "cosim", "formal", "estimate"]
HARDWARE_STAGES = STAGE_ORDER[1:]


def stage_function(name: str) -> StageFn:
    """Import the function behind a stage name (a missing third-party package is :class:`ToolMissingError`;
    a module of ours that does not import raises its :class:`ImportError`)."""
    spec = STAGES.get(name)
    return import_target(spec.target, f"stage {name}")  # type: ignore[return-value]


def missing_inputs(ctx: RunContext, spec: StageSpec) -> StageResult | None:
    """A failure naming the first artifact ``spec`` reads that the run does not have, and which stage writes it."""
    for artifact in spec.reads:
        path = ctx.artifacts.get(artifact)
        if not path or not Path(path).is_file():
            writer = next((s for s in STAGE_ORDER if artifact in STAGES.get(s).writes), None)
            by = f": the {writer} stage produced none" if writer else ""
            return StageResult(spec.name, Status.FAIL, detail=f"no {artifact} to read{by}")
    return None


def run_stage(ctx: RunContext, name: str) -> StageResult:
    """Run one stage as the runner does (inputs checked, exceptions mapped to statuses) and merge its artifacts;
    the result is returned, not appended to ``ctx.results``."""
    result = missing_inputs(ctx, STAGES.get(name)) or timed(name, lambda: stage_function(name), ctx, load=True)
    ctx.artifacts.update(result.artifacts)
    return result


def run_stages(ctx: RunContext, names: list[str], on_stage=None) -> list[StageResult]:
    """Run ``names`` in order on ``ctx``; after a stage that does not pass (or, optional, skip), the rest
    are skipped, unless the result says it blocks nothing (a check with no vectors to run).

    Args:
        ctx: the run context; its ``results`` and ``artifacts`` grow as stages finish.
        names: stage names from :data:`STAGES`.
        on_stage: optional callback ``(name, result_or_None)`` for progress displays.
    """
    blocker: StageResult | None = None
    for name in names:
        STAGES.check(name)
        if blocker is not None:
            result = StageResult(name, Status.SKIPPED, detail=f"{blocker.stage} {blocker.status.value}")
        else:
            if on_stage:
                on_stage(name, None)
            result = run_stage(ctx, name)
            if not holds(result) and result.blocks:  # an optional stage's skip blocks nothing
                blocker = result
        ctx.results.append(result)
        if on_stage:
            on_stage(name, result)
    return ctx.results


def holds(result: StageResult) -> bool:
    """Whether a stage result lets the run count as passed: a pass, or an optional stage's skip."""
    if result.status is Status.PASS:
        return True
    spec = STAGES.get(result.stage) if result.stage in STAGES else None
    return result.status is Status.SKIPPED and spec is not None and spec.optional


def run_passed(results: list[StageResult]) -> bool:
    """A run passes when it ran something and every stage :func:`holds`."""
    return bool(results) and all(holds(r) for r in results)


def write_report(ctx: RunContext, extra: dict[str, Any] | None = None) -> Path:
    """Write ``report.json`` atomically: the task id, options, every stage result and run facts."""
    report = {
        "task": ctx.task.id,
        "ok": run_passed(ctx.results),
        "stages": [r.to_dict() for r in ctx.results],
        "options": asdict(ctx.options),
        "environment": {"python": platform.python_version(), "git": git_commit(), "time": time.time()},
        **(extra or {}),
    }
    path = ctx.out_dir / "report.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str))
    os.replace(tmp, path)
    return path


RUN_FILES = ("report.json", "candidate.dfy", "options.json", "task.yaml")


def clear_run_folder(out: Path) -> None:
    """Remove what an earlier run left in a re-used folder (its stage folders and files), so that nothing of
    another task or run stays beside the new report; the user's own files are left alone."""
    import shutil

    for name in (*STAGES.names(), "attempts"):
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)


def prepare_run(task: Task, out_dir: str | Path, options: RunOptions | None = None) -> RunContext:
    """Create (or clear) the run folder with the task and options inside, and return a fresh context.

    Raises:
        UserError: ``out_dir`` exists and is not a folder.
    """
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out_dir}: a file is there; give a folder for the run")
    out.mkdir(parents=True, exist_ok=True)
    clear_run_folder(out)
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
    source = Path(dafny_path).read_text(encoding="utf-8")  # before the folder is cleared: it may be in there
    ctx = prepare_run(task, out_dir, options)
    target = ctx.out_dir / "candidate.dfy"
    target.write_text(source)
    ctx.artifacts["dafny"] = str(target)
    run_stages(ctx, stages or list(STAGE_ORDER))
    write_report(ctx)
    return ctx
