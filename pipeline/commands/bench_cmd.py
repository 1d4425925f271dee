"""p2s bench: run a suite in batch, resumable, with a per-stage funnel summary and a report."""

from __future__ import annotations

import argparse
import time

from agents.env import DEFAULT_BUDGET
from pipeline.commands.hw_args import add_formal_argument, add_hls_argument, add_runner_argument
from pipeline.commands.llm_args import add_grammar_argument, add_llm_call_arguments, llm_call_options

HELP = "run a suite of tasks in batch (resumable) and write summary.json and report.md"
EPILOG = """examples:
  p2s bench core --llm reference --workers 2 --out runs/bench-reference
  p2s bench core --split test --llm embedded --agent repair --attempts 3 --out runs/bench-repair
  # a trained agent: verified rate with a 95% CI over 3 seeds, attempts and tokens per verified task
  p2s bench core --split test --llm embedded --agent preface-lite --checkpoint runs/lite --seeds 0,1,2 --stages verify
  p2s bench path/to/suite_dir --hls circt --runner container
  p2s bench core --llm reference --executor ray --address 10.0.0.5:6379 --out /shared/runs/core
Re-running the same command resumes: tasks already in OUT/results.jsonl are not run again, except tasks
whose YAML changed since, tasks that met an infrastructure error (an LLM outage, a crashed worker: listed
in the report, left out of every figure) and, with --rerun-failed, those that did not pass every stage.
OUT holds one configuration (LLM and model file, agent, checkpoint, budget, seed, stages, backend, tool
versions): another one is refused with what differs (--force discards the old results); one bench at a
time writes OUT (--wait queues). OUT/report.md, report.csv (and --latex report.tex) have one row per task.
With --seeds the batch runs once per seed in OUT/seed-N/; OUT/summary.json and OUT/report.md pool them.
With an LLM, summary.json has a "generation" block: verified rate (per seed, mean, 95% CI), attempts and
tokens per verified task.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suite", help="suite name (e.g. core) or a folder of task YAML files")
    p.add_argument("--split", choices=["train", "test"], help="only tasks of this split")
    p.add_argument("--llm", default="reference", help="LLM spec: reference (default), embedded, openai:MODEL, ...")
    p.add_argument("--agent", default="none", help="none, repair, best-of-n, preface-lite, preface")
    p.add_argument("--attempts", type=int, default=None,
                   help=f"attempt budget per task (default {DEFAULT_BUDGET}; none uses one)")
    p.add_argument("--checkpoint", help="policy checkpoint for a trained agent")
    add_hls_argument(p)
    add_runner_argument(p)
    p.add_argument("--workers", type=int, default=1,
                   help="parallel worker processes (with --executor ray and no --address: the local Ray's CPUs)")
    p.add_argument("--executor", default="local", choices=["local", "ray"],
                   help="where tasks run: local processes (default) or Ray tasks (docs/cluster.md)")
    p.add_argument("--address", help="with --executor ray: the cluster (HOST:PORT, or auto); default a local Ray")
    p.add_argument("--task-cpus", type=float, default=1.0, help="with --executor ray: CPUs each task asks for")
    p.add_argument("--task-memory-mb", type=int, default=None,
                   help="with --executor ray: memory each task asks for (MB; Ray schedules by it)")
    p.add_argument("--seed", type=int, default=None, help="sampling seed of a single run (default 0)")
    p.add_argument("--seeds", help="comma-separated seeds: one batch each in OUT/seed-N/, CI over seeds (e.g. 0,1,2)")
    p.add_argument("--temperature", type=float, default=None,
                   help="sampling temperature (default: the agent's own, 0 for none and 0.75 for the others)")
    p.add_argument("--max-tokens", type=int, default=None, help="reply length limit (default: the agent's own)")
    p.add_argument("--prompt", default="auto", choices=["auto", "chat", "completion"],
                   help="prompt style (auto: few-shot completion for embedded models, chat otherwise)")
    p.add_argument("--limit", type=int, default=None, help="only the first N tasks")
    p.add_argument("--stages", help="comma-separated stages to run (default: all; e.g. verify,python)")
    p.add_argument("--rerun-failed", action="store_true",
                   help="resume, but run again the tasks whose earlier line is not a full pass")
    p.add_argument("--out", help="batch folder (default runs/bench__{suite}__{llm}__{agent}__{time})")
    p.add_argument("--force", action="store_true",
                   help="OUT holds results of another configuration: discard them instead of refusing")
    p.add_argument("--wait", action="store_true", help="another bench is writing OUT: wait for it instead of refusing")
    p.add_argument("--latex", action="store_true", help="also write OUT/report.tex (the per-task table)")
    add_formal_argument(p)
    add_grammar_argument(p)
    add_llm_call_arguments(p)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.batch import BatchConfig, run_batch
    from pipeline.commands.run_cmd import check_out_dir, check_replay_file
    from pipeline.errors import UserError
    from pipeline.provenance import command_line
    from pipeline.runner import STAGE_ORDER, STAGES

    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    check_executor(args)
    stages = list(STAGE_ORDER)
    if args.stages:
        stages = [STAGES.check(s.strip()) for s in args.stages.split(",") if s.strip()]
    check_agent(args.agent, args.checkpoint)
    check_replay_file(args.llm)
    seeds = parse_seeds(args.seeds) if args.seeds else None
    if seeds is not None and args.seed is not None:
        raise UserError("give --seed (one run) or --seeds (one run per seed), not both")
    attempts = args.attempts if args.attempts is not None else DEFAULT_BUDGET
    if attempts < 1:
        raise UserError("--attempts must be at least 1")
    if args.out:
        check_out_dir(args.out, given=True)
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
        executor=args.executor,
        address=args.address,
        task_cpus=args.task_cpus,
        task_memory_mb=args.task_memory_mb,
        seed=args.seed or 0,
        seeds=seeds,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        prompt_style=args.prompt,
        grammar=args.grammar,
        formal=args.formal,
        formal_timeout=args.formal_timeout,
        limit=args.limit,
        stages=stages,
        rerun_failed=args.rerun_failed,
        llm_options=llm_call_options(args),
        force=args.force,
        wait=args.wait,
        latex=args.latex,
        command=command_line(),
    )
    summary = run_batch(config)
    print_summary(summary, out)
    return 0 if summary["tasks"] and summary["ok"] == summary["tasks"] else 1


def check_agent(agent: str, checkpoint: str | None) -> None:
    """A wrong agent or checkpoint is one error before the batch, not one failed record per task."""
    from agents.policies import POLICY_NAMES, make_policy
    from pipeline.errors import UserError

    if agent not in POLICY_NAMES:
        raise UserError(f"unknown agent {agent!r}; valid agents: {', '.join(POLICY_NAMES)}")
    if checkpoint is not None:
        make_policy(agent, checkpoint)  # loads it once: a missing file or another agent's checkpoint stops here


def check_executor(args: argparse.Namespace) -> None:
    """Ray's options without Ray, or resources that no scheduler could meet, are one error up front."""
    from pipeline.errors import UserError

    if args.executor != "ray":
        used = [flag for flag, value in (("--address", args.address), ("--task-memory-mb", args.task_memory_mb))
                if value is not None] + (["--task-cpus"] if args.task_cpus != 1.0 else [])
        if used:
            raise UserError(f"{', '.join(used)} apply to --executor ray; add --executor ray or leave them out")
    if args.task_cpus <= 0:
        raise UserError(f"--task-cpus {args.task_cpus}: give a positive number of CPUs, e.g. --task-cpus 1")
    if args.task_memory_mb is not None and args.task_memory_mb <= 0:
        raise UserError(f"--task-memory-mb {args.task_memory_mb}: give a positive size in MB, e.g. 4096")


def parse_seeds(text: str) -> list[int]:
    """``0,1,2`` -> [0, 1, 2] (duplicates dropped, order kept)."""
    from pipeline.errors import UserError

    try:
        seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UserError(f"--seeds {text!r}: give comma-separated integers, e.g. --seeds 0,1,2") from None
    if not seeds:
        raise UserError("--seeds is empty: give comma-separated integers, e.g. --seeds 0,1,2")
    return list(dict.fromkeys(seeds))


def print_summary(summary: dict, out: str) -> None:
    """The funnel, the generation figures when an LLM wrote the Dafny, and where the report is."""
    from pipeline.summary import generation_line

    what = f"task runs ({len(summary['seeds'])} seeds)" if "seeds" in summary else "tasks"
    print(f"{summary['ok']} of {summary['tasks']} {what} passed every stage")
    print("  ".join(f"{s} {v['pass']}/{summary['tasks']}" for s, v in summary["stages"].items()))
    if summary.get("generation"):
        print(generation_line(summary["generation"]))
    print(f"report: {out}/report.md")
