"""The integrity gate: every cheat is rejected, the honest program is accepted (real Dafny where it runs)."""

from __future__ import annotations

import pytest

from pipeline.task import load_task
from tests.support import EXAMPLES
from verifiers.integrity import gate

HONEST = (EXAMPLES / "max_array.dfy").read_text()


pytestmark = pytest.mark.usefixtures("private_p2s_home")


@pytest.fixture(scope="module")
def task():
    return load_task(EXAMPLES / "max_array.yaml")


BODY = """{
  m := a[0];
  var k := 1;
  while k < a.Length
    invariant 1 <= k <= a.Length
    invariant forall i :: 0 <= i < k ==> a[i] <= m
    invariant exists i :: 0 <= i < k && a[i] == m
  {
    if a[k] > m {
      m := a[k];
    }
    k := k + 1;
  }
}
"""
HEADER = "method MaxArray(a: array<int>) returns (m: int)\n"
SPEC = "  requires a.Length > 0\n  ensures forall i :: 0 <= i < a.Length ==> a[i] <= m\n" \
       "  ensures exists i :: 0 <= i < a.Length && a[i] == m\n"

CHEATS = {
    "assume": HEADER + SPEC + "{\n  assume false;\n}\n",
    "axiom": "lemma {:axiom} Magic() ensures false\n" + HEADER + SPEC + "{\n  Magic();\n}\n",
    "verify_false": "method {:verify false} MaxArray(a: array<int>) returns (m: int)\n" + SPEC + "{\n  m := 0;\n}\n",
    "extern": "method {:extern} Oracle(a: array<int>) returns (m: int) ensures forall i :: 0 <= i < a.Length ==> "
              "a[i] <= m\n" + HEADER + SPEC + "{\n  m := Oracle(a);\n}\n",
    "bodyless_lemma": "lemma Wish(a: array<int>, m: int) ensures forall i :: 0 <= i < a.Length ==> a[i] <= m\n"
                      + HEADER + SPEC + BODY,
    "bodyless_target": HEADER + SPEC,
    # a display brace right after the contract must not be mistaken for a body
    "bodyless_display_lemma": "lemma Wish(a: array<int>) ensures multiset(a[..]) == multiset{1}\n"
                              + HEADER + SPEC + BODY,
    "expect": HEADER + SPEC + "{\n  m := a[0];\n  expect forall i :: 0 <= i < a.Length ==> a[i] <= m;\n}\n",
    "decreases_star": HEADER + SPEC + "  decreases *\n" + BODY,
    "bodyless_loop": HEADER + SPEC + "{\n  m := a[0];\n  var k := 1;\n  while k < a.Length\n"
                     "    invariant forall i :: 0 <= i < k ==> a[i] <= m\n}\n",
    "wrong_signature": "method MaxArray(a: array<int>) returns (r: int)\n" + SPEC.replace("m", "r")
                       + BODY.replace("m", "r"),
    "wrong_param_type": "method MaxArray(a: seq<int>) returns (m: int)\n" + SPEC + BODY,
    "missing_target": "method Max(a: array<int>) returns (m: int)\n" + SPEC + BODY,
    "extra_requires": HEADER + SPEC + "  requires a[0] >= a[a.Length - 1]\n" + BODY,
    "inside_class": "class C {\n" + HEADER + SPEC + BODY + "}\n",
    "free_invariant": HEADER + SPEC + BODY.replace("    invariant 1 <= k",
                                                   "    free invariant false\n    invariant 1 <= k"),
}
EXPECTED_WORDS = {
    "assume": "assume", "axiom": "{:axiom}", "verify_false": "{:verify false}", "extern": "{:extern}",
    "bodyless_lemma": "lemma Wish has no body", "bodyless_target": "method MaxArray has no body",
    "bodyless_display_lemma": "lemma Wish has no body",
    "expect": "expect", "decreases_star": "decreases *", "bodyless_loop": "while loop without a body",
    "wrong_signature": "signature differs", "wrong_param_type": "signature differs",
    "missing_target": "not found", "extra_requires": "extra requires", "inside_class": "top level",
    "free_invariant": "free invariant",
}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_each_cheat_is_rejected_by_the_gate(name, task):
    result = gate(CHEATS[name], task)
    assert not result.ok
    messages = " | ".join(v.message for v in result.violations)
    assert EXPECTED_WORDS[name] in messages, messages
    assert all(v.phase == "integrity" and v.line >= 1 for v in result.violations)


def test_escape_words_in_comments_and_strings_are_fine(task):
    src = "// assume false; {:axiom}\n" + HEADER + SPEC + BODY.replace("m := a[0];", 'm := a[0]; var s := "assume";')
    assert gate(src, task).ok


