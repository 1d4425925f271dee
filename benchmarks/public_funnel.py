"""The hardware chain on public programs nobody here wrote: how many verified programs reach a passing
co-simulation, and why the rest stop.

Usage::

    .venv/bin/python -m benchmarks.public_funnel [--out runs/public] [--suites clover,mbpp,dafnybench]
                                                 [--limit N] [--workers 1] [--rerun-failed]
    .venv/bin/python -m benchmarks.public_funnel --report      # the tables from the recorded runs alone

Each suite is imported from ``../shared/data`` with ``p2s import`` (CloverBench and MBPP-DFY dev with ``--record-
expected --int-width fit``: vectors from their tests, checked against the references' own runs, and input ports as
wide as the vectors need) and run with ``p2s bench --llm reference`` through the whole chain (verify, python, c,
rtl, cosim). DafnyBench-dev has no tests: it is imported with ``--sample-vectors 4`` (inputs drawn at random, kept
where Dafny proves the requires, outputs from the reference's run), so that the C and the RTL are checked against
the reference; its figure is the share of verified programs whose target method compiles to RTL (and passes cosim
on the sampled vectors), kept apart from the suites with published vectors. Both steps resume: the import is
skipped when its folder exists, and ``p2s bench`` skips the tasks already done, so an interrupted funnel continues
where it stopped. After each suite its results (the latest line per task) are copied to
``benchmarks/results/public/<suite>.jsonl``, the records the docs page is generated from. The report prints, per
suite, how many tasks pass each stage in order and the first failures grouped by stage and reason.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.journal import Journal

REPO = Path(__file__).resolve().parents[1]
RECORDS = REPO / "benchmarks" / "results" / "public"
SHARED = REPO.parent / "shared" / "data"
CHAIN = ("verify", "python", "c", "rtl", "cosim")


@dataclass(frozen=True)
class PublicSuite:
    """One public suite: where it lives, its importer, where its vectors come from, the stages it goes through.

    ``sample`` > 0: the source has no tests and the importer draws that many vectors per task (their results
    are reported apart from the published vectors' headline).
    """

    name: str
    source: Path
    format: str
    record_expected: bool
    stages: tuple[str, ...] = CHAIN
    sample: int = 0


SUITES = {
    "clover": PublicSuite("clover", SHARED / "cloverbench", "clover", True),
    "mbpp": PublicSuite("mbpp", SHARED / "mbpp-dfy-dev", "mbpp-dfy", True),
    "dafnybench": PublicSuite("dafnybench", SHARED / "dafnybench-dev" / "ground_truth", "dafnybench", False,
                              sample=4),
}


def p2s(*args: str) -> int:
    """Run the ``p2s`` command line of this checkout in a child process (its output goes to ours)."""
    return subprocess.call([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO)


def run_suite(suite: PublicSuite, out: Path, limit: int | None, workers: int, rerun_failed: bool = False) -> int:
    """Import (once) and bench one suite; the exit status of the bench (0 or 1: some task failed a stage)."""
    if not suite.source.is_dir():
        print(f"p2s: error: {suite.source}: not found (the shared data folder beside the repository)",
              file=sys.stderr)
        return 2
    tasks = out / "tasks" / suite.name
    if not tasks.is_dir():
        args = ["import", suite.format, str(suite.source), "--out", str(tasks), "--quiet"]
        if suite.record_expected:
            args += ["--record-expected", "--int-width", "fit"]
        if suite.sample:
            args += ["--sample-vectors", str(suite.sample)]
        if p2s(*args) == 2:
            return 2
    bench = ["bench", str(tasks), "--llm", "reference", "--workers", str(workers), "--out",
             str(out / f"bench-{suite.name}"), "--stages", ",".join(suite.stages)]
    if limit:
        bench += ["--limit", str(limit)]
    if rerun_failed:
        bench.append("--rerun-failed")
    return p2s(*bench)


def results(path: Path) -> list[dict]:
    """A journal's latest line per task (a rerun's line replaces the earlier one)."""
    return Journal(path).records() if path.is_file() else []


def record(out: Path, name: str, records: Path) -> None:
    """Copy a suite's bench results (latest line per task) to ``records/<name>.jsonl``, the committed figures."""
    source = out / f"bench-{name}" / "results.jsonl"
    if source.is_file():
        records.mkdir(parents=True, exist_ok=True)
        target = records / f"{name}.jsonl"
        shutil.copyfile(source, target)
        Journal(target).compact()


def reached(row: dict, stage: str) -> bool:
    """A stage the chain got through: it passed, or it had no vectors to check against (a sampled suite's task
    whose requires no drawn input met) and left its output to the next stage."""
    status = (row.get("stages") or {}).get(stage, {}).get("status")
    unchecked = status == "skipped" and (row.get("metrics") or {}).get(f"{stage}.vectors_total") == 0
    return status == "pass" or unchecked


