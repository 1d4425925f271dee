"""Optional checks after an import, with the real Dafny: verify each reference against its pinned contract,
and fill vectors that have inputs but no expected outputs by running the reference.

A task whose reference does not verify is moved to the skipped list with Dafny's reason; it is not written.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from benchmarks.importers.common import ImportResult, Skipped
from pipeline.task import Task, TestVector


def runnable_source(source: str) -> str:
    """``source`` rewritten for the installed Dafny's dialect (public programs are Dafny 4; Debian has 2.3)."""
    try:
        from verifiers.bridge import bridge
        from verifiers.dafny import Dafny

        return bridge(source, Dafny().dialect).text
    except Exception:  # no verifier package or no Dafny: run the text as it is
        return source


def verify_tasks(result: ImportResult, workers: int = 2) -> int:
    """Verify every task's reference; move the failures to ``result.skipped``. Returns how many verified."""
    from benchmarks.check_suite import verify_reference

    with_ref = [t for t in result.tasks if t.reference]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outcomes = list(pool.map(verify_reference, with_ref))
    failed = {}
    for task, (ok, problem, note) in zip(with_ref, outcomes, strict=True):
        if not ok:
            failed[task.id] = problem
        elif note:
            result.warnings.append(f"{task.id}: {note}")
    result.tasks = [t for t in result.tasks if t.id not in failed]
    result.skipped += [Skipped(tid, f"reference does not verify: {why}") for tid, why in failed.items()]
    return len(with_ref) - len(failed)


def record_expected(result: ImportResult, workers: int = 2) -> int:
    """Fill the expected outputs of inputs-only vectors by running each reference with Dafny.

    Returns how many vectors were filled; a reference that does not run becomes a warning.
    """
    from benchmarks.check_suite import record_outputs

    todo = [t for t in result.tasks if t.reference and any(not v.expected for v in t.tests)]

    def one(task: Task) -> tuple[Task, list[dict] | str]:
        return task, record_outputs(task, source=runnable_source(task.reference or ""))

    filled = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for task, outputs in pool.map(one, todo):
            if isinstance(outputs, str):
                result.warnings.append(f"{task.id}: expected outputs not recorded: {outputs}")
                continue
            new = []
            for vec, out in zip(task.tests, outputs, strict=True):
                if not vec.expected and out:
                    vec = TestVector(vec.inputs, out)
                    filled += 1
                new.append(vec)
            task.tests = new
            task.metadata.pop("inputs_only_vectors", None)
            task.metadata["expected_from"] = "reference run (Dafny)"
    return filled
