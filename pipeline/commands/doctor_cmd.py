"""p2s doctor: report the external tools and what to do about the missing ones."""

from __future__ import annotations

import argparse
import json

HELP = "show which external tools are present, their versions, and how to get what is missing"
EPILOG = """examples:
  p2s doctor
  p2s doctor --json
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the table as JSON")


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from pipeline.doctor import run_checks

    statuses = run_checks()
    if args.json:
        print(json.dumps([asdict(s) for s in statuses], indent=2))
    else:
        width = max((len(s.name) for s in statuses), default=10)
        for s in statuses:
            mark = "ok     " if s.found else ("MISSING" if s.required else "absent ")
            line = f"{mark} {s.name:<{width}}  {s.version}"
            if s.detail:
                line += f"  ({s.detail})"
            print(line.rstrip())
            if not s.found and s.hint:
                print(f"        {'':<{width}}  -> {s.hint}")
    return 0 if all(s.found or not s.required for s in statuses) else 1
