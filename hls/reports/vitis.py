"""Vitis HLS / Vivado HLS synthesis report: ``<solution>/syn/report/csynth.xml``.

The documented layout (UG1399, "Synthesis Summary"; the same ``<profile>`` root since Vivado HLS):
``UserAssignments`` (part, top, target clock), ``PerformanceEstimates/SummaryOfTimingAnalysis``
(``EstimatedClockPeriod``), ``PerformanceEstimates/SummaryOfOverallLatency`` (best/average/worst-case
latency in cycles, ``Interval-min``/``Interval-max``), ``AreaEstimates/Resources`` (``LUT``, ``FF``,
``DSP`` — ``DSP48E`` before Vitis —, ``BRAM_18K``, ``URAM``) and ``AreaEstimates/AvailableResources``.
Unknown figures (``undef`` when a latency depends on data) come back as ``None``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from pipeline.errors import UserError


def _num(text: str | None) -> float | int | None:
    if text is None:
        return None
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None  # "undef", "-"


def _find(root: ET.Element, path: str) -> str | None:
    node = root.find(path)
    return node.text if node is not None else None


def _resources(node: ET.Element | None) -> dict[str, Any]:
    if node is None:
        return {}
    raw = {child.tag: _num(child.text) for child in node}
    return {
        "lut": raw.get("LUT"),
        "ff": raw.get("FF"),
        "dsp": raw.get("DSP", raw.get("DSP48E")),
        "bram_18k": raw.get("BRAM_18K"),
        "uram": raw.get("URAM"),
    }


def parse_csynth_xml(path: str | Path) -> dict[str, Any]:
    """The figures of a ``csynth.xml``.

    Raises:
        UserError: the file is missing or not a synthesis report.
    """
    p = Path(path)
    try:
        root = ET.parse(p).getroot()
    except (OSError, ET.ParseError) as exc:
        raise UserError(f"cannot read the HLS synthesis report {p}: {exc}") from None
    if root.tag != "profile":
        raise UserError(f"{p} is not a csynth.xml report (root <{root.tag}>, expected <profile>)")
    latency = "PerformanceEstimates/SummaryOfOverallLatency/"
    target = _num(_find(root, "UserAssignments/TargetClockPeriod"))
    estimated = _num(_find(root, "PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod"))
    report: dict[str, Any] = {
        "tool_version": _find(root, "ReportVersion/Version"),
        "part": _find(root, "UserAssignments/Part"),
        "top": _find(root, "UserAssignments/TopModelName"),
        "target_clock_ns": target,
        "estimated_clock_ns": estimated,
        "estimated_fmax_mhz": round(1000.0 / estimated, 2) if estimated else None,
        "latency_best": _num(_find(root, latency + "Best-caseLatency")),
        "latency_avg": _num(_find(root, latency + "Average-caseLatency")),
        "latency_worst": _num(_find(root, latency + "Worst-caseLatency")),
        "interval_min": _num(_find(root, latency + "Interval-min")),
        "interval_max": _num(_find(root, latency + "Interval-max")),
        "resources": _resources(root.find("AreaEstimates/Resources")),
        "available": _resources(root.find("AreaEstimates/AvailableResources")),
    }
    ports = []
    for rp in root.findall("InterfaceSummary/RtlPorts"):
        ports.append({"name": _find(rp, "name"), "object": _find(rp, "Object"), "protocol": _find(rp, "IOProtocol"),
                      "dir": _find(rp, "Dir"), "bits": _num(_find(rp, "Bits"))})
    report["rtl_ports"] = ports
    return report
