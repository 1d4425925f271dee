"""The width proof's variant generator, printer and bookkeeping (no Dafny needed: fast unit tests).

The real-Dafny tests (overflow refused and widened, binary search, loop sums, the c stage) are in
``tests/test_width_proof_dafny.py``.
"""

from __future__ import annotations

import pytest

from tests.support import CLOVER_DIR, needs_clover
from verifiers.front import ast as A
from verifiers.front import printer as dafny_print
from verifiers.front.parser import parse_expression, parse_program
from verifiers.front.walk import walk
from verifiers.width_proof import WidthAttempt, WidthFailure, WidthProof, is_off, widths_to_try
from verifiers.width_variant import IntRange, WidthUnsupported, build_variant

ADD = """method Add(x: int, y: int) returns (s: int)
  requires 0 <= x < 100 && 0 <= y < 100
  ensures s == x + y
{
  s := x + y;
}
"""

SUM = """function method Total(a: seq<int>, n: int): int
  requires 0 <= n <= |a|
{
  if n == 0 then 0 else Total(a, n - 1) + a[n - 1]
}

lemma Helper(n: nat)
  ensures n >= 0
{
}

method SumSmall(a: array<int>) returns (s: int)
  requires forall k :: 0 <= k < a.Length ==> 0 <= a[k] <= 7
  ensures 0 <= s <= 7 * a.Length
{
  s := 0;
  var i := 0;
  while i < a.Length
    invariant 0 <= i <= a.Length
    invariant 0 <= s <= 7 * i
  {
    assert 0 <= a[i] <= 7;
    Helper(i);
    s := s + a[i];
    i := i + 1;
  }
}
"""


def line_of(text: str, needle: str) -> str:
    return next(ln for ln in text.splitlines() if needle in ln)


# --------------------------------------------------------------------------------------------- printer

EXPRESSIONS = [
    "x + y * 2", "(lo + hi) / 2", "a[i] + a[i - 1]", "if x < 0 then -x else x", "a[..i] + [x]", "s[1..]",
    "|s| - 1", "x as int * y as int", "forall k :: 0 <= k < n ==> a[k] > 0",
    "forall k | 0 <= k < n :: a[k] != x", "exists k :: 0 <= k < |s| && s[k] == 'a'", "var t := x + 1; t * t",
    "match o case None => 0 case Some(v) => v + 1", "0 <= i < j <= n", "m[k := v]", "f(x)(y)", "a[i, j] + 1",
    "set x | x in s && x > 0", "map k | k in m :: m[k] + 1", "(x, y).0", "multiset(s)[x]", "!(b && c) || d",
    "x in {1, 2} && y !in s", "\"a\\nb\" + [c]", "-(x - 1)", "(i: int) => i + 1", "seq(n, i => i * 2)",
    "s[i := 3][j]", "b << 2 | c >> 1", "x ==> y ==> z", "(a <==> b) <== c",
]
NORMALIZED = {"0x1F & b": "31 & b", "seq(n, i => i * 2)": "seq(n, (i) => i * 2)", "--x": "- -x"}


@pytest.mark.parametrize("text", EXPRESSIONS + list(NORMALIZED))
def test_printer_round_trips(text):
    printed = dafny_print.expr(parse_expression(text))
    assert dafny_print.expr(parse_expression(printed)) == printed
    # the source's own grouping, nothing added (literals and lambdas in their one printed form)
    assert printed.replace(" ", "") == NORMALIZED.get(text, text).replace(" ", "")


def test_printer_wraps_compound_expressions_only():
    assert dafny_print.expr(parse_expression("x + 1"), wrap=True) == "(x + 1)"
    assert dafny_print.expr(parse_expression("a[i]"), wrap=True) == "a[i]"
    assert dafny_print.expr(parse_expression("-1"), wrap=True) == "(-1)"


@needs_clover
def test_printer_round_trips_every_expression_of_cloverbench():
    files = sorted(CLOVER_DIR.rglob("*.dfy"))
    checked = 0
    for f in files:
        try:
            program = parse_program(f.read_text(encoding="utf-8"), "dafny4")
        except Exception:  # noqa: BLE001 - programs the parser does not read are the parser's business
            continue
        for node in walk(program):
            if isinstance(node, A.Expr) and not isinstance(node, A.StmtExpr) and not (
                    isinstance(node, A.Name) and node.type_args):  # `F<int>` alone is not an expression
                printed = dafny_print.expr(node)
                assert dafny_print.expr(parse_expression(printed)) == printed, (f.name, printed)
                checked += 1
    assert checked > 2000


# --------------------------------------------------------------------------------------------- variant


def test_variant_asserts_the_sum_on_its_own_line_and_assumes_the_input_ranges():
    v = build_variant(ADD, "Add", 8, 16)
    assert len(v.text.splitlines()) == len(ADD.splitlines())  # every insertion stays on its line
    assert "assert -128 <= (x + y) <= 127; s := x + y;" in line_of(v.text, "s := x + y")
    assert "requires -128 <= x <= 127 requires -128 <= y <= 127" in v.text
    assert "free requires 0 <= x < 100" in v.text and "free ensures s == x + y" in v.text
    value = next(o for o in v.obligations if o.kind == "value")
    assert (value.line, value.text) == (5, "x + y")
    assert value.describe(IntRange(8)) == "line 5: `x + y` may overflow int8_t (-128..127)"
    # an error Dafny reports inside the inserted assertion maps back to that obligation and line 5
    col = line_of(v.text, "s := x + y").index("assert") + 1
    line, _col, note = v.rewrite.locate(5, col + 10)
    assert line == 5 and v.obligation(note) is value


