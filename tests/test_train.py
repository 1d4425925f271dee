"""Training and evaluation: a tiny-budget smoke run, resuming from the checkpoint, checkpoint round-trips,
the evaluation report and its resumability, and ``p2s train`` on the command line."""

from __future__ import annotations

import csv
import json

import pytest
import torch

from agents.env import RepairState
from agents.evaluate import evaluate_policy, summarise, wilson
from agents.llm.dummy import DummyLLM
from agents.policies import make_policy
from agents.prompts import initial_prompt
from agents.train import TrainConfig, train
from pipeline.errors import UserError
from pipeline.task import task_from_dict
from tests.support import needs_dafny


def make_task(i: int):
    return task_from_dict({
        "id": f"max{i}", "description": f"Return the larger of two integers (variant {i}).",
        "signature": "method Max(a: int, b: int) returns (m: int)", "ensures": ["m >= a && m >= b"],
        "reference": "method Max(a: int, b: int) returns (m: int)\n  ensures m >= a && m >= b\n"
                     "{\n  if a > b { m := a; } else { m := b; }\n}\n",
        "metadata": {"split": "train", "difficulty": "easy"},
    })


TASKS = [make_task(i) for i in range(3)]
GOOD = "```dafny\nmethod Max(a: int, b: int) returns (m: int)\n{\n  if a > b { m := a; } else { m := b; }\n}\n```"
BAD = "```dafny\nmethod Max(a: int, b: int) returns (m: int)\n{\n  m := a;\n}\n```"


def verifier(source, task, timeout=60):
    """Stand-in with the verifier's result shape: the if/else program verifies, anything else fails."""
    if "if a > b" in source:
        return {"verified": True, "phase": "ok", "verified_count": 1, "error_count": 0, "diagnostics": []}
    return {"verified": False, "phase": "verification", "verified_count": 0, "error_count": 1,
            "diagnostics": [{"phase": "verification", "line": 3, "column": 0, "message": "postcondition"}]}


def test_smoke_training_writes_checkpoint_curve_and_resumes(tmp_path):
    out = tmp_path / "run"
    cfg = TrainConfig(suite="-", llm="dummy", agent="preface-lite", out=str(out), episodes=3, budget=2,
                      prompt_style="chat", ppo={"num_steps": 4, "num_minibatches": 2, "update_epochs": 2})
    state = train(cfg, tasks=TASKS, llm=DummyLLM([BAD, GOOD]), verifier=verifier, log=lambda m: None)
    assert state.episodes == 3 and state.iteration >= 1
    assert (out / "checkpoints" / "latest.pt").exists() and (out / "curve.png").stat().st_size > 1000
    rows = list(csv.DictReader((out / "episodes.csv").open()))
    assert [int(r["episode"]) for r in rows] == [1, 2, 3]
    assert {r["task"] for r in rows} <= {t.id for t in TASKS}
    config = json.loads((out / "config.json").read_text())
    assert config["ppo"]["num_steps"] == 4 and config["train"]["agent"] == "preface-lite"
    lines = (out / "transcript.jsonl").read_text().splitlines()
    assert len(lines) == sum(int(r["attempts"]) for r in rows)
    attempts = [json.loads(x) for x in (out / "attempts.jsonl").read_text().splitlines()]
    assert len(attempts) == len(lines) and {a["run"] for a in attempts} == {"train"}
    assert sorted({a["cursor"] for a in attempts}) == [0, 1, 2]

    # the same command with more episodes continues from the checkpoint
    cfg.episodes = 5
    resumed = train(cfg, tasks=TASKS, llm=DummyLLM([BAD, GOOD]), verifier=verifier, log=lambda m: None)
    assert resumed.episodes == 5 and resumed.iteration > state.iteration
    rows = list(csv.DictReader((out / "episodes.csv").open()))
    assert [int(r["episode"]) for r in rows] == [1, 2, 3, 4, 5]
    # done: a rerun trains nothing more
    again = train(cfg, tasks=TASKS, llm=DummyLLM([BAD, GOOD]), verifier=verifier, log=lambda m: None)
    assert again.iteration == resumed.iteration


def test_lite_checkpoint_round_trips(tmp_path):
    from agents.policies.lite import PrefaceLitePolicy

    torch.manual_seed(3)
    policy = PrefaceLitePolicy(greedy=True)
    with torch.no_grad():
        for p in policy.net.parameters():
            p.add_(torch.randn_like(p))
    torch.save({"policy": policy.state_dict()}, tmp_path / "c.pt")
    loaded = make_policy("preface-lite", tmp_path / "c.pt", greedy=True)
    state = RepairState(task=TASKS[0], prompt=initial_prompt(TASKS[0]))
    assert loaded.probabilities(state) == pytest.approx(policy.probabilities(state))
    assert loaded.propose(state).action == policy.propose(state).action
    with pytest.raises(UserError, match="not a preface checkpoint"):
        make_policy("preface", tmp_path / "c.pt")


