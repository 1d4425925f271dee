"""The ``c`` stage: Python reference model → HLS C, then C simulation against the reference on every vector.

Reads the ``python`` artifact; writes ``c`` (the design), ``c_testbench``, ``interface`` (interface.json)
and ``c_results`` (per-vector outcomes). First the width proof (:mod:`verifiers.width_stage`, reading
``verified_dfy`` or ``dafny``) shows that no integer the hardware computes overflows ``hardware.int_width``
bits, or the first wider width up to ``hardware.max_int_width`` at which none does, and the C is compiled at
that width (metrics ``width_proof``, ``proven_width``; file ``width_proof``); where no width is proven the
stage fails with the lines that may overflow. Passes only when the design compiles with
``gcc -std=c99 -Wall -Wextra -Werror`` and every test vector's C outputs equal the Python model's.
A program with no hardware form fails with the compiler's reason (construct, line, why).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from pipeline.stage import RunContext, StageResult, Status
from pipeline.task import Task, TestVector

STAGE = "c"


def hardware_task(ctx: RunContext) -> Task:
    """The task as the hardware sees it: ghost parameters and results (the python stage lists them) dropped."""
    py = ctx.result("python")
    ghosts = set(py.metrics.get("ghost_params", []) + py.metrics.get("ghost_returns", [])) if py else set()
    if not ghosts:
        return ctx.task
    task = ctx.task
    sig = task.signature
    params = tuple(p for p in sig.params if p.name not in ghosts)
    returns = tuple(p for p in sig.returns if p.name not in ghosts)
    tests = [TestVector({k: v for k, v in t.inputs.items() if k not in ghosts},
                        {k: v for k, v in t.expected.items() if k not in ghosts}) for t in task.tests]
    return replace(task, signature=replace(sig, params=params, returns=returns), tests=tests)


def c_stage(ctx: RunContext) -> StageResult:
    from hls.hls_c import NotSynthesizable, compile_to_c
    from hls.hls_c.model_run import run_reference
    from hls.hls_c.simulate import gcc_path, simulate
    from verifiers.width_stage import stage_width_proof

    py_path = ctx.artifacts["python"]
    out = ctx.stage_dir(STAGE)
    proof = stage_width_proof(ctx, out)  # the C's integers cannot overflow (verifiers/width_proof.py)
    if proof.status in ("fail", "error") or proof.tool_missing:
        return StageResult(STAGE, Status.SKIPPED if proof.tool_missing else Status.FAIL, detail=proof.summary(),
                           artifacts=proof.artifacts, metrics=proof.metrics())
    task = hardware_task(ctx)
    if proof.proven_width and proof.proven_width != task.hardware.int_width:  # compile at the proven width
        task = replace(task, hardware=replace(task.hardware, int_width=proof.proven_width))
    try:
        program = compile_to_c(Path(py_path).read_text(encoding="utf-8"), task)
    except NotSynthesizable as exc:
        (out / "refused.txt").write_text(str(exc) + "\n")
        return StageResult(STAGE, Status.FAIL, detail=str(exc), artifacts=proof.artifacts,
                           metrics={"refused": exc.construct, "refused_line": exc.line} | proof.metrics())
    design = out / "design.c"
    design.write_text(program.source)
    iface_path = out / "interface.json"
    program.interface.save(iface_path)
    artifacts = {"c": str(design), "interface": str(iface_path)} | proof.artifacts
    metrics: dict = {"functions": len(program.functions), "helpers": len(program.helpers)} | proof.metrics()
    if gcc_path() is None:
        return StageResult(STAGE, Status.SKIPPED, artifacts=artifacts, metrics=metrics,
                           detail="C generated, not simulated: gcc not found (apt-get install gcc, or 'make setup')")
    if not task.tests:
        return _unchecked(design, out, artifacts, metrics, ctx.options.exec_timeout)
    timeout, memory = ctx.options.exec_timeout, ctx.options.exec_memory_mb
    reference = run_reference(py_path, task, task.tests, out, timeout=timeout, memory_mb=memory)
    report = simulate(program, task, reference, out, timeout=timeout, memory_mb=memory)
    artifacts["c_testbench"] = str(out / "testbench.c")
    results_path = out / "c_results.json"
    results_path.write_text(json.dumps(report.to_dict(), indent=2, default=str))
    artifacts["c_results"] = str(results_path)
    total, passed = len(report.outcomes), report.passed
    metrics |= {"vectors_total": total, "vectors_passed": passed, "failures": total - passed,
                "ubsan": report.sanitizer}
    if not report.compiled:
        tail = [ln for ln in report.compile_log.splitlines() if "error" in ln][:1]
        return StageResult(STAGE, Status.FAIL, artifacts=artifacts, metrics=metrics,
                           detail="generated C does not compile with gcc -Wall -Wextra -Werror"
                           + (f": {tail[0].strip()}" if tail else ""))
    if passed == total:
        return StageResult(STAGE, Status.PASS, artifacts=artifacts, metrics=metrics,
                           detail=f"{passed}/{total} vectors match the Python reference (top {program.top}); "
                           + proof.summary())
    first = next(o for o in report.outcomes if not o.ok)
    return StageResult(STAGE, Status.FAIL, artifacts=artifacts, metrics=metrics,
                       detail=f"{passed}/{total} vectors match; vector {first.index}: {first.reason}")


def _unchecked(design: Path, out: Path, artifacts: dict, metrics: dict, timeout: float) -> StageResult:
    """A task without vectors: the design must still compile with gcc's warnings as errors; then the stage is
    skipped without blocking (the width proof holds, nothing compares the C with the model) and RTL follows."""
    from hls.hls_c.simulate import compile_design

    compiled, log = compile_design(out, design, timeout=timeout)
    if not compiled:
        tail = [ln for ln in log.splitlines() if "error" in ln][:1]
        return StageResult(STAGE, Status.FAIL, artifacts=artifacts, metrics=metrics,
                           detail="generated C does not compile with gcc -Wall -Wextra -Werror"
                           + (f": {tail[0].strip()}" if tail else ""))
    return StageResult(STAGE, Status.SKIPPED, artifacts=artifacts, metrics=metrics | {"vectors_total": 0}, blocks=False,
                       detail="C generated and compiled (width proof: "
                       f"{metrics.get('width_proof', 'n/a')}); the task has no test vectors: nothing checks the C "
                       "against the reference (add 'tests' to the task)")
