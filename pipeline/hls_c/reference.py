"""Run the Python reference model on test vectors, in a subprocess with time and memory limits.

The model is code a compiler produced from LLM-written Dafny, so it never runs in this process. The child
imports the module from a file, calls the top function on each vector, and prints one JSON line per vector
with the results (by the task's return names) and the final contents of every array parameter (Dafny
methods may modify them), in canonical form (:mod:`pipeline.hls_c.values`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.hls_c.compiler import mangle
from pipeline.hls_c.values import canonical, to_python
from pipeline.process import run_command
from pipeline.task import Task, TestVector

_RUNNER = r'''
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("p2s_model", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
job = json.load(sys.stdin)
fn = getattr(mod, job["top"])

def canon(v):
    if isinstance(v, (list, tuple)):
        return [canon(x) for x in v]
    return v

for i, args in enumerate(job["vectors"]):
    conv = []
    for a, kind in zip(args, job["kinds"]):
        if kind == "seq" and isinstance(a, list):
            a = tuple(a)
        conv.append(a)
    try:
        res = fn(*conv)
    except BaseException as exc:
        print(json.dumps({"vector": i, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
        continue
    n = job["n_results"]
    results = [] if n == 0 else ([res] if n == 1 else list(res))
    arrays = {name: canon(conv[k]) for k, name in job["array_params"]}
    print(json.dumps({"vector": i, "results": [canon(r) for r in results], "arrays": arrays}), flush=True)
'''


@dataclass
class ReferenceRun:
    """Outputs of the Python model per vector (canonical form), or the error it raised."""

    outputs: list[dict[str, Any] | None]
    errors: list[str | None]
    log: str = ""
    seconds: float = 0.0
    failure: str | None = None  # the whole run failed (import error, timeout)
    extra: dict[str, Any] = field(default_factory=dict)


def output_names(task: Task) -> list[str]:
    """What a vector's outputs are: every result, then every array parameter (its final contents)."""
    sig = task.signature
    return [p.name for p in sig.returns] + [p.name for p in sig.params if p.type.kind in ("array", "array2")]


def run_reference(
    module_path: str | Path, task: Task, vectors: list[TestVector], work_dir: str | Path,
    timeout: float = 20.0, memory_mb: int = 1024,
) -> ReferenceRun:
    """Call the model's top function on every vector (one child process for all of them)."""
    sig = task.signature
    job = {
        "top": mangle(sig.name),
        "kinds": [p.type.kind for p in sig.params],
        "n_results": len(sig.returns),
        "array_params": [[k, p.name] for k, p in enumerate(sig.params) if p.type.kind in ("array", "array2")],
        "vectors": [[_jsonable(to_python(v.inputs[p.name], p.type)) for p in sig.params] for v in vectors],
    }
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    runner = work / "reference_runner.py"
    runner.write_text(_RUNNER)
    res = run_command(
        [sys.executable, "-I", str(runner), str(Path(module_path).resolve())], cwd=work, timeout=timeout,
        memory_mb=memory_mb, stdin=json.dumps(job), log_path=work / "reference.log",
    )
    outputs: list[dict[str, Any] | None] = [None] * len(vectors)
    errors: list[str | None] = [None] * len(vectors)
    for line in res.stdout.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        i = rec.get("vector")
        if not isinstance(i, int) or not 0 <= i < len(vectors):
            continue
        if "error" in rec:
            errors[i] = rec["error"]
            continue
        out = {}
        for p, r in zip(sig.returns, rec["results"], strict=False):
            out[p.name] = canonical(r, p.type)
        for name, value in rec["arrays"].items():
            out[name] = canonical(value, sig.param(name).type)  # type: ignore[union-attr]
        outputs[i] = out
    failure = None
    if res.timed_out:
        failure = f"the Python reference model timed out after {timeout:g}s"
    elif res.returncode != 0:
        tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
        failure = f"the Python reference model failed: {tail}"
    for i in range(len(vectors)):
        if outputs[i] is None and errors[i] is None:
            errors[i] = failure or "no result"
    return ReferenceRun(outputs, errors, res.output, res.seconds, failure)


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v
