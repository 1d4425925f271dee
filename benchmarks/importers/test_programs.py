"""Read a suite's Dafny test program into test vectors: the calls of the target method in its test methods
give the inputs; ``assert`` statements on the results and commented expectations beside (or just below) a
``print`` of a result give the expected outputs.

CloverBench writes ``print(t1, "\\n"); // Expected output: 5``; MBPP-DFY writes ``print(res1);print("\\n");``
with ``//expected [4, 5];`` on the next line, or asserts (``assert out1==3;``). Both are read here, with
the statements themselves interpreted by :mod:`benchmarks.importers.snippets` (literals only, nothing run).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from benchmarks.importers import snippets
from benchmarks.importers.common import ConversionError, fitting_vector, why_not_target
from benchmarks.importers.dafny_text import declarations
from pipeline.task import Signature, TestVector
from pipeline.types import DafnyType, check_value

EXPECTATION = re.compile(r"//\s*Expected(?: output)?\s*:?\s*(.+)$", re.I)
BELOW = 2  # an expectation comment may stand this many lines below the print it describes


def leading_literal(text: str) -> Any:
    """The value at the start of an expectation comment: ``5``, ``true``, ``[1, 2]``, ``['a', 'b']``,
    ``"abc"`` (trailing prose such as ``, since ...`` is ignored)."""
    text = text.strip().rstrip(";")
    for end in range(len(text), 0, -1):
        piece = text[:end].strip().rstrip(",").strip()
        if not piece or (end < len(text) and text[end] not in ", \t;"):
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


def expectations(test_source: str) -> dict[int, str]:
    """Line -> the text after ``// Expected ...`` on that line."""
    out = {}
    for n, line in enumerate(test_source.splitlines(), 1):
        m = EXPECTATION.search(line)
        if m:
            out[n] = m.group(1)
    return out


def _printed_result(state: snippets.SnippetRun, line: int, claimed: set[int]) -> str | None:
    """The result variable an expectation on ``line`` describes: one printed on that line, else on one of the
    ``BELOW`` lines above it that no other expectation already took."""
    for at in range(line, line - BELOW - 1, -1):
        if at in claimed and at != line:
            return None
        printed = [v for v in state.prints.get(at, []) if v in state.result_of]
        if printed:
            claimed.add(at)
            return printed[0]
    return None


def vectors_from_tests(test_source: str, program: str, sig: Signature, task_id: str,
                       warnings: list[str]) -> list[TestVector]:
    """Vectors from a test program: inputs from the calls, expected outputs from asserts and commented prints."""
    stated = expectations(test_source)
    out = []
    for name, first_line, body in test_methods(test_source, program, sig.name):
        state = snippets.run(body, sig, line_offset=first_line - 1)
        for p in state.problems:
            warnings.append(f"{task_id}: {name}: {p}")
        claimed: set[int] = set()
        for line, text in stated.items():
            var = _printed_result(state, line, claimed)
            if var is None:
                continue
            k, ret = state.result_of[var]
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
            vec = fitting_vector(sig, rec.inputs, rec.expected, warnings,
                                 f"{task_id}: {name} line {rec.line}: vector left out")
            if vec is not None:
                out.append(vec)
    return out


def called_target(test_source: str, program: str) -> str | None:
    """The program's usable method that the test program calls, if exactly one is called."""
    usable = [d.name for d in declarations(program) if why_not_target(d) is None and d.name != "Main"]
    tests = test_source_without_program(test_source, program)
    called = [n for n in usable if re.search(rf"\b{re.escape(n)}\s*\(", tests)]
    return called[0] if len(called) == 1 else None


def test_source_without_program(test_source: str, program: str) -> str:
    """The test program's declarations that the program itself does not have (its test methods, ``Main``)."""
    own = {d.name for d in declarations(program)}
    parts = [test_source[d.start : d.end] for d in declarations(test_source) if d.name not in own]
    return "\n".join(parts)
