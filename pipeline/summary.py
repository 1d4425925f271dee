"""Batch summary: per-stage counts, the funnel (verified -> python -> c -> rtl -> cosim), times, tokens,
and a Markdown report with a funnel chart and one row per task giving the reason of each failure.

A batch whose Dafny came from an LLM also gets a ``generation`` block: the verified rate (per seed, mean, 95%
interval), attempts and tokens per verified task, computed by ``agents.evaluate.summarise`` so that ``p2s bench``
and the evaluation report the same figures the same way.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.runner import STAGE_ORDER


def stage_order(records: list[dict[str, Any]]) -> list[str]:
    """The stages a summary counts: ``generate`` first when the records come from runs that started from text."""
    from_text = any("generate" in r.get("stages", {}) for r in records)
    return ["generate", *STAGE_ORDER] if from_text else list(STAGE_ORDER)


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate journal records into the summary dictionary.

    Tasks that met an infrastructure error (``error``: an outage, a crashed worker) are listed under ``errors``
    and left out of every count and rate: they say nothing about the model or the chain, and the next
    invocation runs them again. A stage no task reached has ``rate`` ``None`` (shown as "-"), not 0%.
    """
    errors = [r for r in records if r.get("error")]
    counted = [r for r in records if not r.get("error")]
    total = len(counted)
    order = stage_order(records)
    stages: dict[str, dict[str, Any]] = {}
    for stage in order:
        counts = Counter(r.get("stages", {}).get(stage, {}).get("status", "skipped") for r in counted)
        seconds = sum(r.get("stages", {}).get(stage, {}).get("seconds", 0.0) for r in counted)
        ran = counts["pass"] + counts["fail"]
        stages[stage] = {
            "pass": counts["pass"],
            "fail": counts["fail"],
            "skipped": counts["skipped"],
            "rate": round(counts["pass"] / total, 4) if total and ran else None,
            "seconds": round(seconds, 2),
        }
    width_proof = Counter(
        str(r.get("metrics", {}).get("c.width_proof")) for r in counted if "c.width_proof" in r.get("metrics", {})
    )
    return {
        "tasks": total,
        "ok": sum(1 for r in counted if r.get("ok")),
        "errors": [{"task": r["task"], **(r.get("first_failure") or {})} for r in errors],
        "stages": stages,
        "funnel": {s: stages[s]["pass"] for s in order},
        "seconds": round(sum(r.get("seconds", 0.0) or 0.0 for r in counted), 2),
        "tokens": sum(int(r.get("tokens", 0) or 0) for r in counted),
        "attempts": sum(int(r.get("attempts", 0) or 0) for r in counted),
        "width_proof": dict(width_proof),
        "failures": Counter((r.get("first_failure") or {}).get("stage", "none") for r in counted if not r.get("ok")),
    }


