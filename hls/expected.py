"""The values the RTL must produce: the reference model's outputs, else the task's expected values.

The co-simulation compares against the Python reference model (the executable meaning of the verified
Dafny). Its results come from the ``python_results`` artifact when the python stage wrote one, else from
the reference run the c stage recorded in ``c_results`` (per vector, ``python``); a task vector's
``expected`` fills in when neither is there. Each source is read defensively: a record that cannot be
read for a vector falls back to the task's value for that vector, and the source is reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.stage import RunContext

_RECORD_KEYS = ("python", "actual", "outputs", "results", "got")  # never "expected": that is the task's
_LIST_KEYS = ("outcomes", "vectors", "results", "records")


def _records(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            if isinstance(data.get(key), list):
                return data[key]
    return None


def _outputs(record: Any, names: set[str]) -> dict[str, Any] | None:
    """The name → value mapping of one vector's record, if it has one over the task's output names."""
    if not isinstance(record, dict):
        return None
    for key in _RECORD_KEYS:
        value = record.get(key)
        if isinstance(value, dict) and value and set(value) <= names | set(value) and set(value) & names:
            return {k: v for k, v in value.items() if k in names}
    return None


def _index(record: Any, position: int) -> int:
    if isinstance(record, dict):
        for key in ("index", "vector"):
            if isinstance(record.get(key), int):
                return record[key]
    return position


def output_names(ctx: RunContext) -> set[str]:
    sig = ctx.task.signature
    return {p.name for p in sig.returns} | {p.name for p in sig.params if p.type.kind in ("array", "array2")}


def expected_outputs(ctx: RunContext) -> tuple[list[dict[str, Any]], str]:
    """Per test vector, Dafny output name → expected value; and a phrase naming where they came from."""
    tests = ctx.task.tests
    expected: list[dict[str, Any]] = [dict(t.expected) for t in tests]
    names = output_names(ctx)
    for artifact, label in (("python_results", "the Python reference model"),
                            ("c_results", "the Python reference model (as run by the c stage)")):
        path = ctx.artifacts.get(artifact)
        if not path or not Path(path).is_file():
            continue
        try:
            records = _records(json.loads(Path(path).read_text()))
        except (OSError, json.JSONDecodeError):
            records = None
        if not records:
            continue
        found = 0
        for position, record in enumerate(records):
            i = _index(record, position)
            outs = _outputs(record, names)
            if outs and 0 <= i < len(expected):
                expected[i] = {**expected[i], **outs}
                found += 1
        if found:
            partial = f"{label} ({found}/{len(tests)} vectors; task values for the rest)"
            source = label if found == len(tests) else partial
            return expected, source
    return expected, "the task's expected values"
