"""The dialect bridge: each rewrite, its position map, and that bridged programs verify with the real Dafny."""

from __future__ import annotations

import pytest

from tests.support import needs_dafny
from verifiers.bridge import bridge, detect_dialect
from verifiers.front.lexer import gate_tokens as tokenize

pytestmark = pytest.mark.usefixtures("private_p2s_home")


FOR_UP = """method SumTo(n: nat) returns (s: int)
  ensures s == n * (n - 1) / 2
{
  s := 0;
  for i := 0 to n
    invariant s == i * (i - 1) / 2
  {
    s := s + i;
  }
}
"""

FOR_DOWN = """method Fill(a: array<int>)
  modifies a
  ensures forall k :: 0 <= k < a.Length ==> a[k] == k
{
  for i := a.Length downto 0
    invariant forall k :: i <= k < a.Length ==> a[k] == k
  {
    a[i] := i;
  }
}
"""

FUNCTIONS = """function Double(x: int): int { 2 * x }
ghost function Half(x: int): int { x / 2 }
predicate IsEven(x: int) { x % 2 == 0 }
ghost predicate Big(x: int) { x > 100 }

method UseThem(x: int) returns (y: int, e: bool)
  ensures y == Double(x) && Half(y) == x
  ensures e == IsEven(y)
{
  y := Double(x);
  e := IsEven(y);
}
"""


def test_for_to_becomes_a_while_loop_on_the_same_lines():
    b = bridge(FOR_UP, "dafny3")
    assert "for " not in b.text and "while i < i__hi invariant i__lo <= i <= i__hi" in b.text
    assert "{ var i__lo: int, i__hi: int := 0, n; var i: int := i__lo;" in b.text
    assert "i := i + 1; } }" in b.text
    assert b.text.count("\n") == FOR_UP.count("\n")
    assert b.changes == ["line 5: for i := ... to ... -> while loop"]


def test_for_downto_steps_first_and_typed_index():
    b = bridge(FOR_DOWN, "dafny3")
    assert "var i__lo: int, i__hi: int := 0, a.Length; var i: int := i__hi; while i__lo < i" in b.text
    assert "{ i := i - 1;" in b.text
    typed = bridge("method M(n: nat) {\n  for k: nat := 0 to n {\n  }\n}\n", "dafny3")
    assert "var k__lo: nat, k__hi: nat := 0, n; var k: nat := k__lo;" in typed.text


def test_unbounded_for_gets_decreases_star_unless_given():
    b = bridge("method M() decreases * {\n  for i := 0 to * {\n    break;\n  }\n}\n", "dafny3")
    assert "while true invariant i__lo <= i decreases *" in b.text


def test_functions_become_function_methods_and_ghosts_plain():
    b = bridge(FUNCTIONS, "dafny3")
    assert "function method Double" in b.text and "predicate method IsEven" in b.text
    assert "\nfunction Half" in b.text and "\npredicate Big" in b.text
    assert b.source_dialect == "dafny4"


def test_old_dialect_is_left_alone_for_dafny3_and_translated_for_dafny4():
    old = ("function method F(x: int): int { x }\nfunction G(x: int): int { x }\n"
           "inductive predicate P(x: nat) { true }\n")
    assert detect_dialect(tokenize(old)) == "dafny3"
    assert bridge(old, "dafny3").text == old
    new = bridge(old, "dafny4").text
    assert "function F(x" in new and "ghost function G" in new and "least predicate P" in new


def test_least_greatest_opaque_to_dafny3():
    src = "least predicate P(x: nat) { x == 0 || P(x - 1) }\ngreatest predicate Q(x: int) { Q(x) }\n" \
          "opaque function F(): int { 1 }\nghost opaque function G(): int { 2 }\n"
    text = bridge(src, "dafny3").text
    assert "inductive predicate P" in text and "copredicate Q" in text and "function method {:opaque} F" in text
    assert "function {:opaque} G" in text and "opaque function G" not in text and "ghost" not in text


def test_set_loop_gets_dafny4_decreases_guess_only_without_one():
    src = ("method M(s: set<int>) {\n  var t := s;\n  while t != {}\n  {\n    var x :| x in t;\n"
           "    t := t - {x};\n  }\n}\n")
    assert "while t != {} decreases |t|" in bridge(src, "dafny3").text
    given = src.replace("while t != {}\n", "while t != {}\n    decreases t\n")
    assert "decreases |t|" not in bridge(given, "dafny3").text


def test_verify_false_is_untouched_and_comments_are_not_rewritten():
    src = "// function f() in a comment\nmethod {:verify false} M() { var s := \"for i := 0 to 3\"; }\n"
    assert bridge(src, "dafny3").text == src


