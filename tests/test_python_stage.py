"""The ``python`` stage and the vector harness: pass only when every vector matches, failures recorded, limits
enforced, a missing Dafny is ``skipped``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.runner import prepare_run, run_passed, run_stage, run_stages
from pipeline.stage import RunOptions, Status
from pipeline.task import load_task, task_from_dict
from pipeline.types import parse_type
from pipeline.vectors import CallSpec, canonical, from_python, run_vectors, to_python, values_equal
from tests.support import REPO, needs_dafny, needs_gcc, needs_iverilog

SORT = """
method BubbleSort(a: array<int>) returns (swaps: nat)
  modifies a
{
  swaps := 0;
  var i := a.Length - 1;
  while i > 0
    decreases i
  {
    var j := 0;
    while j < i
      decreases i - j
    {
      if a[j] > a[j + 1] {
        a[j], a[j + 1] := a[j + 1], a[j];
        swaps := swaps + 1;
      }
      j := j + 1;
    }
    i := i - 1;
  }
}
"""


def sort_task(tests: list[dict] | None = None) -> object:
    return task_from_dict({
        "id": "bubble",
        "description": "Sort an array in place and count the swaps.",
        "signature": "method BubbleSort(a: array<int>) returns (swaps: nat)",
        "requires": [],
        "ensures": ["forall i, j :: 0 <= i < j < a.Length ==> a[i] <= a[j]"],
        "tests": tests if tests is not None else [
            {"inputs": {"a": [3, 1, 2]}, "expected": {"a": [1, 2, 3], "swaps": 2}},
            {"inputs": {"a": []}, "expected": {"a": [], "swaps": 0}},
            {"inputs": {"a": [-1, -5, 7, 0]}, "expected": {"a": [-5, -1, 0, 7], "swaps": 2}},
        ],
    })


def context(tmp_path: Path, task: object, source: str, options: RunOptions | None = None, key: str = "dafny"):
    ctx = prepare_run(task, tmp_path / "run", options)  # type: ignore[arg-type]
    path = tmp_path / "candidate.dfy"
    path.write_text(source, encoding="utf-8")
    ctx.artifacts[key] = str(path)
    return ctx


# ------------------------------------------------------------------------------------------ the stage


@needs_dafny
def test_example_task_passes(tmp_path: Path) -> None:
    task = load_task(REPO / "benchmarks/examples/max_array.yaml")
    ctx = context(tmp_path, task, task.reference)
    result = run_stage(ctx, "python")
    assert result.status is Status.PASS, result.detail
    assert result.metrics["vectors_total"] == 4 and result.metrics["vectors_passed"] == 4
    module = Path(result.artifacts["python"])
    assert module.name == "max_array.py" and "def MaxArray(a: list[int]) -> int:" in module.read_text()
    report = json.loads(Path(result.artifacts["python_results"]).read_text())
    assert report["passed"] == 4 and all(r["passed"] for r in report["results"])


@needs_dafny
def test_array_parameters_are_checked_by_final_contents(tmp_path: Path) -> None:
    result = run_stage(context(tmp_path, sort_task(), SORT), "python")
    assert result.status is Status.PASS, result.detail
    assert result.metrics["vectors_passed"] == 3


@needs_dafny
def test_strings_characters_and_sequences(tmp_path: Path) -> None:
    source = """