def unchecked(rows: list[dict]) -> int:
    """How many tasks went through without vectors (their python, c and cosim checks had nothing to run)."""
    return sum((r.get("stages") or {}).get("python", {}).get("status") == "skipped" and reached(r, "python")
               for r in rows)


def funnel(rows: list[dict], stages: tuple[str, ...]) -> list[int]:
    """How many tasks get through every stage up to and including each of ``stages`` (:func:`reached`); the last
    stage counts only a pass."""
    counts = []
    alive = rows
    for i, stage in enumerate(stages):
        last = i == len(stages) - 1
        alive = [r for r in alive if ((r.get("stages") or {}).get(stage, {}).get("status") == "pass" if last
                                      else reached(r, stage))]
        counts.append(len(alive))
    return counts


def failures(rows: list[dict], stages: tuple[str, ...]) -> Counter:
    """(stage, reason kind) of each task's first failing stage among ``stages``."""
    from benchmarks.importers.common import reason_kind

    out: Counter = Counter()
    for r in rows:
        for stage in stages:
            st = (r.get("stages") or {}).get(stage, {})
            if not reached(r, stage):
                out[(stage, reason_kind(st.get("detail") or st.get("status") or "not run")[:110])] += 1
                break
    return out


def report(records: Path, names: list[str]) -> str:
    """Per suite: the funnel, the share of verified programs that pass the last stage, the grouped failures."""
    lines = []
    verified = passed = 0  # over the suites run to cosim
    counted: list[str] = []
    for name in names:
        suite = SUITES[name]
        rows = results(records / f"{name}.jsonl")
        if not rows:
            continue
        counts = funnel(rows, suite.stages)
        if suite.stages[-1] == "cosim" and not suite.sample:
            verified, passed = verified + counts[0], passed + counts[-1]
            counted.append(name)
        commits = Counter((r.get("commit") or "?")[:7] for r in rows)
        backends = sorted({str((r.get("metrics") or {}).get("rtl.backend")) for r in rows} - {"None"})
        lines += [f"## {name} ({len(rows)} tasks)", "",
                  f"Command: `python -m benchmarks.public_funnel --suites {name}`, measured at "
                  f"{', '.join(f'commit `{c}` ({k})' for c, k in commits.most_common())}"
                  f"{', HLS backend ' + ', '.join(backends) if backends else ''}.", "",
                  "| " + " | ".join(suite.stages) + " |", "|" + " --- |" * len(suite.stages),
                  "| " + " | ".join(str(c) for c in counts) + " |", ""]
        if counts and counts[0] and suite.sample:
            rtl = counts[suite.stages.index("rtl")]
            lines += [f"Of the {counts[0]} that verify, {rtl} ({rtl / counts[0]:.0%}) compile to RTL and "
                      f"{counts[-1]} ({counts[-1] / counts[0]:.0%}) pass {suite.stages[-1]} on up to "
                      f"{suite.sample} sampled vectors each; {unchecked(rows)} had no sampled vectors (no drawn input "
                      "met the requires): their python, c and cosim checks had nothing to run, the width proof and "
                      "gcc still ran, and they count toward RTL only.", ""]
        elif counts and counts[0]:
            lines += [f"Of the {counts[0]} that verify, {counts[-1]} ({counts[-1] / counts[0]:.0%}) pass "
                      f"{suite.stages[-1]}.", ""]
        lines += ["| first failing stage | reason | tasks |", "| --- | --- | --- |"]
        lines += [f"| {stage} | {why.replace('|', '/')} | {k} |"
                  for (stage, why), k in failures(rows, suite.stages).most_common()]
        lines.append("")
    if verified:
        lines = [f"**Public programs with vectors ({', '.join(counted)}): {passed} of the {verified} that verify reach "
                 f"a passing co-simulation ({passed / verified:.0%}).**", ""] + lines
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "public", help="imports and runs (resumed)")
    ap.add_argument("--suites", default="clover,mbpp,dafnybench", help="comma-separated: clover, mbpp, dafnybench")
    ap.add_argument("--limit", type=int, default=None, help="only the first N tasks of each suite")
    ap.add_argument("--workers", type=int, default=1, help="parallel bench workers (default 1)")
    ap.add_argument("--rerun-failed", action="store_true", help="run again the tasks that did not pass (after a fix)")
    ap.add_argument("--records", type=Path, default=RECORDS,
                    help="where each suite's results are copied after its run, and read by the report "
                         "(default benchmarks/results/public)")
    ap.add_argument("--report", action="store_true", help="only print the tables of the recorded runs")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.suites.split(",") if n.strip()]
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        print(f"p2s: error: --suites {','.join(unknown)}: unknown (use {', '.join(SUITES)})", file=sys.stderr)
        return 2
    if not args.report:
        for name in names:
            if run_suite(SUITES[name], args.out, args.limit, args.workers, args.rerun_failed) == 2:
                return 2
            record(args.out, name, args.records)
    print(report(args.records, names), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