def test_line_map_points_into_the_users_text():
    b = bridge(FOR_UP, "dafny3")
    line = b.text.splitlines()[4]
    col = line.index("invariant i__lo") + 1
    assert b.rewrite.locate(5, col)[:2] == (5, 3)  # the `for` keyword
    body_line = b.text.splitlines()[7]
    assert b.rewrite.locate(8, body_line.index("s + i") + 1)[:2] == (8, 10)


@needs_dafny
def test_bridged_programs_verify(dafny):
    from verifiers.api import verify_many

    array_display = "method M() returns (s: int)\n  ensures s == 3\n{\n  var a := new int[] [1, 2];\n" \
                    "  var b := new int[2] [3, 4];\n  s := a[0] + a[1];\n}\n"
    results = verify_many([FOR_UP, FOR_DOWN, FUNCTIONS, array_display], timeout=60, dafny=dafny)
    assert [r.phase for r in results] == ["ok"] * 4, [r.diagnostics for r in results]
    assert all(r.verified_count >= 1 for r in results)
    raw = dafny.verify(FOR_UP, timeout=60)
    assert raw.phase == "parse"  # Dafny 2.3 itself does not read Dafny 4's for loops


@needs_dafny
def test_errors_in_bridged_loops_map_to_the_users_lines(dafny):
    from verifiers.api import verify_source

    wrong = FOR_UP.replace("invariant s == i * (i - 1) / 2", "invariant s == i * i")
    r = verify_source(wrong, dafny=dafny, timeout=60)
    assert r.phase == "verification"
    lines = {d.line for d in r.errors}
    assert 6 in lines  # the user's invariant line, not a line of the rewritten text
    bad_bounds = "method M() {\n  for i := 5 to 2 {\n  }\n}\n"
    r = verify_source(bad_bounds, dafny=dafny, timeout=60)
    assert r.phase == "verification" and r.errors[0].line == 2 and r.errors[0].column == 3


SPEC_ONLY = """predicate IsSquare(x: int) { exists y :: y * y == x }
function Twice(x: int): int { 2 * x }
method M(x: int) returns (t: int)
  ensures x == 4 ==> IsSquare(x)
{
  if x == 4 { assert 2 * 2 == x; }
  t := Twice(x);
}
"""


def test_keep_ghost_leaves_a_function_ghost():
    b = bridge(SPEC_ONLY, "dafny3", keep_ghost=frozenset({"IsSquare"}))
    assert "predicate IsSquare" in b.text and "predicate method IsSquare" not in b.text
    assert "function method Twice" in b.text and set(b.made_compiled) == {"Twice"}


@needs_dafny
def test_spec_only_function_dafny23_cannot_compile_is_left_ghost(dafny):
    from verifiers.api import ghost_free_program, verify_source

    r = verify_source(SPEC_ONLY, dafny=dafny, timeout=60)
    assert r.verified, r.diagnostics
    assert "predicate IsSquare" in r.program and "function method Twice" in r.program
    printed = ghost_free_program(SPEC_ONLY, dafny=dafny)
    assert "IsSquare" not in printed and "function method Twice" in printed
    used = SPEC_ONLY.replace("t := Twice(x);", "t := Twice(x);\n  var b := IsSquare(x);")
    r = verify_source(used, dafny=dafny, timeout=60)
    assert r.phase == "resolution" and not r.verified  # compiled code cannot call it: a real error


# a Dafny 4 program naming a variable `array1` (CloverBench's bubble_sort and selectionsort tests do)
ARRAY1 = """method Sum2(array1: array<int>) returns (s: int)
  requires array1.Length == 2
  ensures s == array1[0] + array1[1]
{
  var array1_ := array1[0];  // the first free name is taken: array1 becomes array1__
  s := array1_ + array1[1];
}

method Caller() returns (t: int)
  ensures t == 3
{
  var array1 := new int[2] [1, 2];
  t := Sum2(array1);
}
"""


def test_reserved_names_get_a_suffix_that_avoids_clashes_and_keeps_columns():
    b = bridge(ARRAY1, "dafny3")
    assert b.renamed == {"array1": "array1__"}
    assert "array1" not in {t.text for t in tokenize(b.text)}
    assert "var array1_ := array1__[0];  // the first free name is taken: array1 becomes array1__" in b.text
    assert b.changes == ["line 1: array1 -> array1__ (a reserved word in Dafny 2.3)"]
    line = b.text.splitlines()[12]
    assert b.rewrite.locate(13, line.index("Sum2(array1__)") + 6)[:2] == (13, 13)  # the user's `array1`
    assert b.rewrite.locate(13, line.index(")") + 1)[:2] == (13, 19)  # after it, shifted back
    assert bridge(ARRAY1, "dafny4").text == ARRAY1  # only Dafny 2.3 reserves it


