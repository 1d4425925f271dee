"""Optional checks after an import, with the real Dafny: verify each reference against its pinned contract,
and run it on the vectors (filling those that have inputs only, checking the stated expectations).

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
    """Run each reference with Dafny on its vectors: fill the expected outputs of inputs-only vectors, and
    check the stated ones against what the reference computes.

    A published expectation may itself be wrong (a hand-written ``//expected`` comment): where the verified
    reference computes something else, its output is kept, the vector's ``expected`` is corrected and a
    warning names both values (``metadata.expected_corrected`` counts them). Returns how many vectors were
    filled or corrected; a reference that does not run becomes a warning.
    """
    from benchmarks.check_suite import record_outputs

    todo = [t for t in result.tasks if t.reference and t.tests]

    def one(task: Task) -> tuple[Task, list[dict] | str]:
        return task, record_outputs(task, source=runnable_source(task.reference or ""))

    changed = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for task, outputs in pool.map(one, todo):
            if isinstance(outputs, str):
                result.warnings.append(f"{task.id}: expected outputs not recorded: {outputs}")
                continue
            new, filled, corrected = [], 0, 0
            for k, (vec, out) in enumerate(zip(task.tests, outputs, strict=True), 1):
                if not vec.expected and out:
                    vec, filled = TestVector(vec.inputs, out), filled + 1
                elif out and any(name in out and out[name] != value for name, value in vec.expected.items()):
                    result.warnings.append(f"{task.id}: vector {k}: the published expectation {vec.expected} "
                                           f"differs from what the verified reference computes, {out}; the "
                                           f"reference's is kept")
                    vec, corrected = TestVector(vec.inputs, {**vec.expected, **out}), corrected + 1
                new.append(vec)
            task.tests = new
            if filled:
                task.metadata.pop("inputs_only_vectors", None)
                task.metadata["expected_from"] = "reference run (Dafny)"
            if corrected:
                task.metadata["expected_corrected"] = corrected
            changed += filled + corrected
    return changed