def test_pinned_requires_split_or_parenthesized_is_not_extra(task):
    src = HEADER + "  requires (a.Length > 0)\n  requires a.Length > 0 && a.Length > 0\n" + BODY
    result = gate(src, task)
    assert result.ok, result.violations


def test_helper_that_the_pinned_spec_uses_cannot_be_defined(task):
    from dataclasses import replace

    t = replace(task, ensures=["IsMax(a, m)"])
    src = "predicate IsMax(a: array<int>, m: int) reads a { true }\n" + HEADER + BODY
    assert "must not be defined" in gate(src, t).violations[0].message


def test_splice_inserts_missing_pinned_clauses_with_notes(task):
    weaker = HEADER + "  ensures m >= a[0]\n" + BODY
    g = gate(weaker, task)
    assert g.ok
    text = g.rewrite.text
    assert "ensures m >= a[0]" in text  # the candidate's own ensures stays
    for clause in task.requires + task.ensures:
        assert clause in text
    line_of = text.splitlines().index("  ensures forall i :: 0 <= i < a.Length ==> a[i] <= m") + 1
    assert g.rewrite.locate(line_of, 5)[0] == 1 and "pinned ensures #1" in g.rewrite.locate(line_of, 5)[2]


def test_honest_program_is_accepted_and_verified(task, dafny):
    from verifiers.api import verify_source

    r = verify_source(HONEST, task, dafny=dafny, timeout=60)
    assert r.verified and r.phase == "ok" and r.verified_count >= 1, r.diagnostics


def test_weaker_ensures_is_replaced_by_the_pinned_one(task, dafny):
    from verifiers.api import verify_source

    # proves only m >= a[0]: fine on its own, but the pinned ensures are spliced back in and fail
    weak = HEADER + "  requires a.Length > 0\n  ensures m >= a[0]\n{\n  m := a[0];\n}\n"
    alone = verify_source(weak, None, dafny=dafny, timeout=60)
    assert alone.verified
    r = verify_source(weak, task, dafny=dafny, timeout=60)
    assert not r.verified and r.phase == "verification"
    related = [rel for d in r.errors for rel in d.related]
    assert any("pinned ensures" in rel["message"] and rel["line"] == 1 for rel in related), r.errors


def test_cheats_never_reach_verified_through_the_api(task, dafny):
    from verifiers.api import verify_source

    r = verify_source(CHEATS["assume"], task, dafny=dafny, timeout=60)
    assert (r.verified, r.phase) == (False, "integrity")
    r = verify_source(CHEATS["verify_false"], None, dafny=dafny, timeout=60)
    assert (r.verified, r.phase) == (False, "integrity")


def test_nothing_verified_is_a_failure(dafny):
    from verifiers.api import verify_source

    r = verify_source("method M() {\n}\n", None, dafny=dafny, timeout=60)
    assert (r.verified, r.phase, r.verified_count, r.error_count) == (False, "integrity", 0, 0)
    assert "nothing was verified" in r.diagnostics[-1].message


ISMAX = "predicate IsMax(a: array<int>, m: int)\n  reads a\n{\n  (forall i :: 0 <= i < a.Length ==> a[i] <= m) && " \
        "exists i :: 0 <= i < a.Length && a[i] == m\n}"


def test_task_definitions_are_prepended_and_copies_must_match(task, dafny):
    from dataclasses import replace

    from verifiers.api import verify_source

    t = replace(task, ensures=["IsMax(a, m)"], metadata={**task.metadata, "definitions": ISMAX})
    without = HONEST
    r = verify_source(without, t, dafny=dafny, timeout=60)
    assert r.verified, r.diagnostics
    assert r.program.startswith("predicate method IsMax") or r.program.startswith("predicate IsMax")
    same_copy = ISMAX + "\n\n" + HONEST
    assert verify_source(same_copy, t, dafny=dafny, timeout=60).verified
    own = "predicate IsMax(a: array<int>, m: int) { true }\n" + HONEST
    g = gate(own, t)
    assert "differs from the task's definition" in g.violations[0].message


def test_contract_definitions_come_from_the_reference_transitively():
    from verifiers.integrity import contract_definitions_from

    program = (
        "function Sq(x: int): int { x * x }\n"
        "function SumSq(a: seq<int>): int { if |a| == 0 then 0 else Sq(a[0]) + SumSq(a[1..]) }\n"
        "function Unused(): int { 3 }\n"
        "method M(a: seq<int>) returns (s: int) ensures s == SumSq(a) { s := 0; assume false; }\n"
    )
    defs = contract_definitions_from(program, ["s == SumSq(a)"])
    assert "function Sq(" in defs and "function SumSq(" in defs
    assert "Unused" not in defs
    assert defs.index("function Sq(") < defs.index("function SumSq(")
