"""The HLS backend interface: one template method, small hooks per tool, every default in one place.

``HlsBackend.synthesize(c_source, top, options, work_dir) -> RtlResult`` validates the options, lays out
the work folder (``src/`` the C, ``build/`` the tool's files, ``hls.log``), renders the backend's scripts,
runs its command through a launcher (local or docker: one code path), collects the Verilog, parses the
reports and describes the top module's interface. Backends fill the hooks ``_prepare``,
``_build_command``, ``_collect_verilog``, ``_parse_report`` and ``_describe_interface``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hls.cfront import CSignature, top_signature
from hls.launchers import Launcher, get_launcher
from hls.render import write_if_changed
from hls.rtl_result import RtlInterface, RtlResult
from pipeline.errors import UserError
from pipeline.process import CommandResult


@dataclass
class HlsOptions:
    """Options of one synthesis run, CLI > task YAML > these defaults.

    Attributes:
        clock_period_ns: target clock period (the task's ``hardware.clock_period_ns``).
        part: FPGA part for Vitis/Vivado HLS (``set_part``); a Zynq-7020 by default.
        device: Bambu ``--device-name``; the same Zynq-7020 in Bambu's spelling.
        opt_level: compiler optimisation level for Bambu (``-O``).
        runner: ``local`` (tools on PATH) or ``docker`` (tool images; falls back to local with a message).
        image: container image override for the backend's tool.
        timeout: wall-clock limit of the tool run in seconds.
        settings: backend-specific settings, declared by each backend's ``SETTINGS``.
        input_ranges: what the interface promises about scalar inputs (C parameter -> ``[lo, hi]``: a length
            port is at most its array's depth, a ``nat`` is not negative); a backend may size its datapath by it.
    """

    clock_period_ns: float = 10.0
    part: str = "xc7z020clg400-1"
    device: str = "xc7z020-1clg400"
    opt_level: int = 2
    runner: str = "local"
    image: str | None = None
    timeout: float = 1800.0
    settings: dict[str, Any] = field(default_factory=dict)
    input_ranges: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> HlsOptions:
        """Build options from a mapping; keys that are not fields go into ``settings``."""
        known = {f.name for f in fields(cls)}
        opts = cls(**{k: v for k, v in data.items() if k in known and k != "settings"})
        opts.settings = {**dict(data.get("settings") or {}), **{k: v for k, v in data.items() if k not in known}}
        return opts


@dataclass(frozen=True)
class Setting:
    """A backend-specific option: its type, default and what it does."""

    type: type
    default: Any
    desc: str
    choices: tuple = ()


@dataclass
class BuildContext:
    """Everything the hooks of one run share."""

    top: str
    c_path: Path
    work: Path
    build: Path
    options: HlsOptions
    settings: dict[str, Any]
    signature: CSignature
    log_path: Path
    extra: dict[str, Any] = field(default_factory=dict)


class HlsBackend:
    """Base class of the backends (see the module docstring)."""

    name = "base"
    tool = ""  # the logical tool name the launcher runs
    SETTINGS: dict[str, Setting] = {}

    def __init__(self, launcher: Launcher | None = None) -> None:
        self._launcher = launcher

    # ----------------------------------------------------------------------------------------- public

    def synthesize(self, c_source: str, top: str, options: HlsOptions | None, work_dir: str | Path) -> RtlResult:
        """C → Verilog with this backend.

        Raises:
            UserError: bad options, C outside the backend's subset, a missing tool (with how to get it),
                or a tool failure (with the first error line and the log path).
        """
        start = time.monotonic()
        options = options or HlsOptions()
        settings = self.resolve_settings(options.settings)
        signature = top_signature(c_source, top)
        work = Path(work_dir).resolve()
        ctx = BuildContext(top, work / "src" / f"{top}.c", work, work / "build", options, settings, signature,
                           work / "hls.log")
        ctx.build.mkdir(parents=True, exist_ok=True)
        write_if_changed(ctx.c_path, c_source)
        ctx.log_path.write_text("")
        self._prepare(ctx)
        tool, args = self._build_command(ctx)
        launcher = self.launcher(options)
        if launcher.note:
            with ctx.log_path.open("a") as fh:
                fh.write(f"# {launcher.note}\n")
        result = self._run_tool(ctx, launcher, tool, args)
        ctx.extra["result"] = result
        ctx.extra["launcher"] = launcher.name
        if result.timed_out:
            raise UserError(f"{self.name}: {tool} did not finish within {options.timeout:.0f} s (log: {ctx.log_path})")
        if not result.ok:
            signal = -result.returncode if result.returncode < 0 else result.returncode - 128
            why = f"crashed (signal {signal})" if result.returncode < 0 or 129 <= result.returncode <= 159 else \
                f"failed: {self._first_error(result.output)}"
            raise UserError(f"{self.name}: {tool} {why} (log: {ctx.log_path})")
        files = self._collect_verilog(ctx)
        if not files:
            raise UserError(f"{self.name}: {tool} produced no Verilog for '{top}' (log: {ctx.log_path})")
        reports = {"launcher": launcher.name, "tool_seconds": round(result.seconds, 3), **self._parse_report(ctx)}
        if launcher.provenance():  # the fallback note, or the images that ran the tool
            reports["launcher_note"] = launcher.provenance().removeprefix("; ")
        interface = self._describe_interface(ctx, files)
        return RtlResult(
            backend=self.name,
            top_module=self._top_module(ctx),
            verilog_files=[str(f) for f in files],
            interface=interface,
            reports=reports,
            log_path=str(ctx.log_path),
            seconds=time.monotonic() - start,
        )

    def launcher(self, options: HlsOptions) -> Launcher:
        return self._launcher or get_launcher(options.runner, image=options.image)

    def resolve_settings(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``given``; unknown names and wrong types are a :class:`UserError`."""
        unknown = set(given) - set(self.SETTINGS)
        if unknown:
            valid = ", ".join(sorted(self.SETTINGS)) or "none"
            raise UserError(f"{self.name} backend: unknown setting '{sorted(unknown)[0]}' (valid: {valid})")
        out = {k: s.default for k, s in self.SETTINGS.items()}
        for key, value in given.items():
            spec = self.SETTINGS[key]
            if spec.type is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, spec.type) or isinstance(value, bool) and spec.type is not bool:
                raise UserError(f"{self.name} backend: setting '{key}' expects {spec.type.__name__}, got {value!r}")
            if spec.choices and value not in spec.choices:
                choices = ", ".join(map(str, spec.choices))
                raise UserError(f"{self.name} backend: setting '{key}' must be one of {choices}")
            out[key] = value
        return out

    # ----------------------------------------------------------------------------------------- hooks

    def _prepare(self, ctx: BuildContext) -> None:
        """Write the backend's scripts and inputs into ``ctx.work``."""

    def _build_command(self, ctx: BuildContext) -> tuple[str, list[str]]:
        raise NotImplementedError

    def _run_tool(self, ctx: BuildContext, launcher: Launcher, tool: str, args: list[str]) -> CommandResult:
        """Run the backend's tool (a backend written in Python may do its work here, in-process)."""
        return launcher.run(tool, args, cwd=ctx.work, timeout=ctx.options.timeout, log_path=ctx.log_path)

    def _collect_verilog(self, ctx: BuildContext) -> list[Path]:
        raise NotImplementedError

    def _parse_report(self, ctx: BuildContext) -> dict[str, Any]:
        return {}

    def _describe_interface(self, ctx: BuildContext, files: list[Path]) -> RtlInterface:
        raise NotImplementedError

    def _top_module(self, ctx: BuildContext) -> str:
        return ctx.top

    @staticmethod
    def _first_error(output: str) -> str:
        lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
        for ln in lines:
            if "error" in ln.lower():
                return ln[:300]
        return (lines[-1] if lines else "no output")[:300]
