"""AMD Vitis HLS: a TCL script (``hls/templates/vitis/run_hls.tcl.j2``) run with ``vitis_hls -f``.

The script opens a project in ``build/``, adds the C, synthesizes for the part and clock, and exports the
design; the Verilog comes from ``<project>/<solution>/syn/verilog/`` and the figures from
``syn/report/csynth.xml``. The top module speaks ``ap_ctrl_hs`` with ``ap_memory`` arrays
(:mod:`hls.ap_ctrl`). Runs locally (``vitis_hls`` on PATH) or in the Vitis image (docker/README.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hls.ap_ctrl import VITIS_NAMING, ap_ctrl_interface
from hls.backends.base import BuildContext, HlsBackend, Setting
from hls.render import render, write_if_changed
from hls.reports.vitis import parse_csynth_xml
from hls.rtl_result import RtlInterface
from hls.verilog_ports import read_ports_from_files
from pipeline.errors import UserError

PROJECT = "build/p2s_hls"
SOLUTION = "solution1"


class Vitis(HlsBackend):
    name = "vitis"
    tool = "vitis_hls"
    template = "vitis/run_hls.tcl.j2"
    SETTINGS = {
        "flow_target": Setting(str, "vivado", "open_solution -flow_target (vivado: IP flow, ap_memory arrays)",
                               ("vivado", "vitis")),
        "export": Setting(bool, True, "run export_design after synthesis"),
        "export_format": Setting(str, "ip_catalog", "export_design -format", ("ip_catalog", "xo", "syn_dcp", "sysgen")),
        "csim": Setting(bool, False, "run csim_design before synthesis (the c stage already simulates the C)"),
        "cflags": Setting(str, "", "extra compiler flags for add_files -cflags"),
    }

    def script_context(self, ctx: BuildContext) -> dict[str, Any]:
        s = ctx.settings
        return {
            "top": ctx.top,
            "project": PROJECT,
            "solution": SOLUTION,
            "c_file": ctx.c_path.relative_to(ctx.work).as_posix(),
            "part": ctx.options.part,
            "clock_period": f"{ctx.options.clock_period_ns:g}",
            "flow_target": s.get("flow_target", "vivado"),
            "export": s["export"],
            "export_format": s["export_format"],
            "csim": s["csim"],
            "cflags": s["cflags"],
        }

    def render_script(self, ctx: BuildContext) -> str:
        return render(self.template, **self.script_context(ctx))

    def _prepare(self, ctx: BuildContext) -> None:
        write_if_changed(ctx.work / "run_hls.tcl", self.render_script(ctx))

    def _build_command(self, ctx: BuildContext) -> tuple[str, list[str]]:
        return self.tool, ["-f", "run_hls.tcl"]

    def solution_dir(self, ctx: BuildContext) -> Path:
        return ctx.work / PROJECT / SOLUTION

    def _collect_verilog(self, ctx: BuildContext) -> list[Path]:
        return sorted((self.solution_dir(ctx) / "syn" / "verilog").glob("*.v"))

    def _parse_report(self, ctx: BuildContext) -> dict[str, Any]:
        xml = self.solution_dir(ctx) / "syn" / "report" / "csynth.xml"
        if not xml.exists():
            raise UserError(f"{self.name}: no synthesis report at {xml} (log: {ctx.log_path})")
        return {"csynth": parse_csynth_xml(xml), "csynth_xml": str(xml)}

    def _describe_interface(self, ctx: BuildContext, files: list[Path]) -> RtlInterface:
        return ap_ctrl_interface(ctx.signature, read_ports_from_files(files, ctx.top), VITIS_NAMING, self.name)