def test_reserved_names_in_attributes_and_loops_but_not_a_protected_modifier_or_text():
    src = ("method M(where: seq<int>) returns (free: int)\n"
           "  requires forall i {:trigger where[i]} :: 0 <= i < |where| ==> where[i] > 0\n{\n"
           "  free := 0;  // where\n  for i := 0 to |where| { free := free + where[i]; }\n"
           "  print \"array1\";\n}\n")
    b = bridge(src, "dafny3")
    assert b.renamed == {"where": "where_", "free": "free_"}
    assert "{:trigger where_[i]}" in b.text and "// where\n" in b.text and 'print "array1";' in b.text
    assert "i__hi: int := 0, |where_|;" in b.text and "free_ := free_ + where_[i]" in b.text
    old = "class C {\n  var protected: int\n  protected predicate P() reads this { protected > 0 }\n}\n"
    b = bridge(old, "dafny3")
    assert b.renamed == {"protected": "protected_"}  # the modifier stays (Dafny 2.3 has it, Dafny 4 does not)
    assert "var protected_: int\n  protected predicate method P() reads this { protected_ > 0 }" in b.text


@needs_dafny
def test_program_naming_array1_verifies_and_errors_map_to_the_users_text(dafny):
    from verifiers.api import ghost_free_program, verify_source

    assert dafny.verify(ARRAY1, timeout=60).phase == "parse"  # Dafny 2.3 on the text as written
    r = verify_source(ARRAY1, dafny=dafny, timeout=60)
    assert r.verified and r.phase == "ok", r.diagnostics
    wrong = ARRAY1.replace("t := Sum2(array1);", "t := Sum2(array1);  t := array1[2];")
    r = verify_source(wrong, dafny=dafny, timeout=60)
    col = wrong.splitlines()[12].index("[2]") + 1  # Dafny points at the index of the user's `array1[2]`
    assert r.phase == "verification" and [(d.line, d.column) for d in r.errors] == [(13, col)], r.diagnostics
    assert "var array1__: array<int> := new int[2] [1, 2];" in ghost_free_program(ARRAY1, dafny=dafny)


@needs_dafny
def test_a_free_clause_is_not_an_unchecked_assumption(dafny):
    from verifiers.api import verify_source

    src = ("method Max(a: int, b: int) returns (m: int)\n  ensures m >= a && m >= b\n{\n  var i := 0;\n"
           "  while i < 1\n    free invariant false\n  {\n    i := i + 1;\n  }\n  m := 0;\n}\n")
    r = verify_source(src, dafny=dafny, timeout=60)
    # without a task the gate lists it as trusted and lets Dafny judge: the bridge's renaming of `free` makes
    # it a parse error there, so even Dafny's own verdict is no
    assert not r.verified and not r.dafny_verified and r.phase == "parse" and r.errors[0].line == 6, r.diagnostics
    assert [(t["kind"], t["line"]) for t in r.trusted] == [("free invariant", 6)]


BY_METHOD = """function Tri(n: nat): nat
  requires n < 1000
{
  if n == 0 then 0 else n + Tri(n - 1)
}
by method
{
  var s := 0;
  for i := 1 to n + 1
    invariant s == Tri(i - 1);
  {
    s := s + i;
  }
  return s;
}

method E<T(00)>(x: T) returns (y: T) ensures y == x { y := x; }
"""


@needs_dafny
def test_dafny4_forms_the_bridge_rewrites_verify_on_dafny23_and_a_wrong_body_fails(dafny):
    """`by method` (its body must compute the function: a separate method that must prove so), `invariant P;`
    in a `for` loop and the `(00)` characteristic; a by-method body that computes something else fails."""
    from verifiers.api import verify_source

    b = bridge(BY_METHOD, "dafny3")
    assert "method Tri__by_method(n: nat) returns (Tri__result: nat) requires n < 1000 ensures Tri__result == " \
           "Tri(n)" in b.text and "<T(0)>" in b.text
    r = verify_source(BY_METHOD, None, dafny=dafny, timeout=60)
    assert r.verified, r.diagnostics
    wrong = verify_source(BY_METHOD.replace("return s;", "return s + 1;"), None, dafny=dafny, timeout=60)
    assert not wrong.verified and wrong.phase == "verification"
    assert wrong.errors[0].line == 14  # the user's `return`, through the position map


