"""Differential measurement of the Dafny -> Python compiler against Dafny's own compiled programs.

For every program in CloverBench's ``textbook_algo_unit_tests`` (a method, a test method that prints, ``Main``):

* Dafny's output: the program through the dialect bridge (Dafny 4 -> 2.3), compiled to C# and run by Dafny
  itself (``dafny /compile:4 /noVerify``: compile and run whether or not it verifies; verifying is the verify
  stage's job, here only the behaviour is compared);
* our output: the same source through :func:`hls.dafny_python.compile_program`, run with Python;
* a verdict: ``same``, ``differs``, ``unsupported`` (the compiler refused, with the construct), ``crashed``
  (the compiled module raised), or ``dafny-failed`` (Dafny could not compile or run it: nothing to compare).

Run it from the repository root::

    .venv/bin/python benchmarks/clover_python.py                 # all programs, a table and the total
    .venv/bin/python benchmarks/clover_python.py --only abs swap  # a few programs
    .venv/bin/python benchmarks/clover_python.py --json out.json  # also write per-program records

The figure is ``same / compared`` where ``compared`` excludes ``dafny-failed`` programs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pipeline.errors import UserError  # noqa: E402
from pipeline.process import run_command  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "cloverbench" / "textbook_algo_unit_tests"
VERIFIER_LINE = "Dafny program verifier finished"


@dataclass
class Record:
    """One program's outcome."""

    name: str
    verdict: str
    reason: str = ""
    dafny_output: str | None = None
    python_output: str | None = None
    seconds: float = 0.0


def program_files(data: Path, only: list[str] | None = None) -> list[Path]:
    """``<data>/<name>/<name>_tests.dfy`` for every program folder (those named in ``only``, if given)."""
    files = sorted(data.glob("*/*_tests.dfy"))
    if only:
        files = [f for f in files if f.parent.name in only]
    return files


def dafny_output(source: str, timeout: float = 300.0) -> tuple[str | None, str]:
    """What Dafny's own compiled program prints (``None`` and the reason when Dafny cannot compile or run it)."""
    from verifiers.bridge import bridge
    from verifiers.dafny import Dafny

    dafny = Dafny()
    text = bridge(source, dafny.dialect).text
    with tempfile.TemporaryDirectory(prefix="p2s-clover-") as scratch:
        Path(scratch, "program.dfy").write_text(text, encoding="utf-8")
        res = run_command([dafny.path, "/compile:4", "/noVerify", "/compileVerbose:0", "program.dfy"],
                          cwd=scratch, timeout=timeout)
    if res.timed_out:
        return None, f"dafny timed out after {timeout:g} s"
    out = res.stdout
    if VERIFIER_LINE not in out:
        errors = [ln for ln in res.output.splitlines() if "Error" in ln or "error" in ln]
        return None, (errors[0] if errors else f"dafny exited with {res.returncode}").strip()
    after = out.split(VERIFIER_LINE, 1)[1].split("\n", 1)
    program_out = after[1] if len(after) > 1 else ""
    if "Errors compiling program" in program_out or res.returncode != 0:
        first = next((ln for ln in program_out.splitlines() if "error" in ln.lower()), f"exit {res.returncode}")
        return None, first.strip()
    return program_out, ""


def python_output(source: str, name: str, timeout: float = 60.0) -> tuple[str, str | None, str]:
    """(verdict so far, output, reason): compile with our compiler and run the module's ``Main``."""
    from hls.dafny_python import UnsupportedConstruct, compile_program

    try:
        module = compile_program(source, source_name=name)
    except UnsupportedConstruct as exc:
        return "unsupported", None, str(exc)
    except UserError as exc:
        return "rejected", None, str(exc)
    if not module.has_main:
        return "unsupported", None, "no Main method"
    with tempfile.TemporaryDirectory(prefix="p2s-clover-py-") as scratch:
        path = Path(scratch, f"{name}.py")
        path.write_text(module.text, encoding="utf-8")
        res = run_command([sys.executable, str(path)], cwd=scratch, timeout=timeout, memory_mb=2048,
                          env={"PYTHONIOENCODING": "utf-8"})
    if res.timed_out:
        return "crashed", res.stdout, f"timed out after {timeout:g} s"
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or [f"exit {res.returncode}"])[-1]
        return "crashed", res.stdout, last
    return "ran", res.stdout, ""


def measure(path: Path) -> Record:
    start = time.monotonic()
    name = path.parent.name
    source = path.read_text(encoding="utf-8")
    try:
        expected, why = dafny_output(source)
    except UserError as exc:
        expected, why = None, str(exc)
    if expected is None:
        return Record(name, "dafny-failed", why, seconds=time.monotonic() - start)
    verdict, got, reason = python_output(source, name)
    if verdict == "ran":
        verdict = "same" if got == expected else "differs"
        if verdict == "differs":
            reason = _first_difference(expected, got or "")
    return Record(name, verdict, reason, expected, got, time.monotonic() - start)


def _first_difference(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False)):
        if x != y:
            return f"line {i + 1}: dafny {x!r} vs python {y!r}"
    return f"dafny printed {len(a)} characters, python {len(b)}"


def run(data: Path = DEFAULT_DATA, only: list[str] | None = None, workers: int = 2) -> list[Record]:
    """Measure every program (``workers`` at a time; keep it at 2 or less on a shared machine)."""
    files = program_files(data, only)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(measure, files))


def summary(records: list[Record]) -> dict[str, object]:
    counts: dict[str, int] = {}
    for r in records:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    compared = len(records) - counts.get("dafny-failed", 0)
    same = counts.get("same", 0)
    return {
        "programs": len(records),
        "compared": compared,
        "same": same,
        "same_fraction": same / compared if compared else 0.0,
        "counts": counts,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of <name>/<name>_tests.dfy programs")
    ap.add_argument("--only", nargs="*", help="program names to run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write per-program records and the summary here")
    ap.add_argument("--show", action="store_true", help="print both outputs of programs that differ")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"clover_python: no such folder {args.data}", file=sys.stderr)
        return 2
    start = time.monotonic()
    records = run(args.data, args.only, args.workers)
    width = max((len(r.name) for r in records), default=10)
    for r in records:
        print(f"{r.name:<{width}}  {r.verdict:<12} {r.seconds:5.1f}s  {r.reason}")
        if args.show and r.verdict == "differs":
            print("    dafny :", repr(r.dafny_output))
            print("    python:", repr(r.python_output))
    s = summary(records)
    print(f"\nsame output: {s['same']}/{s['compared']} compared programs ({100 * s['same_fraction']:.1f}%); "
          f"{s['programs']} programs, verdicts {s['counts']}; {time.monotonic() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"summary": s, "records": [asdict(r) for r in records]}, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    sys.exit(main())
