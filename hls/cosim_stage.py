"""The ``cosim`` stage: the RTL, simulated on every test vector, against the reference model.

Reads ``rtl_json`` (how to drive the design), ``interface`` (how task values map onto ports) and the
reference values (:mod:`hls.expected`); writes ``cosim_results``. Passes only when every vector completed
and every output (results, result arrays, final contents of array arguments) matched. Simulator:
``RunOptions.simulator`` (a name of :data:`hls.simulators.SIMULATORS`: ``icarus`` default, or ``verilator``),
run through the launcher of ``RunOptions.runner`` (``--runner container``: the open image).
"""

from __future__ import annotations

import json

from pipeline.hw_interface import HwInterface
from pipeline.stage import RunContext, StageResult, Status

STAGE = "cosim"


def cosim_stage(ctx: RunContext) -> StageResult:
    from hls.cosim import run_cosim
    from hls.expected import expected_outputs
    from hls.launchers import get_launcher
    from hls.rtl_result import RtlResult
    from hls.vectors import port_vectors

    rtl_path, iface_path = ctx.artifacts["rtl_json"], ctx.artifacts["interface"]  # checked by the runner
    if not ctx.task.tests:
        return StageResult(STAGE, Status.SKIPPED, blocks=False, metrics={"vectors_total": 0},
                           detail="the task has no test vectors: nothing to co-simulate (add 'tests' to the task)")
    rtl = RtlResult.load(rtl_path)
    hw = HwInterface.load(iface_path)
    expected, source = expected_outputs(ctx)
    out = ctx.stage_dir(STAGE)
    simulator = ctx.options.simulator
    vectors = port_vectors(hw, [t.inputs for t in ctx.task.tests], expected)
    launcher = get_launcher(ctx.options.runner)
    result = run_cosim(rtl, hw, vectors, out, simulator=simulator,
                       timeout=float(ctx.options.extra.get("cosim_timeout", 600)), launcher=launcher)
    results_path = out / "cosim_results.json"
    results_path.write_text(json.dumps({**result.to_dict(), "reference": source}, indent=2, default=str))
    cycles = [c for c in result.cycles if c is not None]
    metrics = {
        "vectors_total": len(result.vectors),
        "vectors_passed": sum(v.ok for v in result.vectors),
        "cycles": result.cycles,
        "cycles_max": max(cycles) if cycles else None,
        "cycles_mean": round(sum(cycles) / len(cycles), 1) if cycles else None,
        "simulator": simulator,
    }
    status = Status.PASS if result.passed else Status.FAIL
    detail = f"{result.summary()} (reference: {source}){launcher.provenance()}"
    return StageResult(STAGE, status, detail=detail, artifacts={"cosim_results": str(results_path)}, metrics=metrics)
