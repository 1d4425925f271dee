"""p2s bench: run a suite in batch, resumable, with a per-stage funnel summary and a report."""

from __future__ import annotations

import argparse
import time

HELP = "run a suite of tasks in batch (resumable) and write summary.json and report.md"
EPILOG = """examples:
  p2s bench core --llm reference --workers 2 --out runs/bench-reference
  p2s bench core --split test --llm embedded --agent repair --attempts 3 --out runs/bench-repair
  p2s bench path/to/suite_dir --hls circt --runner docker
Re-running the same command resumes: tasks already in OUT/results.jsonl are not run again, except tasks
whose YAML changed since (and, with --rerun-failed, those that did not pass every stage).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suite", help="suite name (e.g. core) or a folder of task YAML files")
    p.add_argument("--split", choices=["train", "test"], help="only tasks of this split")
    p.add_argument("--llm", default="reference", help="LLM spec: reference (default), embedded, openai:MODEL, ...")
    p.add_argument("--agent", default="none", help="none, repair, best-of-n, preface-lite, preface")
    p.add_argument("--attempts", type=int, default=None, help="attempt budget per task (default: 1 for none, else 7)")
    p.add_argument("--checkpoint", help="policy checkpoint for a trained agent")
    p.add_argument("--hls", default="circt", help="HLS backend (circt, bambu, vitis, vivado)")
    p.add_argument("--runner", default="local", choices=["local", "docker"], help="where the toolchain stages run")
    p.add_argument("--workers", type=int, default=1, help="parallel worker processes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, default=None, help="sampling temperature for the LLM")
    p.add_argument("--limit", type=int, default=None, help="only the first N tasks")
    p.add_argument("--stages", help="comma-separated stages to run (default: all; e.g. verify,python)")
    p.add_argument("--rerun-failed", action="store_true",
                   help="resume, but run again the tasks whose earlier line is not a full pass")
    p.add_argument("--out", help="batch folder (default runs/bench__{suite}__{llm}__{agent}__{time})")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.batch import BatchConfig, run_batch
    from pipeline.errors import UserError
    from pipeline.runner import STAGES

    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    stages = list(STAGES)
    if args.stages:
        stages = [s.strip() for s in args.stages.split(",") if s.strip()]
        unknown = [s for s in stages if s not in STAGES]
        if unknown:
            raise UserError(f"unknown stage(s) {', '.join(unknown)} in --stages (valid: {', '.join(STAGES)})")
    attempts = args.attempts if args.attempts is not None else (1 if args.agent == "none" else 7)
    name = Path(args.suite).name or "suite"
    llm = args.llm.replace(":", "-").replace("/", "_")
    out = args.out or f"runs/bench__{name}__{llm}__{args.agent}__{time.strftime('%Y%m%d-%H%M%S')}"
    config = BatchConfig(
        suite=args.suite,
        out_dir=out,
        split=args.split,
        llm=args.llm,
        agent=args.agent,
        attempts=attempts,
        checkpoint=args.checkpoint,
        hls=args.hls,
        runner=args.runner,
        workers=args.workers,
        seed=args.seed,
        temperature=args.temperature,
        limit=args.limit,
        stages=stages,
        rerun_failed=args.rerun_failed,
    )
    summary = run_batch(config)
    funnel = "  ".join(f"{s} {v['pass']}/{summary['tasks']}" for s, v in summary["stages"].items())
    print(f"{summary['ok']} of {summary['tasks']} tasks passed every stage")
    print(funnel)
    print(f"report: {out}/report.md")
    return 0 if summary["tasks"] and summary["ok"] == summary["tasks"] else 1
