"""The resolution check before Dafny: Dafny's messages for the scope errors small models make, and silence on
every program Dafny resolves."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.task import load_task
from tests.support import CLOVER_DIR, CLOVER_MISSING, REPO, SHARED_DATA, needs_dafny
from verifiers.resolution_check import resolution_errors

CASES = {
    "result redeclared": ("method M(a: int) returns (r: int)\n{\n  var r := a;\n}\n",
                          (3, "Duplicate local-variable name: r")),
    "local redeclared": ("method M(a: int) returns (r: int)\n{\n  var i := 0;\n  var i := 1;\n  r := i;\n}\n",
                         (4, "Duplicate local-variable name: i")),
    "in-parameter assigned": ("method M(a: int) returns (r: int)\n{\n  a := 3;\n  r := a;\n}\n",
                              (3, "LHS of assignment must denote a mutable variable")),
    "used before its var": ("method M(a: int) returns (r: int)\n{\n  i := 0;\n  var i := 1;\n  r := i;\n}\n",
                            (3, "unresolved identifier: i")),
    "never declared": ("method M(a: int) returns (r: int)\n{\n  r := a + y;\n}\n",
                       (3, "unresolved identifier: y")),
    "loop counter undeclared": ("method M(n: int) returns (r: int)\n{\n  r := 0;\n  while k < n\n"
                                "    invariant 0 <= k\n  {\n    k := k + 1;\n  }\n}\n",
                                (4, "unresolved identifier: k")),
}

FINE = {
    "in-parameter shadowed": "method M(a: int) returns (r: int)\n{\n  var a := 2;\n  a := a + 1;\n  r := a;\n}\n",
    "nested shadowing": "method M(a: int) returns (r: int)\n{\n  var i := 0;\n  if a > 0 { var i := 1; r := i; }\n}\n",
    "binders": ("function method Sum(s: seq<int>): int { if |s| == 0 then 0 else s[0] + Sum(s[1..]) }\n"
                "method M(s: seq<int>) returns (r: int)\n  ensures r == Sum(s)\n{\n"
                "  assert forall i :: 0 <= i < |s| ==> s[i] == s[i];\n  r := Sum(s);\n}\n"),
    "datatype": ("datatype Opt = None | Some(v: int)\nmethod M(o: Opt) returns (r: int)\n{\n"
                 "  r := if o.Some? then o.v else 0;\n  var n := None;\n}\n"),
    "for loop": "method M(n: int) returns (r: int)\n{\n  r := 0;\n  for i := 0 to n { r := r + i; }\n}\n",
    "havoc": "method M() returns (r: int)\n{\n  r := *;\n}\n",
    "does not parse": "method M( returns {\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_scope_errors_get_dafnys_message(name):
    source, (line, message) = CASES[name]
    errors = resolution_errors(source)
    assert errors and (errors[0].line, errors[0].message) == (line, message), errors


@pytest.mark.parametrize("name", sorted(FINE))
def test_programs_dafny_resolves_are_not_flagged(name):
    assert resolution_errors(FINE[name]) == []


@needs_dafny
def test_the_messages_are_what_dafny_itself_reports(tmp_path):
    """Each case through the real Dafny: the same message on the same line (the check's reason to exist is to
    say it sooner, never to say something else)."""
    from verifiers.dafny import Dafny

    dafny = Dafny()
    for name, (source, (line, message)) in CASES.items():
        raw = dafny.verify(source, timeout=60, use_cache=False)
        assert raw.phase == "resolution", (name, raw.phase)
        assert any(d.line == line and d.message == message for d in raw.diagnostics), (name, raw.diagnostics)
    for name in ("in-parameter shadowed", "nested shadowing", "havoc"):
        raw = dafny.verify(FINE[name], timeout=60, use_cache=False)
        assert raw.phase != "resolution", (name, raw.diagnostics)


@needs_dafny
def test_verify_reports_the_check_without_running_dafny():
    from verifiers.api import verify_source

    task = load_task(REPO / "benchmarks" / "examples" / "max2.yaml")
    program = task.reference.replace("if a >= b {", "var m := 0;\n  if a >= b {")
    result = verify_source(program, task, use_cache=False)
    assert result.phase == "resolution" and not result.verified
    assert [d.message for d in result.diagnostics] == ["Duplicate local-variable name: m"]


def _corpus() -> list[tuple[str, str]]:
    programs = []
    for pattern in ("benchmarks/suites/core/*.yaml", "benchmarks/examples/*.yaml"):
        for path in sorted(REPO.glob(pattern)):
            task = load_task(path)
            if task.reference:
                programs.append((path.name, task.reference))
    for path in sorted(CLOVER_DIR.glob("textbook_algo/*/*_strong.dfy")) + \
            sorted((SHARED_DATA / "dafnybench-dev" / "ground_truth").glob("*.dfy")):
        programs.append((path.name, Path(path).read_text(encoding="utf-8", errors="replace")))
    return programs


@pytest.mark.slow
def test_silent_on_every_verified_program_we_have():
    """References, CloverBench and DafnyBench-dev programs all verify: the check must flag none of them."""
    if not CLOVER_DIR.is_dir():
        pytest.skip(CLOVER_MISSING)
    programs = _corpus()
    assert len(programs) > 800
    flagged = [(name, errs[0]) for name, src in programs if (errs := resolution_errors(src))]
    assert flagged == []