LITERAL_MATCH = """\
function Pow(b: int, n: nat): int
{
  match n
  case 0 => 1
  case 1 => b
  case m => b * Pow(b, m - 1)
}

method Op(op: char, x: int, y: int) returns (r: int)
  requires op == '+' || op == '-'
  ensures op == '+' ==> r == x + y
{
  match op
  {
    case '+' =>
      r := x + y;
    case '-' =>
      r := x - y;
  }
}

method Sign(x: int) returns (s: int)
  ensures x != 0 ==> s == 1
{
  s := match x case 0 => 0 case _ => 1;
}
"""


@needs_dafny
def test_matches_on_literals_become_if_chains_that_keep_the_exhaustiveness_check(dafny):
    """Dafny 2.3 matches constructors only: literal cases become ``if`` chains (a variable case binds the
    value); a statement match without a catch-all asserts its last literal, so dropping the requires that
    makes it exhaustive fails verification at the user's `case`."""
    from verifiers.api import verify_source

    b = bridge(LITERAL_MATCH, "dafny3")
    assert "if (n) == 0 then 1" in b.text and "var m := (n);" in b.text and "assert (op) == '-';" in b.text
    r = verify_source(LITERAL_MATCH, None, dafny=dafny, timeout=60)
    assert r.verified, r.diagnostics
    open_op = verify_source(LITERAL_MATCH.replace("  requires op == '+' || op == '-'\n", ""), None, dafny=dafny,
                            timeout=60)
    assert not open_op.verified and open_op.phase == "verification"
    assert [d.line for d in open_op.errors] == [16]  # `case '-' =>`, where the exhaustiveness is asserted


STATE_MACHINE = """datatype Constants = Constants(ids: seq<nat>) {
  predicate ValidIdx(i: int) { 0 <= i < |ids| }
  ghost predicate WF() { 0 < |ids| && ValidIdx(0) }
  static function Empty(): Constants { Constants([]) }
}
datatype Variables<T(==)> = Variables(heard: seq<int>, tag: T) {
  ghost predicate WF(c: Constants) { c.WF() && |heard| == |this.ids_of(c)| }
  function ids_of(c: Constants): seq<nat> { c.ids }
}
ghost predicate Init<T(==)>(c: Constants, v: Variables<T>) {
  v.WF(c) && forall i | c.ValidIdx(i) :: v.heard[i] == -1
}
lemma InitWF(c: Constants, v: Variables<int>)
  requires Init(c, v)
  ensures |v.heard| == |c.ids| && Constants.Empty() == Constants(ids := [])
{
}
"""


def test_datatype_members_become_top_level_declarations_on_their_lines():
    b = bridge(STATE_MACHINE, "dafny3")
    lines = b.text.splitlines()
    assert len(lines) == len(STATE_MACHINE.splitlines())
    # both datatypes have a WF: each gets its datatype's name; the unique names stay
    assert "predicate Constants_WF(this_: Constants) { 0 < |this_.ids| && ValidIdx(this_, 0) }" in lines[2]
    assert "function method Empty(): Constants" in lines[3] and "static" not in lines[3]
    assert "predicate Variables_WF<T(==)>(this_: Variables<T>, c: Constants)" in lines[6]
    assert "Constants_WF(c) && |this_.heard| == |ids_of(this_, c)|" in lines[6]  # `this` is the receiver
    assert "Variables_WF(v, c) && forall i | ValidIdx(c, i)" in lines[10]  # receivers by declared type
    assert "Empty() == Constants([])" in lines[14]  # a static call, and named arguments in declared order
    assert "{" not in lines[0] and lines[4].strip() == ""


def test_expect_is_verified_as_assume_and_stays_trusted():
    b = bridge('method M(x: int) {\n  expect x > 0, "positive";\n  assert x > 0;\n}\n', "dafny3")
    assert "assume x > 0;" in b.text and "positive" not in b.text


def test_named_arguments_out_of_order_are_left_to_dafny():
    src = "datatype P = P(x: int, y: int)\nmethod M() { var p := P(y := 1, x := 2); }\n"
    assert bridge(src, "dafny3").text == src


@needs_dafny
def test_lifted_datatype_members_verify_and_a_wrong_one_fails(dafny):
    from verifiers.api import verify_source

    assert verify_source(STATE_MACHINE, dafny=dafny, timeout=60).verified
    wrong = STATE_MACHINE.replace("ensures |v.heard| == |c.ids|", "ensures |v.heard| == |c.ids| + 1")
    r = verify_source(wrong, dafny=dafny, timeout=60)
    assert r.phase == "verification" and r.errors[0].line == 16  # the user's lines: the body, and the clause
    assert [rel["line"] for rel in r.errors[0].related] == [15]
    r = verify_source('method M(x: int) {\n  expect x > 0;\n  assert x > 0;\n}\n', dafny=dafny, timeout=60)
    assert r.dafny_verified and not r.verified and [t["kind"] for t in r.trusted] == ["expect"]
