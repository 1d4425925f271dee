"""Import MBPP-DFY (the dafny-synthesis study) in either of its published layouts.

* **Program folders** (``MBPP-DFY-153``: ``src/task_id_<N>.dfy`` verified programs and ``test/task_id_<N>.dfy``,
  the same program plus a test method and ``Main``): one task per program; the target is the method the test
  program calls, its contract is pinned, and the vectors are the test's calls with the asserts on their
  results and the ``//expected ...`` comments below its prints. The description is the study's own when its
  task file (``MBPP-san-DFY-228/*.json``) sits beside the folder, else one made from the method's name and
  contract (``metadata.description_from: name and contract``). A source may be the dataset root, the
  ``MBPP-DFY-153`` folder or its ``src`` folder.
* **The task file** (``mbpp-san-dfy-228-*.json``: ``task_id``, ``task_description``, ``method_signature``,
  ``test_cases`` snippets such as ``var a1 := new int[] [1, 2, 3]; var out1 := F(a1, 2); assert out1 == 3;``;
  a plain list of such objects is read too). With ``solutions`` (a folder of ``task_id_<N>.dfy``), the program
  of the same id becomes the reference and its target's contract the pinned spec. The published signature
  names its method and parameters differently from the program (``nthNums`` where the program says
  ``PowerOfListElements``): the solution's method is then the one with the same parameter and result types in
  the same order (a unique match, else the task is skipped with the reason), and the task uses the solution's
  names throughout (spec, reference, vectors: the snippets' arguments are mapped by position).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from benchmarks.importers import snippets
from benchmarks.importers.common import (
    ConversionError,
    ImportResult,
    Skipped,
    choose_target,
    fitting_vector,
    hardware_for,
    sanitize_id,
    task_from_program,
    unique_id,
    why_not_target,
)
from benchmarks.importers.dafny_text import Decl, declarations
from benchmarks.importers.test_programs import called_target, vectors_from_tests
from pipeline.errors import UserError
from pipeline.task import Param, Signature, Task, TestVector, parse_signature


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
            vec = fitting_vector(sig, rec.inputs, rec.expected, warnings, f"{task_id}: {name} left out")
            if vec is not None:
                out.append(vec)
    return out


def _types(sig: Signature) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(str(p.type) for p in sig.params), tuple(str(p.type) for p in sig.returns)


def paired_method(reference: str, published: Signature) -> Decl:
    """The solution's method for the published signature: the one of that name, else the only usable method
    with the same parameter and result types in the same order.

    Raises:
        ConversionError: no method, or several, match (the reason names the candidates).
    """
    methods = [d for d in declarations(reference) if d.is_method and d.name != "Main"]
    if any(d.name == published.name for d in methods) or not methods:
        return choose_target(reference, published.name if methods else None)
    usable = [d for d in methods if why_not_target(d) is None]
    same = [d for d in usable if _types(parse_signature(d.signature_text())) == _types(published)]
    if len(same) == 1:
        return same[0]
    want = f"({', '.join(_types(published)[0])}) returns ({', '.join(_types(published)[1])})"
    if same:
        raise ConversionError(f"{len(same)} methods of the solution have the published types {want}: "
                              f"{', '.join(d.name for d in same)}")
    if len(usable) == 1:  # the program's only method, typed its own way (seq for array, int for nat)
        return usable[0]
    if not usable:
        return choose_target(reference)  # raises with the reason no method can be a target
    raise ConversionError(f"no method of the solution has the published types {want}, and it has "
                          f"{len(usable)} others: {', '.join(d.name for d in usable)}")


def _family(t: str) -> str:
    """A type up to what a vector's value cannot tell apart (``nat`` is an ``int``, an array a sequence)."""
    return re.sub(r"\bnat\b", "int", re.sub(r"^array<", "seq<", t))


def _match(published: tuple[Param, ...], solution: tuple[Param, ...]) -> dict[str, str]:
    """Published name -> solution name: by position when the types agree there, else by exact type when that
    pairs them one to one (a solution that takes ``(s: seq<int>, a: array<int>)`` for the published
    ``(arr: array<int>, se: seq<int>)``), else by position when the types agree up to their family.

    Raises:
        ConversionError: none of these pairs them.
    """
    pub, sol = [str(p.type) for p in published], [str(p.type) for p in solution]
    if pub == sol:
        return {a.name: b.name for a, b in zip(published, solution, strict=True)}
    if sorted(pub) == sorted(sol) and len(set(pub)) == len(pub):
        by_type = {str(p.type): p.name for p in solution}
        return {p.name: by_type[str(p.type)] for p in published}
    if [_family(t) for t in pub] == [_family(t) for t in sol]:
        return {a.name: b.name for a, b in zip(published, solution, strict=True)}
    raise ConversionError(f"the published ({', '.join(pub)}) cannot be paired with the solution's ({', '.join(sol)})")


def renamed(tests: list[TestVector], published: Signature, sig: Signature) -> list[TestVector]:
    """Vectors read against the published names, keyed by the solution's names (see :func:`_match`)."""
    names = _match(published.params, sig.params) | _match(published.returns, sig.returns)
    return [TestVector({names[k]: v for k, v in t.inputs.items()}, {names[k]: v for k, v in t.expected.items()})
            for t in tests]


