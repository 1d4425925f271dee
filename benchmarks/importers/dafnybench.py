"""Import DafnyBench-style folders: verified Dafny programs with no description and no tests.

Each program becomes one task: the target is the first top-level, compiled method with a body whose
interface types the pipeline supports (``Main`` and ``Test*`` helpers are passed over); its contract is the
pinned spec and the whole program is the reference. The description is the comment right above the method
(or at the top of the file) when there is one, else a generic sentence. With no vectors such a task is
checked by verification and, when the method is compilable, by the hardware chain's own cross-checks.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.importers.common import (
    ConversionError,
    ImportResult,
    Skipped,
    choose_target,
    generic_description,
    sanitize_id,
    task_from_program,
    unique_id,
)
from pipeline.errors import UserError
from pipeline.task import Task
from verifiers.front.lexer import gate_tokens


def program_files(sources: list[str | Path]) -> list[Path]:
    """Every ``.dfy`` file of the given files and folders (folders searched recursively), in order.

    Raises:
        UserError: a source does not exist.
    """
    out: list[Path] = []
    for src in sources:
        path = Path(src)
        if path.is_dir():
            out += sorted(path.rglob("*.dfy"))
        elif path.is_file():
            out.append(path)
        else:
            raise UserError(f"{path}: no such file or folder")
    return out


def file_comment(source: str) -> str:
    """The comment block at the very top of a program (before any code), as one line of text."""
    lines = []
    for tok in gate_tokens(source, keep_comments=True):
        if tok.kind != "comment":
            break
        body = tok.text[2:] if tok.text.startswith("//") else tok.text[2:-2]
        lines += [ln.strip().lstrip("*").strip() for ln in body.splitlines()]
    return " ".join(ln for ln in lines if ln and not ln.upper().startswith(("RUN:", "CHECK")))


def convert(path: Path, taken: set[str], method: str | None = None) -> tuple[Task, list[str]]:
    """One program as a task; returns ``(task, warnings)``.

    Raises:
        ConversionError: unreadable file or no usable method.
    """
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConversionError("not UTF-8 text") from None
    decl = choose_target(source, method)
    description = decl.comment or file_comment(source) or generic_description(decl)
    if len(description) < 20:
        description = f"{description}. {generic_description(decl)}"
    task_id = unique_id(sanitize_id(path.stem), taken)
    metadata = {"version": 1, "source": "dafnybench", "source_file": path.name, "tags": ["dafnybench"]}
    task = task_from_program(source, task_id, description, target=decl.name, metadata=metadata)
    warnings = []
    if not task.ensures:
        warnings.append(f"{task_id}: method {decl.name} has no ensures clause: the task pins no behaviour")
    return task, warnings


def import_dafnybench(sources: list[str | Path], method: str | None = None) -> ImportResult:
    """Convert every program under ``sources`` (one task per program)."""
    result = ImportResult("dafnybench")
    taken: set[str] = set()
    for path in program_files(sources):
        try:
            task, warnings = convert(path, taken, method)
        except ConversionError as exc:
            result.skipped.append(Skipped(str(path), str(exc)))
            continue
        result.tasks.append(task)
        result.warnings += warnings
    return result