def test_variant_at_16_bits_uses_the_int16_range():
    v = build_variant(ADD, "Add", 16, 16)
    assert "assert -32768 <= (x + y) <= 32767;" in v.text


def test_loops_get_typed_state_invariants_and_ghost_code_is_left_alone():
    v = build_variant(SUM, "SumSmall", 8, 16)
    loop_head = line_of(v.text, "invariant -128 <= i <= 127")
    assert "invariant -128 <= s <= 127" in loop_head
    assert "invariant (forall p2s_k :: 0 <= p2s_k < a.Length ==> -128 <= a[p2s_k] <= 127)" in loop_head
    assert "invariant -128 <= a.Length <= 127" in loop_head  # the condition's `a.Length`, at every evaluation
    assert "free invariant 0 <= s <= 7 * i" in v.text
    assert "assume 0 <= a[i] <= 7;" in v.text  # the program's own assertion: proved already
    assert "Helper(i);" in line_of(v.text, "Helper(i)") and "assert" not in line_of(v.text, "Helper(i)")
    assert "assert -128 <= (s + a[i]) <= 127; s := s + a[i];" in v.text
    assert "requires a.Length <= 16" in v.text
    assert "function method {:verify false} Total" in v.text and "lemma {:verify false} Helper" in v.text
    assert "method {:verify false} SumSmall" not in v.text
    assert [o.kind for o in v.obligations if o.kind == "state"] == ["state"] * 3


def test_guessed_loop_bounds_are_added_only_when_asked_for():
    src = """method Count(a: array<int>, x: int) returns (c: int)
{
  c := 0;
  var i := 0;
  while i < a.Length
  {
    if a[i] == x {
      c := c + 1;
    }
    i := i + 1;
  }
}
"""
    assert "invariant c <= i" not in build_variant(src, "Count", 8, 16).text
    every = build_variant(src, "Count", 8, 16, candidates="all")
    guesses = {o.text: o.detail for o in every.obligations if o.kind == "candidate"}
    assert set(guesses) == {"c <= i", "c <= x", "c <= a.Length", "i <= x", "i <= a.Length"}
    assert "invariant c <= i" in every.text
    kept = build_variant(src, "Count", 8, 16, candidates=frozenset({guesses["c <= i"]}))
    assert [o.text for o in kept.obligations if o.kind == "candidate"] == ["c <= i"]


def test_accumulators_get_guessed_bounds_of_the_widths_share_per_element():
    src = """method Sums(a: array<int>) returns (s: int, t: int, p: int)
{
  s, t, p := 0, 0, 1;
  var i := 0;
  while i < a.Length
  {
    s := s + a[i];
    t := a[i] + t;
    if a[i] < 0 {
      t := t - 1;
    }
    p := p * 2;
    i := i + 1;
  }
}
"""
    at8 = build_variant(src, "Sums", 8, 16, candidates="all")
    guesses = [o.text for o in at8.obligations if o.kind == "candidate"]
    for v in ("s", "t"):  # 127 // 16 = 7 per element
        assert f"{v} <= 7 * i" in guesses and f"-7 * i <= {v}" in guesses
    assert not any(g.startswith("p ") or g.endswith(" p") for g in guesses)  # a product is no accumulator
    assert "invariant s <= 7 * i" in at8.text and "invariant -7 * i <= s" in at8.text
    at32 = build_variant(src, "Sums", 32, 10, candidates="all")  # 2147483647 // 10
    assert "s <= 214748364 * i" in [o.text for o in at32.obligations if o.kind == "candidate"]
    assert "invariant s <=" not in build_variant(src, "Sums", 8, 16).text  # only when asked for


def test_short_circuit_and_branches_guard_their_obligations():
    src = """method F(a: array<int>, n: int) returns (r: int)
  requires 0 <= n <= a.Length
{
  r := 0;
  if n > 0 && a[n - 1] + 1 > 0 {
    r := if n > 1 then a[n - 2] * 2 else 0;
  } else if r - n < 3 {
    r := 1;
  }
}
"""
    v = build_variant(src, "F", 16, 16)
    assert "assert ((n > 0) ==> -32768 <= (a[n - 1] + 1) <= 32767);" in v.text
    assert "assert ((n > 1) ==> -32768 <= (a[n - 2] * 2) <= 32767);" in v.text
    assert "assert (!(n > 0 && a[n - 1] + 1 > 0) ==> -32768 <= (r - n) <= 32767);" in v.text


