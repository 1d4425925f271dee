"""One row per task with the figures a paper reports, as Markdown, CSV and LaTeX.

Every cell comes from the task's journal line (``results.jsonl``): ``metrics`` holds each stage's figures under
``stage.name`` (``cosim.cycles_max``, ``estimate.lut`` ...), so the table is a view of what the stages measured,
never a second computation. A figure a stage did not produce is empty, not zero.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

# column -> (header, journal metric); the order is the table's.
FIGURES: dict[str, tuple[str, str]] = {
    "verified_at": ("verified at", "generate.verified_at"),
    "cycles": ("cycles (max)", "cosim.cycles_max"),
    "lut": ("LUT", "estimate.lut"),
    "ff": ("FF", "estimate.ff"),
    "dsp": ("DSP", "estimate.dsp"),
    "fmax_mhz": ("Fmax MHz", "estimate.fmax_mhz"),
    "width": ("width", "c.proven_width"),
}
REASON_CHARS = 160


@dataclass
class TaskRow:
    """One task's line of the report."""

    task: str
    split: str
    last_passed: str
    result: str
    figures: dict[str, Any]

    def cells(self) -> list[str]:
        return [self.task, self.split, self.last_passed,
                *(_show(self.figures.get(k)) for k in FIGURES), self.result]


HEADERS = ["task", "split", "last stage passed", *(h for h, _ in FIGURES.values()), "result"]


def _show(value: Any) -> str:
    if value is None or value == "":
        return ""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def shorten(text: str, limit: int = REASON_CHARS) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary with an ellipsis (never mid-word)."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def task_rows(records: list[dict[str, Any]], order: list[str]) -> list[TaskRow]:
    """The rows of ``records`` sorted by task; ``order`` is the stage order for "last stage passed"."""
    rows = []
    for r in sorted(records, key=lambda r: r["task"]):
        stages = r.get("stages", {})
        passed = [s for s in order if stages.get(s, {}).get("status") == "pass"]
        fail = r.get("first_failure")
        result = "pass" if r.get("ok") else (f"{fail['stage']} {fail['status']}: {shorten(fail['detail'])}"
                                             if fail else "?")
        metrics = r.get("metrics", {})
        rows.append(TaskRow(r["task"], r.get("split") or "", passed[-1] if passed else "-", result,
                            {k: metrics.get(m) for k, (_, m) in FIGURES.items()}))
    return rows


def markdown(rows: list[TaskRow]) -> list[str]:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = ["| " + " | ".join(HEADERS) + " |", "| " + " | ".join("---" for _ in HEADERS) + " |"]
    return lines + ["| " + " | ".join(esc(c) for c in row.cells()) + " |" for row in rows]


def csv_text(rows: list[TaskRow]) -> str:
    """The table for spreadsheets: raw figures (no formatting), one line per task."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["task", "split", "last_passed", *FIGURES, "result"])
    for row in rows:
        writer.writerow([row.task, row.split, row.last_passed, *(row.figures.get(k) for k in FIGURES), row.result])
    return buf.getvalue()


def latex(rows: list[TaskRow], caption: str) -> str:
    """A ``tabular`` of the figures (the result column is left out: reasons are for reading, not printing)."""
    def tex(cell: str) -> str:
        for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"),
                     ("$", r"\$")):
            cell = cell.replace(a, b)
        return cell

    heads = HEADERS[:-1]
    body = [" & ".join(tex(c) for c in row.cells()[:-1]) + r" \\" for row in rows]
    return "\n".join([r"\begin{table}", r"\centering", rf"\caption{{{tex(caption)}}}",
                      r"\begin{tabular}{lll" + "r" * len(FIGURES) + "}", r"\hline",
                      " & ".join(heads) + r" \\", r"\hline", *body, r"\hline", r"\end{tabular}", r"\end{table}"]) + "\n"
