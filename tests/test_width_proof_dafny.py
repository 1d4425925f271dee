"""The width proof with the real Dafny: overflow refused with its line, widening, in-range programs, loop sums
bounded by their invariants, and the c stage refusing a design whose integers may overflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.stage import Status
from pipeline.task import task_from_dict
from tests.support import needs_dafny
from verifiers.api import verify_source
from verifiers.width_proof import prove_widths

pytestmark = needs_dafny

ADD = """method Add(x: int, y: int) returns (s: int)
  requires 0 <= x < 100 && 0 <= y < 100
  ensures s == x + y
{
  s := x + y;
}
"""

SEARCH = """method BinarySearch(a: array<int>, key: int) returns (index: int)
  requires forall i, j :: 0 <= i < j < a.Length ==> a[i] <= a[j]
  ensures 0 <= index ==> index < a.Length && a[index] == key
  ensures index < 0 ==> forall k :: 0 <= k < a.Length ==> a[k] != key
{
  var lo, hi := 0, a.Length;
  while lo < hi
    invariant 0 <= lo <= hi <= a.Length
    invariant forall i :: 0 <= i < lo ==> a[i] < key
    invariant forall i :: hi <= i < a.Length ==> key < a[i]
  {
    var mid := (lo + hi) / 2;
    if a[mid] < key {
      lo := mid + 1;
    } else if key < a[mid] {
      hi := mid;
    } else {
      return mid;
    }
  }
  return -1;
}
"""

SUM_BOUNDED = """method SumSmall(a: array<int>) returns (s: int)
  requires forall k :: 0 <= k < a.Length ==> 0 <= a[k] <= 7
  ensures 0 <= s <= 7 * a.Length
{
  s := 0;
  var i := 0;
  while i < a.Length
    invariant 0 <= i <= a.Length
    invariant 0 <= s <= 7 * i
  {
    s := s + a[i];
    i := i + 1;
  }
}
"""

SUM_UNBOUNDED = SUM_BOUNDED.replace("0 <= s <= 7 * i", "0 <= s").replace("0 <= s <= 7 * a.Length", "0 <= s")
SUM_OF_100S = SUM_UNBOUNDED.replace("0 <= a[k] <= 7", "0 <= a[k] <= 100")  # 16 elements: fits int16_t, not int8_t
SUM_ANY = SUM_UNBOUNDED.replace("0 <= a[k] <= 7", "0 <= a[k]")  # any non-negative value the width holds

CLAMP = """method Clamp(x: int, lo: int, hi: int) returns (r: int)
  requires lo <= hi
  ensures lo <= r <= hi
{
  if x < lo {
    r := lo;
  } else if x > hi {
    r := hi;
  } else {
    r := x;
  }
}

