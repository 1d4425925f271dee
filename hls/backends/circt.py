"""The open backend: C → MLIR (our emitter) → CIRCT handshake flow → Verilog, in the HLS environment.

The C is parsed and lowered to ``func``/``cf``/``arith``/``memref`` MLIR here (:mod:`hls.c_to_mlir`); the
CIRCT Python wheel, which needs Python >= 3.13, runs in its own environment through the launcher
(``hls/circt_driver.py``, copied into the work folder so a container sees it too). The result is a
dynamically scheduled (elastic) circuit: see :mod:`hls.rtl_result` for its ready/valid interface.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from hls.backends.base import BuildContext, HlsBackend, Setting
from hls.c_to_mlir import MlirModule, c_to_mlir
from hls.rtl_result import RtlInterface, RtlPort
from hls.verilog_ports import read_ports_from_files
from pipeline.errors import UserError

DRIVER = Path(__file__).resolve().parents[1] / "circt_driver.py"


class Circt(HlsBackend):
    name = "circt"
    tool = "circt-python"
    SETTINGS = {
        "buffer_strategy": Setting(str, "cycles", "handshake-insert-buffers strategy: cycles (buffers on loops "
                                   "only; measured 4x smaller and 5x fewer cycles than all) or all (every channel)",
                                   ("all", "cycles", "allFIFO")),
        "buffer_size": Setting(int, 1, "slots per inserted buffer"),
        "pre_pipeline": Setting(str, "", "MLIR passes run before the handshake flow, e.g. 'func.func(cse)'"),
    }

    def _prepare(self, ctx: BuildContext) -> None:
        module = c_to_mlir(ctx.c_path.read_text(encoding="utf-8"), ctx.top)
        ctx.extra["mlir"] = module
        (ctx.build / f"{ctx.top}.mlir").write_text(module.text)
        shutil.copyfile(DRIVER, ctx.build / "circt_driver.py")

    def _build_command(self, ctx: BuildContext) -> tuple[str, list[str]]:
        s = ctx.settings
        args = [
            "build/circt_driver.py", f"build/{ctx.top}.mlir", f"build/{ctx.top}.v",
            "--handshake", f"build/{ctx.top}.handshake.mlir",
            "--buffer-strategy", s["buffer_strategy"], "--buffer-size", str(s["buffer_size"]),
        ]
        if s["pre_pipeline"]:
            args += ["--pre-pipeline", s["pre_pipeline"]]
        return self.tool, args

    def _collect_verilog(self, ctx: BuildContext) -> list[Path]:
        out = ctx.build / f"{ctx.top}.v"
        return [out] if out.exists() and out.stat().st_size else []

    def _parse_report(self, ctx: BuildContext) -> dict[str, Any]:
        module: MlirModule = ctx.extra["mlir"]
        text = module.text
        report: dict[str, Any] = {
            "mlir_file": str(ctx.build / f"{ctx.top}.mlir"),
            "mlir_blocks": len(re.findall(r"^\^bb\d+", text, flags=re.M)) + 1,
            "mlir_block_args": sum(len(re.findall(r"%v\d+:", m)) for m in re.findall(r"^\^bb\d+\((.*)\):", text, re.M)),
            "mlir_ops": len(re.findall(r"^\s+(?:%\S+ = )?[a-z_]+\.[a-z_]+", text, flags=re.M)),
            "loads": text.count("memref.load"),
            "stores": text.count("memref.store"),
            "widths": sorted({int(w) for w in re.findall(r"\bi(\d+)\b", text)}),
            "buffer_strategy": ctx.settings["buffer_strategy"],
            "buffer_size": ctx.settings["buffer_size"],
            "pragmas": module.pragmas,
        }
        stdout = ctx.extra["result"].stdout.strip().splitlines()
        try:
            summary = json.loads(stdout[-1]) if stdout else {}
        except json.JSONDecodeError:
            summary = {}
        report["hw_modules"] = len(summary.get("modules", []))
        report["circt_seconds"] = summary.get("seconds")
        return report

    def _describe_interface(self, ctx: BuildContext, files: list[Path]) -> RtlInterface:
        return handshake_interface(ctx.extra["mlir"], read_ports_from_files(files, ctx.top))


def handshake_interface(module: MlirModule, ports) -> RtlInterface:
    """Group the generated module's ports by MLIR argument/result (see :mod:`hls.rtl_result`).

    Raises:
        UserError: a port the flow is known to produce is missing (a CIRCT version with other naming).
    """
    names = {p.name: p for p in ports}
    groups: list[RtlPort] = []

    def need(name: str) -> str:
        if name not in names:
            raise UserError(f"circt: expected port '{name}' in the generated top module (CIRCT naming changed?)")
        return name

    for i, arg in enumerate(module.args):
        if arg.kind == "scalar":
            groups.append(RtlPort("in", arg.name, {"data": need(f"in{i}"), "valid": need(f"in{i}_valid"),
                                                   "ready": need(f"in{i}_ready")}, arg.ctype.width))
            continue
        k = 0
        while f"in{i}_ld{k}_addr" in names:
            p = f"in{i}_ld{k}"
            groups.append(RtlPort("load", arg.name, {
                "addr": p + "_addr", "addr_valid": need(p + "_addr_valid"), "addr_ready": need(p + "_addr_ready"),
                "data": need(p + "_data"), "data_valid": need(p + "_data_valid"), "data_ready": need(p + "_data_ready"),
            }, arg.ctype.width, names[p + "_addr"].width))
            k += 1
        k = 0
        while f"in{i}_st{k}_address" in names:
            p = f"in{i}_st{k}"
            groups.append(RtlPort("store", arg.name, {
                "addr": p + "_address", "data": need(p + "_data"), "valid": need(p + "_valid"),
                "ready": need(p + "_ready"), "done_valid": need(p + "_done_valid"),
                "done_ready": need(p + "_done_ready"),
            }, arg.ctype.width, names[p + "_address"].width))
            k += 1
    n = len(module.args)
    groups.append(RtlPort("ctrl_in", "", {"valid": need(f"in{n}_valid"), "ready": need(f"in{n}_ready")}))
    for j, res in enumerate(module.results):
        groups.append(RtlPort("out", res.name, {"data": need(f"out{j}"), "valid": need(f"out{j}_valid"),
                                                "ready": need(f"out{j}_ready")}, res.ctype.width))
    m = len(module.results)
    groups.append(RtlPort("ctrl_out", "", {"valid": need(f"out{m}_valid"), "ready": need(f"out{m}_ready")}))
    banks = {}
    if module.bank is not None:
        b = module.bank
        banks[b.name] = {"width": b.width, "depth": b.depth, "members": b.members}
    return RtlInterface("handshake", clock="clock", reset="reset", reset_active_high=True, ports=groups,
                        banks=banks)
