"""A batch folder's identity: everything that changes its results, so that results are never relabelled.

A folder holds the results of one identity: the LLM and its model file, the agent and its checkpoint, the prompt
settings, seed, budget, stages, backend and the tools' versions. :func:`check_identity` refuses to add results of
another identity to a folder, naming what differs; ``--force`` discards the old results explicitly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from pipeline.errors import UserError

IDENTITY_FILE = "identity.json"
# What a batch folder holds besides the user's files; ``--force`` removes exactly these (and ``seed-N/``).
BATCH_OUTPUTS = ("results.jsonl", "summary.json", "report.md", "report.csv", "report.tex", "funnel.png",
                 "config.json", IDENTITY_FILE, "tasks")


# Fields added to the identity later, with the value every batch had before: an older folder that lacks one was
# made with that value, so resuming it with the same value is no change of configuration.
ADDED_FIELDS: dict[str, Any] = {"formal_timeout": 600.0}


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key: old -> new`` for every field that differs (tool versions compared one by one)."""
    out = []
    old = {**{k: v for k, v in ADDED_FIELDS.items() if k not in old}, **old}
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if key == "tools" and isinstance(a, dict) and isinstance(b, dict):
            out += [f"{tool}: {a.get(tool)!r} -> {b.get(tool)!r}" for tool in sorted(set(a) | set(b))
                    if a.get(tool) != b.get(tool)]
        elif a != b:
            out.append(f"{key}: {a!r} -> {b!r}")
    return out


def check_identity(out: Path, identity: dict[str, Any], force: bool = False) -> None:
    """Record ``identity`` in ``out``, or refuse when ``out`` holds results of another one.

    Raises:
        UserError: ``out`` holds another identity's results (the message names each difference and the fixes).
    """
    path = out / IDENTITY_FILE
    if force:
        discard_results(out)
    elif path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        diff = differences(old, identity)
        if diff:
            raise UserError(f"{out} holds results of another configuration ({'; '.join(diff)}): choose another "
                            "--out, or pass --force to discard those results")
    elif (out / "results.jsonl").is_file():
        raise UserError(f"{out} holds results that do not say how they were made (no {IDENTITY_FILE}): choose "
                        "another --out, or pass --force to discard them")
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(identity, indent=2, sort_keys=True), encoding="utf-8")


def discard_results(out: Path) -> None:
    """Remove what a batch wrote into ``out`` (its outputs and ``seed-N`` folders), nothing else."""
    for name in BATCH_OUTPUTS:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    for seed_dir in out.glob("seed-*"):
        if seed_dir.is_dir():
            shutil.rmtree(seed_dir)
