"""Import MBPP-DFY (the dafny-synthesis project's ``mbpp-san-dfy-228-all-task-test.json``).

The JSON maps task ids to objects with ``task_id``, ``task_description``, ``method_signature`` and
``test_cases`` (Dafny snippets such as ``var a1 := new int[] [1, 2, 3]; var out1 := F(a1, 2);
assert out1 == 3;``); a plain list of such objects is read too. With ``solutions`` (a folder of verified
programs ``task_id_<N>.dfy``), the program of the same id becomes the reference and its target method's
contract becomes the pinned spec; without it a task has the description, the signature and the vectors only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.importers import snippets
from benchmarks.importers.common import (
    ConversionError,
    ImportResult,
    Skipped,
    check_vector,
    choose_target,
    hardware_for,
    sanitize_id,
    task_from_program,
    unique_id,
)
from pipeline.errors import UserError
from pipeline.task import Signature, Task, TestVector, parse_signature


def read_entries(path: Path) -> list[dict[str, Any]]:
    """The task objects of one MBPP-DFY JSON file.

    Raises:
        UserError: the file is missing, not JSON, or not a list/mapping of task objects.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    entries = list(data.values()) if isinstance(data, dict) else data
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UserError(f"{path}: expected a list or a mapping of task objects (task_id, task_description, ...)")
    return entries


def solution_files(folder: Path | None) -> dict[str, Path]:
    """``task_id_<N>.dfy`` files under ``folder`` by ``N`` (searched recursively)."""
    if folder is None:
        return {}
    if not folder.is_dir():
        raise UserError(f"--solutions {folder}: not a folder of task_id_<N>.dfy programs")
    out = {}
    for p in sorted(folder.rglob("task_id_*.dfy")):
        out.setdefault(p.stem[len("task_id_") :], p)
    return out


def _test_cases(entry: dict[str, Any]) -> list[tuple[str, str]]:
    cases = entry.get("test_cases") or {}
    if isinstance(cases, dict):
        return [(str(k), str(v)) for k, v in cases.items()]
    if isinstance(cases, list):
        return [(f"test_{i + 1}", str(v)) for i, v in enumerate(cases)]
    return []


def vectors(cases: list[tuple[str, str]], sig: Signature, warnings: list[str], task_id: str) -> list[TestVector]:
    """Test vectors from the snippets; an unreadable snippet becomes a warning, not a wrong vector."""
    out = []
    for name, text in cases:
        run = snippets.run(text, sig)
        if run.problems:
            warnings.append(f"{task_id}: {name} left out: {run.problems[0]}")
            continue
        if not run.calls:
            warnings.append(f"{task_id}: {name} left out: it never calls {sig.name}")
            continue
        for rec in run.calls:
            if not rec.expected:
                warnings.append(f"{task_id}: {name} left out: no assertion on the result of {sig.name}")
                continue
            why = check_vector(sig, rec.inputs, rec.expected)
            if why:
                warnings.append(f"{task_id}: {name} left out: {why}")
                continue
            out.append(TestVector(rec.inputs, rec.expected))
    return out


def convert(entry: dict[str, Any], solutions: dict[str, Path], taken: set[str], warnings: list[str]) -> Task:
    """One MBPP-DFY entry as a task.

    Raises:
        ConversionError: no usable signature, no readable test case, or an unusable solution program.
    """
    source_id = str(entry.get("task_id", "")).strip()
    if not source_id:
        raise ConversionError("no task_id")
    task_id = unique_id(sanitize_id(f"mbpp_{source_id}"), taken)
    description = str(entry.get("task_description") or "").strip()
    if not description:
        raise ConversionError("no task_description")
    header = " ".join(str(entry.get("method_signature") or "").split())
    try:
        sig = parse_signature(header)
    except ValueError as exc:
        raise ConversionError(f"method_signature `{header}`: {exc}") from None
    solution = solutions.get(source_id)
    reference = solution.read_text(encoding="utf-8") if solution else None
    if reference is not None:
        decl = choose_target(reference, sig.name)
        ref_sig = parse_signature(decl.signature_text())
        if (ref_sig.params, ref_sig.returns) != (sig.params, sig.returns):
            warnings.append(f"{task_id}: the solution's header `{ref_sig.text}` differs from method_signature "
                            f"`{header}`; the solution's is used")
            sig = ref_sig
    tests = vectors(_test_cases(entry), sig, warnings, task_id)
    if not tests:
        raise ConversionError("no test case could be read (see the warnings)")
    metadata = {"version": 1, "source": "mbpp-dfy", "source_id": source_id, "tags": ["mbpp-dfy"]}
    if reference is not None:
        task = task_from_program(reference, task_id, description, target=sig.name, tests=tests, metadata=metadata)
        task.metadata["reference_file"] = solution.name if solution else None
        return task
    return Task(id=task_id, description=description, signature=sig, requires=[], ensures=[], tests=tests,
                hardware=hardware_for(tests), metadata=metadata)


def import_mbpp_dfy(sources: list[str | Path], solutions: str | Path | None = None) -> ImportResult:
    """Convert every entry of the given MBPP-DFY JSON files."""
    result = ImportResult("mbpp-dfy")
    sols = solution_files(Path(solutions) if solutions else None)
    taken: set[str] = set()
    used: set[str] = set()
    for src in sources:
        for entry in read_entries(Path(src)):
            name = f"task_id {entry.get('task_id', '?')}"
            try:
                task = convert(entry, sols, taken, result.warnings)
            except ConversionError as exc:
                result.skipped.append(Skipped(name, str(exc)))
                continue
            used.add(str(entry.get("task_id")))
            result.tasks.append(task)
    for sid in sorted(set(sols) - used, key=lambda s: (len(s), s)):
        result.warnings.append(f"solution {sols[sid].name} matches no converted task")
    return result
