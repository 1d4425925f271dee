"""PandA Bambu: ``bambu FILE.c --top-fname=F --clock-period=… --device-name=… -O…`` locally or in the image.

Bambu writes ``F.v`` into the working folder and prints its figures on standard output
(:mod:`hls.reports.bambu`). With ``--generate-interface=INFER`` (the default here) arrays become block-RAM
style ports that the ap_ctrl testbench drives; the block protocol is ``start_port``/``done_port`` with an
active-low ``reset`` (Bambu's default ``--reset-level=low``).
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from hls.ap_ctrl import BAMBU_NAMING, ap_ctrl_interface
from hls.backends.base import BuildContext, HlsBackend, Setting
from hls.reports.bambu import parse_bambu_log
from hls.rtl_result import RtlInterface
from hls.verilog_ports import read_ports_from_files


class Bambu(HlsBackend):
    name = "bambu"
    tool = "bambu"
    SETTINGS = {
        "compiler": Setting(str, "", "--compiler= front end (e.g. I386_GCC8, I386_CLANG16); empty: Bambu's default"),
        "interface": Setting(str, "INFER", "--generate-interface= (INFER: ap_memory-style array ports)",
                             ("INFER", "MINIMAL", "WB4")),
        "reset_level": Setting(str, "low", "--reset-level=", ("low", "high")),
        "simulate": Setting(bool, False, "also run Bambu's own simulation (--simulate; needs a simulator)"),
        "extra_args": Setting(str, "", "more Bambu arguments, shell-quoted"),
    }

    def _build_command(self, ctx: BuildContext) -> tuple[str, list[str]]:
        s, o = ctx.settings, ctx.options
        args = [
            ctx.c_path.relative_to(ctx.work).as_posix(),
            f"--top-fname={ctx.top}",
            f"--clock-period={o.clock_period_ns:g}",
            f"--device-name={o.device}",
            f"-O{o.opt_level}",
            f"--generate-interface={s['interface']}",
            f"--reset-level={s['reset_level']}",
        ]
        if s["compiler"]:
            args.append(f"--compiler={s['compiler']}")
        if s["simulate"]:
            args.append("--simulate")
        args += shlex.split(s["extra_args"])
        return self.tool, args

    def _collect_verilog(self, ctx: BuildContext) -> list[Path]:
        produced = ctx.work / f"{ctx.top}.v"
        if not produced.exists():
            return []
        target = ctx.build / produced.name
        shutil.move(str(produced), target)
        return [target]

    def _parse_report(self, ctx: BuildContext) -> dict[str, Any]:
        result = ctx.extra["result"]
        return {"bambu": parse_bambu_log(result.output, ctx.top)}

    def _describe_interface(self, ctx: BuildContext, files: list[Path]) -> RtlInterface:
        naming = replace(BAMBU_NAMING, reset_active_high=ctx.settings["reset_level"] == "high")
        return ap_ctrl_interface(ctx.signature, read_ports_from_files(files, ctx.top), naming, self.name)
