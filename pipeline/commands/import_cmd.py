"""p2s import: convert public Dafny suites (MBPP-DFY, DafnyBench, CloverBench) into task YAML files."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

HELP = "convert a public Dafny suite (mbpp-dfy, dafnybench, clover) into task YAML files"
EPILOG = """formats:
  mbpp-dfy    the dafny-synthesis data: a program folder (the dataset root, MBPP-DFY-153 with src/ and
              test/, or its src/): one task per verified program, vectors from its test program's calls,
              asserts and //expected comments, descriptions from the task file beside it when there is one;
              or the task file (mbpp-san-dfy-228-*.json), where --solutions DIR adds the verified programs
              task_id_<N>.dfy as references (paired by name, else by parameter and result types)
  dafnybench  folders of verified .dfy programs: one task per program (first usable method), no vectors
  clover      CloverBench: the dataset root or its textbook_algo folder (descriptions, strong programs,
              unit-test calls and their commented expectations as vectors)

Every task that cannot be converted is listed with the reason. The output folder also gets
import_report.json (converted ids, skipped tasks with reasons, warnings).
Exit status: 0 when anything was converted (skips are listed, and counted by reason), 1 when nothing
was, 2 bad input.

examples:
  p2s import mbpp-dfy ../shared/data/mbpp-dfy-dev --out tasks/mbpp --record-expected
  p2s import mbpp-dfy mbpp-san-dfy-228-all-task-test.json --solutions MBPP-DFY-153/src --out tasks/mbpp
  p2s import dafnybench DafnyBench/programs --out tasks/dafnybench --verify
  p2s import dafnybench ../shared/data/dafnybench-dev/ground_truth --out tasks/db --sample-vectors 4
  p2s import clover ../shared/data/cloverbench --out tasks/clover --record-expected --int-width fit
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("format", choices=["mbpp-dfy", "dafnybench", "clover"], help="the source format")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="input files or folders")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the task YAML files")
    p.add_argument("--solutions", metavar="DIR", help="mbpp-dfy: folder of verified task_id_<N>.dfy programs")
    p.add_argument("--method", metavar="NAME", help="dafnybench: the target method's name in every program")
    p.add_argument("--verify", action="store_true",
                   help="verify every reference with Dafny (through the integrity gate); skip those that fail")
    p.add_argument("--record-expected", action="store_true",
                   help="run each reference with Dafny on its vectors: fill those that have inputs only and "
                        "check the stated expectations (a published value the reference disagrees with is "
                        "corrected, with a warning)")
    p.add_argument("--sample-vectors", metavar="N", type=int, default=0,
                   help="give each task without vectors up to N drawn at random (small values, short arrays), "
                        "kept only where Dafny proves the requires hold, outputs from the reference run "
                        "(stated in each task's metadata.vectors_from)")
    p.add_argument("--seed", type=int, default=0, help="--sample-vectors: the drawing seed")
    p.add_argument("--int-width", metavar="W", type=_int_width, default=None,
                   help="the hardware input width of every int/nat: 8, 16, 32 or 64, or 'fit': the narrowest "
                        "that holds every integer input of the task's vectors (stated in each task's hardware "
                        "section; default: 32)")
    p.add_argument("--workers", type=int, default=2,
                   help="Dafny processes for --verify/--record-expected/--sample-vectors")
    p.add_argument("--quiet", action="store_true", help="print skipped tasks and the summary, not the warnings")


def _every(step: int, what: str):
    """A progress callback printing ``what: done/total`` to stderr every ``step`` tasks (long imports run
    hundreds of Dafny processes; a rerun resumes from the sample cache)."""
    import sys

    def show(done: int, total: int) -> None:
        if done % step == 0 or done == total:
            print(f"{what}: {done}/{total}", file=sys.stderr, flush=True)

    return show


def _int_width(text: str) -> str | int:
    from benchmarks.importers.common import INT_WIDTHS

    if text == "fit":
        return text
    if text in {str(w) for w in INT_WIDTHS}:
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r}: use {', '.join(map(str, INT_WIDTHS))} or fit")


def run(args: argparse.Namespace) -> int:
    from benchmarks.importers import run_import
    from benchmarks.importers.checks import record_expected, verify_tasks
    from pipeline.errors import UserError

    result = run_import(args.format, args.sources, solutions=args.solutions, method=args.method)
    if args.sample_vectors < 0:
        raise UserError(f"--sample-vectors {args.sample_vectors}: give a count of 1 or more (0: none)")
    if (args.verify or args.record_expected or args.sample_vectors) and result.tasks:
        from benchmarks.check_suite import dafny_executable

        if dafny_executable() is None:
            raise UserError("--verify/--record-expected/--sample-vectors need Dafny: install it (make setup) or "
                            "set P2S_DAFNY")
    if args.verify:
        verified = verify_tasks(result, args.workers)
        print(f"verified {verified} reference(s)")
    if args.record_expected:
        changed = record_expected(result, args.workers)
        print(f"ran the references: {changed} vector(s) filled or corrected from their outputs")
    if args.sample_vectors:
        from benchmarks.importers.sampling import sample_vectors

        got = sample_vectors(result, args.sample_vectors, args.seed, args.workers, progress=_every(25, "sampling"))
        print(f"sampled vectors for {got} task(s)")
    if args.int_width is not None:
        from benchmarks.importers.common import fitted_int_width

        for task in result.tasks:
            task.hardware.int_width = fitted_int_width(task) if args.int_width == "fit" else args.int_width
    written = result.write(args.out)
    report = {
        "format": args.format,
        "sources": [str(s) for s in args.sources],
        "converted": [t.id for t in result.tasks],
        "skipped": [asdict(s) for s in result.skipped],
        "warnings": result.warnings,
    }
    Path(args.out, "import_report.json").write_text(json.dumps(report, indent=2) + "\n")
    if not args.quiet:
        for w in result.warnings:
            print(f"warning: {w}")
    for s in result.skipped:
        print(f"skipped {s.name}: {s.reason}")
    print(f"{result.summary()}; wrote {len(written)} file(s) to {args.out}")
    return 0 if result.tasks else 1
