"""Test vectors for tasks whose source has none (DafnyBench programs): inputs drawn at random, kept only where
Dafny proves the target's ``requires`` hold for them, with the outputs the verified reference computes.

Why: without vectors nothing checks the C and the RTL against the reference, so a program can only be
verified, never carried through the hardware chain. Drawn inputs are small on purpose (a few elements, values
near zero, sorted arrays as often as not): preconditions such as "sorted", "non-empty" or "n < |a|" are then
met often, and loops over the inputs end quickly when the reference runs. The vectors say where they came from
(``metadata.vectors_from``), so a report never passes them off as published tests.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from benchmarks.importers.common import ImportResult
from pipeline.home import p2s_home, write_cache_entry
from pipeline.task import Task, TestVector
from pipeline.types import DafnyType

DRAWS_PER_VECTOR = 3  # candidates drawn per vector asked for: the requires reject some
MAX_DRAWN_LENGTH = 6  # the longest drawn array or sequence (never above the task's max_array_length)
SMALL = (-4, 12)  # most drawn integers
WIDE = (-100, 100)  # the others


class Unsampleable(Exception):
    """A parameter type the sampler does not draw (the reason names it)."""


def draw_value(typ: DafnyType, rng: random.Random, max_length: int) -> Any:
    """One random value of ``typ`` in the task format (lists for arrays and sequences, one-char strings).

    Raises:
        Unsampleable: a type with no drawing rule (a 2-D array, nested containers, a bit vector).
    """
    if typ.kind == "bool":
        return rng.random() < 0.5
    if typ.kind in ("int", "nat"):
        lo, hi = SMALL if rng.random() < 0.8 else WIDE
        value = rng.randint(lo, hi)
        return abs(value) if typ.kind == "nat" else value
    if typ.kind == "char":
        return rng.choice("abcde")
    if typ.kind == "string":
        return "".join(rng.choice("abcd") for _ in range(rng.randint(0, min(max_length, MAX_DRAWN_LENGTH))))
    if typ.kind in ("array", "seq") and typ.elem is not None and typ.elem.is_scalar and typ.elem.kind != "bv":
        n = rng.randint(0, min(max_length, MAX_DRAWN_LENGTH))
        items = [draw_value(typ.elem, rng, max_length) for _ in range(n)]
        if typ.elem.kind in ("int", "nat") and rng.random() < 0.5:
            items.sort()
        return items
    raise Unsampleable(f"no drawing rule for {typ}")


def draw_inputs(task: Task, rng: random.Random) -> dict[str, Any]:
    """One candidate input per parameter of the target."""
    bound = task.hardware.max_array_length
    return {p.name: draw_value(p.type, rng, bound) for p in task.signature.params}


def candidates(task: Task, count: int, seed: int) -> list[TestVector]:
    """``count`` distinct candidate vectors (inputs only), the same for the same task and seed."""
    rng = random.Random(f"{seed}:{task.id}")
    seen: list[dict[str, Any]] = []
    for _ in range(count * 4):
        inputs = draw_inputs(task, rng)
        if inputs not in seen:
            seen.append(inputs)
        if len(seen) == count:
            break
    return [TestVector(inputs, {}) for inputs in seen]


def sample_task(task: Task, wanted: int, seed: int) -> str | None:
    """Give ``task`` up to ``wanted`` admissible vectors with the reference's outputs; None, or why it got
    none."""
    from benchmarks.check_suite import admissible_vectors, record_outputs
    from benchmarks.importers.checks import runnable_source

    try:
        drawn = candidates(task, wanted * DRAWS_PER_VECTOR, seed)
    except Unsampleable as exc:
        return str(exc)
    source = runnable_source(task.reference or "")
    probe = replace(task, tests=drawn)
    verdicts = admissible_vectors(probe, source)
    if isinstance(verdicts, str):
        return verdicts
    kept = [v for v, ok in zip(drawn, verdicts, strict=True) if ok][:wanted]
    if not kept:
        return f"none of {len(drawn)} drawn inputs provably meets the requires"
    outputs = record_outputs(replace(task, tests=kept), source=source)
    if isinstance(outputs, str):
        return f"the reference did not run on the drawn inputs: {outputs}"
    task.tests = [TestVector(v.inputs, out) for v, out in zip(kept, outputs, strict=True) if out]
    if not task.tests:
        return "the reference printed no outputs for the drawn inputs"
    task.metadata["vectors_from"] = (f"sampled: {len(drawn)} inputs drawn (seed {seed}), {len(kept)} met the "
                                     f"requires; outputs from the reference run (Dafny)")
    return None


SAMPLER_VERSION = "1"  # bump when drawing or checking changes what a task's sampled vectors are


def sample_vectors(result: ImportResult, wanted: int, seed: int = 0, workers: int = 2,
                   progress: Callable[[int, int], None] | None = None) -> int:
    """Give every task without vectors up to ``wanted`` sampled ones; a task that gets none keeps none, with a
    warning saying why. Returns how many tasks got vectors.

    Each task's outcome is kept in ``$P2S_HOME/sample-cache`` under the hash of the task as imported, the count
    and the seed: an import stopped halfway (hundreds of Dafny runs) picks up where it stopped when run again.
    ``progress(done, total)`` is called as tasks finish."""
    todo = [t for t in result.tasks if t.reference and not t.tests]
    finished = itertools.count(1)  # next() on it is atomic under the GIL: one count per finished task

    def one(task: Task) -> str | None:
        why = cached_sample(task, wanted, seed)
        done = next(finished)
        if progress:
            progress(done, len(todo))
        return why

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        reasons = list(pool.map(one, todo))
    for task, why in zip(todo, reasons, strict=True):
        if why:
            result.warnings.append(f"{task.id}: no sampled vectors: {why}")
    return sum(1 for why in reasons if why is None)


def cached_sample(task: Task, wanted: int, seed: int) -> str | None:
    """:func:`sample_task`, its outcome (the vectors, or why there are none) kept by the task's hash."""
    key = hashlib.sha256(f"{SAMPLER_VERSION}|{task.fingerprint()}|{wanted}|{seed}".encode()).hexdigest()
    path = p2s_home() / "sample-cache" / key[:2] / f"{key}.json"
    try:
        kept = json.loads(path.read_text())
        if kept.get("why"):
            return kept["why"]
        task.tests = [TestVector(v["inputs"], v["expected"]) for v in kept["tests"]]
        task.metadata["vectors_from"] = kept["vectors_from"]
        return None
    except (OSError, ValueError, KeyError, TypeError):
        pass
    why = sample_task(task, wanted, seed)
    kept = {"why": why} if why else {"tests": [{"inputs": v.inputs, "expected": v.expected} for v in task.tests],
                                     "vectors_from": task.metadata["vectors_from"]}
    write_cache_entry(path, json.dumps(kept))
    return why
