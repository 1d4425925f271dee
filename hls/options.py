"""The HLS options of a pipeline run, resolved once: CLI > task YAML > defaults (:class:`HlsOptions`).

Task YAML: ``hardware.clock_period_ns`` is the clock; ``hardware.hls`` may hold option fields (``part``,
``device``, ``opt_level``, ``timeout``) and ``hardware.<backend>`` that backend's settings. The CLI puts a
mapping in ``RunOptions.extra["hls_options"]`` (fields and settings of the chosen backend).
"""

from __future__ import annotations

from typing import Any

from hls.backends.base import HlsOptions
from hls.hls_c.bounds import requires_bounds
from pipeline.hw_interface import HwInterface
from pipeline.stage import RunContext


def hls_options(ctx: RunContext) -> HlsOptions:
    hw = ctx.task.hardware
    backend = ctx.options.hls
    data: dict[str, Any] = {"clock_period_ns": hw.clock_period_ns, "runner": ctx.options.runner}
    task_hls = hw.extra.get("hls") if isinstance(hw.extra.get("hls"), dict) else {}
    task_settings = hw.extra.get(backend) if isinstance(hw.extra.get(backend), dict) else {}
    cli = dict(ctx.options.extra.get("hls_options") or {})
    cli_settings = cli.pop("settings", {}) or {}
    merged = {**data, **task_hls, **cli}
    options = HlsOptions.from_mapping({k: v for k, v in merged.items() if k != "settings"})
    options.settings = {**task_settings, **options.settings, **cli_settings}
    if "interface" in ctx.artifacts:
        options.input_ranges = input_ranges(HwInterface.load(ctx.artifacts["interface"]), ctx.task.requires)
    return options


def input_ranges(hw: HwInterface, requires: list[str] = ()) -> dict[str, tuple[int, int]]:
    """The ranges the interface promises for scalar inputs: a length port (``len``, ``rows``, ``cols``) is at
    most its array's extent, a ``nat`` input is not negative, and an input the pinned ``requires`` bounds by
    constants (``n < 1073741824``) stays within them: the hardware is specified for those inputs alone, as the
    width proof and the co-simulation's vectors are."""
    bounds = requires_bounds(list(requires))
    arrays = {p.name: p for p in hw.ports if p.role in ("array", "array_out")}
    out: dict[str, tuple[int, int]] = {}
    for p in hw.ports:
        top = (1 << (p.width - 1)) - 1 if p.signed else (1 << p.width) - 1
        if p.role in ("len", "rows", "cols") and p.of in arrays:
            dims = arrays[p.of].dims or [arrays[p.of].depth]
            extent = {"len": arrays[p.of].depth, "rows": dims[0], "cols": dims[-1]}[p.role]
            out[p.name] = (0, min(extent, top))
        elif p.role == "in" and p.dafny_type == "nat":
            out[p.name] = (0, top)
        if p.role == "in" and p.dafny_name in bounds:
            bottom = -top - 1 if p.signed else 0
            lo, hi = out.get(p.name, (bottom, top))
            want_lo, want_hi = bounds[p.dafny_name]
            lo, hi = max(lo, want_lo if want_lo is not None else lo), min(hi, want_hi if want_hi is not None else hi)
            if lo <= hi:  # contradictory bounds: no input meets them, nothing is promised
                out[p.name] = (lo, hi)
    return out
