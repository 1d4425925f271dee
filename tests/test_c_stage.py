"""The ``c`` stage: artifacts, pass only on every vector matching, refusals and missing prerequisites."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.hw_interface import HwInterface
from pipeline.stage import RunContext, Status
from pipeline.task import task_from_dict
from tests.support import needs_dafny, needs_gcc

MODEL = '''
def _dafny_div(a: int, b: int) -> int:
    return a // b if b > 0 else -(a // -b)


def ComputeAvg(a: int, b: int) -> int:
    avg: int = _dafny_div(a + b, 2)
    return avg
'''
SIGNATURE = "method ComputeAvg(a: int, b: int) returns (avg: int)"
TESTS = [
    {"inputs": {"a": 3, "b": 4}, "expected": {"avg": 3}},
    {"inputs": {"a": -3, "b": 0}, "expected": {"avg": -2}},
    {"inputs": {"a": -7, "b": 2}, "expected": {"avg": -3}},
]


def context(tmp_path: Path, model: str | None = MODEL, tests=TESTS, signature=SIGNATURE, **hardware) -> RunContext:
    # these tests start from a Python model, with no Dafny program to prove widths on: the proof is off
    task = task_from_dict({"id": "avg", "description": "d", "signature": signature, "tests": tests,
                           "hardware": {"width_proof": "off", **hardware}})
    artifacts = {}
    if model is not None:
        path = tmp_path / "model.py"
        path.write_text(model)
        artifacts["python"] = str(path)
    return RunContext(task=task, out_dir=tmp_path / "run", artifacts=artifacts)


def run_stage(ctx: RunContext):
    """The c stage as the runner runs it (its inputs checked first)."""
    from pipeline import runner

    return runner.run_stage(ctx, "c")


@needs_gcc
def test_stage_passes_and_writes_its_artifacts(tmp_path):
    r = run_stage(context(tmp_path))
    assert r.status is Status.PASS, r.detail
    assert r.metrics["vectors_total"] == 3 and r.metrics["vectors_passed"] == 3 and r.metrics["failures"] == 0
    assert set(r.artifacts) == {"c", "c_testbench", "interface", "c_results", "width_proof"}
    assert r.metrics["width_proof"] == "skipped" and "hardware.width_proof: off" in r.detail
    assert "p2s_div_i32" in Path(r.artifacts["c"]).read_text()
    assert "ComputeAvg(" in Path(r.artifacts["c_testbench"]).read_text()
    iface = HwInterface.load(r.artifacts["interface"])
    assert iface.top == "ComputeAvg" and iface.return_port.dafny_name == "avg"
    results = json.loads(Path(r.artifacts["c_results"]).read_text())
    assert [o["c"] for o in results["outcomes"]] == [{"avg": 3}, {"avg": -2}, {"avg": -3}]


@needs_gcc
def test_runner_chains_the_stage(tmp_path):
    from pipeline.runner import run_stages

    ctx = context(tmp_path)
    results = run_stages(ctx, ["c"])
    assert results[0].status is Status.PASS and ctx.artifacts["interface"].endswith("interface.json")


@needs_gcc
def test_a_vector_that_does_not_fit_fails_the_stage(tmp_path):
    tests = TESTS + [{"inputs": {"a": 200, "b": 1}, "expected": {"avg": 100}}]
    r = run_stage(context(tmp_path, tests=tests, int_width=8))
    assert r.status is Status.FAIL
    assert r.metrics["vectors_passed"] == 3 and r.metrics["failures"] == 1
    assert "vector 3" in r.detail and "input a holds 200, outside int8_t" in r.detail


@needs_gcc
def test_an_intermediate_that_outgrows_the_width_is_a_mismatch(tmp_path):
    tests = TESTS + [{"inputs": {"a": 100, "b": 100}, "expected": {"avg": 100}}]
    r = run_stage(context(tmp_path, tests=tests, int_width=8))
    assert r.status is Status.FAIL and r.metrics["failures"] == 1
    assert "avg: C gave -28, the Python reference 100" in r.detail and "hardware.int_width" in r.detail


@needs_gcc
def test_reference_model_errors_fail_the_vector(tmp_path):
    model = "def Third(a: list[int]) -> int:\n    return a[2]\n"
    tests = [{"inputs": {"a": [1, 2, 3]}, "expected": {"x": 3}}, {"inputs": {"a": [1]}, "expected": {"x": 0}}]
    r = run_stage(context(tmp_path, model=model, tests=tests, signature="method Third(a: array<int>) returns (x: int)"))
    assert r.status is Status.FAIL and "IndexError" in r.detail and r.metrics["vectors_passed"] == 1


def test_not_synthesizable_fails_with_the_reason(tmp_path):
    model = "def Fib(n: int) -> int:\n    return n if n < 2 else Fib(n - 1) + Fib(n - 2)\n"
    r = run_stage(context(tmp_path, model=model, signature="method Fib(n: int) returns (r: int)", tests=[]))
    assert r.status is Status.FAIL
    assert "non-tail recursion in Fib (line 2) cannot be synthesized" in r.detail
    assert r.metrics["refused"] == "recursion in Fib"


def test_missing_python_artifact(tmp_path):
    r = run_stage(context(tmp_path, model=None))
    assert r.status is Status.FAIL and r.detail == "no python to read: the python stage produced none"


@needs_gcc
def test_no_vectors_is_not_a_pass(tmp_path):
    r = run_stage(context(tmp_path, tests=[]))
    assert r.status is Status.SKIPPED and "no test vectors" in r.detail and "compiled" in r.detail
    assert "c" in r.artifacts and not r.blocks  # the C is sound (width proof, gcc): RTL may follow


def test_missing_gcc_is_skipped_with_the_fix(tmp_path, monkeypatch):
    import hls.hls_c.simulate as sim

    monkeypatch.setattr(sim, "gcc_path", lambda: None)
    r = run_stage(context(tmp_path))
    assert r.status is Status.SKIPPED and "apt-get install gcc" in r.detail
    assert Path(r.artifacts["c"]).is_file()


@needs_gcc
@needs_dafny
def test_python_then_c_stage_on_a_dafny_program_with_a_ghost_parameter(tmp_path):
    from pipeline.runner import prepare_run, run_stages

    source = '''
method Scale(ghost bound: int, a: array<int>, k: int) returns (s: int)
  modifies a
{
  s := 0;
  var i := 0;
  while i < a.Length
  {
    a[i] := a[i] * k / 2;
    s := s + a[i];
    i := i + 1;
  }
}
'''
    task = task_from_dict({
        "id": "scale", "description": "d", "signature": "method Scale(ghost bound: int, a: array<int>, k: int) "
        "returns (s: int)",
        "tests": [{"inputs": {"bound": 0, "a": [1, -3, 5], "k": 3}, "expected": {"s": 3, "a": [1, -5, 7]}},
                  {"inputs": {"bound": 9, "a": [], "k": -1}, "expected": {"s": 0}}],
        "hardware": {"width_proof": "off"},  # `a[i] * k` is unbounded: the width proof would refuse it
    })
    ctx = prepare_run(task, tmp_path / "run")
    (tmp_path / "scale.dfy").write_text(source)
    ctx.artifacts["dafny"] = str(tmp_path / "scale.dfy")
    py, c = run_stages(ctx, ["python", "c"])
    assert py.status is Status.PASS, py.detail
    assert c.status is Status.PASS, c.detail
    iface = HwInterface.load(c.artifacts["interface"])
    assert [p.name for p in iface.ports] == ["a", "a_len", "k", "return"]  # the ghost parameter is gone
    results = json.loads(Path(c.artifacts["c_results"]).read_text())
    assert results["outcomes"][0]["c"] == {"s": 3, "a": [1, -5, 7]}  # Euclidean: -9 / 2 == -5
