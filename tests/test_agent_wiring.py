"""The prompt-repair agents through ``p2s run`` and ``p2s bench``: the prompt style, the temperature and the reply
limit reach the LLM call as in ``agents.evaluate``; ``p2s bench --agent --seeds`` reports the verified rate with
its interval over seeds, attempts and tokens per verified task, and resumes.

The LLM is the ``dummy`` backend (scripted replies, every call recorded); verification is the real Dafny on the
bundled example tasks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agents.llm.dummy import DummyLLM
from pipeline.cli import main
from pipeline.generate import run_task_from_spec
from pipeline.stage import RunOptions
from pipeline.task import load_task
from tests.support import EXAMPLES, needs_dafny

TASK = load_task(EXAMPLES / "max2.yaml")
GOOD = TASK.reference
BAD = GOOD.replace("m := b;", "m := a;")  # the else branch breaks the postcondition



def fenced(code: str) -> str:
    return f"Here is the method:\n```dafny\n{code}```\n"


# ------------------------------------------------------------------------------------------------ p2s run


@needs_dafny
def test_env_agent_gets_the_runs_style_temperature_and_reply_limit(tmp_path):
    llm = DummyLLM([fenced(BAD), fenced(GOOD)])
    run_task_from_spec(TASK, llm=llm, agent="best-of-n", attempts=3, out_dir=tmp_path, stages=[],
                       prompt_style="completion", temperature=0.3, max_tokens=200)
    params = [p for _, p in llm.calls]
    assert len(params) == 2
    assert {(p.style, p.temperature, p.max_tokens) for p in params} == {("completion", 0.3, 200)}
    assert params[0].seed != params[1].seed  # independent samples: a distinct seed per call
    messages = llm.calls[0][0]
    assert len(messages) == 1 and "method Max(" in messages[0]["content"]  # completion: one few-shot text
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["generation"]["prompt_style"] == "completion" and report["generation"]["verified"]
    assert [a["temperature"] for a in report["attempts"]] == [0.3, 0.3]
    prompt = json.loads((tmp_path / "attempts" / "01" / "prompt.json").read_text())
    assert prompt["params"]["style"] == "completion" and prompt["params"]["temperature"] == 0.3
    assert prompt["params"]["max_tokens"] == 200 and prompt["config"]["mode"] == "completion"


def _temperature_up_checkpoint(path: Path) -> Path:
    """A preface-lite checkpoint whose policy always picks ``temperature_up`` (the actor's bias says so)."""
    import torch

    from agents.policies.lite import OPERATORS, PrefaceLitePolicy

    policy = PrefaceLitePolicy()
    with torch.no_grad():
        policy.net.actor.bias[OPERATORS.index("temperature_up")] = 50.0
    torch.save({"policy": policy.state_dict()}, path)
    return path


@needs_dafny
def test_preface_lite_changes_the_temperature_per_prompt_as_in_evaluation(tmp_path):
    """``p2s run --agent preface-lite --checkpoint`` sends exactly the calls the evaluation sends: same messages,
    same parameters, the temperature raised by the policy's operator at each attempt."""
    from agents.evaluate import evaluate_policy

    ckpt = _temperature_up_checkpoint(tmp_path / "lite.pt")
    run_llm = DummyLLM([fenced(BAD)])
    run_task_from_spec(TASK, llm=run_llm, agent="preface-lite", checkpoint=str(ckpt), attempts=2,
                       options=RunOptions(seed=3), out_dir=tmp_path / "run", stages=[], prompt_style="chat",
                       temperature=0.5)
    assert [p.temperature for _, p in run_llm.calls] == [0.75, 1.0]  # 0.5 -> up -> up
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert [a["action"] for a in report["attempts"]] == ["temperature_up", "temperature_up"]
    assert [a["temperature"] for a in report["attempts"]] == [0.75, 1.0]

    from agents.prompts import PromptConfig

    eval_llm = DummyLLM([fenced(BAD)])
    evaluate_policy([TASK], "dummy", "preface-lite", ckpt, seeds=[3], budget=2, llm=eval_llm, prompt_style="chat",
                    verify_timeout=60.0)
    assert PromptConfig().temperature == 0.75  # the evaluation's base temperature: up -> 1.0, then stays at 1.0
    assert [p.temperature for _, p in eval_llm.calls] == [1.0, 1.0]
    # the same base temperature gives the same calls, message for message, seed for seed
    same = DummyLLM([fenced(BAD)])
    run_task_from_spec(TASK, llm=same, agent="preface-lite", checkpoint=str(ckpt), attempts=2,
                       options=RunOptions(seed=3), out_dir=tmp_path / "run2", stages=[], prompt_style="chat")
    assert same.calls == eval_llm.calls


def test_each_agents_defaults_reach_the_llm_and_the_report(tmp_path):
    """One place per agent name: its policy class's ``defaults``, over which the user's options are laid."""

    def verify(source, task, timeout):
        return {"verified": False, "phase": "verification", "verified_count": 0, "diagnostics": []}

    for agent, temperature, max_tokens, user in [("best-of-n", 0.75, 512, {}), ("none", 0.0, 512, {}),
                                                 ("repair", 0.3, 99, {"temperature": 0.3, "max_tokens": 99})]:
        llm = DummyLLM([fenced(BAD)])
        run_task_from_spec(TASK, llm=llm, agent=agent, attempts=2, out_dir=tmp_path / agent, stages=[],
                           prompt_style="chat", verify=verify, **user)
        assert {(p.temperature, p.max_tokens) for _, p in llm.calls} == {(temperature, max_tokens)}
        assert len(llm.calls) == (1 if agent == "none" else 2)
        config = json.loads((tmp_path / agent / "report.json").read_text())["generation"]["prompt_config"]
        assert (config["temperature"], config["max_tokens"], config["mode"]) == (temperature, max_tokens, "chat")


# ------------------------------------------------------------------------------------------------ summaries


def _record(task: str, verified: bool, attempts: int, tokens: int) -> dict:
    status = "pass" if verified else "fail"
    return {"task": task, "ok": verified, "stages": {"verify": {"status": status, "seconds": 1.0, "detail": ""}},
            "first_failure": None if verified else {"stage": "verify", "status": "fail", "detail": "x"},
            "metrics": {}, "attempts": attempts, "tokens": tokens, "seconds": 2.0}


def test_generation_block_is_the_evaluations_summary_over_seeds():
    from agents.evaluate import summarise
    from pipeline.summary import generation_line, generation_summary

    per_seed = {
        0: [_record("a", True, 1, 100), _record("b", False, 7, 900), _record("c", False, 7, 800)],
        1: [_record("a", True, 2, 300), _record("b", True, 3, 500), _record("c", False, 7, 700)],
        2: [_record("a", True, 1, 120), _record("b", False, 7, 950), _record("c", False, 7, 850)],
    }
    gen = generation_summary(per_seed, {"llm": "embedded", "agent": "repair", "attempts": 7})
    assert gen["per_seed_rate"] == {"0": pytest.approx(1 / 3), "1": pytest.approx(2 / 3), "2": pytest.approx(1 / 3)}
    assert gen["verified_rate"] == pytest.approx(4 / 9) and gen["verified"] == 4 and gen["runs"] == 9
    assert gen["ci_method"] == "t over 3 seeds"
    lo, hi = gen["ci95"]
    assert 0.0 <= lo < 4 / 9 < hi <= 1.0
    assert gen["attempts_per_verified"] == pytest.approx((1 + 2 + 3 + 1) / 4)
    assert gen["tokens_per_verified"] == pytest.approx((100 + 300 + 500 + 120) / 4)
    assert gen["budget"] == 7 and gen["agent"] == "repair" and "episodes" not in gen
    # the same numbers as the evaluation's own summary (one implementation, not two)
    from agents.evaluate import EpisodeRecord

    eps = [EpisodeRecord(r["task"], s, r["ok"], r["attempts"], r["tokens"], 2.0, [], [], 0.0)
           for s, rs in per_seed.items() for r in rs]
    ref = summarise("repair", "embedded", 7, [0, 1, 2], eps)
    assert list(gen["ci95"]) == list(ref.ci95) and gen["verified_rate"] == ref.verified_rate
    line = generation_line(gen)
    assert line.startswith("verified 4/9: 44.4% [") and "t over 3 seeds" in line and "tokens/verified 255" in line


def test_reference_batches_get_no_generation_block(tmp_path):
    from pipeline.summary import generated, write_summary

    assert not generated({"llm": "reference", "agent": "none"})
    assert generated({"llm": "reference", "agent": "repair"}) and generated({"llm": "embedded", "agent": "none"})
    summary = write_summary([_record("a", True, 0, 0)], tmp_path, {"llm": "reference", "agent": "none"})
    assert "generation" not in summary and "## Generation" not in (tmp_path / "report.md").read_text()
    one = write_summary([_record("a", True, 1, 50), _record("b", False, 2, 80)], tmp_path,
                        {"llm": "embedded", "agent": "repair", "attempts": 2, "seed": 4})
    assert one["generation"]["per_seed_rate"] == {"4": 0.5}
    assert one["generation"]["ci_method"] == "Wilson over tasks (one seed)"
    assert "## Generation" in (tmp_path / "report.md").read_text()


# ------------------------------------------------------------------------------------------------ p2s bench


@pytest.mark.parametrize("argv, words", [
    (["--agent", "magic"], "magic"),
    (["--agent", "repair", "--checkpoint", "nowhere.pt"], "checkpoint"),
    (["--agent", "preface-lite", "--checkpoint", "nowhere.pt"], "nowhere.pt"),
    (["--agent", "repair", "--seed", "1", "--seeds", "0,1"], "--seeds"),
    (["--agent", "repair", "--seeds", "0,x"], "--seeds"),
])
def test_bench_rejects_a_wrong_agent_or_seed_list_in_one_line(tmp_path, capsys, argv, words):
    code = main(["bench", str(EXAMPLES), "--llm", "dummy", *argv, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("p2s: error:") and words in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@needs_dafny
def test_bench_agent_over_seeds_reports_the_verified_rate_and_resumes(tmp_path, capsys):
    """``p2s bench --agent best-of-n --seeds 0,1 --stages verify`` on two example tasks: the dummy always answers
    max2's solution, which verifies max2 at the first attempt and is refused for clamp (another signature)."""
    suite = tmp_path / "suite"
    suite.mkdir()
    for name in ("max2", "clamp"):
        shutil.copy(EXAMPLES / f"{name}.yaml", suite / f"{name}.yaml")
    out = tmp_path / "out"
    argv = ["bench", str(suite), "--llm", f"dummy:{fenced(GOOD)}", "--agent", "best-of-n", "--attempts", "2",
            "--seeds", "0,1", "--stages", "verify", "--out", str(out)]
    assert main(argv) == 1  # clamp never verifies
    printed = capsys.readouterr().out
    assert "2 of 4 task runs (2 seeds) passed every stage" in printed
    assert "verified 2/4: 50.0% [50.0%, 50.0%] (t over 2 seeds); attempts/verified 1.00" in printed

    summary = json.loads((out / "summary.json").read_text())
    gen = summary["generation"]
    assert gen["per_seed_rate"] == {"0": 0.5, "1": 0.5} and gen["agent"] == "best-of-n" and gen["budget"] == 2
    assert gen["attempts_per_verified"] == 1.0 and gen["tokens_per_verified"] > 0
    assert summary["seeds"] == [0, 1] and summary["tasks"] == 4
    assert (summary["stages"]["verify"]["pass"], summary["stages"]["verify"]["fail"]) == (2, 2)
    assert summary["stages"]["python"]["pass"] == 0  # --stages verify: no hardware stage ran
    for seed in (0, 1):
        lines = [json.loads(x) for x in (out / f"seed-{seed}" / "results.jsonl").read_text().splitlines()]
        by_task = {r["task"]: r for r in lines}
        assert set(by_task) == {"max2", "clamp"}
        assert by_task["max2"]["attempts"] == 1 and by_task["clamp"]["attempts"] == 2
        assert set(by_task["max2"]["stages"]) == {"generate", "verify"}  # nothing after verify was run or recorded
        one = json.loads((out / f"seed-{seed}" / "summary.json").read_text())
        assert one["generation"]["per_seed_rate"] == {str(seed): 0.5}
        calls = [json.loads(x) for x in (out / f"seed-{seed}" / "tasks" / "clamp" / "transcript.jsonl")
                 .read_text().splitlines()]
        assert {c["params"]["temperature"] for c in calls} == {0.75}
    seeds_of = {s: (out / f"seed-{s}" / "tasks" / "clamp" / "transcript.jsonl").read_text() for s in (0, 1)}
    assert seeds_of[0] != seeds_of[1]  # the seed reaches the sampling seeds
    report = (out / "report.md").read_text()
    assert "## Generation" in report and "| best-of-n |" in report and "seed-1/report.md" in report

    before = {s: (out / f"seed-{s}" / "results.jsonl").read_text() for s in (0, 1)}
    assert main(argv) == 1
    assert {s: (out / f"seed-{s}" / "results.jsonl").read_text() for s in (0, 1)} == before  # nothing redone
    assert json.loads((out / "summary.json").read_text())["generation"] == gen