def test_functions_get_conditional_assertions_and_result_ensures():
    src = """function method Twice(x: int): int
{
  x + x
}

method M(y: int) returns (z: int)
  requires 0 <= y < 10
{
  z := Twice(y);
}
"""
    v = build_variant(src, "M", 8, 16)
    assert "ensures (-128 <= x <= 127) ==> -128 <= Twice(x) <= 127" in v.text
    assert "{ assert (-128 <= x <= 127) ==> -128 <= (x + x) <= 127;" in v.text
    assert "function method {:verify false}" not in v.text  # the hardware runs Twice


def test_modulo_checks_its_quotient_and_constants_are_decided_statically():
    src = """method M(a: int, b: int) returns (r: int)
  requires b != 0
{
  r := a % b + 1000;
}
"""
    v = build_variant(src, "M", 8, 8)
    kinds = [(o.kind, o.text, o.static) for o in v.obligations]
    assert ("quotient", "a % b", None) in kinds
    assert ("constant", "1000", False) in kinds
    assert "-128 <= (a) / (b) <= 127" not in v.text and "-128 <= a / b <= 127" in v.text
    assert ("constant", "1000", False) not in [(o.kind, o.text, o.static) for o in build_variant(
        src, "M", 16, 16).obligations]


def test_bit_vector_only_code_needs_no_proof():
    src = """method Swap(x: bv16) returns (y: bv16)
{
  y := (x << 8) | (x >> 8);
}
"""
    v = build_variant(src, "Swap", 8, 16)
    assert not v.int_values and not v.obligations


def test_a_bit_vector_loop_with_an_int_counter_needs_the_proof():
    src = """method Ones(x: bv8) returns (c: bv8)
{
  c := 0;
  var i := 0;
  while i < 8
  {
    c := c + ((x >> i) & 1);
    i := i + 1;
  }
}
"""
    v = build_variant(src, "Ones", 8, 16)
    assert v.int_values and [o.text for o in v.obligations if o.kind == "value"] == ["i + 1"]


def test_fresh_arrays_and_results_hold_values_of_the_c_type():
    src = """method Copy(a: array<int>) returns (b: array<int>, last: int)
{
  b := new int[a.Length];
  var i := 0;
  while i < a.Length
  {
    b[i] := a[i];
    last := a[i];
    i := i + 1;
  }
}
"""
    v = build_variant(src, "Copy", 8, 16)
    assert "b := new int[a.Length]; assume (forall p2s_k :: 0 <= p2s_k < b.Length ==> -128 <= b[p2s_k] <= 127);" \
        in v.text
    assert "{ assume -128 <= last <= 127;" in v.text


def test_a_lambda_in_the_hardware_code_is_not_supported():
    src = """method M(n: int) returns (r: int)
{
  var f := (x: int) => x + 1;
  r := f(n);
}
"""
    with pytest.raises(WidthUnsupported, match="lambda"):
        build_variant(src, "M", 32, 16)


# --------------------------------------------------------------------------------------------- bookkeeping


def test_widths_to_try_and_the_off_switch():
    assert widths_to_try(8, 16) == [8, 16]
    assert widths_to_try(8, 64) == [8, 16, 32, 64]
    assert widths_to_try(32, 8) == [32]
    assert is_off(False) and is_off("off") and is_off("OFF") and not is_off("on") and not is_off(True)


def test_summaries_name_the_line_and_the_width():
    fail = WidthFailure(5, "value", "x + y", "line 5: `x + y` may overflow int8_t (-128..127)")
    proof = WidthProof("pass", 8, 16, 16, [WidthAttempt(8, "fail", [fail], 3), WidthAttempt(16, "pass", [], 3)])
    assert proof.widened
    assert proof.summary() == ("width proof: pass at int16_t (3 range checks), widened from int8_t; "
                               "line 5: `x + y` may overflow int8_t (-128..127)")
    assert proof.metrics()["width_proof"] == "pass" and proof.metrics()["proven_width"] == 16
    refused = WidthProof("fail", 8, 8, None, [WidthAttempt(8, "fail", [fail], 3)])
    assert refused.summary().startswith("width proof failed at int8_t (hardware.max_int_width=8): line 5: `x + y`")
    assert "line 5" in refused.report() and refused.metrics()["width_failures"] == 1


def test_batch_summary_counts_the_width_proof():
    from pipeline.summary import summarize

    records = [{"task": "a", "metrics": {"c.width_proof": "pass"}}, {"task": "b", "metrics": {"c.width_proof": "fail"}},
               {"task": "c", "metrics": {"c.width_proof": "pass"}}, {"task": "d", "metrics": {}}]
    assert summarize(records)["width_proof"] == {"pass": 2, "fail": 1}


def test_the_compiled_part_of_a_mixed_ghost_assignment_is_checked_and_ghost_branches_are_not():
    src = """method M(x: int, y: int) returns (r: int)
{
  ghost var g := 0;
  r, g := x + y, g * 1000;
  if g > 0 {
    g := g + 1;
  }
}
"""
    v = build_variant(src, "M", 8, 16)
    assert [o.text for o in v.obligations if o.kind == "value"] == ["x + y"]
    assert "assert -128 <= (x + y) <= 127; r, g := x + y, g * 1000;" in v.text
    assert "g + 1" not in [o.text for o in v.obligations]
