"""The ``formal`` stage: prove that the generated RTL meets the task's pinned contract for every input.

Co-simulation checks a handful of vectors; this checks them all. The harness (:mod:`hls.formal.harness`)
gives the design free arguments, assumes the ``requires`` (and the parameters' type constraints, ``nat``),
and asserts each ``ensures`` when the results come out and that they come out by a bound; yosys-smtbmc with
Z3 checks it (:mod:`hls.formal.smtbmc`). Verdicts:

* pass, **proven**: for every input the ports and the requires allow, the results come out within the bound
  and every checked ensures holds (``bmc``: up to the bound; ``prove``: k-induction, for every step);
* fail, **counterexample**: the inputs (written to ``formal/counterexample.yaml`` as a test vector to add to
  the task, with ``counterexample.vcd``), and which ensures failed, or that the results had not come out
  by the bound;
* skipped: nothing to check or no verdict (array results and 2-D arrays, which the harness does not model
  yet; a requires it cannot express, which would let the solver pick inputs the task excludes; no
  ensures it can express; the solver's time limit), with the reason.

Clauses the translator cannot express (a function call, a quantifier) are listed as unchecked in the detail
and in ``formal.json``, never dropped silently. The bound is derived from the co-simulation's slowest vector
(its cycles + :data:`SLACK` after reset), or given: ``RunOptions.extra["formal_depth"]``, or the task's
``hardware.formal_depth``; the detail states it. ``RunOptions.formal`` (``--formal``): ``auto`` (default:
``bmc`` where it is cheap, a scalar design whose bound is at most :data:`AUTO_MAX_DEPTH` steps), ``bmc``,
``prove`` or ``off``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from hls.vectors import from_bits
from pipeline.hw_interface import HwInterface, HwPort
from pipeline.stage import FORMAL_MODES, RunContext, StageResult, Status

STAGE = "formal"
AUTO_MAX_DEPTH = 40
RESET_STEPS = 3
SLACK = 4  # cycles beyond the slowest co-simulated vector that the bound allows


def formal_stage(ctx: RunContext) -> StageResult:
    from hls.formal.harness import NotModelled, build_harness
    from hls.formal.smtbmc import YosysSmtbmc
    from hls.rtl_result import RtlResult
    from pipeline.errors import UserError

    mode = str(ctx.options.formal)
    if mode not in FORMAL_MODES:
        raise UserError(f"--formal {mode}: use one of {', '.join(FORMAL_MODES)}")
    if mode == "off":
        return StageResult(STAGE, Status.SKIPPED, detail="--formal off")
    rtl = RtlResult.load(ctx.artifacts["rtl_json"])
    hw = HwInterface.load(ctx.artifacts["interface"])
    depth, why_depth, stated = _depth(ctx)
    try:
        harness = build_harness(rtl, hw, ctx.task, depth)
    except NotModelled as exc:
        return StageResult(STAGE, Status.SKIPPED, detail=str(exc))
    if mode == "auto" and depth > AUTO_MAX_DEPTH:
        return StageResult(STAGE, Status.SKIPPED, detail=f"auto: the bound would be {depth} steps ({why_depth}), "
                                                         f"more than {AUTO_MAX_DEPTH}; use --formal bmc to check")
    if mode == "auto" and harness.array_regs:
        # Free array contents make the solver's work grow with every word and step: max_array's 19-cycle
        # design ran past 600 s. Not cheap, so not on by default.
        return StageResult(STAGE, Status.SKIPPED, detail=f"auto: array arguments ({', '.join(harness.array_regs)}) "
                                                         f"make the check slow; use --formal bmc to check")
    unchecked = "; ".join(f"{c.label} ({c.why_unchecked})" for c in harness.unchecked)
    if any(c.kind == "requires" for c in harness.unchecked):
        return StageResult(STAGE, Status.SKIPPED, detail=f"a requires cannot be expressed, so the inputs cannot "
                                                         f"be constrained: {unchecked}")
    if not harness.checked:
        return StageResult(STAGE, Status.SKIPPED, detail=f"no ensures can be expressed: {unchecked or 'none'}")
    tool = YosysSmtbmc()  # check_design checks its tools first: a missing one is a skip with its fix
    out = ctx.stage_dir(STAGE)
    harness_path = out / "harness.sv"
    harness_path.write_text(harness.text, encoding="utf-8")
    timeout = ctx.options.formal_timeout
    outcome = tool.check_design(harness_path, rtl.verilog_files, out, depth + 1, timeout,
                                induction=mode == "prove")
    record: dict[str, Any] = {
        "mode": "prove" if mode == "prove" else "bmc", "depth": depth, "depth_from": why_depth,
        "status": outcome.status, "seconds": round(outcome.seconds, 2), "steps": outcome.steps,
        "checked": [c.label for c in harness.checked], "unchecked": [
            {"clause": c.label, "why": c.why_unchecked} for c in harness.unchecked],
        "assumed": [c.label for c in harness.clauses if c.kind in ("requires", "type")],
    }
    metrics = {"formal_checked": len(harness.checked), "formal_unchecked": len(harness.unchecked),
               "formal_depth": depth, "formal_seconds": round(outcome.seconds, 2)}
    note = f"; unchecked: {unchecked}" if unchecked else ""
    scope = ("at every step (k-induction)" if mode == "prove"
             else f"within {depth - RESET_STEPS} cycles after reset")
    inputs = {harness.arguments[k]: _task_value(v, _port(hw, harness.arguments[k]))
              for k, v in outcome.values.items() if k in harness.arguments and not k.startswith("p2s_len_")}
    for name, (length, words) in harness.array_regs.items():  # the array's first |a| initial elements
        if length in outcome.values:
            port = _port(hw, name)
            elements = [outcome.values.get(w, 0) for w in words[: max(0, outcome.values[length])]]
            inputs[name] = [v if port is None else from_bits(v, port.width, port.signed) for v in elements]
    example = ", ".join(f"{k}={v}" for k, v in inputs.items())
    slow = harness.assert_lines.get(outcome.failed_line or -1) == "latency bound"
    if outcome.status == "passed":
        detail = (f"proven: for every input the requires allow, the results come out {scope} and "
                  f"{len(harness.checked)} ensures hold (bound: {why_depth}){note}")
        status = Status.PASS
    elif outcome.status == "failed" and slow and not stated:
        # A derived bound is a guess from the vectors, not a requirement: a slower input is no bug. Every step
        # before the failing one was checked, so the ensures hold for every run that finishes within it.
        record["status"] = "bounded"
        record["slower_input"] = inputs
        detail = (f"bounded: for every input the requires allow whose results come out within "
                  f"{depth - RESET_STEPS} cycles after reset, {len(harness.checked)} ensures hold; some inputs "
                  f"take longer (e.g. {example}; bound: {why_depth}; state hardware.formal_depth to require "
                  f"one){note}")
        status = Status.PASS
    elif outcome.status == "failed":
        what = harness.assert_lines.get(outcome.failed_line or -1, "an assertion")
        what = (f"the results had not come out {depth - RESET_STEPS} cycles after reset" if slow
                else f"{what} does not hold")
        record["counterexample"] = {"inputs": inputs, "failed": what, "vcd": outcome.vcd}
        (out / "counterexample.yaml").write_text(yaml.safe_dump([{"inputs": inputs}], sort_keys=False))
        detail = f"counterexample: {example}: {what} (a test vector in formal/counterexample.yaml){note}"
        status = Status.FAIL
    else:
        detail = f"unknown: {outcome.detail}{note}"
        status = Status.SKIPPED
    record["detail"] = detail
    (out / "formal.json").write_text(json.dumps(record, indent=2))
    return StageResult(STAGE, status, detail=detail, artifacts={"formal_json": str(out / "formal.json")},
                       metrics=metrics)


def _depth(ctx: RunContext) -> tuple[int, str, bool]:
    """The bound in steps after reset, where it comes from, and whether it was stated (a requirement)."""
    given = ctx.options.extra.get("formal_depth") or ctx.task.hardware.extra.get("formal_depth")
    if given:
        return RESET_STEPS + int(given), f"stated, {int(given)} cycles", True
    path = ctx.artifacts.get("cosim_results")
    cycles = None
    if path and Path(path).is_file():
        found = [v.get("cycles") for v in json.loads(Path(path).read_text()).get("vectors", [])]
        cycles = max((c for c in found if c is not None), default=None)
    if cycles is None:
        return RESET_STEPS + 16, "16 cycles (no co-simulation to derive it from)", False
    return RESET_STEPS + cycles + SLACK, f"the slowest vector's {cycles} cycles + {SLACK}", False


def _port(hw: HwInterface, name: str) -> HwPort | None:
    """The port carrying the task's parameter ``name``."""
    return next((p for p in hw.ports if (p.dafny_name or p.name) == name), None)


def _task_value(bits: int, port: HwPort | None) -> int | bool:
    """A port's bits as the task's value: a bool, or an integer (two's complement for signed ports)."""
    if port is None:
        return bits
    if port.dafny_type == "bool":
        return bool(bits)
    return from_bits(bits, port.width, port.signed)
