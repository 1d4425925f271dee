"""``p2s verify`` and the ``verify`` stage, end to end with the real Dafny."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.stage import RunContext, RunOptions, Status
from pipeline.task import load_task
from tests.support import EXAMPLES, needs_dafny

DFY = EXAMPLES / "max_array.dfy"
TASK = EXAMPLES / "max_array.yaml"



pytestmark = pytest.mark.usefixtures("private_p2s_home")


@needs_dafny
def test_verified_example_exits_0(capsys):
    assert main(["verify", str(DFY), "--task", str(TASK)]) == 0
    out = capsys.readouterr().out
    assert "verified: " in out and "not verified" not in out


@needs_dafny
def test_failure_exits_1_with_one_line_per_diagnostic(tmp_path, capsys):
    bad = tmp_path / "bad.dfy"
    bad.write_text(DFY.read_text().replace("invariant exists i :: 0 <= i < k && a[i] == m\n", ""))
    assert main(["verify", str(bad), "--task", str(TASK)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{bad}:") and ": verification: " in lines[0]
    assert lines[-1].startswith(f"{bad}: not verified (verification)")


@needs_dafny
def test_json_output_and_gate(tmp_path, capsys):
    cheat = tmp_path / "cheat.dfy"
    cheat.write_text(DFY.read_text().replace("m := a[0];", "m := a[0];\n  assume false;"))
    assert main(["verify", str(cheat), "--task", str(TASK), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verified"] is False and data["phase"] == "integrity"
    assert data["diagnostics"][0]["line"] == 7 and "assume" in data["diagnostics"][0]["message"]
    assert main(["verify", str(DFY), "--json", "--timeout", "30"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verified"] is True and data["phase"] == "ok" and data["verified_count"] >= 1


UNINTERPRETED = """function F(x: int): int
lemma FIsMonotone(x: int, y: int)
  requires x <= y
  ensures F(x) <= F(y)
method UseF(x: int) returns (r: int)
  ensures r == F(x)
{
  r := F(x);
}
"""


@needs_dafny
def test_without_a_task_dafny_judges_and_the_trusted_are_listed(tmp_path, capsys):
    """DafnyBench style: body-less symbols on purpose. Dafny verifies the program; ``verified`` stays false
    (exit 1) because two declarations are trusted; ``--allow-trusted`` exits 0 on Dafny's yes alone."""
    f = tmp_path / "uninterpreted.dfy"
    f.write_text(UNINTERPRETED)
    assert main(["verify", str(f), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["verified"], data["dafny_verified"], data["phase"]) == (False, True, "integrity")
    assert [(t["kind"], t["name"], t["line"]) for t in data["trusted"]] == [
        ("bodyless function", "F", 1), ("bodyless lemma", "FIsMonotone", 2)]
    assert main(["verify", str(f), "--allow-trusted"]) == 0
    out = capsys.readouterr().out
    assert "Dafny verified it, trusting 2 construct(s)" in out
    wrong = tmp_path / "wrong.dfy"
    wrong.write_text(UNINTERPRETED.replace("r := F(x);", "r := F(x) + 1;"))
    assert main(["verify", str(wrong), "--allow-trusted", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["dafny_verified"], data["phase"]) == (False, "verification")


def test_allow_trusted_with_a_task_is_a_usage_error(capsys):
    assert main(["verify", str(DFY), "--task", str(TASK), "--allow-trusted"]) == 2
    assert "p2s: error: --allow-trusted" in capsys.readouterr().err


def test_bad_input_exits_2(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "missing.dfy")]) == 2
    assert "no such file" in capsys.readouterr().err
    broken_task = tmp_path / "t.yaml"
    broken_task.write_text("id: x\ndescription: d\n")
    assert main(["verify", str(DFY), "--task", str(broken_task)]) == 2
    assert "field 'signature'" in capsys.readouterr().err
    assert main(["verify", str(DFY), "--timeout", "0"]) == 2


def test_missing_dafny_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("P2S_DAFNY", raising=False)
    assert main(["verify", str(DFY)]) == 2
    assert "apt-get install dafny" in capsys.readouterr().err


@needs_dafny
def test_verify_stage_writes_artifacts_and_metrics(tmp_path):
    from pipeline.runner import run_stage

    task = load_task(TASK)
    ctx = RunContext(task=task, out_dir=tmp_path / "run", options=RunOptions(verify_timeout=60))
    cand = tmp_path / "candidate.dfy"
    cand.write_text(DFY.read_text())
    ctx.artifacts["dafny"] = str(cand)
    res = run_stage(ctx, "verify")
    assert res.status is Status.PASS, res.detail
    assert res.metrics["verified_count"] >= 1 and res.metrics["error_count"] == 0
    assert Path(res.artifacts["verified_dfy"]).read_text().startswith("method MaxArray")
    assert json.loads(Path(res.artifacts["verify_json"]).read_text())["verified"] is True
    cand.write_text(DFY.read_text().replace("{\n  m := a[0];", "{\n  m := a[0];\n  assume false;"))
    res = run_stage(ctx, "verify")
    assert res.status is Status.FAIL and "verified_dfy" not in res.artifacts and res.metrics["phase"] == "integrity"
    assert "assume" in res.detail


def test_verify_stage_skips_without_dafny(tmp_path, monkeypatch):
    from pipeline.runner import run_stage

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("P2S_DAFNY", raising=False)
    ctx = RunContext(task=load_task(TASK), out_dir=tmp_path / "run")
    cand = tmp_path / "c.dfy"
    cand.write_text("method M() {}")
    ctx.artifacts["dafny"] = str(cand)
    res = run_stage(ctx, "verify")
    assert res.status is Status.SKIPPED and "apt-get install dafny" in res.detail
