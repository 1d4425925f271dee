"""Run the Python reference model on test vectors (through :mod:`pipeline.vectors`, in a limited child process).

The model is code a compiler produced from LLM-written Dafny, so it never runs in this process:
:func:`pipeline.vectors.run_vectors` imports it in a child with time and memory limits and returns, per vector,
the results (by the task's return names) and the final contents of every array parameter. The C stage compares
the C simulation with these *actual* outputs (never with the task's ``expected`` field), in the canonical form
of :func:`pipeline.vectors.canonical`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.task import Task, TestVector
from verifiers.front.checker import py_name


@dataclass
class ReferenceRun:
    """Outputs of the Python model per vector (canonical form), or the error it raised."""

    outputs: list[dict[str, Any] | None]
    errors: list[str | None]
    seconds: float = 0.0
    failure: str | None = None  # the whole run failed (import error, timeout)
    extra: dict[str, Any] = field(default_factory=dict)


def output_names(task: Task) -> list[str]:
    """What a vector's outputs are: every result, then every array parameter (its final contents)."""
    sig = task.signature
    return [p.name for p in sig.returns] + [p.name for p in sig.params if p.type.kind in ("array", "array2")]


def python_params(module_text: str, function: str) -> list[str] | None:
    """The parameter names of ``function`` in the module (the Python compiler may rename, e.g. ``len_``)."""
    try:
        tree = ast.parse(module_text)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [a.arg for a in node.args.args]
    return None


def run_reference(
    module_path: str | Path, task: Task, vectors: list[TestVector], work_dir: str | Path,
    timeout: float = 20.0, memory_mb: int = 1024,
) -> ReferenceRun:
    """Call the model's top function on every vector (one child process for all of them)."""
    from pipeline.vectors import CallSpec, canonical, run_vectors

    sig = task.signature
    function = py_name(sig.name)
    text = Path(module_path).read_text(encoding="utf-8")
    names = python_params(text, function) or [py_name(p.name) for p in sig.params]
    if len(names) != len(sig.params):
        why = f"the model's {function} takes {len(names)} parameters, the task's signature {len(sig.params)}"
        return ReferenceRun([None] * len(vectors), [why] * len(vectors), failure=why)
    spec = CallSpec(
        function,
        [(p.name, py, str(p.type)) for p, py in zip(sig.params, names, strict=True)],
        [(p.name, py_name(p.name), str(p.type)) for p in sig.returns],
    )
    unexpected = [TestVector(v.inputs, {}) for v in vectors]  # actual outputs only: no comparison there
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    report = run_vectors(module_path, spec, unexpected, timeout=timeout, memory_mb=memory_mb, workdir=work)
    outputs: list[dict[str, Any] | None] = [None] * len(vectors)
    errors: list[str | None] = [None] * len(vectors)
    types = {p.name: p.type for p in sig.params + sig.returns}
    for r in report.results:
        if r.error:
            errors[r.index] = r.error
        else:
            outputs[r.index] = {n: canonical(v, types[n]) for n, v in r.actual.items()}
    for i in range(len(vectors)):
        if outputs[i] is None and errors[i] is None:
            errors[i] = report.error or "no result"
    return ReferenceRun(outputs, errors, report.seconds, report.error or None)