method Midpoint(lo: int, hi: int) returns (m: int)
  requires 0 <= lo <= hi
  ensures lo <= m <= hi
{
  m := lo + (hi - lo) / 2;
}
"""


def verified(source: str) -> str:
    result = verify_source(source, None, timeout=60)
    assert result.verified, [d.format() for d in result.diagnostics]
    return result.program


def test_a_sum_that_overflows_8_bits_is_refused_with_its_line_and_proven_at_16():
    program = verified(ADD)
    refused = prove_widths(program, "Add", 8, 8, 16)
    assert refused.status == "fail" and refused.proven_width is None
    assert [f.message for f in refused.failures()] == ["line 5: `x + y` may overflow int8_t (-128..127)"]
    assert "line 5" in refused.summary()
    widened = prove_widths(program, "Add", 8, 16, 16)
    assert widened.status == "pass" and widened.proven_width == 16 and widened.widened
    assert [a.status for a in widened.attempts] == ["fail", "pass"]


@pytest.mark.slow
def test_the_midpoint_of_a_binary_search_is_flagged_where_it_can_overflow():
    program = verified(SEARCH)
    short = prove_widths(program, "BinarySearch", 8, 8, 16)  # lo + hi <= 32
    assert short.status == "pass" and short.proven_width == 8, short.report()
    long = prove_widths(program, "BinarySearch", 8, 8, 100)  # lo + hi up to 200
    assert long.status == "fail"
    assert any(f.line == 12 and f.text == "lo + hi" for f in long.failures()), long.report()


def test_programs_that_stay_in_range_pass_at_their_width():
    program = verified(CLAMP)
    assert prove_widths(program, "Clamp", 8, 8, 16).status == "pass"
    mid = prove_widths(program, "Midpoint", 8, 8, 16)  # lo + (hi - lo) / 2 never leaves [lo, hi]
    assert mid.status == "pass" and mid.proven_width == 8, mid.report()


@pytest.mark.slow
def test_a_loop_sum_passes_at_the_width_its_invariant_allows():
    program = verified(SUM_BOUNDED)
    assert prove_widths(program, "SumSmall", 8, 8, 16).proven_width == 8  # 7 * 16 = 112 fits int8_t
    wider = prove_widths(program, "SumSmall", 8, 64, 20)  # 7 * 20 = 140 does not
    assert wider.proven_width == 16 and wider.attempts[0].failures[0].text == "s + a[i]"
    # elements of any 8-bit value: widened, the inputs stay 8-bit, so 16 of them sum within int16_t ...
    widened = prove_widths(verified(SUM_ANY), "SumSmall", 8, 16, 16)
    assert widened.status == "pass" and widened.proven_width == 16, widened.report()
    assert "==> -128 <= a[p2s_k] <= 127" in widened.attempts[-1].variant  # the input assumption, at 8 bits
    # ... but 1000 of them do not
    unbounded = prove_widths(verified(SUM_ANY), "SumSmall", 8, 16, 1000)
    assert unbounded.status == "fail" and unbounded.failures()[0].line == 11, unbounded.report()


@pytest.mark.slow
def test_an_accumulator_of_bounded_values_is_proven_with_a_checked_guessed_bound():
    # the program's invariant says only 0 <= s; each element is at most 7, so s <= 7 * i (127 // 16 = 7 per element)
    proof = prove_widths(verified(SUM_UNBOUNDED), "SumSmall", 8, 8, 16)
    assert proof.status == "pass" and proof.proven_width == 8, proof.report()
    assert "`s <= 7 * i`" in proof.summary() and "invariant s <= 7 * i" in proof.attempts[-1].variant
    # elements up to 100: the guess fails at 8 bits (7 per element) and holds at 16 (2047 per element)
    wide = prove_widths(verified(SUM_OF_100S), "SumSmall", 8, 16, 16)
    assert wide.status == "pass" and wide.proven_width == 16, wide.report()
    assert wide.attempts[0].failures[0].text == "s + a[i]" and "`s <= 2047 * i`" in wide.summary()


COUNT = """method Count(a: array<int>, x: int) returns (c: int)
  ensures 0 <= c
{
  c := 0;
  var i := 0;
  while i < a.Length
    invariant 0 <= i <= a.Length
    invariant 0 <= c
  {
    if a[i] == x {
      c := c + 1;
    }
    i := i + 1;
  }
}
"""


def test_a_counter_no_invariant_bounds_is_proven_with_a_checked_guessed_bound():
    proof = prove_widths(verified(COUNT), "Count", 8, 8, 16)
    assert proof.status == "pass" and proof.proven_width == 8, proof.report()
    assert "`c <= i`" in proof.summary() and "guessed loop invariant" in proof.summary()
    assert "invariant c <= i" in proof.attempts[-1].variant


@pytest.mark.slow
def test_the_c_stage_refuses_an_overflowing_design_and_compiles_a_widened_one(tmp_path):
    from pipeline.runner import prepare_run, run_stages, write_report

    tests = [{"inputs": {"x": 99, "y": 99}, "expected": {"s": 198}}, {"inputs": {"x": 1, "y": 2}, "expected": {"s": 3}}]

    def run(name: str, hardware: dict):
        task = task_from_dict({"id": name, "description": "add", "signature": "method Add(x: int, y: int) returns "
                               "(s: int)", "requires": ["0 <= x < 100 && 0 <= y < 100"], "ensures": ["s == x + y"],
                               "tests": tests, "hardware": hardware})
        ctx = prepare_run(task, tmp_path / name)
        (tmp_path / f"{name}.dfy").write_text(ADD)
        ctx.artifacts["dafny"] = str(tmp_path / f"{name}.dfy")
        run_stages(ctx, ["verify", "python", "c"])
        write_report(ctx)
        return ctx, json.loads((tmp_path / name / "report.json").read_text())

    ctx, report = run("narrow", {"int_width": 8, "max_int_width": 8})
    c = ctx.result("c")
    assert c.status is Status.FAIL and "c" not in ctx.artifacts
    assert "line 5: `x + y` may overflow int8_t" in c.detail
    stage = next(s for s in report["stages"] if s["stage"] == "c")
    assert stage["metrics"]["width_proof"] == "fail" and stage["status"] == "fail"
    assert "line 5" in Path(c.artifacts["width_proof"]).read_text()

    ctx, report = run("wide", {"int_width": 8, "max_int_width": 16})
    c = ctx.result("c")
    assert c.status is Status.PASS, c.detail
    assert c.metrics["width_proof"] == "pass" and c.metrics["proven_width"] == 16
    assert "int16_t" in Path(c.artifacts["c"]).read_text()
    assert json.loads(Path(c.artifacts["interface"]).read_text())["int_width"] == 16
    assert (tmp_path / "wide" / "c" / "width_int8.dfy").is_file()


def test_without_a_dafny_program_the_proof_cannot_be_attempted_and_the_c_stage_fails(tmp_path):
    from pipeline.runner import run_stage
    from pipeline.stage import RunContext

    task = task_from_dict({"id": "t", "description": "d", "signature": "method Add(x: int, y: int) returns (s: int)",
                           "tests": [{"inputs": {"x": 1, "y": 2}, "expected": {"s": 3}}]})
    model = tmp_path / "model.py"
    model.write_text("def Add(x: int, y: int) -> int:\n    s: int = x + y\n    return s\n")
    r = run_stage(RunContext(task=task, out_dir=tmp_path / "run", artifacts={"python": str(model)}), "c")
    assert r.status is Status.FAIL and r.metrics["width_proof"] == "error"
    assert "width proof could not be attempted: no Dafny program in the run" in r.detail
    assert "hardware.width_proof: off" in r.detail and "c" not in r.artifacts


def test_an_unsupported_construct_is_reported_not_passed(tmp_path):
    source = """method M(n: int) returns (r: int)
  ensures true
{
  var f := (x: int) => x + 1;
  r := f(n);
}
"""
    proof = prove_widths(verified(source), "M", 32, 64, 16)
    assert proof.status == "error" and "lambda" in proof.summary() and proof.proven_width is None


UNTYPED_LOCAL = """method IndexOfMax(a: array<int>, n: int) returns (r: int)
  requires 0 < n <= a.Length
  ensures 0 <= r < n
{
  var mi;
  var i;
  mi := 0;
  i := 0;
  while i < n
    invariant 0 <= i <= n && 0 <= mi < n
  {
    if a[i] > a[mi] { mi := i; }
    i := i + 1;
  }
  return mi;
}

