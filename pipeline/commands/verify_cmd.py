"""p2s verify: verify a Dafny program, optionally against a task's pinned contract."""

from __future__ import annotations

import argparse

HELP = "verify a Dafny program (with --task: through the integrity gate, against the task's pinned spec)"
EPILOG = """exit status: 0 verified (and, with --task, the gate held), 1 not verified, 2 bad input
without --task, Dafny judges the program as written and the result lists what it trusted (body-less
declarations, assume, {:axiom}, ...): "verified" needs Dafny's yes and nothing trusted; --allow-trusted
exits 0 on Dafny's yes alone (JSON: "dafny_verified" and "trusted")
examples:
  p2s verify benchmarks/examples/max_array.dfy
  p2s verify benchmarks/examples/max_array.dfy --task benchmarks/examples/max_array.yaml
  p2s verify candidate.dfy --task task.yaml --json --timeout 30
  p2s verify uninterpreted.dfy --allow-trusted
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE.dfy", help="the Dafny program (Dafny 4 or Dafny 3 syntax)")
    p.add_argument("--task", metavar="TASK.yaml", help="check the program against this task's signature and spec")
    p.add_argument("--json", action="store_true", help="print the structured result as JSON")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S", help="seconds for the Dafny call (default 60)")
    p.add_argument("--no-cache", action="store_true", help="do not use the verification cache")
    p.add_argument("--allow-trusted", action="store_true",
                   help="without --task: exit 0 when Dafny verified the program, even if it trusts body-less "
                        "declarations or other escapes (they are still listed)")


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from pipeline.errors import UserError
    from pipeline.task import load_task
    from verifiers.api import verify_source

    path = Path(args.file)
    if path.is_dir():
        raise UserError(f"{path}: a folder, not a file (give the path of a .dfy program)")
    if not path.is_file():
        raise UserError(f"{path}: no such file (give the path of a .dfy program)")
    if not args.timeout > 0:
        raise UserError(f"--timeout {args.timeout:g}: give a positive number of seconds")
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a UTF-8 text file") from None
    if args.allow_trusted and args.task:
        raise UserError("--allow-trusted: a task's gate is strict; leave out --task to see Dafny's own verdict")
    task = load_task(args.task) if args.task else None
    result = verify_source(source, task, timeout=args.timeout, file=str(path), use_cache=not args.no_cache)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        for d in result.diagnostics:
            related = "; ".join(f"{r['line']}:{r['column']}" + (f" {r['message']}" if r.get("message") else "")
                                for r in d.related)
            print(d.format(str(path)) + (f" (related: {related})" if related else ""))
        print(f"{path}: {result.summary()}")
    return 0 if result.verified or (args.allow_trusted and result.dafny_verified) else 1
