"""The static-scheduled open backend: C -> MLIR (the emitter the CIRCT flow uses) -> our scheduler -> an FSM and
datapath in Verilog with the ``ap_ctrl_hs`` protocol and ``ap_memory`` ports (see :mod:`hls.static`).

It is written in Python and runs in-process: no toolchain environment, no launcher. Why our own scheduler
rather than an open tool's: the CIRCT wheel's static (Calyx) flow fails here, and Polyphony compiles Python,
not the typed IR the width proof sized; a list scheduler over that IR is small enough to own (docs/hls.md).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from hls.ap_ctrl import VITIS_NAMING, ap_ctrl_interface
from hls.backends.base import BuildContext, HlsBackend
from hls.c_to_mlir import CToMlir
from hls.cfront import parse_c
from hls.launchers import Launcher
from hls.rtl_result import RtlInterface
from hls.static.cse import merge_repeated
from hls.static.fold import fold_decided
from hls.static.ir import read_function
from hls.static.prefetch import plan
from hls.static.ranges import value_ranges
from hls.static.regions import build_regions
from hls.static.schedule import constant_values
from hls.static.verilog import Memory, write_module
from hls.verilog_ports import read_ports_from_files
from pipeline.process import CommandResult

NAMING = VITIS_NAMING


class Static(HlsBackend):
    name = "static"
    tool = "static-scheduler"

    def _prepare(self, ctx: BuildContext) -> None:
        program = parse_c(ctx.c_path.read_text(encoding="utf-8"))
        module = CToMlir(program.functions, ctx.top).lower(program.pragmas)  # one memref per array: no bank
        ctx.extra["mlir"] = module
        (ctx.build / f"{ctx.top}.mlir").write_text(module.text)

    def _build_command(self, ctx: BuildContext) -> tuple[str, list[str]]:
        return self.tool, [f"build/{ctx.top}.mlir", f"build/{ctx.top}.v"]

    def _run_tool(self, ctx: BuildContext, launcher: Launcher, tool: str, args: list[str]) -> CommandResult:
        start = time.monotonic()
        module = ctx.extra["mlir"]
        func, merged = merge_repeated(read_function(module.text, ctx.top))
        known = {a.name: n for (n, _), a in zip(func.args, module.args, strict=True)}
        no_wrap = {n for n in module.no_wrap if n not in merged}
        ranges = value_ranges(func, {known[k]: tuple(v) for k, v in ctx.options.input_ranges.items() if k in known},
                              no_wrap)
        func = fold_decided(func, ranges)
        constants = constant_values(func)
        regions = build_regions(func)
        scheds, _ = plan(func, regions, ctx.options.clock_period_ns, constants, ranges)
        used = {a.name for a in module.args}
        untouched = [Memory(p.name, math.prod(p.dims), p.dims, p.ctype.width, False)
                     for p in ctx.signature.params if p.kind == "array" and p.name not in used]
        (ctx.build / f"{ctx.top}.v").write_text(write_module(func, module, scheds, constants, untouched, ranges))
        summary = {"regions": [{"start": s.region.start, "blocks": len(s.region.blocks), "cycles": s.length,
                                "prefetched": len(s.prefetched)} for s in scheds],
                   "states": sum(s.length for s in scheds)}
        ctx.extra["schedule"] = summary
        with ctx.log_path.open("a") as fh:
            fh.write(f"static scheduler: {json.dumps(summary)}\n")
        return CommandResult([tool, *args], 0, json.dumps(summary), "", time.monotonic() - start)

    def launcher(self, options):  # noqa: ANN001, ANN201 - in-process: the local launcher only names the run
        from hls.launchers import LocalLauncher

        return LocalLauncher()

    def _collect_verilog(self, ctx: BuildContext) -> list[Path]:
        out = ctx.build / f"{ctx.top}.v"
        return [out] if out.exists() and out.stat().st_size else []

    def _parse_report(self, ctx: BuildContext) -> dict[str, Any]:
        return {"schedule": ctx.extra.get("schedule", {}), "pragmas": ctx.extra["mlir"].pragmas}

    def _describe_interface(self, ctx: BuildContext, files: list[Path]) -> RtlInterface:
        return ap_ctrl_interface(ctx.signature, read_ports_from_files(files, ctx.top), NAMING, self.name)
