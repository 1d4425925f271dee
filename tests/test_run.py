"""The generate -> verify -> repair loop and ``p2s run``, with scripted and replayed models and the real Dafny."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.llm import get_llm
from agents.policies import prompt_config
from pipeline.cli import main
from pipeline.generate import generate, run_task_from_spec
from pipeline.stage import RunOptions
from pipeline.task import load_task
from tests.support import needs_dafny
from verifiers.api import verify_source

pytestmark = needs_dafny

TASK = load_task("benchmarks/examples/max2.yaml")
GOOD = TASK.reference
BAD = GOOD.replace("m := b;", "m := a;")  # verifies nothing: the else branch breaks the postcondition


def dafny_verify(source: str, task, timeout: float) -> dict:
    """The real verifier (integrity gate, dialect bridge, Dafny), without the result cache."""
    return verify_source(source, task, timeout, use_cache=False).to_dict()


def fenced(code: str) -> str:
    return f"Here is the method:\n```dafny\n{code}```\nIt verifies."


def test_one_shot_stops_after_one_attempt(tmp_path):
    llm = get_llm("dummy", replies=[fenced(BAD), fenced(GOOD)])
    gen = generate(TASK, llm, agent="none", config=prompt_config("none", "chat"), attempts=5, verify=dafny_verify,
                   out_dir=tmp_path)
    assert not gen.verified and len(gen.attempts) == 1
    a = gen.attempts[0]
    assert a.phase == "verification" and a.diagnostics and a.diagnostics[0]["line"] > 0
    assert (tmp_path / "attempts" / "01" / "candidate.dfy").read_text() == BAD


def test_repair_feeds_diagnostics_back_until_verified(tmp_path):
    llm = get_llm("dummy", replies=["I am not sure.", fenced(BAD), fenced(GOOD)])
    gen = generate(TASK, llm, agent="repair", config=prompt_config("repair", "chat"), attempts=4, seed=5,
                   verify=dafny_verify, out_dir=tmp_path)
    assert gen.verified and [a.verified for a in gen.attempts] == [False, False, True]
    assert [a.phase for a in gen.attempts][:2] == ["no_code", "verification"]
    assert [a.action for a in gen.attempts] == ["initial", "raw_feedback", "raw_feedback"]
    second, third = llm.calls[1][0], llm.calls[2][0]
    assert "no Dafny program" in second[-1]["content"] and second[-2]["content"] == "I am not sure."
    line = gen.attempts[1].diagnostics[0]["line"]
    assert f"line {line}" in third[-1]["content"] and "m := a;" in third[-2]["content"]
    assert [c[1].temperature for c in llm.calls] == [0.75] * 3  # the repair agent's own default
    assert len({c[1].seed for c in llm.calls}) == 3  # each call its own seed, derived from the episode's
    lines = [json.loads(x) for x in (tmp_path / "attempts.jsonl").read_text().splitlines()]
    assert [x["attempt"] for x in lines] == [1, 2, 3] and lines[2]["verified"] and lines[0]["task"] == "max2"
    assert all(x["tokens"] > 0 for x in lines) and {x["call_seed"] for x in lines} == {c[1].seed for c in llm.calls}
    assert gen.verified_program and "m := b;" in gen.verified_program
    assert json.loads((tmp_path / "attempts" / "03" / "verify.json").read_text())["verified"]


def test_completion_style_joins_prefix_and_continuation(tmp_path):
    body = GOOD[GOOD.index("{") + 2:]  # the model continues after the open brace
    llm = get_llm("dummy", replies=[body])  # a real backend stops at the closing fence and drops it
    gen = generate(TASK, llm, agent="none", config=prompt_config("none", "completion"), verify=dafny_verify)
    assert gen.verified and gen.attempts[0].code.endswith(body)
    assert llm.calls[0][1].style == "completion" and llm.calls[0][1].stop == ("```",)


def test_run_records_report_and_transcript_and_replays_to_the_same_report(tmp_path):
    opts = RunOptions(verify_timeout=60)
    live = tmp_path / "live"
    llm = get_llm("dummy", replies=[fenced(BAD), fenced(GOOD)])
    ctx, extra = run_task_from_spec(TASK, llm=llm, agent="repair", attempts=3, options=opts, out_dir=live, stages=[])
    report = json.loads((live / "report.json").read_text())
    assert report["generation"]["verified"] and report["generation"]["verified_at"] == 2
    assert [s["stage"] for s in report["stages"]] == ["generate", "verify"] and report["ok"]
    generate_stage = report["stages"][0]
    assert generate_stage["metrics"]["attempts"] == 2 and generate_stage["detail"] == "verified at attempt 2 of 2"
    assert report["attempts"][0]["diagnostics"] and report["attempts"][1]["code"] == GOOD
    assert extra == {"attempts": 2, "tokens": report["generation"]["tokens"], "verified_at": 2}
    assert Path(ctx.artifacts["dafny"]).read_text() == GOOD and Path(ctx.artifacts["verified_dfy"]).is_file()
    transcript = live / "transcript.jsonl"
    assert len(transcript.read_text().splitlines()) == 2

    again = tmp_path / "replay"
    run_task_from_spec(TASK, llm=f"replay:{transcript}", agent="repair", attempts=3, options=opts, out_dir=again,
                       stages=[])
    replayed = json.loads((again / "report.json").read_text())

    def essence(r):
        return ([(s["stage"], s["status"], s["detail"]) for s in r["stages"]],
                [(a["code"], a["verified"], a["phase"], a["tokens"], a["prompt_hash"]) for a in r["attempts"]])

    assert essence(replayed) == essence(report)
    # the replay recorded its own transcript, identical in content
    keys = [json.loads(x)["key"] for x in transcript.read_text().splitlines()]
    assert keys == [json.loads(x)["key"] for x in (again / "transcript.jsonl").read_text().splitlines()]
    # replaying into the recorded folder itself starts that folder afresh and reproduces it
    run_task_from_spec(TASK, llm=f"replay:{transcript}", agent="repair", attempts=3, options=opts, out_dir=live,
                       stages=[])
    assert essence(json.loads((live / "report.json").read_text())) == essence(report)
    assert len(transcript.read_text().splitlines()) == 2
    assert len((live / "attempts.jsonl").read_text().splitlines()) == 2


def test_failed_generation_skips_the_hardware_stages(tmp_path):
    llm = get_llm("dummy", replies=[fenced(BAD)])
    ctx, _ = run_task_from_spec(TASK, llm=llm, agent="none", out_dir=tmp_path)
    statuses = [(r.stage, r.status.value) for r in ctx.results]
    assert statuses[:2] == [("generate", "pass"), ("verify", "fail")] and all(s == "skipped" for _, s in statuses[2:])
    assert [n for n, _ in statuses[2:]] == ["python", "c", "rtl", "cosim", "formal", "estimate"]
    assert "no attempt of 1 verified (last: verification at line" in ctx.results[0].detail
    assert Path(ctx.artifacts["dafny"]).read_text() == BAD  # the verify stage judged the model's last program
    assert ctx.results[1].metrics["cached"]  # with the Dafny call the loop made


@pytest.mark.slow
def test_cli_run_with_reference_llm(tmp_path, capsys):
    """The whole chain through the CLI (every hardware stage that this checkout has)."""
    out = tmp_path / "run"
    code = main(["run", "--task", "benchmarks/examples/clamp.yaml", "--llm", "reference", "--out", str(out), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["generation"]["verified"] and report["generation"]["llm"] == "reference"
    assert [(s["stage"], s["status"]) for s in report["stages"][:2]] == [("generate", "pass"), ("verify", "pass")]
    assert code == (0 if report["ok"] else 1)
    assert (out / "transcript.jsonl").is_file() and (out / "candidate.dfy").read_text().startswith("method Clamp")


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["run", "--task", "benchmarks/examples/max2.yaml", "--llm", "nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("p2s: error: unknown LLM backend 'nope'") and err.count("\n") == 1
    assert main(["run", "--task", "benchmarks/examples/max2.yaml", "--llm", "reference", "--agent", "magic",
                 "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("p2s: error:") and "magic" in err and err.count("\n") == 1


def test_agents_from_the_policies_package_run_in_their_environment(tmp_path):
    """``--agent best-of-n`` goes through agents.policies + agents.env and yields the same attempt records."""
    llm = get_llm("dummy", replies=[fenced(BAD), fenced(GOOD)])
    ctx, extra = run_task_from_spec(TASK, llm=llm, agent="best-of-n", attempts=3, out_dir=tmp_path, stages=[])
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["generation"]["agent"] == "best-of-n" and report["generation"]["verified"]
    assert [a["verified"] for a in report["attempts"]] == [False, True]
    assert report["attempts"][1]["tokens"] > 0 and extra["attempts"] == 2
    assert Path(ctx.artifacts["verified_dfy"]).read_text().strip()
    assert len((tmp_path / "transcript.jsonl").read_text().splitlines()) == 2
