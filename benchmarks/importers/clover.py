"""Import CloverBench folders: ``<name>/<name>_spec.txt`` (description), ``<name>/<name>_strong.dfy`` (verified
program whose target method's contract is pinned) and, when present, the unit tests
``textbook_algo_unit_tests/<name>/<name>_tests.dfy``.

The unit tests call the target method on literal inputs and print the results; a print line may carry the
expected value in a comment (``print(t1, "\\n"); // Expected output: 5``). Each call becomes a vector with
its inputs; the commented expectations become its expected outputs. A vector without a stated expectation
keeps its inputs only (``metadata.inputs_only_vectors`` counts them); ``record_expected`` fills such vectors
by running the reference with Dafny (``metadata.expected_from: reference``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.importers.common import (
    ConversionError,
    ImportResult,
    Skipped,
    choose_target,
    hardware_for,
    sanitize_id,
    task_from_program,
    unique_id,
)
from benchmarks.importers.test_programs import called_target, vectors_from_tests
from pipeline.errors import UserError
from pipeline.task import Task, TestVector, parse_signature


def task_folders(sources: list[str | Path]) -> list[tuple[Path, Path | None]]:
    """``(task folder, unit-test folder or None)`` for every task under the given CloverBench roots.

    A source may be the dataset root (holding ``textbook_algo/``), the ``textbook_algo`` folder itself or one
    task folder.

    Raises:
        UserError: a source is missing or holds no CloverBench task.
    """
    out = []
    for src in sources:
        root = Path(src)
        if not root.is_dir():
            raise UserError(f"{root}: no such folder (give the CloverBench root or its textbook_algo folder)")
        if (root / "textbook_algo").is_dir():
            algo, tests = root / "textbook_algo", root / "textbook_algo_unit_tests"
        elif list(root.glob("*_strong.dfy")):
            algo, tests = root.parent, root.parent.parent / "textbook_algo_unit_tests"
            out.append((root, tests / root.name if (tests / root.name).is_dir() else None))
            continue
        else:
            algo, tests = root, root.parent / "textbook_algo_unit_tests"
        folders = sorted(p for p in algo.iterdir() if p.is_dir())
        if not folders:
            raise UserError(f"{root}: no CloverBench task folders (<name>/<name>_strong.dfy) found")
        out += [(f, tests / f.name if (tests / f.name).is_dir() else None) for f in folders]
    return out














def convert(folder: Path, tests_folder: Path | None, taken: set[str], warnings: list[str]) -> Task:
    """One CloverBench task folder as a task.

    Raises:
        ConversionError: the program is missing or has no usable target method.
    """
    name = folder.name
    strong = folder / f"{name}_strong.dfy"
    if not strong.is_file():
        raise ConversionError(f"no {strong.name}")
    program = strong.read_text(encoding="utf-8")
    spec_file = folder / f"{name}_spec.txt"
    description = spec_file.read_text(encoding="utf-8").strip() if spec_file.is_file() else ""
    task_id = unique_id(sanitize_id(f"clover_{name}"), taken)
    if not description:
        warnings.append(f"{task_id}: no {spec_file.name}; a generic description is used")
    test_file = tests_folder / f"{name}_tests.dfy" if tests_folder else None
    test_source = test_file.read_text(encoding="utf-8") if test_file and test_file.is_file() else None
    target = called_target(test_source, program) if test_source else None
    decl = choose_target(program, target)
    sig = parse_signature(decl.signature_text())
    tests: list[TestVector] = []
    if test_source is None:
        warnings.append(f"{task_id}: no unit tests found; the task has no vectors")
    else:
        tests = vectors_from_tests(test_source, program, sig, task_id, warnings)
    metadata: dict[str, Any] = {"version": 1, "source": "clover", "source_name": name, "tags": ["clover"]}
    inputs_only = sum(1 for t in tests if not t.expected)
    if inputs_only:
        metadata["inputs_only_vectors"] = inputs_only
    task = task_from_program(program, task_id, description, target=decl.name, tests=tests, metadata=metadata)
    task.hardware = hardware_for(tests)
    return task


def import_clover(sources: list[str | Path]) -> ImportResult:
    """Convert every CloverBench task folder under ``sources``."""
    result = ImportResult("clover")
    taken: set[str] = set()
    for folder, tests_folder in task_folders(sources):
        try:
            result.tasks.append(convert(folder, tests_folder, taken, result.warnings))
        except ConversionError as exc:
            result.skipped.append(Skipped(folder.name, str(exc)))
    return result
