"""Run ``p2s synth``'s chain over task files with each task's reference solution, and tabulate the stages.

    python -m benchmarks.synth_suite benchmarks/examples/*.yaml benchmarks/suites/core/*.yaml --out runs/synth-suite

Each task's ``reference`` Dafny (``benchmarks/examples/max_array.yaml`` has its program next to it) goes
through verify → python → c → rtl → cosim → estimate (place and route off unless ``--fmax``); one line per
task (status of every stage, cycles per vector, LUT/FF), then counts of where the others stopped. This is
the measurement behind the "Hardware backends" figure in the README; it is slow (a verifier call and a
yosys run per task), so it is a script, not a test.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from pipeline.runner import run_dafny_file, write_report
from pipeline.stage import DEFAULT_HLS, RunOptions, Status
from pipeline.task import load_task


def reference_program(task_path: Path, task) -> str | None:
    sibling = task_path.with_suffix(".dfy")
    if task.reference:
        return task.reference
    return sibling.read_text() if sibling.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+", help="task YAML files")
    parser.add_argument("--out", default="runs/synth-suite", help="folder for the run folders")
    parser.add_argument("--hls", default=DEFAULT_HLS)
    parser.add_argument("--fmax", action="store_true", help="also place and route (nextpnr-ice40)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    stops: collections.Counter = collections.Counter()
    passed = 0
    for path in map(Path, args.tasks):
        task = load_task(path)
        program = reference_program(path, task)
        if program is None:
            print(f"{task.id:28s} no reference program", flush=True)
            continue
        run_dir = out / task.id
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "reference.dfy").write_text(program)
        start = time.monotonic()
        ctx = run_dafny_file(task, run_dir / "reference.dfy", run_dir,
                             RunOptions(hls=args.hls, extra={"fmax": args.fmax}))
        write_report(ctx)
        stages = " ".join(f"{r.stage}={r.status.value}" for r in ctx.results)
        cosim, est = ctx.result("cosim"), ctx.result("estimate")
        cycles = cosim.metrics.get("cycles") if cosim else None
        lut, ff = (est.metrics.get("lut"), est.metrics.get("ff")) if est and est.metrics else (None, None)
        print(f"{task.id:28s} {time.monotonic() - start:6.1f}s {stages} cycles={cycles} lut={lut} ff={ff}", flush=True)
        blocker = next((r for r in ctx.results if r.status is not Status.PASS), None)
        if blocker is None:
            passed += 1
        else:
            stops[blocker.stage] += 1
            print(f"    {blocker.stage}: {blocker.detail[:200]}", flush=True)
    print(f"\n{passed} of {passed + sum(stops.values())} tasks pass every stage; stopped at: {dict(stops)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
