"""Attempts per CPU-minute and verified tasks per CPU-hour of the generation engine, before and after.

Usage::

    .venv/bin/python -m benchmarks.llm_throughput [--agents repair,best-of-n] [--tasks 12] [--llm embedded]
        [--out benchmarks/results/llm_throughput/RESULT.json]

Each configuration runs ``python -m agents.evaluate`` on the same fixed slice (the first ``--tasks`` tasks of the
core test split, seed 0, budget 3, the verifier's cache off) in a process of its own, and its CPU time is what
the operating system charged that process and everything it waited for (the model worker, Dafny, Z3):
``resource.getrusage(RUSAGE_CHILDREN)`` around it. The configurations:

* ``before``: unconstrained decoding, no stored prefix states (``--grammar off``, ``P2S_LLM_PREFIX_STATES=off``);
* ``prefix``: the same decoding with stored prefix states (the same outputs as ``before``: the engine's speed at
  equal outputs);
* ``after``: grammar-constrained decoding and stored prefix states (``--grammar on``).

Stored states are cleared before ``prefix`` and ``after``, so each pays for writing them once, as a fresh
machine would.

It prints one row per (configuration, agent): attempts, CPU minutes, attempts per CPU-minute, verified tasks,
verified per CPU-hour, and the share of attempts that ended in a parse or resolution error; ``--out`` writes the
rows as JSON with the commit and command. The episodes stay in ``runs/llm_throughput/`` for a look.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pipeline.home import p2s_home

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {
    "before": {"grammar": "off", "env": {"P2S_LLM_PREFIX_STATES": "off"}},
    "prefix": {"grammar": "off", "env": {}},
    "after": {"grammar": "on", "env": {}},
}
EARLY_PHASES = ("parse", "resolution", "no_code")


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_config(name: str, agent: str, llm: str, tasks: int, out_root: Path) -> dict:
    """One evaluation in its own process; its episodes and the CPU seconds it cost."""
    config = CONFIGS[name]
    out = out_root / f"{name}-{agent}"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "P2S_NO_VERIFY_CACHE": "1", **config["env"]}
    if name != "before":
        shutil.rmtree(p2s_home() / "kv", ignore_errors=True)
    cmd = [sys.executable, "-m", "agents.evaluate", "core", "--split", "test", "--llm", llm, "--agent", agent,
           "--seeds", "0", "--budget", "3", "--max-tasks", str(tasks), "--grammar", config["grammar"],
           "--out", str(out)]
    cpu0, wall0 = _cpu_of_children(), time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    cpu, wall = _cpu_of_children() - cpu0, time.monotonic() - wall0
    if proc.returncode != 0:
        raise SystemExit(f"{name}/{agent} failed: {proc.stderr.strip().splitlines()[-1:]}")
    episodes = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines() if line.strip()]
    attempts = sum(e["attempts"] for e in episodes)
    phases = [p for e in episodes for p in e["phases"]]
    verified = sum(e["verified"] for e in episodes)
    return {
        "config": name, "agent": agent, "tasks": len(episodes), "attempts": attempts, "verified": verified,
        "cpu_minutes": round(cpu / 60, 2), "wall_minutes": round(wall / 60, 2),
        "attempts_per_cpu_minute": round(attempts / (cpu / 60), 2) if cpu else None,
        "verified_per_cpu_hour": round(verified / (cpu / 3600), 2) if cpu else None,
        "early_failures": round(sum(p in EARLY_PHASES for p in phases) / len(phases), 3) if phases else None,
        "tokens": sum(e["tokens"] for e in episodes),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", default="repair")
    ap.add_argument("--tasks", type=int, default=12)
    ap.add_argument("--llm", default="embedded")
    ap.add_argument("--configs", default="before,prefix,after")
    ap.add_argument("--out", help="write the rows (with commit and command) to this JSON file")
    args = ap.parse_args(argv)
    rows = []
    header = ("config", "agent", "tasks", "attempts", "cpu_minutes", "attempts_per_cpu_minute", "verified",
              "verified_per_cpu_hour", "early_failures")
    print(" | ".join(header))
    for name in args.configs.split(","):
        for agent in args.agents.split(","):
            row = run_config(name, agent, args.llm, args.tasks, REPO / "runs" / "llm_throughput")
            rows.append(row)
            print(" | ".join(str(row[h]) for h in header), flush=True)
    if args.out:
        from pipeline.provenance import command_line, git_commit

        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"commit": git_commit(), "command": command_line(), "llm": args.llm,
                                              "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
