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
    from pipeline.tools import all_required_found, status_lines

    statuses = run_checks()
    if args.json:
        print(json.dumps([asdict(s) for s in statuses], indent=2))
    else:
        print("\n".join(status_lines(statuses)))
    return 0 if all_required_found(statuses) else 1
