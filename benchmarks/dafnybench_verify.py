"""How many DafnyBench programs (Dafny 4, written by others) the installed Dafny verifies, as they are and
through the dialect bridge, and why the rest fail, by phase.

Usage::

    .venv/bin/python -m benchmarks.dafnybench_verify [--data DIR] [--records FILE] [--timeout S] [--limit N]
    .venv/bin/python -m benchmarks.dafnybench_verify --report      # the table from the records alone
    .venv/bin/python -m benchmarks.dafnybench_verify --remeasure-failed   # after a fix: the failures again

``DIR`` defaults to ``../shared/data/dafnybench-dev/ground_truth`` next to the repository (705 programs).
Each program is verified twice, without a task: by Dafny on the file as it is, and by
:func:`verifiers.api.verify_source` (bridge + Dafny, escapes listed as trusted rather than rejected, as
``p2s verify`` does). One JSON line per program goes to ``FILE`` (default
``benchmarks/results/dafnybench/records.jsonl``) as soon as it is measured, with the commit it was measured
at (a :class:`~pipeline.journal.Journal`: a kill leaves at most a partial last line, dropped on reading); a rerun
skips the programs already there, so an interrupted measurement resumes where it stopped.

The figure of merit is ``dafny_verified`` through the bridge: Dafny's own yes on the bridged program, whether
or not it trusts body-less declarations (those are counted beside it).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

from pipeline.journal import Journal

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "dafnybench-dev" / "ground_truth"
DEFAULT_RECORDS = REPO / "benchmarks" / "results" / "dafnybench" / "records.jsonl"


def first_error(result) -> str:
    """The first error's message, one line, at most 160 characters ("" when there is none)."""
    errs = result.errors
    return " ".join(errs[0].message.split())[:160] if errs else ""


def measure_one(path: Path, timeout: float, dafny) -> dict:
    """The record of one program: Dafny's verdict as it is and through the bridge, what is trusted, why not."""
    from verifiers.api import verify_source

    source = path.read_text(encoding="utf-8")
    as_is = dafny.verify(source, timeout=timeout)
    bridged = verify_source(source, None, timeout=timeout, dafny=dafny)
    return {
        "name": path.stem,
        "as_is": "verified" if as_is.verified and as_is.verified_count else as_is.phase,
        "phase": bridged.phase,
        "dafny_verified": bridged.dafny_verified,
        "verified": bridged.verified,
        "trusted": sorted({t["kind"] for t in bridged.trusted}),
        "why": "" if bridged.dafny_verified else first_error(bridged),
        "seconds": round(as_is.seconds + bridged.seconds, 2),
        "dafny": bridged.dafny_version,
    }


def drop_failed(records: Path, phases: set[str] | None = None) -> int:
    """Remove the records of programs Dafny did not verify (only those in ``phases`` when given), to measure
    them again after a fix; returns how many were removed."""
    if not records.is_file():
        return 0
    return Journal(records, key_field="name").retain(
        lambda r: r["dafny_verified"] or (phases is not None and r["phase"] not in phases))


def run(data: Path, records: Path, timeout: float, limit: int | None) -> int:
    from pipeline.provenance import git_commit
    from verifiers.dafny import Dafny

    paths = sorted(data.glob("*.dfy"))
    if not paths:
        print(f"p2s: error: no .dfy programs under {data} (give --data the ground_truth folder)", file=sys.stderr)
        return 2
    journal = Journal(records, key_field="name")
    done = journal.done_keys()
    todo = [p for p in paths if p.stem not in done][:limit]
    print(f"{len(paths)} programs, {len(done)} already measured, {len(todo)} to go", file=sys.stderr)
    dafny = Dafny()
    commit = git_commit()
    start = time.monotonic()
    for k, path in enumerate(todo, 1):
        rec = measure_one(path, timeout, dafny) | {"commit": commit}
        journal.append(rec)
        rate = (time.monotonic() - start) / k
        print(f"[{k}/{len(todo)}] {rec['name']}: {rec['phase']}{' (dafny verified)' if rec['dafny_verified'] else ''}"
              f" {rec['seconds']:.0f}s; ~{rate * (len(todo) - k) / 60:.0f} min left", file=sys.stderr)
    return 0


_NAMES = re.compile(r"'[^']*'|`[^`]*`|\b\w+\.dfy\b|\d+")


def reason(why: str) -> str:
    """A failure message with its names and numbers blanked, so that like failures count together."""
    return _NAMES.sub("_", why)[:90]


def report(records: Path, top: int = 6) -> str:
    """Markdown: totals, phases through the bridge, trusted kinds, and the commonest reasons per phase."""
    recs = Journal(records, key_field="name").records()
    n = len(recs)
    if not n:
        return "no records yet\n"
    dv = sum(r["dafny_verified"] for r in recs)
    strict = sum(r["verified"] for r in recs)
    as_is = sum(r["as_is"] == "verified" for r in recs)
    commits = Counter(r.get("commit", "?") for r in recs)
    lines = [
        f"{n} programs, measured at {', '.join(f'commit `{c[:7]}` ({k})' for c, k in commits.most_common())} "
        f"with Dafny {recs[0].get('dafny', '?')}.",
        "",
        "| | programs | share |",
        "| --- | --- | --- |",
        f"| Dafny verifies as they are | {as_is} | {as_is / n:.0%} |",
        f"| Dafny verifies through the bridge (`dafny_verified`) | {dv} | {dv / n:.0%} |",
        f"| ... with nothing trusted (`verified`) | {strict} | {strict / n:.0%} |",
        "",
        "Through the bridge, programs that Dafny does not verify, by phase:",
        "",
        "| phase | programs | commonest reasons |",
        "| --- | --- | --- |",
    ]
    failed = [r for r in recs if not r["dafny_verified"]]
    for phase, k in Counter(r["phase"] for r in failed).most_common():
        reasons = Counter(reason(r["why"]) for r in failed if r["phase"] == phase).most_common(top)
        text = "; ".join(f"{why or '(no message)'} ({c})" for why, c in reasons).replace("|", "\\|")
        lines.append(f"| {phase} | {k} | {text} |")
    trusted = Counter(kind for r in recs if r["dafny_verified"] for kind in r["trusted"])
    if trusted:
        lines += ["", "What the Dafny-verified programs trust (programs per kind):", "",
                  "| trusted | programs |", "| --- | --- |"]
        lines += [f"| {kind} | {c} |" for kind, c in trusted.most_common()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the folder of .dfy programs")
    ap.add_argument("--records", type=Path, default=DEFAULT_RECORDS, help="the JSON-lines record (appended)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per Dafny call (default 60)")
    ap.add_argument("--limit", type=int, default=None, help="measure at most N more programs")
    ap.add_argument("--report", action="store_true", help="only print the table of the records")
    ap.add_argument("--remeasure-failed", nargs="?", const="all", metavar="PHASES",
                    help="drop the records of programs Dafny did not verify (only those whose phase is in the "
                         "comma-separated PHASES, e.g. parse,resolution), then measure those again")
    args = ap.parse_args(argv)
    if args.remeasure_failed:
        phases = None if args.remeasure_failed == "all" else set(args.remeasure_failed.split(","))
        print(f"{drop_failed(args.records, phases)} failed record(s) dropped; measuring them again",
              file=sys.stderr)
    if not args.report:
        rc = run(args.data, args.records, args.timeout, args.limit)
        if rc:
            return rc
    if not args.records.is_file():
        print(f"p2s: error: no records at {args.records} (run without --report first)", file=sys.stderr)
        return 2
    print(report(args.records), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