def _cfg(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    return config if isinstance(config, dict) else dict(config.__dict__)


def generated(config: Any) -> bool:
    """Did an LLM write the Dafny? (``--llm reference`` with ``--agent none`` checks the reference directly.)"""
    cfg = _cfg(config)
    return bool(cfg) and not (cfg.get("llm", "reference") == "reference" and cfg.get("agent", "none") == "none")


def generation_summary(per_seed: dict[int, list[dict[str, Any]]], config: Any) -> dict[str, Any]:
    """Verified rate per seed, mean and 95% interval, attempts and tokens per verified task.
    A task that met an infrastructure error is left out (it runs again next time); one that failed counts as
    not verified."""
    from agents.evaluate import Outcome, summarise

    cfg = _cfg(config)
    outcomes = [
        Outcome(r["task"], seed, r.get("stages", {}).get("verify", {}).get("status") == "pass",
                 int(r.get("attempts") or 0), int(r.get("tokens") or 0), float(r.get("seconds") or 0.0))
        for seed, records in per_seed.items() for r in records if not r.get("error")
    ]
    report = summarise(str(cfg.get("agent", "")), str(cfg.get("llm", "")), int(cfg.get("attempts") or 1),
                       list(per_seed), outcomes)
    return report.figures()


def generation_line(gen: dict[str, Any]) -> str:
    """One line: verified count, rate with its interval, attempts and tokens per verified task."""
    lo, hi = gen["ci95"]
    apv = "-" if gen["attempts_per_verified"] is None else f"{gen['attempts_per_verified']:.2f}"
    tpv = "-" if gen["tokens_per_verified"] is None else f"{gen['tokens_per_verified']:.0f}"
    return (f"verified {gen['verified']}/{gen['runs']}: {gen['verified_rate']:.1%} [{lo:.1%}, {hi:.1%}] "
            f"({gen['ci_method']}); attempts/verified {apv}; tokens/verified {tpv}")


def generation_markdown(gen: dict[str, Any]) -> list[str]:
    """The report's generation table (the README's comparison-table columns) and the rate of each seed."""
    lo, hi = gen["ci95"]
    apv = "-" if gen["attempts_per_verified"] is None else f"{gen['attempts_per_verified']:.2f}"
    tpv = "-" if gen["tokens_per_verified"] is None else f"{gen['tokens_per_verified']:.0f}"
    per_seed = ", ".join(f"seed {s}: {r:.1%}" for s, r in gen["per_seed_rate"].items())
    return [
        "## Generation", "",
        "| agent | LLM | budget | verified | rate [95% CI] | attempts / verified | tokens / verified |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: |",
        f"| {gen['agent']} | {_cell(gen['llm'])} | {gen['budget']} | {gen['verified']}/{gen['runs']} | "
        f"{gen['verified_rate']:.1%} [{lo:.1%}, {hi:.1%}] | {apv} | {tpv} |",
        "", f"Interval: {gen['ci_method']}. Verified rate by seed: {per_seed}.", "",
    ]


def funnel_chart(summary: dict[str, Any], path: Path, title: str = "") -> Path | None:
    """Draw the funnel as a bar chart (PNG); returns None when matplotlib is unavailable."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = list(summary["funnel"])
    values = [summary["funnel"][s] for s in names]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    bars = ax.bar(names, values, color="#3b6ea5")
    ax.set_ylim(0, max(summary["tasks"], 1) * 1.12)
    ax.set_ylabel("tasks passing")
    ax.set_title(f"{title + ': ' if title else ''}stage funnel ({summary['tasks']} tasks)", fontsize=9)
    for bar, v in zip(bars, values, strict=True):
        pct = 100 * v / summary["tasks"] if summary["tasks"] else 0
        ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v}\n{pct:.0f}%", ha="center", va="bottom", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _cell(text: str) -> str:
    from pipeline.task_table import shorten

    return shorten(text).replace("|", "\\|")


def header_lines(config: Any, out: Path | None, records: list[dict[str, Any]] | None = None) -> list[str]:
    """Where the numbers come from: suite, model, agent, the command, commit, date and the tools' versions
    (from the folder's ``identity.json``). The commit is the one each journal line ran at (a resumed batch may
    span several, each named with its task count), else the batch's own."""
    cfg = _cfg(config)
    lines: list[str] = []
    if cfg:
        lines += [f"Suite `{cfg.get('suite')}`, split `{cfg.get('split') or 'all'}`, LLM `{_cell(cfg.get('llm'))}`, "
                  f"agent `{cfg.get('agent')}`, attempts {cfg.get('attempts')}, seed {cfg.get('seed')}, "
                  f"HLS `{cfg.get('hls')}`, runner `{cfg.get('runner')}`.", ""]
        if cfg.get("command"):
            lines += [f"Command: `{cfg['command']}`", ""]
    identity = _identity(out)
    from pipeline.provenance import git_commit

    lines += [f"{_commits(records or [], cfg.get('commit') or git_commit())}, "
              f"written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."]
    if identity.get("model"):
        lines[-1] += f" Model sha256 `{identity['model']}`."
    if identity.get("tools"):
        lines += ["", "Tools: " + "; ".join(f"{k} `{v}`" for k, v in sorted(identity["tools"].items())) + "."]
    return lines + [""]


def _commits(records: list[dict[str, Any]], fallback: str | None) -> str:
    counts: dict[str, int] = {}
    for r in records:
        if r.get("commit"):
            counts[r["commit"]] = counts.get(r["commit"], 0) + 1
    if len(counts) > 1:
        return "Commits " + ", ".join(f"`{c}` ({n} tasks)" for c, n in sorted(counts.items(), key=lambda x: -x[1]))
    return f"Commit `{next(iter(counts), None) or fallback or 'unknown'}`"


def provenance(config: Any) -> dict[str, Any]:
    """The record's own account of where it came from: the commit, the command and when it was written."""
    from pipeline.provenance import git_commit

    return {"commit": _cfg(config).get("commit") or git_commit(), "command": _cfg(config).get("command") or None,
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _identity(out: Path | None) -> dict[str, Any]:
    from pipeline.identity import IDENTITY_FILE

    path = out / IDENTITY_FILE if out else None
    return json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}


def report_markdown(summary: dict[str, Any], records: list[dict[str, Any]], config: Any, chart: str | None,
                    out: Path | None = None) -> str:
    from pipeline.task_table import markdown, task_rows

    lines = ["# Batch report", "", *header_lines(config, out, records)]
    lines += [
        f"{summary['ok']} of {summary['tasks']} tasks passed every stage; "
        f"{summary['seconds']:.0f} s of task time; {summary['tokens']} tokens.",
        "",
    ]
    lines += _error_lines(summary)
    if summary.get("generation"):
        lines += generation_markdown(summary["generation"])
    if chart:
        lines += [f"![funnel]({chart})", ""]
    lines += _stage_table(summary)
    lines += ["", *markdown(task_rows([r for r in records if not r.get("error")], stage_order(records)))]
    return "\n".join(lines) + "\n"


def _error_lines(summary: dict[str, Any]) -> list[str]:
    """The tasks left out for an infrastructure error, each with its reason."""
    errors = summary.get("errors") or []
    if not errors:
        return []
    lines = [f"{len(errors)} task(s) met an infrastructure error and are left out of every figure; the next run of "
             "the same command runs them again:", ""]
    return lines + [f"- `{e['task']}`: {e.get('stage', '?')}: {_cell(e.get('detail', ''))}" for e in errors] + [""]


def _stage_table(summary: dict[str, Any]) -> list[str]:
    lines = ["| stage | pass | fail | skipped | rate |", "| --- | ---: | ---: | ---: | ---: |"]
    for s, v in summary["stages"].items():
        rate = "-" if v["rate"] is None else f"{100 * v['rate']:.1f}%"
        lines.append(f"| {s} | {v['pass']} | {v['fail']} | {v['skipped']} | {rate} |")
    return lines


def _write_json(summary: dict[str, Any], out: Path) -> None:
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, out / "summary.json")


