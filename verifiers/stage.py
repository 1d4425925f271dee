"""The ``verify`` stage: the candidate Dafny program against the task, through the integrity gate.

Reads the ``dafny`` artifact; writes ``verified_dfy`` (the spliced, bridged program exactly as Dafny verified
it; only when it verified) and ``verify_json`` (the full :class:`~verifiers.diagnostics.VerificationResult`).
Passes only when Dafny verified it and the gate held; no Dafny installed is ``skipped`` with the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.stage import RunContext, StageResult, Status
from verifiers.api import verify_source
from verifiers.dafny import Dafny

STAGE = "verify"


def verify_stage(ctx: RunContext) -> StageResult:
    """Verify ``ctx.artifacts['dafny']`` against ``ctx.task`` within ``ctx.options.verify_timeout``."""
    path = ctx.artifacts["dafny"]
    dafny = Dafny()  # no Dafny installed: ToolMissingError, which the runner reports as skipped
    source = Path(path).read_text(encoding="utf-8")
    result = verify_source(source, ctx.task, timeout=ctx.options.verify_timeout, dafny=dafny, file=Path(path).name)
    out = ctx.stage_dir(STAGE)
    (out / "program.dfy").write_text(result.program, encoding="utf-8")
    report = out / "verify.json"
    report.write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
    artifacts = {"verify_json": str(report)}
    if result.verified:
        verified = out / "verified.dfy"
        verified.write_text(result.program, encoding="utf-8")
        artifacts["verified_dfy"] = str(verified)
    detail = result.summary()
    if result.errors:
        detail += " - " + result.errors[0].format(Path(path).name)
    metrics = {
        "verified_count": result.verified_count,
        "error_count": result.error_count,
        "timeout_count": result.timeout_count,
        "phase": result.phase,
        "dafny_version": result.dafny_version,
        "cached": result.cached,
    }
    status = Status.PASS if result.verified else Status.FAIL
    return StageResult(STAGE, status, seconds=result.seconds, detail=detail, artifacts=artifacts, metrics=metrics)