method Rev(s: string, c: char, xs: seq<int>) returns (r: seq<char>, n: nat, ys: seq<int>)
{
  r := [];
  var i := |s|;
  while i > 0
  {
    i := i - 1;
    r := r + [s[i]];
  }
  n := multiset(s)[c];
  ys := xs + [|xs|];
}
"""
    task = task_from_dict({
        "id": "rev", "description": "d",
        "signature": "method Rev(s: string, c: char, xs: seq<int>) returns (r: seq<char>, n: nat, ys: seq<int>)",
        "tests": [
            {"inputs": {"s": "abca", "c": "a", "xs": [7]}, "expected": {"r": ["a", "c", "b", "a"], "n": 2,
                                                                        "ys": [7, 1]}},
            {"inputs": {"s": "", "c": "z", "xs": []}, "expected": {"r": [], "n": 0, "ys": [0]}},
        ],
    })
    result = run_stage(context(tmp_path, task, source), "python")
    assert result.status is Status.PASS, result.detail
    report = json.loads(Path(result.artifacts["python_results"]).read_text())
    assert report["results"][0]["actual"] == {"r": "acba", "n": 2, "ys": [7, 1]}


@needs_dafny
def test_a_wrong_program_fails_and_records_which_vectors(tmp_path: Path) -> None:
    wrong = SORT.replace("swaps := swaps + 1;", "swaps := swaps + 2;")
    result = run_stage(context(tmp_path, sort_task(), wrong), "python")
    assert result.status is Status.FAIL
    assert result.metrics["vectors_total"] == 3 and result.metrics["vectors_passed"] == 1  # [] still matches
    failures = result.metrics["failures"]
    assert [f["index"] for f in failures] == [0, 2]
    assert failures[0]["expected"]["swaps"] == 2 and failures[0]["actual"]["swaps"] == 4
    assert "swaps: expected 2, got 4" in result.detail


@needs_dafny
def test_unsupported_construct_fails_with_its_name(tmp_path: Path) -> None:
    source = SORT.replace("swaps := 0;", "swaps :| swaps > 3;")
    result = run_stage(context(tmp_path, sort_task(), source), "python")
    assert result.status is Status.FAIL
    assert "such-that (:|) without a finite bound" in result.detail and "method BubbleSort" in result.detail
    assert result.metrics["unsupported"] == "such-that (:|) without a finite bound"


def test_missing_dafny_is_skipped_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("P2S_DAFNY", str(tmp_path / "no-such-dafny"))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_stage(context(tmp_path, sort_task(), SORT), "python")
    assert result.status is Status.SKIPPED
    assert "dafny" in result.detail and "apt-get install dafny" in result.detail


@needs_dafny
def test_no_vectors_is_not_a_pass(tmp_path: Path) -> None:
    result = run_stage(context(tmp_path, sort_task(tests=[]), SORT), "python")
    assert result.status is Status.SKIPPED and "no test vectors" in result.detail
    assert Path(result.artifacts["python"]).is_file() and not result.blocks


@needs_dafny
def test_prefers_the_verified_program(tmp_path: Path) -> None:
    from verifiers.bridge import bridge

    ctx = context(tmp_path, sort_task(), "this is not Dafny")
    verified = tmp_path / "verified.dfy"
    verified.write_text(bridge(SORT, "dafny3").text, encoding="utf-8")
    ctx.artifacts["verified_dfy"] = str(verified)
    assert run_stage(ctx, "python").status is Status.PASS


@needs_dafny
def test_time_limit(tmp_path: Path) -> None:
    source = """
method Step(n: int) returns (r: int)
  decreases *
{
  r := 0;
  while r != n
    decreases *
  {
    r := r + 2;
  }
}
"""
    task = task_from_dict({
        "id": "step", "description": "d", "signature": "method Step(n: int) returns (r: int)",
        "tests": [{"inputs": {"n": 4}, "expected": {"r": 4}}, {"inputs": {"n": 3}, "expected": {"r": 3}}],
    })
    result = run_stage(context(tmp_path, task, source, RunOptions(exec_timeout=3)), "python")
    assert result.status is Status.FAIL and "timed out after 3 s" in result.detail
    assert result.metrics["vectors_passed"] == 0


@needs_dafny
def test_memory_limit(tmp_path: Path) -> None:
    source = """
