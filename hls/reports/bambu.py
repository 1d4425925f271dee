"""PandA Bambu's synthesis report: the figures it prints on standard output.

Bambu prints, per synthesized function (``-v1`` and above; sections headed "... of/for function F:"):
``Number of control steps: N``, ``Number of states: N``, ``Total number of flip-flops in function F: N``,
``Estimated resources area (no Muxes and address logic): N``, ``Estimated area of MUX21: N``,
``Total estimated area: N``, ``Estimated number of DSPs: N``, ``Estimated max frequency (MHz): X``,
``Minimum slack: X``, a ``Summary of resources:`` block (``   - UNIT: count``), and after a simulation
(``--simulate``) ``Total cycles : N cycles``. Figures are taken from the top function's sections where
Bambu names it, else the last occurrence.
"""

from __future__ import annotations

import re
from typing import Any

_FIGURES: dict[str, tuple[str, type]] = {
    "control_steps": (r"Number of control steps:\s*(\d+)", int),
    "states": (r"Number of states:\s*(\d+)", int),
    "area_no_mux": (r"Estimated resources area \(no Muxes and address logic\):\s*(\d+(?:\.\d+)?)", float),
    "mux_area": (r"Estimated area of MUX21:\s*(\d+(?:\.\d+)?)", float),
    "area": (r"Total estimated area:\s*(\d+(?:\.\d+)?)", float),
    "dsp": (r"Estimated number of DSPs:\s*(\d+)", int),
    "fmax_mhz": (r"Estimated max frequency \(MHz\):\s*(\d+(?:\.\d+)?)", float),
    "min_slack_ns": (r"Minimum slack:\s*(-?\d+(?:\.\d+)?)", float),
    "cycles": (r"Total cycles\s*:\s*(\d+)\s*cycles", int),
}


def parse_bambu_log(text: str, top: str) -> dict[str, Any]:
    """Figures of the top function from Bambu's standard output (missing ones are absent)."""
    report: dict[str, Any] = {}
    ff = re.findall(rf"Total number of flip-flops in function {re.escape(top)}:\s*(\d+)", text)
    if ff:
        report["ff"] = int(ff[-1])
    scope = _top_scope(text, top)
    for key, (pattern, kind) in _FIGURES.items():
        found = re.findall(pattern, scope) or re.findall(pattern, text)
        if found:
            report[key] = kind(found[-1])
    resources: dict[str, int] = {}
    block = re.search(r"^[ \t]*Summary of resources:[ \t]*\n((?:[ \t]+-[ \t]+\S+:[ \t]+\d+[ \t]*(?:\n|$))+)", text,
                      flags=re.M)
    if block:
        for name, count in re.findall(r"-\s+(\S+):\s+(\d+)", block.group(1)):
            resources[name] = int(count)
        report["resources"] = resources
    return report


def _top_scope(text: str, top: str) -> str:
    """The parts of the log that belong to ``top`` (sections start with '... for function NAME')."""
    parts = re.split(r"(?=\b(?:for|of) function \w+)", text)
    mine = [p for p in parts if re.match(rf"(?:for|of) function {re.escape(top)}\b", p)]
    return "\n".join(mine) if mine else text