def convert(entry: dict[str, Any], solutions: dict[str, Path], taken: set[str], warnings: list[str]) -> Task:
    """One entry of the task file as a task.

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
        published = parse_signature(header)
    except ValueError as exc:
        raise ConversionError(f"method_signature `{header}`: {exc}") from None
    solution = solutions.get(source_id)
    reference = solution.read_text(encoding="utf-8") if solution else None
    sig = published
    if reference is not None:
        decl = paired_method(reference, published)
        sig = parse_signature(decl.signature_text())
        if _types(sig) != _types(published):
            warnings.append(f"{task_id}: method_signature `{published.text}` and the solution's `{sig.text}` differ "
                            f"in types; the solution's method is the target and the vectors are checked "
                            f"against its types")
        elif sig.name != published.name:
            warnings.append(f"{task_id}: method_signature names {published.name}; the solution's {sig.name} has "
                            f"the same types and is the target (the task uses the solution's names)")
    if len(sig.params) != len(published.params) or len(sig.returns) != len(published.returns):
        raise ConversionError(f"the solution's `{sig.text}` and method_signature `{published.text}` have different "
                              f"numbers of parameters or results")
    before = len(warnings)
    tests = [v for t in renamed(vectors(_test_cases(entry), published, warnings, task_id), published, sig)
             if (v := fitting_vector(sig, t.inputs, t.expected, warnings, f"{task_id}: a vector left out",
                                     f" (for `{sig.text}`)")) is not None]
    if not tests:
        first = warnings[before].split(": ", 1)[-1] if len(warnings) > before else "no test cases"
        raise ConversionError(f"no test case could be read ({first})")
    metadata = {"version": 1, "source": "mbpp-dfy", "source_id": source_id, "tags": ["mbpp-dfy"]}
    if reference is not None:
        task = task_from_program(reference, task_id, description, target=sig.name, tests=tests, metadata=metadata)
        task.metadata["reference_file"] = solution.name if solution else None
        return task
    return Task(id=task_id, description=description, signature=sig, requires=[], ensures=[], tests=tests,
                hardware=hardware_for(tests), metadata=metadata)


# ------------------------------------------------------------------------------------------ program folders


def program_folders(root: Path) -> tuple[Path, Path | None]:
    """``(src folder, test folder or None)`` of an MBPP-DFY-153 layout given its root, itself or its src.

    Raises:
        UserError: no ``task_id_<N>.dfy`` programs there.
    """
    for base in (root / "MBPP-DFY-153", root):
        if (base / "src").is_dir():
            return base / "src", base / "test" if (base / "test").is_dir() else None
    if list(root.glob("task_id_*.dfy")):
        test = root.parent / "test"
        return root, test if test.is_dir() and root.name == "src" else None
    raise UserError(f"{root}: no MBPP-DFY programs (give the dataset root, its MBPP-DFY-153 folder with src/ and "
                    f"test/, or a folder of task_id_<N>.dfy files)")


def descriptions_beside(root: Path) -> dict[str, str]:
    """Task descriptions by id from the study's task file found in or beside ``root`` (empty if none)."""
    out: dict[str, str] = {}
    for base in (root, root.parent, root.parent.parent):
        for path in sorted(base.glob("MBPP-san-DFY-228/*.json")) + sorted(base.glob("mbpp-san-dfy-228*.json")):
            for entry in read_entries(path):
                text = str(entry.get("task_description") or "").strip()
                if text:
                    out.setdefault(str(entry.get("task_id", "")).strip(), text)
        if out:
            break
    return out


def convert_program(source_id: str, program_file: Path, test_file: Path | None, descriptions: dict[str, str],
                    taken: set[str], warnings: list[str]) -> Task:
    """One verified program (and its test program) as a task.

    Raises:
        ConversionError: no usable target method, or no vector could be read.
    """
    program = program_file.read_text(encoding="utf-8")
    task_id = unique_id(sanitize_id(f"mbpp_{source_id}"), taken)
    test_source = test_file.read_text(encoding="utf-8") if test_file and test_file.is_file() else None
    if test_source is None:
        raise ConversionError(f"no test program {program_file.name} beside the program (the vectors come from it)")
    decl = choose_target(program, called_target(test_source, program))
    sig = parse_signature(decl.signature_text())
    tests = vectors_from_tests(test_source, program, sig, task_id, warnings)
    if not tests:
        raise ConversionError(f"the test program's calls of {sig.name} gave no vector (see the warnings)")
    metadata: dict[str, Any] = {"version": 1, "source": "mbpp-dfy", "source_id": source_id, "tags": ["mbpp-dfy"],
                                "reference_file": program_file.name}
    description = descriptions.get(source_id, "")
    if not description:
        metadata["description_from"] = "name and contract"
    inputs_only = sum(1 for t in tests if not t.expected)
    if inputs_only:
        metadata["inputs_only_vectors"] = inputs_only
    return task_from_program(program, task_id, description, target=decl.name, tests=tests, metadata=metadata)


def import_program_folder(root: Path, result: ImportResult, taken: set[str]) -> None:
    """Convert every ``task_id_<N>.dfy`` of an MBPP-DFY-153 layout into ``result``."""
    src, test = program_folders(root)
    descriptions = descriptions_beside(root)
    for sid, path in solution_files(src).items():
        try:
            task = convert_program(sid, path, test / path.name if test else None, descriptions, taken,
                                   result.warnings)
        except ConversionError as exc:
            result.skipped.append(Skipped(f"task_id {sid}", str(exc)))
            continue
        result.tasks.append(task)


def import_mbpp_dfy(sources: list[str | Path], solutions: str | Path | None = None) -> ImportResult:
    """Convert MBPP-DFY sources: program folders (see :func:`program_folders`) or task files (JSON)."""
    result = ImportResult("mbpp-dfy")
    sols = solution_files(Path(solutions) if solutions else None)
    taken: set[str] = set()
    used: set[str] = set()
    for src in sources:
        if Path(src).is_dir():
            if solutions:
                raise UserError(f"--solutions goes with the task file (JSON); {src} is a program folder, whose "
                                f"programs are the references already")
            import_program_folder(Path(src), result, taken)
            continue
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
