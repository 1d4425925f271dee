"""Importers of public suites and ``p2s import``: the Dafny text reader, the test-snippet reader, the three
formats on fixtures written for these tests, and CloverBench's real data (skipped when it is absent).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks.importers import run_import
from benchmarks.importers.clover import import_clover, task_folders
from benchmarks.importers.common import (
    ConversionError,
    choose_target,
    eval_literal,
    fitted_int_width,
    reason_kind,
    task_from_program,
)
from benchmarks.importers.dafny_text import DafnyTextError, contract_helpers, declarations, split_top_level
from benchmarks.importers.snippets import run as run_snippet
from benchmarks.importers.test_programs import leading_literal, vectors_from_tests
from pipeline.cli import main as p2s
from pipeline.errors import UserError
from pipeline.task import TestVector as Vector
from pipeline.task import load_task, parse_signature
from tests.support import CLOVER_DIR, MBPP_DEV_DIR, needs_clover, needs_dafny, needs_mbpp_dev

DATA = Path(__file__).parent / "data" / "import"
MBPP = DATA / "mbpp"


# --------------------------------------------------------------------------------------------- Dafny text


def test_declarations_survive_comments_strings_and_displays():
    src = """
// method Fake() { }  (a comment)
/* nested /* block */ method AlsoFake() {} */
function {:opaque} F(x': int, s: set<int>): int
  requires x' in {1, 2} // a } in a comment
  ensures F(x', s) == x'
{ x' }
predicate P(c: char) { c == '}' && "}" != "{" }
method M(a: array<int>) returns (r: int, ok: bool)
  requires a.Length > 0
  ensures multiset{r} <= multiset(a[..])
  ensures ok ==> r in {a[0]}
{
  r, ok := a[0], true;
}
class C { method Inner() {} }
"""
    decls = {d.name: d for d in declarations(src)}
    assert set(decls) == {"F", "P", "M", "Inner"}
    m = decls["M"]
    assert m.signature_text() == "method M(a: array<int>) returns (r: int, ok: bool)"
    assert m.requires() == ["a.Length > 0"]
    assert m.ensures() == ["multiset{r} <= multiset(a[..])", "ok ==> r in {a[0]}"]
    assert decls["F"].requires() == ["x' in {1, 2}"] and decls["F"].returns == "int"
    assert decls["Inner"].container == "class C" and m.container is None
    assert not m.is_ghost and decls["F"].kind == "function"


def test_declarations_come_from_the_verifier_reader_and_refuse_unclosed_brackets():
    src = "method Spin(n: nat)\n  decreases *\n{ var i := 0; while i < n decreases * { i := i + 1; } }\n"
    (d,) = declarations(src)
    assert [(c.kind, c.text) for c in d.clauses] == [("decreases", "*")]  # the body is not part of the clause
    assert d.body == (src.index("{"), len(src) - 1) and d.header_end == src.index(")") + 1
    with pytest.raises(DafnyTextError, match="unbalanced"):
        declarations("method M(x: int { }")
    with pytest.raises(ConversionError, match="cannot be read: .*unterminated"):
        choose_target('method M() { print "no end; }')


def test_contract_helpers_follow_calls_transitively():
    src = """
function Pow2(k: nat): nat { if k == 0 then 1 else 2 * Pow2(k - 1) }
function Val(s: seq<bool>): nat { if |s| == 0 then 0 else Val(s[..|s|-1]) + (if s[|s|-1] then Pow2(|s|-1) else 0) }
function Unused(): int { 3 }
method M(b: array<bool>) returns (n: nat) ensures n == Val(b[..]) { n := 0; assume false; }
"""
    assert [d.name for d in contract_helpers(src, ["n == Val(b[..])"])] == ["Pow2", "Val"]


def test_split_top_level_respects_brackets_and_literals():
    assert split_top_level("f(1, 2), [3, 4], ',', \"a,b\"") == ["f(1, 2)", "[3, 4]", "','", '"a,b"']
    assert split_top_level("a: map<int, T>, b: int", angles=True) == ["a: map<int, T>", "b: int"]


# --------------------------------------------------------------------------------------------- snippets


def test_literal_values():
    assert eval_literal("new int[] [1, -2, 0x10]") == [1, -2, 16]
    assert eval_literal("new bool[3]") == [False, False, False]
    assert eval_literal("[true, false]") == [True, False]
    assert eval_literal("'a'") == "a" and eval_literal('"x\\"y"') == 'x"y'
    assert eval_literal("a[..]", {"a": [4, 5]}) == [4, 5]
    with pytest.raises(ConversionError, match="real"):
        eval_literal("1.5")
    with pytest.raises(ConversionError, match="unknown variable"):
        eval_literal("b")


def test_snippet_calls_and_assertions_become_vectors():
    sig = parse_signature("method F(a: array<int>, k: int) returns (r: int, ok: bool)")
    run = run_snippet("var a1 := new int[] [3, 1]; var r1, ok1 := F(a1, -2);\nassert r1 == 4 && ok1;"
                      "var r2, ok2 := F(a1, 5); assert 7 == r2; assert !ok2;", sig)
    assert not run.problems
    assert [(c.inputs, c.expected) for c in run.calls] == [
        ({"a": [3, 1], "k": -2}, {"r": 4, "ok": True}),
        ({"a": [3, 1], "k": 5}, {"r": 7, "ok": False}),
    ]


def test_snippet_reads_in_place_results_and_array_equality():
    sig = parse_signature("method G(a: array<int>)")
    run = run_snippet("var a := new int[] [2, 1]; G(a); assert a[..] == [1, 2];", sig)
    assert [(c.inputs, c.expected) for c in run.calls] == [({"a": [2, 1]}, {"a": [1, 2]})]
    sig = parse_signature("method H(a: array<int>) returns (r: array<int>)")
    run = run_snippet("var x := new int[] [1]; var e := new int[] [1, 1]; var r := H(x); assert arrayEquals(r, e);",
                      sig)
    assert run.calls[0].expected == {"r": [1, 1]}


def test_snippet_problems_are_reported_not_guessed():
    sig = parse_signature("method F(x: int) returns (y: int)")
    run = run_snippet("var out1 := F(3);\nassert out3 == 9;", sig)
    assert run.calls and not run.calls[0].expected
    assert "unknown variable out3" in run.problems[0]
    run = run_snippet("var y := Other(2); var z := F(y);", sig)
    assert len(run.problems) == 2 and not run.calls


# --------------------------------------------------------------------------------------------- mbpp-dfy


def test_mbpp_fixture_with_solutions():
    result = run_import("mbpp-dfy", [MBPP / "tasks.json"], solutions=MBPP / "solutions")
    tasks = {t.metadata["source_id"]: t for t in result.tasks}
    assert set(tasks) == {"9001", "9002", "9003", "9005", "9006"}
    assert [(s.name, "real" in s.reason) for s in result.skipped] == [("task_id 9004", True)]
    largest = tasks["9001"]
    assert largest.id == "mbpp_9001" and largest.reference and "linear scan" in largest.reference
    assert largest.requires == ["xs.Length > 0"] and len(largest.ensures) == 2
    assert [v.expected for v in largest.tests] == [{"m": 11}, {"m": -3}, {"m": 7}]
    assert [v.expected for v in tasks["9002"].tests] == [{"q": 12, "r": 3}, {"q": 0, "r": 7}, {"q": 4, "r": 0}]
    assert tasks["9005"].tests[0].expected == {"a": [2, 4, 6]}
    assert tasks["9003"].reference is None and tasks["9003"].ensures == []  # no solution: no pinned spec
    assert len(tasks["9003"].tests) == 2 and len(tasks["9006"].tests) == 1
    assert any("out3" in w for w in result.warnings) and any("task_id_9999" in w for w in result.warnings)


def test_mbpp_reads_a_list_and_rejects_bad_json(tmp_path):
    entries = list(json.loads((MBPP / "tasks.json").read_text()).values())[:1]
    (tmp_path / "list.json").write_text(json.dumps(entries))
    assert [t.id for t in run_import("mbpp-dfy", [tmp_path / "list.json"]).tasks] == ["mbpp_9001"]
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        run_import("mbpp-dfy", [tmp_path / "bad.json"])


SOLUTION_REVERSED = """method AppendArrayToSeq(s: seq<int>, a: array<int>) returns (r: seq<int>)
  ensures |r| == |s| + a.Length
{
  r := s + a[..];
}
"""


def test_mbpp_solution_named_and_ordered_otherwise_is_paired_by_types(tmp_path):
    """The published `addLists(arr: array<int>, se: seq<int>)` is the solution's
    `AppendArrayToSeq(s: seq<int>, a: array<int>)`: paired by type, arguments mapped by type, not position."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "task_id_106.dfy").write_text(SOLUTION_REVERSED)
    entry = {"task_id": "106", "task_description": "Append the given list to the given tuple.",
             "method_signature": "method addLists(arr: array<int>, se:seq<int>) returns (res:seq<int>)",
             "test_cases": {"test_1": "var a1:= new int[] [5, 6, 7];\nvar s1:= [9, 10];\nvar e1:= [9, 10, 5, 6, 7];\n"
                                      "var res1:=addLists(a1,s1);\nassert sequenceEquals(res1,e1);",
                            "test_2": "var a2:= new int[] [1];\nvar res2:=addLists(a2,[]);\nassert res2:==[1];"}}
    (tmp_path / "t.json").write_text(json.dumps({"106": entry}))
    result = run_import("mbpp-dfy", [tmp_path / "t.json"], solutions=tmp_path / "src")
    [task] = result.tasks
    assert task.signature.name == "AppendArrayToSeq"
    assert (task.tests[0].inputs, task.tests[0].expected) == ({"a": [5, 6, 7], "s": [9, 10]}, {"r": [9, 10, 5, 6, 7]})
    assert any("differ in types" in w for w in result.warnings)
    # a solution with two methods of other types is not guessed
    (tmp_path / "src" / "task_id_106.dfy").write_text(SOLUTION_REVERSED + SOLUTION_REVERSED.replace(
        "AppendArrayToSeq", "Other").replace("s: seq<int>, a: array<int>", "a: array<int>, b: array<int>"))
    result = run_import("mbpp-dfy", [tmp_path / "t.json"], solutions=tmp_path / "src")
    assert not result.tasks and "cannot be paired" in result.skipped[0].reason or "2 others" in \
        result.skipped[0].reason


def test_print_helper_with_the_expectation_below_gives_the_expected_value():
    program = "method Squares(a: array<int>) returns (r: seq<int>) { r := []; }\n"
    test = program + ("method PrintArray(s: seq<int>) { print s; }\n"
                      "method SquaresTest() {\n  var a1 := new int[] [1, 2];\n  var res1 := Squares(a1);\n"
                      "  PrintArray(res1);\n  // expected [1, 4]\n\n  var a2 := new int[] [3];\n"
                      "  var res2 := Squares(a2);\n  print(res2);print(\"\\n\");\n              //expected[9];\n}\n")
    sig = parse_signature("method Squares(a: array<int>) returns (r: seq<int>)")
    warnings: list[str] = []
    vecs = vectors_from_tests(test, program, sig, "t", warnings)
    assert [(v.inputs, v.expected) for v in vecs] == [({"a": [1, 2]}, {"r": [1, 4]}), ({"a": [3]}, {"r": [9]})]
    assert warnings == []


@needs_mbpp_dev
def test_mbpp_program_folders_import_with_vectors_or_one_stated_reason(tmp_path):
    """The published MBPP-DFY-153 layout: every program becomes a task with vectors or is skipped for a reason
    the task model states (real numbers, nested sequences, an empty program); the descriptions come from the
    task file beside it; the task file + solutions path gives the same vectors for the ids both convert."""
    result = run_import("mbpp-dfy", [MBPP_DEV_DIR])
    assert len(result.tasks) + len(result.skipped) == 30 and len(result.tasks) >= 23
    assert set(result.skipped_by_reason()) <= {"element type of _ must be a scalar", "unsupported type _",
                                               "the program declares nothing"}
    for task in result.tasks:
        assert task.tests, task.id
        inputs_only = sum(not v.expected for v in task.tests)  # the test program prints and states nothing
        assert inputs_only == task.metadata.get("inputs_only_vectors", 0), task.id
        assert task.reference and task.ensures and "description_from" not in task.metadata
    by_id = {t.id: t for t in result.tasks}
    assert by_id["mbpp_2"].signature.name == "SharedElements"
    assert [v.expected for v in by_id["mbpp_2"].tests] == [{"result": [4, 5]}, {"result": [3, 4]},
                                                           {"result": [13, 14]}]
    published = run_import("mbpp-dfy", [MBPP_DEV_DIR / "MBPP-san-DFY-228" / "mbpp-san-dfy-228-dev.json"],
                           solutions=MBPP_DEV_DIR / "MBPP-DFY-153" / "src")
    assert len(published.tasks) >= 20
    for task in published.tasks:
        other = by_id[task.id]
        assert task.signature == other.signature
        def canon(t):
            return sorted(json.dumps([v.inputs, v.expected], sort_keys=True) for v in t.tests)
        assert canon(task) == canon(other), task.id
    import shutil

    shutil.copytree(MBPP_DEV_DIR / "MBPP-DFY-153", tmp_path / "MBPP-DFY-153")
    alone = run_import("mbpp-dfy", [tmp_path / "MBPP-DFY-153" / "src"])  # no task file beside: made up
    assert len(alone.tasks) == len(result.tasks)
    assert all(t.metadata["description_from"] == "name and contract" for t in alone.tasks)
    assert all(t.description.startswith("Implement the method") for t in alone.tasks)
    with pytest.raises(UserError, match="--solutions goes with the task file"):
        run_import("mbpp-dfy", [MBPP_DEV_DIR], solutions=MBPP_DEV_DIR / "MBPP-DFY-153" / "src")


def test_skip_reasons_are_counted_by_kind():
    assert reason_kind("method_signature `method f(x: real)`: unsupported type 'real' (use int, nat)") == \
        "unsupported type _"
    assert reason_kind("no usable method: method Compare is generic (<T(==)>)") == "method _ is generic"


# --------------------------------------------------------------------------------------------- dafnybench


def test_dafnybench_fixture():
    result = run_import("dafnybench", [DATA / "dafnybench"])
    tasks = {t.id: t for t in result.tasks}
    assert set(tasks) == {"sum_to_n", "min_of_two"}
    s = tasks["sum_to_n"]
    assert s.signature.name == "SumToN" and s.ensures == ["s == SumUpTo(n)"] and s.tests == []
    assert s.description == "Returns 0 + 1 + ... + n."
    assert "Implement the method MinOfTwo" in tasks["min_of_two"].description
    reasons = {Path(x.name).name: x.reason for x in result.skipped}
    assert "generic" in reasons["generic_only.dfy"] and "inside class Counter" in reasons["counter_class.dfy"]


# --------------------------------------------------------------------------------------------- clover


def test_leading_literal_of_expectation_comments():
    assert leading_literal("5") == 5
    assert leading_literal("['a', 'b']") == ["a", "b"]
    assert leading_literal("false, since 'a' != 'i'") is False
    assert leading_literal("[1, 2, 3];") == [1, 2, 3]


@needs_clover
def test_clover_real_data_converts_with_reasons_for_the_rest(tmp_path):
    result = import_clover([CLOVER_DIR])
    total = len(task_folders([CLOVER_DIR]))
    assert len(result.tasks) + len(result.skipped) == total >= 60
    assert len(result.tasks) >= 45
    for s in result.skipped:  # every skip names a construct the pipeline does not take
        assert any(w in s.reason for w in ("generic", "unsupported type", "scalar", "no body")), s
    by_name = {t.metadata["source_name"]: t for t in result.tasks}
    abs_task = by_name["abs"]
    assert [(v.inputs["x"], v.expected.get("y")) for v in abs_task.tests] == [(5, 5), (-7, 7), (0, 0), (-1, 1), (9, 9)]
    assert abs_task.ensures == ["x>=0 ==> x==y", "x<0 ==> x+y==0"]
    assert by_name["binary_search"].tests[0].inputs == {"a": [1, 2, 3, 4, 5], "key": 3}
    paths = result.write(tmp_path)
    assert [load_task(p).id for p in paths] == [t.id for t in result.tasks]


@needs_clover
@needs_dafny
@pytest.mark.slow
def test_clover_verify_and_record_expected_with_dafny(tmp_path):
    """Two real tasks: the references verify through the gate, and running them fills the expected outputs."""
    code = p2s(["import", "clover", str(CLOVER_DIR / "textbook_algo" / "integer_square_root"),
                str(CLOVER_DIR / "textbook_algo" / "abs"), "--out", str(tmp_path), "--verify", "--record-expected"])
    assert code == 0
    isqrt = next(load_task(p) for p in tmp_path.glob("*integer_square_root*.yaml"))
    assert isqrt.tests and all(v.expected for v in isqrt.tests)
    for v in isqrt.tests:
        (name,) = isqrt.signature.returns
        assert v.expected[name.name] == math.isqrt(v.inputs[isqrt.signature.params[0].name])
    assert isqrt.metadata["expected_from"].startswith("reference run")


# --------------------------------------------------------------------------------------------- CLI


def test_import_cli_writes_tasks_report_and_exit_status(tmp_path, capsys):
    out = tmp_path / "out"
    code = p2s(["import", "mbpp-dfy", str(MBPP / "tasks.json"), "--solutions", str(MBPP / "solutions"),
                "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0  # converted something; the skip is listed and counted by reason
    assert "skipped task_id 9004:" in text and "5/6 tasks converted" in text
    assert "skipped by reason: unsupported type _ (1)" in text
    assert sorted(p.name for p in out.glob("*.yaml")) == [
        "mbpp_9001.yaml", "mbpp_9002.yaml", "mbpp_9003.yaml", "mbpp_9005.yaml", "mbpp_9006.yaml"]
    report = json.loads((out / "import_report.json").read_text())
    assert report["skipped"][0]["name"] == "task_id 9004" and len(report["converted"]) == 5
    assert load_task(out / "mbpp_9001.yaml").tests[0].expected == {"m": 11}
    only_bad = tmp_path / "bad.json"
    only_bad.write_text(json.dumps([e for e in json.loads((MBPP / "tasks.json").read_text()).values()
                                    if e["task_id"] == "9004"]))
    assert p2s(["import", "mbpp-dfy", str(only_bad), "--out", str(tmp_path / "none")]) == 1  # nothing converted


def test_import_cli_bad_input_is_one_line_exit_2(tmp_path, capsys):
    assert p2s(["import", "dafnybench", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("p2s: error:") and "no such file or folder" in err and err.count("\n") == 1
    assert p2s(["import", "clover", str(DATA / "dafnybench"), "--out", str(tmp_path / "o"), "--solutions", "x"]) == 2


def test_fitted_int_width_is_the_narrowest_that_holds_every_integer_input():
    src = "method M(a: int, s: seq<nat>, b: bool) returns (r: int) { r := a; }"

    def width(*vectors: tuple[int, list[int]]) -> int:
        tests = [Vector({"a": a, "s": s, "b": True}, {"r": 10 ** 12}) for a, s in vectors]
        return fitted_int_width(task_from_program(src, "m", "", tests=tests))

    assert width((10, [1, 2])) == 8
    assert width((-128, [127])) == 8 and width((-129, [0])) == 16  # signed ranges, outputs ignored
    assert width((1, [40000])) == 32 and width((1, [2 ** 40])) == 64
    assert width() == 32  # no vectors: the default


def test_import_int_width_fit_states_the_width_in_each_task(tmp_path):
    src = tmp_path / "progs"
    src.mkdir()
    (src / "a.dfy").write_text("method Mul3(x: int, y: int, z: int) returns (r: int)\n"
                               "  ensures r == x * y * z\n{ r := x * y * z; }\n")
    assert p2s(["import", "dafnybench", str(src), "--out", str(tmp_path / "t"), "--int-width", "16"]) == 0
    assert load_task(tmp_path / "t" / "a.yaml").hardware.int_width == 16
    with pytest.raises(SystemExit) as exc:
        p2s(["import", "dafnybench", str(src), "--out", str(tmp_path / "u"), "--int-width", "12"])
    assert exc.value.code == 2
