"""Batch summary: per-stage counts, the funnel (verified -> python -> c -> rtl -> cosim), times, tokens,
and a Markdown report with a funnel chart and one row per task giving the reason of each failure."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

STAGE_ORDER = ["verify", "python", "c", "rtl", "cosim", "estimate"]


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate journal records into the summary dictionary."""
    total = len(records)
    stages: dict[str, dict[str, Any]] = {}
    for stage in STAGE_ORDER:
        counts = Counter(r.get("stages", {}).get(stage, {}).get("status", "skipped") for r in records)
        seconds = sum(r.get("stages", {}).get(stage, {}).get("seconds", 0.0) for r in records)
        stages[stage] = {
            "pass": counts["pass"],
            "fail": counts["fail"],
            "skipped": counts["skipped"],
            "rate": round(counts["pass"] / total, 4) if total else 0.0,
            "seconds": round(seconds, 2),
        }
    width_proof = Counter(
        str(r.get("metrics", {}).get("c.width_proof")) for r in records if "c.width_proof" in r.get("metrics", {})
    )
    return {
        "tasks": total,
        "ok": sum(1 for r in records if r.get("ok")),
        "stages": stages,
        "funnel": {s: stages[s]["pass"] for s in STAGE_ORDER},
        "seconds": round(sum(r.get("seconds", 0.0) or 0.0 for r in records), 2),
        "tokens": sum(int(r.get("tokens", 0) or 0) for r in records),
        "attempts": sum(int(r.get("attempts", 0) or 0) for r in records),
        "width_proof": dict(width_proof),
        "failures": Counter((r.get("first_failure") or {}).get("stage", "none") for r in records if not r.get("ok")),
    }


def funnel_chart(summary: dict[str, Any], path: Path) -> Path | None:
    """Draw the funnel as a bar chart (PNG); returns None when matplotlib is unavailable."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = STAGE_ORDER
    values = [summary["funnel"][s] for s in names]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    bars = ax.bar(names, values, color="#3b6ea5")
    ax.set_ylim(0, max(summary["tasks"], 1) * 1.12)
    ax.set_ylabel("tasks passing")
    ax.set_title(f"Stage funnel ({summary['tasks']} tasks)")
    for bar, v in zip(bars, values, strict=True):
        pct = 100 * v / summary["tasks"] if summary["tasks"] else 0
        ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v}\n{pct:.0f}%", ha="center", va="bottom", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")[:160]


def report_markdown(summary: dict[str, Any], records: list[dict[str, Any]], config: Any, chart: str | None) -> str:
    lines = ["# Batch report", ""]
    if config is not None:
        cfg = config if isinstance(config, dict) else config.__dict__
        lines += [
            f"Suite `{cfg.get('suite')}`, split `{cfg.get('split') or 'all'}`, LLM `{cfg.get('llm')}`, "
            f"agent `{cfg.get('agent')}`, HLS `{cfg.get('hls')}`, runner `{cfg.get('runner')}`.",
            "",
        ]
    lines += [
        f"{summary['ok']} of {summary['tasks']} tasks passed every stage; "
        f"{summary['seconds']:.0f} s of task time; {summary['tokens']} tokens.",
        "",
    ]
    if chart:
        lines += [f"![funnel]({chart})", ""]
    lines += ["| stage | pass | fail | skipped | rate |", "| --- | ---: | ---: | ---: | ---: |"]
    for s, v in summary["stages"].items():
        lines.append(f"| {s} | {v['pass']} | {v['fail']} | {v['skipped']} | {100 * v['rate']:.1f}% |")
    lines += ["", "| task | split | difficulty | last stage passed | result |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(records, key=lambda r: r["task"]):
        passed = [s for s in STAGE_ORDER if r.get("stages", {}).get(s, {}).get("status") == "pass"]
        fail = r.get("first_failure")
        result = (
            "pass" if r.get("ok") else f"{fail['stage']} {fail['status']}: {_cell(fail['detail'])}" if fail else "?"
        )
        lines.append(
            f"| {r['task']} | {r.get('split') or ''} | {r.get('difficulty') or ''} | "
            f"{passed[-1] if passed else '-'} | {result} |"
        )
    return "\n".join(lines) + "\n"


def write_summary(records: list[dict[str, Any]], out: Path, config: Any = None) -> dict[str, Any]:
    """Write ``summary.json``, ``funnel.png`` and ``report.md`` into ``out`` and return the summary."""
    summary = summarize(records)
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, out / "summary.json")
    chart = funnel_chart(summary, out / "funnel.png") if records else None
    (out / "report.md").write_text(report_markdown(summary, records, config, chart.name if chart else None))
    return summary
