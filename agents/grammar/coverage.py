"""How much of real Dafny the grammar accepts, without a model.

Run ``python -m agents.grammar.coverage`` (``--rejects`` lists every reject with the line where the match
stopped; ``--only core|clover|dafnybench``). It prints the share accepted of

* every ``reference:`` of ``benchmarks/suites/core/*.yaml`` and ``benchmarks/examples/*.yaml``, twice: under
  the general :func:`~agents.grammar.dafny.program_grammar` and under the task's own
  :func:`~agents.grammar.dafny.task_grammar` (header and pinned clauses forced);
* CloverBench's verified programs (``../shared/data/cloverbench/textbook_algo/*/*_strong.dfy``, Dafny 4);
* DafnyBench's ground truth (``../shared/data/dafnybench-dev/ground_truth/*.dfy``, Dafny 4, anything goes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from agents.grammar.dafny import program_grammar, task_grammar
from agents.grammar.recognize import Recognizer, Verdict

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
CORE_GLOBS = ("benchmarks/suites/core/*.yaml", "benchmarks/examples/*.yaml")


def normalize(program: str) -> str:
    """The program as the grammar sees it: ``\\n`` line ends, ending in one newline."""
    return program.replace("\r\n", "\n").replace("\r", "\n").rstrip() + "\n"


def reference_tasks():
    from pipeline.task import load_task

    for pattern in CORE_GLOBS:
        for path in sorted(ROOT.glob(pattern)):
            task = load_task(path)
            if task.reference:
                yield path.relative_to(ROOT), task


def _line(name: str, v: Verdict) -> str:
    return f"  {name}: line {v.line} col {v.column}: {v.context.strip()[:100]!r}"


def check_references(show: bool = True) -> dict[str, tuple[int, int, list[str]]]:
    general = Recognizer(program_grammar())
    out = {"core+examples (program_grammar)": [0, 0, []], "core+examples (task_grammar)": [0, 0, []]}
    for path, task in reference_tasks():
        text = normalize(task.reference)
        for key, rec in (("core+examples (program_grammar)", general),
                         ("core+examples (task_grammar)", Recognizer(task_grammar(task, "bare")))):
            v = rec.accepts(text)
            entry = out[key]
            entry[1] += 1
            if v:
                entry[0] += 1
            else:
                entry[2].append(_line(str(path), v))
    return {k: tuple(v) for k, v in out.items()}


def check_files(files: list[Path]) -> tuple[int, int, list[str]]:
    rec = Recognizer(program_grammar())
    ok, rejects = 0, []
    for f in files:
        v = rec.accepts(normalize(f.read_text(encoding="utf-8", errors="replace")))
        if v:
            ok += 1
        else:
            rejects.append(_line(f.name, v))
    return ok, len(files), rejects


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rejects", action="store_true", help="list every reject and where the match stopped")
    ap.add_argument("--only", choices=("core", "clover", "dafnybench"))
    args = ap.parse_args(argv)
    results: dict[str, tuple[int, int, list[str]]] = {}
    start = time.monotonic()
    if args.only in (None, "core"):
        results.update(check_references())
    if args.only in (None, "clover"):
        files = sorted((SHARED / "cloverbench" / "textbook_algo").glob("*/*_strong.dfy"))
        results["cloverbench textbook_algo"] = check_files(files)
    if args.only in (None, "dafnybench"):
        files = sorted((SHARED / "dafnybench-dev" / "ground_truth").glob("*.dfy"))
        results["dafnybench-dev ground_truth"] = check_files(files)
    for label, (ok, total, rejects) in results.items():
        share = 100.0 * ok / total if total else 0.0
        print(f"{label}: {ok}/{total} accepted ({share:.1f}%)")
        if args.rejects or label.startswith("core"):
            for line in rejects:
                print(line)
    print(f"({time.monotonic() - start:.1f}s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
