"""The ``python`` stage: the verified Dafny program compiled to Python, checked against the task's test vectors.

Reads ``verified_dfy`` (the bridged program exactly as Dafny verified it) or, without it, ``dafny``; writes
``python`` (``<stage dir>/<task id>.py``) and ``python_results`` (``python_results.json``: every vector with its
expected and actual outputs). Passes only when every vector matched; the vectors run in a child process with
``options.exec_timeout`` seconds and ``options.exec_memory_mb`` MB. No Dafny installed is ``skipped`` with the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.stage import RunContext, StageResult, Status

STAGE = "python"
MAX_REPORTED_FAILURES = 10


def python_stage(ctx: RunContext) -> StageResult:
    """Compile the run's Dafny program to Python and run the task's vectors against the target method."""
    from hls.dafny_python import UnsupportedConstruct, check_source_bodies, compile_resolved
    from pipeline.vectors import call_spec_for, run_vectors
    from verifiers.front.ghost_free import ghost_free

    path = ctx.artifacts.get("verified_dfy") or ctx.artifacts["dafny"]
    bridged = "verified_dfy" in ctx.artifacts
    source = Path(path).read_text(encoding="utf-8")
    out = ctx.stage_dir(STAGE)
    try:
        check_source_bodies(source)
        resolved = ghost_free(source, timeout=ctx.options.verify_timeout, bridged=bridged)
        (out / f"{ctx.task.id}.resolved.dfy").write_text(resolved.text, encoding="utf-8")
        module = compile_resolved(resolved.text, source_name=ctx.task.id, calls_kept=resolved.calls_kept,
                                  roots=(ctx.task.signature.name,))
    except UnsupportedConstruct as exc:
        return StageResult(STAGE, Status.FAIL, detail=str(exc), metrics={"unsupported": exc.construct})
    module_path = out / f"{ctx.task.id}.py"
    module_path.write_text(module.text, encoding="utf-8")
    artifacts = {"python": str(module_path)}
    target = ctx.task.signature.name
    sig = module.functions.get(target)
    if sig is None or sig.kind != "method":
        return StageResult(STAGE, Status.FAIL, detail=f"the compiled module has no method '{target}'",
                           artifacts=artifacts)
    if not ctx.task.tests:
        return StageResult(STAGE, Status.SKIPPED, detail="the task has no test vectors: nothing to check the model "
                           "against (add 'tests' to the task); the model is built, the stages after it run",
                           artifacts=artifacts, metrics={"vectors_total": 0}, blocks=False)
    report = run_vectors(module_path, call_spec_for(ctx.task.signature, sig), ctx.task.tests,
                         timeout=ctx.options.exec_timeout, memory_mb=ctx.options.exec_memory_mb, workdir=out)
    results_path = out / "python_results.json"
    results_path.write_text(json.dumps(report.to_dict(), indent=2, default=repr), encoding="utf-8")
    artifacts["python_results"] = str(results_path)
    failures = report.failures()
    metrics = {
        "vectors_total": report.total,
        "vectors_passed": report.passed,
        "failures": [{"index": f.index, "inputs": f.inputs, "expected": f.expected, "actual": f.actual,
                      "error": f.error} for f in failures[:MAX_REPORTED_FAILURES]],
        "ghost_params": sig.ghost_params,
        "ghost_returns": sig.ghost_returns,
    }
    if report.ok:
        detail = f"{report.passed}/{report.total} vectors matched"
        return StageResult(STAGE, Status.PASS, detail=detail, artifacts=artifacts, metrics=metrics)
    if report.error:
        detail = f"{report.passed}/{report.total} vectors matched: {report.error}"
    else:
        first = failures[0]
        detail = f"{report.passed}/{report.total} vectors matched; vector {first.index}: {first.error}"
    return StageResult(STAGE, Status.FAIL, detail=detail, artifacts=artifacts, metrics=metrics)