method Grow(n: int) returns (r: int)
  decreases *
{
  var s: seq<int> := [1];
  while true
    decreases *
  {
    s := s + s;
  }
}
"""
    task = task_from_dict({
        "id": "grow", "description": "d", "signature": "method Grow(n: int) returns (r: int)",
        "tests": [{"inputs": {"n": 1}, "expected": {"r": 0}}],
    })
    result = run_stage(context(tmp_path, task, source, RunOptions(exec_timeout=60, exec_memory_mb=300)), "python")
    assert result.status is Status.FAIL
    assert "MemoryError" in result.detail or "memory" in result.detail


# ------------------------------------------------------------------------------------------ vectors


def test_value_conversion_round_trips() -> None:
    cases = [
        ("int", -5, -5), ("bool", True, True), ("char", "x", "x"), ("string", "hi", "hi"),
        ("seq<int>", [1, 2], (1, 2)), ("seq<char>", ["a", "b"], "ab"), ("array<int>", [1, 2], [1, 2]),
        ("array2<int>", [[1, 2], [3, 4]], [[1, 2], [3, 4]]), ("bv8", 255, 255), ("array<bool>", [True], [True]),
    ]
    for text, task_value, py_value in cases:
        t = parse_type(text)
        assert to_python(task_value, t) == py_value
        assert values_equal(task_value, from_python(to_python(task_value, t), t), t)
    arr = [1, 2]
    assert to_python(arr, parse_type("array<int>")) is not arr  # the module may mutate its copy
    assert canonical(["a", "b"], parse_type("seq<char>")) == "ab"


def test_values_equal_is_strict_about_bools() -> None:
    assert not values_equal(1, True, parse_type("int"))
    assert not values_equal([True], [1], parse_type("seq<bool>"))
    assert values_equal([1, 2], (1, 2), parse_type("seq<int>"))
    with pytest.raises(TypeError):
        from_python(True, parse_type("int"))


def test_harness_reports_per_vector_errors(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def Div(a: int, b: int) -> int:\n    return a // b\n", encoding="utf-8")

    class V:
        def __init__(self, inputs: dict, expected: dict) -> None:
            self.inputs, self.expected = inputs, expected

    spec = CallSpec("Div", [("a", "a", "int"), ("b", "b", "int")], [("q", "q", "int")])
    report = run_vectors(module, spec, [V({"a": 6, "b": 3}, {"q": 2}), V({"a": 1, "b": 0}, {"q": 0}),
                                        V({"a": 7, "b": 2}, {"q": 4})], timeout=30)
    assert [r.passed for r in report.results] == [True, False, False]
    assert "ZeroDivisionError" in report.results[1].error
    assert report.results[2].error == "q: expected 4, got 3"
    assert report.total == 3 and report.passed == 1 and not report.ok


def test_harness_survives_a_module_that_does_not_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("raise RuntimeError('broken at import')\n", encoding="utf-8")

    class V:
        inputs: dict = {}
        expected: dict = {"r": 1}

    report = run_vectors(module, CallSpec("F", [], [("r", "r", "int")]), [V()], timeout=30)
    assert not report.ok and "broken at import" in report.error and report.results[0].passed is False


# ------------------------------------------------------------------------------------------ what the chain needs

DRIVEN = """
method max(a: int, b: int) returns (m: int)
  ensures m >= a && m >= b && (m == a || m == b)
{
  if a > b { m := a; } else { m := b; }
}

method Main() {
  if * { print 1; }
  var m := max(1, 2);
  print m, "\\n";
}
"""


def driven_task(tests: list[dict]) -> object:
    return task_from_dict({
        "id": "driven_max", "description": "The larger of two integers.",
        "signature": "method max(a: int, b: int) returns (m: int)", "requires": [],
        "ensures": ["m >= a && m >= b && (m == a || m == b)"], "tests": tests,
    })


@needs_dafny
@needs_gcc
@needs_iverilog
def test_only_what_the_target_reaches_is_compiled(tmp_path: Path) -> None:
    """A test driver (``if *`` is refused by the compiler) is not the target's concern; a target named like a
    Python builtin (max -> max_) is found by the C stage too."""
    ctx = context(tmp_path, driven_task([{"inputs": {"a": 1, "b": 2}, "expected": {"m": 2}},
                                         {"inputs": {"a": -3, "b": -7}, "expected": {"m": -3}}]), DRIVEN)
    results = run_stages(ctx, ["python", "c", "rtl", "cosim"])
    assert [r.status for r in results] == [Status.PASS] * 4, [r.detail for r in results]
    module = Path(results[0].artifacts["python"]).read_text()
    assert "def max_(" in module and "def Main" not in module


@needs_dafny
@needs_gcc
def test_a_task_without_vectors_still_reaches_rtl_and_does_not_pass(tmp_path: Path) -> None:
    ctx = context(tmp_path, driven_task([]), DRIVEN)
    results = run_stages(ctx, ["python", "c", "rtl", "cosim"])
    assert [r.status for r in results] == [Status.SKIPPED, Status.SKIPPED, Status.PASS, Status.SKIPPED]
    assert all("no test vectors" in r.detail for r in results if r.status is Status.SKIPPED)
    assert not run_passed(results)
