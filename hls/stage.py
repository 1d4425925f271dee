"""The ``rtl`` stage: HLS C → Verilog with the run's backend (``RunOptions.hls``, default static).

Reads ``c`` and ``interface``; writes ``verilog`` (the file with the top module), ``verilog_files`` (a JSON
list) and ``rtl_json`` (the :class:`~hls.rtl_result.RtlResult`, including how to drive the design).
A missing tool is ``skipped`` with the way to get it; C the backend cannot synthesize, or a tool error,
is a failure with the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline.hw_interface import HwInterface
from pipeline.stage import RunContext, StageResult, Status

STAGE = "rtl"


def rtl_stage(ctx: RunContext) -> StageResult:
    from hls.backends import get_backend
    from hls.options import hls_options

    c_path, iface_path = ctx.artifacts["c"], ctx.artifacts["interface"]
    hw = HwInterface.load(iface_path)
    out = ctx.stage_dir(STAGE)
    backend_name = ctx.options.hls
    backend = get_backend(backend_name)
    result = backend.synthesize(Path(c_path).read_text(encoding="utf-8"), hw.top, hls_options(ctx), out / backend_name)
    missing = _missing_ports(result, hw)
    rtl_json = out / "rtl.json"
    result.save(rtl_json)
    files_json = out / "verilog_files.json"
    files_json.write_text(json.dumps(result.verilog_files, indent=2))
    main = _main_file(result.verilog_files, result.top_module)
    lines = sum(len(Path(f).read_text(errors="replace").splitlines()) for f in result.verilog_files)
    artifacts = {"verilog": main, "verilog_files": str(files_json), "rtl_json": str(rtl_json)}
    metrics = {"backend": backend_name, "top": result.top_module, "verilog_lines": lines,
               "protocol": result.interface.protocol, "hls_seconds": round(result.seconds, 3),
               **_headline(result.reports)}
    if missing:
        return StageResult(STAGE, Status.FAIL, artifacts=artifacts, metrics=metrics,
                           detail=f"{backend_name}: the RTL has no ports for {', '.join(missing)}")
    note = f"; {result.reports['launcher_note']}" if result.reports.get("launcher_note") else ""
    detail = (f"{backend_name}: {result.top_module} in {len(result.verilog_files)} Verilog file(s), {lines} lines, "
              f"{result.interface.protocol} interface{note}")
    return StageResult(STAGE, Status.PASS, detail=detail, artifacts=artifacts, metrics=metrics)


def _main_file(files: list[str], top: str) -> str:
    for f in files:
        if re.search(rf"\bmodule\s+{re.escape(top)}\b", Path(f).read_text(errors="replace")):
            return f
    return files[0]


def _missing_ports(result, hw: HwInterface) -> list[str]:
    """Scalar arguments and results of the C interface that no RTL port group carries."""
    carried = {p.arg for p in result.interface.ports}
    missing = []
    for port in hw.ports:
        name = "return" if port.role == "return" else port.name
        scalar_in = port.role in ("in", "len", "rows", "cols") and not _is_result_len(port, hw)
        if (scalar_in or port.role in ("out", "return")) and name not in carried and port.name not in carried:
            missing.append(port.name)
    return missing


def _is_result_len(port, hw: HwInterface) -> bool:
    if port.role not in ("len", "rows", "cols") or not port.of:
        return False
    try:
        return hw.port(port.of).role == "array_out"
    except StopIteration:
        return False


def _headline(reports: dict) -> dict:
    """The tool's own figures worth a column in the run table (latency, resources, clock)."""
    out: dict = {}
    if "csynth" in reports:
        r = reports["csynth"]
        out.update({"hls_latency_worst": r.get("latency_worst"), "hls_lut": r["resources"].get("lut"),
                    "hls_ff": r["resources"].get("ff"), "hls_dsp": r["resources"].get("dsp"),
                    "hls_bram_18k": r["resources"].get("bram_18k"), "hls_clock_ns": r.get("estimated_clock_ns")})
    if "bambu" in reports:
        r = reports["bambu"]
        out.update({k: r.get(k) for k in ("area", "ff", "dsp", "fmax_mhz") if k in r})
    if "hw_modules" in reports:
        out["hw_modules"] = reports["hw_modules"]
    return out
