"""Test vectors against a compiled Python module: value conversion and a sandboxed harness.

A task's test values are YAML values (integers, booleans, strings, lists); the compiled module speaks the Python
types of the reference-model contract (DESIGN.md): ``array<T>`` is a ``list``, ``array2<T>`` a list of lists,
``seq<T>`` a ``tuple``, ``seq<char>``/``string``/``char`` a ``str``. :func:`to_python` and :func:`from_python`
convert between the two; :func:`canonical` brings either side to one comparable form; :func:`values_equal`
compares an expected task value with an actual one.

:func:`run_vectors` imports a compiled module in a child process (time and memory limits through
:func:`pipeline.process.run_command`), calls one function on every vector and reports, per vector, the outputs
(results by name, and the final contents of array parameters) and whether they match the expected values. The
child runs ``python -m pipeline.vectors MODULE.py SPEC.json`` and writes JSON on stdout.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.types import DafnyType, parse_type

# ------------------------------------------------------------------------------------------ conversion


def _is_char_seq(t: DafnyType) -> bool:
    return t.kind == "string" or (t.kind == "seq" and t.elem is not None and t.elem.kind == "char")


def to_python(value: Any, typ: DafnyType) -> Any:
    """A task value as the compiled module expects it (lists become fresh lists, so arrays can be mutated)."""
    if typ.kind in ("int", "nat", "bv"):
        return int(value)
    if typ.kind == "bool":
        return bool(value)
    if typ.kind == "char":
        return str(value)
    if _is_char_seq(typ):
        return value if isinstance(value, str) else "".join(value)
    assert typ.elem is not None
    if typ.kind == "seq":
        return tuple(to_python(v, typ.elem) for v in value)
    if typ.kind == "array":
        return [to_python(v, typ.elem) for v in value]
    if typ.kind == "array2":
        return [[to_python(v, typ.elem) for v in row] for row in value]
    raise ValueError(f"no Python form for {typ}")


def from_python(value: Any, typ: DafnyType) -> Any:
    """A module value as a task value (JSON/YAML-ready: tuples become lists)."""
    if typ.kind in ("int", "nat", "bv"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer for {typ}, got {type(value).__name__}")
        return value
    if typ.kind == "bool":
        if not isinstance(value, bool):
            raise TypeError(f"expected a bool, got {type(value).__name__}")
        return value
    if typ.kind == "char" or _is_char_seq(typ):
        if isinstance(value, str):
            return value
        if isinstance(value, (list, tuple)) and all(isinstance(c, str) for c in value):
            return "".join(value)
        raise TypeError(f"expected a string for {typ}, got {type(value).__name__}")
    assert typ.elem is not None
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"expected a sequence for {typ}, got {type(value).__name__}")
    if typ.kind == "array2":
        return [[from_python(v, typ.elem) for v in row] for row in value]
    return [from_python(v, typ.elem) for v in value]


def canonical(value: Any, typ: DafnyType) -> Any:
    """One comparable form for a task or module value: strings for character sequences, lists otherwise."""
    if _is_char_seq(typ):
        return value if isinstance(value, str) else "".join(value)
    if typ.kind in ("seq", "array", "array2"):
        assert typ.elem is not None
        inner = DafnyType("array", elem=typ.elem) if typ.kind == "array2" else typ.elem
        return [canonical(v, inner) for v in value]
    if typ.kind == "bool":
        return bool(value) if isinstance(value, bool) else value
    return value


def values_equal(expected: Any, actual: Any, typ: DafnyType) -> bool:
    """Whether a module output equals the task's expected value (``True`` never equals ``1`` here)."""
    e, a = canonical(expected, typ), canonical(actual, typ)
    return _strict_equal(e, a)


def _strict_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


# ------------------------------------------------------------------------------------------ harness


@dataclass
class VectorResult:
    """One vector: the inputs, the expected and actual outputs by name, and why it failed (if it did)."""

    index: int
    passed: bool
    inputs: dict[str, Any]
    expected: dict[str, Any]
    actual: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class VectorReport:
    """All vectors of one run; ``error`` is set when the harness itself failed (timeout, crash on import)."""

    results: list[VectorResult]
    error: str = ""
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.results) and all(r.passed for r in self.results)

    def failures(self) -> list[VectorResult]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "passed": self.passed,
            "error": self.error,
            "timed_out": self.timed_out,
            "seconds": round(self.seconds, 3),
            "results": [asdict(r) for r in self.results],
        }


@dataclass
class CallSpec:
    """How to call the function under test: its Python name, its parameters and results with Dafny types.

    ``params``/``returns`` are ``(task name, Python name, Dafny type text)``; ``returns`` in the order of the
    Python function's results (ghost results are not among them).
    """

    function: str
    params: list[tuple[str, str, str]]
    returns: list[tuple[str, str, str]]


def call_spec_for(task_signature: Any, module_sig: Any) -> CallSpec:
    """Pair a task's :class:`~pipeline.task.Signature` with the compiled module's
    :class:`~hls.dafny_python.FunctionSig` (ghost parameters and results dropped, Dafny names kept)."""
    py_params = {p.name: p.py for p in module_sig.params}
    py_returns = {p.name: p.py for p in module_sig.returns}
    params = [(p.name, py_params[p.name], str(p.type)) for p in task_signature.params if p.name in py_params]
    returns = [(p.name, py_returns[p.name], str(p.type)) for p in task_signature.returns if p.name in py_returns]
    return CallSpec(module_sig.py, params, returns)


