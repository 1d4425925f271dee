"""Icarus Verilog: ``iverilog`` compiles to a ``vvp`` program, ``vvp`` runs it (the default simulator:
quick to build, which dominates for the small designs of a benchmark run)."""

from __future__ import annotations

from pathlib import Path

from hls.simulators.base import Command, Simulator


class Icarus(Simulator):
    name = "icarus"
    tools = ("iverilog", "vvp")

    def build_commands(self, testbench: Path, sources: list[str], work: Path) -> list[Command]:
        return [("iverilog", ["-g2012", "-o", "p2s_sim.vvp", "-s", self.top, str(testbench), *sources])]

    def run_command(self, work: Path) -> Command:
        return ("vvp", ["-n", "p2s_sim.vvp"])
