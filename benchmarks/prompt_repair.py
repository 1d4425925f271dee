"""The prompt-repair comparison table (README "PREFACE prompt repair → Measured") from recorded runs.

Usage::

    .venv/bin/python -m benchmarks.prompt_repair [DIR]

``DIR`` (default ``benchmarks/results/prompt_repair``) holds what the measurement wrote: ``eval-<agent>/
episodes.jsonl`` from ``python -m agents.evaluate ... --out DIR/eval-<agent>`` and ``train-<agent>/
{episodes,updates}.csv`` from ``p2s train ... --out DIR/train-<agent>``. The script prints the table rows
(``agents.evaluate.summarise``, the same figures an evaluation prints), the tasks any agent verified with
each agent's outcome, how the attempts ended (the verifier's phase), and a line per training run. The
figures are recomputed from the episodes, so the README's table can be checked against the records
(``tests/test_prompt_repair_table.py`` does).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

from agents.evaluate import TABLE_HEADER, EpisodeRecord, EvalReport, summarise
from agents.policies import POLICY_NAMES

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO / "benchmarks" / "results" / "prompt_repair"


def load_reports(folder: Path, budget: int) -> list[EvalReport]:
    """One report per ``eval-<agent>`` folder, in the order of ``POLICY_NAMES`` (unknown agents last)."""
    found = {p.parent.name.removeprefix("eval-"): p for p in folder.glob("eval-*/episodes.jsonl")}
    order = [a for a in POLICY_NAMES if a in found] + sorted(set(found) - set(POLICY_NAMES))
    reports = []
    for agent in order:
        lines = found[agent].read_text(encoding="utf-8").splitlines()
        episodes = [EpisodeRecord(**json.loads(line)) for line in lines if line.strip()]
        seeds = sorted({e.seed for e in episodes})
        reports.append(summarise(agent, "embedded", budget, seeds, episodes))
    return reports


def per_task_table(reports: list[EvalReport]) -> list[str]:
    """A Markdown table of every task at least one agent verified: ``+k`` verified at attempt k, ``-`` failed."""
    outcome = {r.agent: {e.task: e for e in r.episodes} for r in reports}
    won = sorted({e.task for r in reports for e in r.episodes if e.verified})
    lines = ["| task | " + " | ".join(r.agent for r in reports) + " |", "| --- |" + " --- |" * len(reports)]
    for task in won:
        marks = []
        for r in reports:
            e = outcome[r.agent].get(task)
            marks.append("?" if e is None else f"+{e.attempts}" if e.verified else "-")
        lines.append(f"| {task} | " + " | ".join(marks) + " |")
    return lines


PHASES = ("parse", "resolution", "verification", "integrity", "timeout", "no_code", "ok")


def phase_table(reports: list[EvalReport]) -> list[str]:
    """A Markdown table of how the attempts ended (the verifier's phase; ``ok`` is a verified attempt)."""
    counts = {r.agent: Counter(p for e in r.episodes for p in e.phases) for r in reports}
    seen = {p for c in counts.values() for p in c}
    columns = [p for p in PHASES if p in seen] + sorted(seen - set(PHASES))
    lines = ["| agent | " + " | ".join(c.replace("_", " ") for c in columns) + " |",
             "| --- |" + " --- |" * len(columns)]
    for r in reports:
        lines.append(f"| {r.agent} | " + " | ".join(str(counts[r.agent][c]) for c in columns) + " |")
    return lines


def training_line(folder: Path) -> str:
    """Episodes, verified episodes, mean return of each half, and the last PPO update's statistics."""
    with (folder / "episodes.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    returns = [float(r["return"]) for r in rows]
    half = len(returns) // 2
    text = (f"{folder.name}: {len(rows)} episodes, {sum(int(r['verified']) for r in rows)} verified, mean return "
            f"{statistics.fmean(returns[:half] or [0]):.1f} (first half) {statistics.fmean(returns[half:] or [0]):.1f}"
            f" (second half)")
    updates_csv = folder / "updates.csv"
    if updates_csv.is_file():
        with updates_csv.open(encoding="utf-8") as fh:
            updates = list(csv.DictReader(fh))
        if updates:
            last = updates[-1]
            kls = [float(u["losses/approx_kl"]) for u in updates]
            text += (f"; {len(updates)} updates, approx_kl {min(kls):.2g}..{max(kls):.2g}, last entropy "
                     f"{float(last['losses/entropy']):.2f}")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--budget", type=int, default=3, help="the attempt budget the runs used (for the record)")
    args = ap.parse_args(argv)
    reports = load_reports(args.folder, args.budget)
    if not reports:
        print(f"error: no eval-*/episodes.jsonl under {args.folder}; point at the --out folder of the evaluations",
              file=sys.stderr)
        return 2
    print(TABLE_HEADER)
    for r in reports:
        print(r.row())
    print("\ntasks verified by at least one agent (+k: verified at attempt k, -: failed):\n")
    print("\n".join(per_task_table(reports)))
    print("\nhow the attempts ended:\n")
    print("\n".join(phase_table(reports)))
    trainings = sorted(p.parent for p in args.folder.glob("train-*/episodes.csv"))
    if trainings:
        print("\ntraining:")
        print("\n".join(training_line(t) for t in trainings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
