"""Measure the width proof over a task suite: which references prove at their ``int_width``, which need a wider
type, which fail at every allowed width, and which the proof does not apply to.

Each task's reference is verified through :func:`verifiers.api.verify_source` (the verify stage's path: gate,
contract splice, bridge), then :func:`verifiers.width_proof.prove_widths` runs on the verified program with
the task's ``hardware`` options and the given per-width timeout.

Usage: ``python -m verifiers.width_measure SUITE_DIR [--timeout 60] [--json OUT] [--only ID ...]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.errors import UserError
from pipeline.task import Task, load_task


def category(proof_status: str, widened: bool) -> str:
    """``proven`` (at the task's width), ``widened``, ``failed``, ``not-needed``, ``error``."""
    if proof_status == "pass":
        return "widened" if widened else "proven"
    if proof_status == "fail":
        return "failed"
    return proof_status


def measure_task(task: Task, timeout: float) -> dict[str, Any]:
    """Verify ``task``'s reference and run the width proof on it; one result row."""
    from verifiers.api import verify_source
    from verifiers.width_proof import prove_widths

    start = time.monotonic()
    row: dict[str, Any] = {"task": task.id, "int_width": task.hardware.int_width,
                           "max_int_width": task.hardware.max_int_width}
    verified = verify_source(task.reference or "", task, timeout=timeout)
    if verified.phase == "integrity":  # e.g. a contract helper the suite has not yet moved to metadata.definitions
        row["note"] = "verified without the task's contract check: " + "; ".join(d.message for d in verified.errors)
        verified = verify_source(task.reference or "", None, timeout=timeout)
    if not verified.verified:
        row |= {"category": "unverified", "detail": verified.summary()}
        return row
    proof = prove_widths(verified.program, task.signature.name, task.hardware.int_width,
                         task.hardware.max_int_width, task.hardware.max_array_length, timeout=timeout)
    row |= {
        "category": category(proof.status, proof.widened),
        "status": proof.status,
        "proven_width": proof.proven_width,
        "detail": proof.summary(),
        "failures": [f.message for f in proof.failures()] if proof.status != "pass" else [],
        "seconds": round(time.monotonic() - start, 1),
    }
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m verifiers.width_measure", description=__doc__.split("\n\n")[0])
    ap.add_argument("suite", help="folder of task YAML files")
    ap.add_argument("--timeout", type=float, default=60.0, help="Dafny seconds per width (the verify stage's)")
    ap.add_argument("--json", help="write the rows and counts here")
    ap.add_argument("--only", nargs="*", help="task ids to measure")
    args = ap.parse_args(argv)
    paths = sorted(Path(args.suite).glob("*.yaml"))
    rows = []
    for path in paths:
        try:
            task = load_task(path)
        except UserError as exc:  # a task file the loader does not read (yet): reported, not measured
            print(f"{path.stem:28} {'':6} {'unloadable':11} {exc}", flush=True)
            continue
        if args.only and task.id not in args.only:
            continue
        if not task.reference:
            continue
        try:
            row = measure_task(task, args.timeout)
        except UserError as exc:
            row = {"task": task.id, "int_width": task.hardware.int_width, "category": "error", "detail": str(exc)}
        rows.append(row)
        print(f"{row['task']:28} int{row['int_width']:<3} {row['category']:11} {row.get('detail', '')}", flush=True)
    counts = Counter(r["category"] for r in rows)
    print("\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + f" (of {len(rows)})")
    if args.json:
        Path(args.json).write_text(json.dumps({"counts": counts, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
