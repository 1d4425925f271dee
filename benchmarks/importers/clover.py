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

import ast
import re
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
    why_not_target,
)
from benchmarks.importers.dafny_text import declarations
from pipeline.errors import UserError
from pipeline.task import Signature, Task, TestVector, parse_signature
from pipeline.types import DafnyType, check_value

_EXPECT = re.compile(r"//\s*Expected(?: output)?\s*:\s*(.+)$", re.I)


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


def leading_literal(text: str) -> Any:
    """The value at the start of an expectation comment: ``5``, ``true``, ``[1, 2]``, ``['a', 'b']``,
    ``"abc"`` (trailing prose such as ``, since ...`` is ignored)."""
    text = text.strip().rstrip(";")
    for end in range(len(text), 0, -1):
        piece = text[:end].strip().rstrip(",").strip()
        if not piece or (end < len(text) and text[end] not in ", \t"):
            continue
        py = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", piece))
        try:
            value = ast.literal_eval(py)
        except (ValueError, SyntaxError):
            continue
        if not isinstance(value, tuple):
            return value
    raise ConversionError(f"cannot read the expected value `{text}`")


def _fit(value: Any, typ: DafnyType) -> Any:
    if typ.kind == "string" and isinstance(value, list) and all(isinstance(c, str) for c in value):
        return "".join(value)
    if typ.kind in ("seq", "array") and isinstance(value, str):
        return list(value)
    if typ.kind == "bool" and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    return value


def test_methods(test_source: str, program: str, target: str) -> list[tuple[str, int, str]]:
    """``(name, first line, body text)`` of the test file's methods that call ``target`` (and that the program
    itself does not declare)."""
    own = {d.name for d in declarations(program)}
    out = []
    for d in declarations(test_source):
        if d.name in own or d.name == "Main" or d.body is None or not d.is_method:
            continue
        lo, hi = d.body
        body = test_source[lo + 1 : hi - 1]
        if not re.search(rf"\b{re.escape(target)}\s*\(", body):
            continue
        out.append((d.name, test_source.count("\n", 0, lo + 1) + 1, body))
    return out


def vectors_from_tests(test_source: str, program: str, sig: Signature, task_id: str,
                       warnings: list[str]) -> list[TestVector]:
    """Vectors from a unit-test file: inputs from the calls, expected outputs from the commented prints."""
    expectations = {}
    for n, line in enumerate(test_source.splitlines(), 1):
        m = _EXPECT.search(line)
        if m:
            expectations[n] = m.group(1)
    out = []
    for name, first_line, body in test_methods(test_source, program, sig.name):
        state = snippets.run(body, sig, line_offset=first_line - 1)
        for p in state.problems:
            warnings.append(f"{task_id}: {name}: {p}")
        for line, text in expectations.items():
            printed = [v for v in state.prints.get(line, []) if v in state.result_of]
            if not printed:
                continue
            k, ret = state.result_of[printed[0]]
            typ = sig.param(ret).type  # type: ignore[union-attr]
            try:
                value = _fit(leading_literal(text), typ)
            except ConversionError as exc:
                warnings.append(f"{task_id}: line {line}: {exc}")
                continue
            why = check_value(value, typ)
            if why:
                warnings.append(f"{task_id}: line {line}: expectation for {ret} ignored: {why}")
                continue
            state.calls[k].expected[ret] = value
        for rec in state.calls:
            why = check_vector(sig, rec.inputs, rec.expected)
            if why:
                warnings.append(f"{task_id}: {name} line {rec.line}: vector left out: {why}")
                continue
            out.append(TestVector(rec.inputs, rec.expected))
    return out


def _called_target(test_source: str, program: str) -> str | None:
    """The program's usable method that the unit tests call, if exactly one is called."""
    usable = [d.name for d in declarations(program) if why_not_target(d) is None and d.name != "Main"]
    tests = test_source_without_program(test_source, program)
    called = [n for n in usable if re.search(rf"\b{re.escape(n)}\s*\(", tests)]
    return called[0] if len(called) == 1 else None


def test_source_without_program(test_source: str, program: str) -> str:
    own = {d.name for d in declarations(program)}
    parts = [test_source[d.start : d.end] for d in declarations(test_source) if d.name not in own]
    return "\n".join(parts)


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
    target = _called_target(test_source, program) if test_source else None
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
