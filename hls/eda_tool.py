"""What every EDA tool class of ``hls/`` shares: a registry name, the executables it needs, and a launcher.

Simulators (:mod:`hls.simulators`) and estimators (:mod:`hls.estimators`) subclass :class:`EdaTool`, so a missing
executable is reported the same way everywhere (with its install hint, before any work) and every command goes
through one :class:`~hls.launchers.Launcher` (local, or a container with ``--runner container``).
"""

from __future__ import annotations

from hls.launchers import Launcher, LocalLauncher


class EdaTool:
    """``name`` (as registered), ``tools`` (executables :meth:`check` requires) and the launcher that runs them."""

    name: str = "base"
    tools: tuple[str, ...] = ()

    def __init__(self, launcher: Launcher | None = None) -> None:
        self.launcher = launcher or LocalLauncher()

    def check(self) -> None:
        """Raise :class:`~pipeline.errors.ToolMissingError` with the install hint if a tool is missing."""
        for tool in self.tools:
            self.launcher.require(tool)