method TestIt() {
  var a: array<int> := new [] [1, 2, 3];
  var r := IndexOfMax(a, 3);
}
"""


def test_locals_typed_only_by_later_uses_and_an_untyped_array_display_elsewhere():
    """``var mi;`` gets Dafny's own type; a test method's ``new [] [..]`` (element type inferred) parses."""
    result = prove_widths(verified(UNTYPED_LOCAL), "IndexOfMax", 32, 32, 64)
    assert result.status == "pass", result.report()


BUILT = """method Evens(a: array<int>) returns (result: seq<int>)
  ensures forall x :: x in result ==> x % 2 == 0
{
  var res: seq<int> := [];
  var i := 0;
  while i < a.Length
    invariant 0 <= i <= a.Length
    invariant forall x :: x in res ==> x % 2 == 0
  {
    if a[i] % 2 == 0 {
      res := res + [a[i]];
    }
    i := i + 1;
  }
  result := res;
}
"""


def test_a_sequence_built_one_element_per_iteration_is_bounded_by_a_checked_guess():
    """Nothing in the program bounds |res|; the guessed ``|res| <= i`` (checked by Dafny) bounds the result by
    the input's length, so the result fits the hardware's buffer."""
    proof = prove_widths(verified(BUILT), "Evens", 32, 32, 64)
    assert proof.status == "pass" and proof.proven_width == 32, proof.report()
    assert "`|res| <= i`" in proof.summary() and "invariant |res| <= i" in proof.attempts[-1].variant