def test_lm_checkpoint_round_trips_with_lora(tmp_path):
    from agents.preface_lm import LMConfig, PrefaceLMPolicy

    torch.manual_seed(0)
    policy = PrefaceLMPolicy(LMConfig(model="tiny", max_new_tokens=4, max_obs_tokens=64))
    assert policy.lora  # peft is a dependency
    with torch.no_grad():
        for p in policy.parameters():
            p.add_(0.5 * torch.randn_like(p))
    state = RepairState(task=TASKS[0], prompt=initial_prompt(TASKS[0]))
    action = [5, 6, 7]
    logp, _, value = policy.evaluate([state], [action])
    torch.save({"policy": policy.state_dict()}, tmp_path / "lm.pt")
    loaded = make_policy("preface", tmp_path / "lm.pt")
    logp2, _, value2 = loaded.evaluate([state], [action])
    assert float(logp2) == pytest.approx(float(logp), abs=1e-4)
    assert float(value2) == pytest.approx(float(value), abs=1e-5)
    # the reference policy (adapters off) is unchanged by training: its log-probability differs
    assert policy._ref_logprob(policy.encode_observation(state), action) != pytest.approx(float(logp), abs=1e-3)


def test_evaluate_policy_reports_and_resumes(tmp_path):
    llm = DummyLLM([BAD, GOOD])
    report = evaluate_policy(TASKS[:2], "dummy", "repair", seeds=[0, 1], budget=3, out_dir=tmp_path, llm=llm,
                             verifier=verifier, prompt_style="chat")
    # the dummy's replies go BAD, GOOD, GOOD, ...: the first episode needs two attempts, the rest one
    assert report.verified_rate == 1.0 and report.tasks == 2 and len(report.episodes) == 4
    assert report.episodes[0].attempts == 2 and report.attempts_per_verified == pytest.approx(1.25)
    assert report.ci_method.startswith("t over 2 seeds") and report.ci95 == (1.0, 1.0)
    assert json.loads((tmp_path / "report.json").read_text())["verified_rate"] == 1.0
    calls = len(llm.calls)
    again = evaluate_policy(TASKS[:2], "dummy", "repair", seeds=[0, 1], budget=3, out_dir=tmp_path, llm=llm,
                            verifier=verifier, prompt_style="chat")
    assert len(llm.calls) == calls and again.verified_rate == 1.0  # nothing re-run

    one_shot = evaluate_policy(TASKS[:2], "dummy", "none", budget=3, llm=DummyLLM([BAD]), verifier=verifier,
                               prompt_style="chat")
    assert one_shot.verified_rate == 0.0 and all(e.attempts == 1 for e in one_shot.episodes)
    assert one_shot.ci_method.startswith("Wilson") and one_shot.ci95[0] == 0.0 < one_shot.ci95[1]


def test_confidence_intervals():
    lo, hi = wilson(5, 10)
    assert lo < 0.5 < hi and hi - lo < 0.7
    from agents.evaluate import EpisodeRecord

    eps = [EpisodeRecord("t", s, s % 2 == 0, 1, 10, 1.0, ["ok"], ["a"], 5.0) for s in range(4)]
    rep = summarise("x", "dummy", 3, [0, 1, 2, 3], eps)
    assert rep.verified_rate == 0.5 and rep.ci95[0] < 0.5 < rep.ci95[1]


def test_training_refuses_baselines_and_mismatched_runs(tmp_path):
    with pytest.raises(UserError, match="not trainable"):
        train(TrainConfig(suite="-", agent="repair", out=str(tmp_path)), tasks=TASKS)


@needs_dafny
def test_p2s_train_command_line(tmp_path):
    """``p2s train`` end to end with the dummy LLM and the real verifier (the dummy always answers GOOD)."""
    from pipeline.cli import main
    from pipeline.task import dump_task

    suite = tmp_path / "suite"
    suite.mkdir()
    dump_task(TASKS[0], suite / "max0.yaml")
    out = tmp_path / "run"
    code = main(["train", str(suite), "--split", "train", "--llm", f"dummy:{GOOD}", "--agent", "preface-lite",
                 "--episodes", "1", "--budget", "2", "--out", str(out), "--prompt", "chat",
                 "--ppo", "num_steps=2"])
    assert code == 0
    rows = list(csv.DictReader((out / "episodes.csv").open()))
    assert rows and rows[0]["verified"] == "1"
    assert main(["train", str(suite), "--agent", "preface-lite", "--out", str(out), "--llm", "dummy",
                 "--ppo", "nonsense=1"]) == 2
