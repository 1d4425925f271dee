"""The ``estimate`` stage: yosys resource counts (and Fmax where nextpnr-ice40 is installed).

Reads ``verilog_files``/``verilog`` and ``rtl_json`` (the top module); writes ``estimate_json``. A missing
yosys is ``skipped`` with how to install it; the estimate never fails a correct design for a missing
optional tool. Options (``RunOptions.extra``): ``estimate_family`` (ice40, xilinx, generic),
``fmax`` (place and route, default on), ``fmax_timeout`` and ``estimate_timeout`` in seconds. The tools
(:mod:`hls.estimators`) run through the launcher of ``RunOptions.runner`` (``--runner container``: the image).
"""

from __future__ import annotations

import json

from pipeline.stage import RunContext, StageResult, Status

STAGE = "estimate"


def estimate_stage(ctx: RunContext) -> StageResult:
    from hls.estimate import estimate
    from hls.launchers import get_launcher
    from hls.rtl_result import RtlResult

    rtl_path = ctx.artifacts["rtl_json"]  # checked by the runner
    rtl = RtlResult.load(rtl_path)
    extra = ctx.options.extra
    family = str(extra.get("estimate_family", "ice40"))
    out = ctx.stage_dir(STAGE)
    launcher = get_launcher(ctx.options.runner)
    result = estimate(rtl.verilog_files, rtl.top_module, out, family=family, fmax=bool(extra.get("fmax", True)),
                      timeout=float(extra.get("estimate_timeout", 900)),
                      fmax_timeout=float(extra.get("fmax_timeout", 120)), launcher=launcher)
    path = out / "estimate.json"
    path.write_text(json.dumps(result.to_dict(), indent=2))
    metrics = {"family": family, "lut": result.lut, "ff": result.ff, "dsp": result.dsp, "bram": result.bram,
               "fmax_mhz": result.fmax_mhz, "place_and_route": bool(result.fmax_mhz) or "not requested"
               not in result.fmax_note, "cached": result.cached}
    fmax = f", Fmax {result.fmax_mhz:.1f} MHz" if result.fmax_mhz else f" (Fmax: {result.fmax_note})"
    detail = f"{family}: {result.lut} LUT, {result.ff} FF, {result.dsp} DSP, {result.bram} BRAM{fmax}"
    if result.cached:
        detail += " (cached: the same RTL was estimated before)"
    detail += launcher.provenance()
    return StageResult(STAGE, Status.PASS, detail=detail, artifacts={"estimate_json": str(path)}, metrics=metrics)