def write_summary(records: list[dict[str, Any]], out: Path, config: Any = None) -> dict[str, Any]:
    """Write ``summary.json``, ``funnel.png`` and ``report.md`` into ``out`` and return the summary."""
    summary = summarize(records)
    if generated(config):
        summary["generation"] = generation_summary({int(_cfg(config).get("seed") or 0): records}, config)
    summary["provenance"] = provenance(config)
    _write_json(summary, out)
    chart = funnel_chart(summary, out / "funnel.png", _title(config)) if records else None
    (out / "report.md").write_text(report_markdown(summary, records, config, chart.name if chart else None, out))
    _write_tables(records, out, config)
    return summary


def _title(config: Any) -> str:
    cfg = _cfg(config)
    return f"{Path(str(cfg.get('suite') or 'suite')).name}, {cfg.get('llm', '?')}, agent {cfg.get('agent', '?')}"


def _write_tables(records: list[dict[str, Any]], out: Path, config: Any) -> None:
    """``report.csv`` always, ``report.tex`` with ``--latex``: the per-task table for spreadsheets and papers."""
    from pipeline.task_table import csv_text, latex, task_rows

    rows = task_rows([r for r in records if not r.get("error")], stage_order(records))
    (out / "report.csv").write_text(csv_text(rows), encoding="utf-8")
    if _cfg(config).get("latex"):
        (out / "report.tex").write_text(latex(rows, _title(config)), encoding="utf-8")