def run_vectors(
    module_path: str | Path,
    spec: CallSpec,
    vectors: list[Any],
    *,
    timeout: float = 20.0,
    memory_mb: int = 1024,
    workdir: str | Path | None = None,
) -> VectorReport:
    """Run ``vectors`` (objects with ``inputs`` and ``expected`` dicts) against ``spec.function`` of the module at
    ``module_path`` in a child process with a wall-clock and memory limit, and compare in this process."""
    import tempfile

    from pipeline.process import run_command

    module_path = Path(module_path).resolve()
    payload = {
        "function": spec.function,
        "params": spec.params,
        "returns": spec.returns,
        "vectors": [{"inputs": v.inputs} for v in vectors],
    }
    with tempfile.TemporaryDirectory(prefix="p2s-vectors-", dir=workdir) as scratch:
        spec_path = Path(scratch, "vectors.json")
        spec_path.write_text(json.dumps(payload), encoding="utf-8")
        repo = str(Path(__file__).resolve().parent.parent)
        env = {"PYTHONPATH": repo + os.pathsep + os.environ.get("PYTHONPATH", ""), "PYTHONIOENCODING": "utf-8",
               "PYTHONDONTWRITEBYTECODE": "1"}
        res = run_command([sys.executable, "-m", "pipeline.vectors", str(module_path), str(spec_path)],
                          cwd=scratch, env=env, timeout=timeout, memory_mb=memory_mb)
    if res.timed_out:
        return VectorReport(_unrun(vectors, f"timed out after {timeout:g} s"), f"timed out after {timeout:g} s",
                            res.seconds, True)
    try:
        raw = json.loads(res.stdout.strip().splitlines()[-1]) if res.stdout.strip() else None
    except (json.JSONDecodeError, IndexError):
        raw = None
    if isinstance(raw, dict) and raw.get("error"):
        return VectorReport(_unrun(vectors, raw["error"]), raw["error"], res.seconds)
    if not isinstance(raw, dict) or "results" not in raw:
        tail = (res.stderr.strip().splitlines() or [f"exit {res.returncode}"])[-1]
        why = "out of memory" if "MemoryError" in res.stderr else tail
        return VectorReport(_unrun(vectors, why), f"the harness failed: {why}", res.seconds)
    results = [_compare(i, v, out, spec) for i, (v, out) in enumerate(zip(vectors, raw["results"], strict=False))]
    return VectorReport(results, "", res.seconds)


def _unrun(vectors: list[Any], why: str) -> list[VectorResult]:
    return [VectorResult(i, False, dict(v.inputs), dict(v.expected), {}, why) for i, v in enumerate(vectors)]


def _compare(index: int, vector: Any, out: dict[str, Any], spec: CallSpec) -> VectorResult:
    result = VectorResult(index, False, dict(vector.inputs), dict(vector.expected), out.get("outputs", {}),
                          out.get("error", ""))
    if result.error:
        return result
    types = {name: parse_type(t) for name, _, t in spec.params + spec.returns}
    wrong = []
    for name, want in vector.expected.items():
        if name not in result.actual:
            wrong.append(f"{name}: no such output (ghost or unknown)")
        elif not values_equal(want, result.actual[name], types[name]):
            wrong.append(f"{name}: expected {want!r}, got {result.actual[name]!r}")
    result.error = "; ".join(wrong)
    result.passed = not wrong
    return result


# ------------------------------------------------------------------------------------------ child process


def _load_module(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("p2s_model", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["p2s_model"] = module
    spec.loader.exec_module(module)
    return module


def _child(module_path: str, spec_path: str) -> dict[str, Any]:
    payload = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    sys.setrecursionlimit(100_000)
    try:
        module = _load_module(module_path)
        fn = getattr(module, payload["function"])
    except Exception as exc:  # the module is untrusted output: report, do not crash
        return {"error": f"cannot import the module: {type(exc).__name__}: {exc}"}
    params = [(n, py, parse_type(t)) for n, py, t in payload["params"]]
    returns = [(n, py, parse_type(t)) for n, py, t in payload["returns"]]
    results = []
    for vec in payload["vectors"]:
        results.append(_call_one(fn, params, returns, vec["inputs"]))
    return {"results": results}


def _call_one(fn: Any, params: list, returns: list, inputs: dict[str, Any]) -> dict[str, Any]:
    try:
        args = [to_python(inputs[n], t) for n, _, t in params]
        value = fn(*args)
        outputs: dict[str, Any] = {}
        values = [value] if len(returns) == 1 else list(value) if returns else []
        for (n, _, t), v in zip(returns, values, strict=True):
            outputs[n] = from_python(v, t)
        for (n, _, t), a in zip(params, args, strict=True):
            if t.kind in ("array", "array2"):
                outputs[n] = from_python(a, t)
        return {"outputs": outputs}
    except RecursionError:
        return {"error": "RecursionError: recursion too deep"}
    except Exception as exc:  # a failing vector is a result, not a harness failure
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"line {f.lineno}" for f in reversed(frames) if f.filename.endswith(".py")
                      and "pipeline" not in f.filename), "")
        return {"error": f"{type(exc).__name__}: {exc}" + (f" ({where})" if where else "")}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m pipeline.vectors MODULE.py SPEC.json", file=sys.stderr)
        return 2
    out = _child(args[0], args[1])
    sys.stdout.write("\n" + json.dumps(out, default=repr) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
