"""The simulator interface: one class per RTL simulator, each a few commands behind the same ``run``.

Co-simulation (:mod:`hls.cosim`) writes the testbench and compares what it prints; what differs between
simulators is only how a testbench and the design's sources become a running simulation. That part lives
here, as in edalize: a :class:`Simulator` names the tools it needs (so a missing one is reported with its
install hint before any work), lists its build and run commands, and :meth:`Simulator.run` sends them
through a :class:`~hls.launchers.Launcher`, so ``--runner container`` runs the simulator in the open image
exactly as it runs the HLS tools.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from hls.eda_tool import EdaTool
from pipeline.errors import UserError
from pipeline.process import CommandResult

SIMULATION_MEMORY_MB = 4096  # a design that runs away must not take the machine with it

Command = tuple[str, list[str]]  # a logical tool name (or an executable in the work folder) and its arguments


class Simulator(EdaTool, ABC):
    """Builds a testbench with the design's sources and runs it.

    Subclasses set ``name`` (the registry name, shown in results), ``tools`` (what :meth:`check` requires)
    and implement :meth:`build_commands` and :meth:`run_command`. The testbench's top module is ``p2s_tb``.
    """

    top: str = "p2s_tb"

    @abstractmethod
    def build_commands(self, testbench: Path, sources: list[str], work: Path) -> list[Command]:
        """The commands that compile ``testbench`` and ``sources`` (absolute paths) in ``work``."""

    @abstractmethod
    def run_command(self, work: Path) -> Command:
        """The command that runs the compiled simulation in ``work``."""

    def run(self, testbench: Path, sources: list[str], work: Path, timeout: float,
            log: Path | None = None) -> CommandResult:
        """Compile and run; the run's result (its stdout is what the testbench printed).

        Every command gets ``timeout`` seconds and appends its transcript to ``log`` (default
        ``work/<name>.log``). A timed-out run is returned (the caller reports the vectors it did not reach).

        Raises:
            ToolMissingError: a tool is not installed (see :meth:`check`).
            UserError: the testbench does not build (the simulator's first output line and the log path).
        """
        work = Path(work).resolve()
        work.mkdir(parents=True, exist_ok=True)
        log = log or work / f"{self.name}.log"
        testbench = Path(testbench).resolve()
        sources = [str(Path(s).resolve()) for s in sources]
        mounts = sorted({str(Path(s).parent) for s in [*sources, str(testbench)]})
        if self.launcher.note:
            with log.open("a") as fh:
                fh.write(f"# {self.launcher.note}\n")
        for tool, args in self.build_commands(testbench, sources, work):
            res = self.launcher.run(tool, args, cwd=work, timeout=timeout, log_path=log, mounts=mounts)
            if not res.ok:
                first = next((ln for ln in res.output.splitlines() if ln.strip()), "no output")
                raise UserError(f"{self.name} could not build the testbench: {first} (log: {log})")
        tool, args = self.run_command(work)
        return self.launcher.run(tool, args, cwd=work, timeout=timeout, log_path=log,
                                 memory_mb=SIMULATION_MEMORY_MB, mounts=mounts)