def write_seed_summary(per_seed: dict[int, list[dict[str, Any]]], out: Path, config: Any) -> dict[str, Any]:
    """The summary over one batch per seed (``OUT/seed-N/``): the stage counts pooled over every task run
    (``tasks`` counts runs), each seed's figures, and the generation block with its interval over seeds."""
    pooled = [r for records in per_seed.values() for r in records]
    summary = summarize(pooled)
    summary["seeds"] = list(per_seed)
    summary["per_seed"] = {
        str(seed): {"folder": f"seed-{seed}", "tasks": len(records), "ok": sum(1 for r in records if r.get("ok")),
                    "funnel": summarize(records)["funnel"]}
        for seed, records in per_seed.items()
    }
    if generated(config):
        summary["generation"] = generation_summary(per_seed, config)
    _write_json(summary, out)
    first = out / f"seed-{next(iter(per_seed))}" if per_seed else None
    (out / "report.md").write_text(seed_report_markdown(summary, per_seed, config, first))
    return summary


def seed_report_markdown(summary: dict[str, Any], per_seed: dict[int, list[dict[str, Any]]], config: Any,
                         identity_dir: Path | None = None) -> str:
    """Report over seeds: generation figures, pooled stage table, one row per seed and per task."""
    cfg = _cfg(config)
    seeds = list(per_seed)
    tasks = sorted({r["task"] for records in per_seed.values() for r in records})
    lines = ["# Batch report over seeds", "",
             f"Suite `{cfg.get('suite')}`, split `{cfg.get('split') or 'all'}`, LLM `{_cell(cfg.get('llm'))[:60]}`, "
             f"agent `{cfg.get('agent')}`, attempts {cfg.get('attempts')}, seeds {', '.join(map(str, seeds))}: "
             f"{len(tasks)} tasks x {len(seeds)} seeds = {summary['tasks']} task runs; {summary['ok']} passed every "
             f"stage; {summary['seconds']:.0f} s of task time; {summary['tokens']} tokens.", ""]
    pooled = [r for records in per_seed.values() for r in records]
    lines += [ln for ln in header_lines(config, identity_dir, pooled) if not ln.startswith("Suite ")]
    lines += _error_lines(summary)
    if summary.get("generation"):
        lines += generation_markdown(summary["generation"])
    lines += ["## Stages (pooled over seeds)", ""] + _stage_table(summary)
    lines += ["", "| seed | tasks | passed every stage | verified | report |", "| ---: | ---: | ---: | ---: | --- |"]
    for seed in seeds:
        info = summary["per_seed"][str(seed)]
        lines.append(f"| {seed} | {info['tasks']} | {info['ok']} | {info['funnel']['verify']} | "
                     f"[seed-{seed}/report.md](seed-{seed}/report.md) |")
    lines += ["", "| task | " + " | ".join(f"seed {s}" for s in seeds) + " |",
              "| --- | " + " | ".join("---" for _ in seeds) + " |"]
    for task in tasks:
        cells = []
        for seed in seeds:
            r = next((x for x in per_seed[seed] if x["task"] == task), None)
            cells.append("-" if r is None else _outcome_cell(r))
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _outcome_cell(r: dict[str, Any]) -> str:
    """``pass``, or the first failing stage; with the attempts an LLM needed."""
    fail = r.get("first_failure")
    text = "pass" if r.get("ok") else f"{fail['stage']} {fail['status']}" if fail else "?"
    return f"{text} ({r['attempts']} att.)" if r.get("attempts") else text
