"""Verilator: compiles the testbench (``--binary --timing``, for its delays and clock) to a C++ executable,
then runs that executable. Slower to build than Icarus, much faster to run long simulations; lint warnings
are not fatal because generated RTL trips many of them."""

from __future__ import annotations

from pathlib import Path

from hls.simulators.base import Command, Simulator

OBJ_DIR = "p2s_obj"


class Verilator(Simulator):
    name = "verilator"
    tools = ("verilator",)

    def build_commands(self, testbench: Path, sources: list[str], work: Path) -> list[Command]:
        return [("verilator", ["--binary", "--timing", "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-MULTIDRIVEN",
                               "--top-module", self.top, "-Mdir", OBJ_DIR, "-j", "1", str(testbench), *sources])]

    def run_command(self, work: Path) -> Command:
        return (str(Path(work) / OBJ_DIR / f"V{self.top}"), [])
