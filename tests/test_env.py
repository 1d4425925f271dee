"""RepairEnv: the reward table, budget and termination, the transcript, and that a cheat is never rewarded.

The LLM is the project's ``dummy`` backend (scripted replies). The verifier is either a scripted stand-in
(result dicts in the ``verifiers`` contract) or the real Dafny 2.3 on tiny programs; the real integrity gate
(``verifiers.api``) is used where it is installed.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from agents.env import RepairEnv, RewardConfig, call_seed
from agents.llm.dummy import DummyLLM
from agents.policies.baselines import RepairPolicy
from pipeline.task import task_from_dict
from tests.support import needs_dafny
from verifiers.api import verify_source
from verifiers.dafny import find_dafny

MAX_TASK = {
    "id": "max2", "description": "Return the larger of two integers.",
    "signature": "method Max(a: int, b: int) returns (m: int)", "requires": [],
    "ensures": ["m >= a && m >= b", "m == a || m == b"],
}
GOOD = """method Max(a: int, b: int) returns (m: int)
  ensures m >= a && m >= b
  ensures m == a || m == b
{
  if a > b { m := a; } else { m := b; }
}
"""
WRONG = GOOD.replace("if a > b { m := a; } else { m := b; }", "m := a;")
CHEAT = GOOD.replace("if a > b { m := a; } else { m := b; }", "assume false;\n  m := a;")


def fenced(code: str) -> str:
    return f"Here is the program:\n```dafny\n{code}```\n"


def task():
    return task_from_dict(MAX_TASK)


class Scripted:
    """A verifier stand-in answering in the ``VerificationResult.to_dict()`` shape, by program text."""

    def __init__(self, table: dict[str, dict]) -> None:
        self.table, self.calls = table, []

    def __call__(self, source, task, timeout=60):
        self.calls.append(source)
        for key, result in self.table.items():
            if key in source:
                return result
        return {"verified": False, "phase": "parse", "diagnostics": [], "verified_count": 0, "error_count": 1}


def ok():
    return {"verified": True, "phase": "ok", "diagnostics": [], "verified_count": 1, "error_count": 0}


def fail(n: int):
    diags = [{"phase": "verification", "line": 6, "column": 0, "message": "A postcondition might not hold"}] * n
    return {"verified": False, "phase": "verification", "diagnostics": diags, "verified_count": 0, "error_count": n}


# ============================================================================================ reward table


@pytest.mark.parametrize(
    ("verified", "phase", "errors", "attempt", "expected"),
    [
        (True, "ok", 0, 1, 5.0),
        (True, "ok", 0, 7, 5.0),
        (False, "verification", 1, 1, -5.0 - 0.2 - 0.5),
        (False, "verification", 3, 2, -5.0 - 0.6 - 1.0),
        (False, "parse", 1, 7, -5.0 - 0.2 - 3.5),
        (False, "verification", 100, 1, -5.0 - 0.2 * 20 - 0.5),  # error count clipped at max_errors
        (False, "integrity", 0, 1, -5.0),
    ],
)
def test_reward_table_defaults_are_the_papers(verified, phase, errors, attempt, expected):
    assert RewardConfig().reward(verified, phase, errors, attempt) == pytest.approx(expected)


def test_partial_credit_is_capped_below_success():
    cfg = RewardConfig(partial_per_verified=2.0, partial_cap=9.0)
    best_failure = cfg.reward(False, "verification", 0, 1, verified_count=1000)
    assert best_failure < cfg.success
    assert cfg.reward(False, "integrity", 0, 1, verified_count=1000) == cfg.integrity  # no credit for a cheat
    with pytest.raises(ValueError, match="partial_cap"):
        RewardConfig(partial_per_verified=1.0, partial_cap=10.0)
    with pytest.raises(ValueError):
        RewardConfig(integrity=5.0)


# ============================================================================================ episodes


def test_episode_rewards_budget_attempt_log_and_transcript(tmp_path):
    from agents.llm.transcript import RecordingLLM

    llm = RecordingLLM(DummyLLM([fenced(WRONG), "I cannot do that.", fenced(WRONG)]), tmp_path / "transcript.jsonl")
    verifier = Scripted({"m := a;": fail(2)})
    env = RepairEnv(task(), llm, verifier, budget=3, log=tmp_path / "attempts.jsonl", seed=4)
    state = env.reset()
    policy = RepairPolicy()
    rewards, dones = [], []
    while True:
        state, reward, done, info = env.step(policy.propose(state))
        rewards.append(reward)
        dones.append(done)
        if done:
            break
    assert dones == [False, False, True]
    assert rewards[0] == pytest.approx(-5 - 0.4 - 0.5)
    assert rewards[1] == pytest.approx(-5 - 0.2 - 1.0)  # no program in the reply: one error
    assert state.phase == "verification" and state.attempt == 3
    assert env.info()["verified"] is False
    with pytest.raises(RuntimeError, match="budget"):
        env.step(policy.propose(state))
    lines = [json.loads(x) for x in (tmp_path / "attempts.jsonl").read_text().splitlines()]
    assert [x["attempt"] for x in lines] == [1, 2, 3] and [x["done"] for x in lines] == [False, False, True]
    assert lines[1]["phase"] == "no_code" and lines[0]["verdict"]["phase"] == "verification"
    assert [x["reward"] for x in lines] == pytest.approx(rewards)
    calls = [json.loads(x) for x in (tmp_path / "transcript.jsonl").read_text().splitlines()]
    assert [c["completion"]["text"] for c in calls] == [a.reply for a in env.attempts]
    # the repair prompt of attempt 2 carries the diagnostics of attempt 1
    assert "postcondition" in calls[1]["messages"][-1]["content"].lower()
    # distinct sampling seeds per call (a fixed seed would make best-of-n draw one sample)
    assert len({c["params"]["seed"] for c in calls}) == 3 == len({x["call_seed"] for x in lines})
    assert calls[0]["params"]["seed"] == lines[0]["call_seed"] == call_seed(4, 1, 1)
    assert calls[0]["params"]["temperature"] == lines[0]["temperature"] == 0.75


def test_success_ends_the_episode_with_the_success_reward():
    env = RepairEnv(task(), DummyLLM([fenced(WRONG), fenced(GOOD)]), Scripted({"if a": ok(), "m := a;": fail(1)}))
    state = env.reset()
    _, r1, d1, _ = env.step(RepairPolicy().propose(state))
    state, r2, d2, info = env.step(RepairPolicy().propose(env.state))
    assert (d1, d2) == (False, True)
    assert r2 == 5.0 and info["verified"] and state.attempt == 2


def test_a_cheat_gets_no_reward_even_if_the_verifier_result_says_verified():
    """The environment trusts only phase ``ok`` with at least one verified declaration."""
    liar = {"verified": True, "phase": "integrity", "verified_count": 1, "error_count": 0,
            "diagnostics": [{"phase": "integrity", "line": 5, "column": 2, "message": "assume is not allowed"}]}
    empty = {"verified": True, "phase": "ok", "verified_count": 0, "error_count": 0, "diagnostics": []}
    env = RepairEnv(task(), DummyLLM([fenced(CHEAT), fenced(GOOD)]), Scripted({"assume": liar, "if a": empty}))
    state = env.reset()
    state, reward, done, info = env.step(RepairPolicy().propose(state))
    assert info["cheat"] and not info["verified"] and reward == RewardConfig().integrity < 0
    state, reward, done, info = env.step(RepairPolicy().propose(state))
    assert not info["verified"] and reward < 0  # "0 verified" is not a success


# ============================================================================================ real Dafny


def dafny_stand_in(source: str, task, timeout: float = 60) -> dict:
    """The real Dafny 2.3 on the program as written (no integrity gate): errors and counts from its output."""
    with tempfile.TemporaryDirectory() as work:
        f = Path(work) / "cand.dfy"
        f.write_text(source)
        out = subprocess.run([find_dafny(), "/compile:0", f"/timeLimit:{int(timeout)}", f.name], cwd=work,
                             capture_output=True, text=True, timeout=timeout + 60).stdout
    diags = [{"phase": "verification", "line": int(m.group(1)), "column": int(m.group(2)), "message": m.group(3)}
             for m in re.finditer(r"cand\.dfy\((\d+),(\d+)\): Error[^:]*: (.*)", out)]
    m = re.search(r"finished with (\d+) verified, (\d+) error", out)
    if not m:
        return {"verified": False, "phase": "parse", "diagnostics": diags, "verified_count": 0,
                "error_count": max(1, len(diags))}
    verified, errors = int(m.group(1)), int(m.group(2))
    return {"verified": errors == 0 and verified > 0, "phase": "ok" if errors == 0 else "verification",
            "diagnostics": diags, "verified_count": verified, "error_count": errors}


@needs_dafny
def test_rewards_with_the_real_dafny():
    env = RepairEnv(task(), DummyLLM([fenced(WRONG), fenced(GOOD)]), dafny_stand_in, budget=7, verify_timeout=20)
    state = env.reset()
    state, r1, d1, info1 = env.step(RepairPolicy().propose(state))
    assert not d1 and info1["phase"] == "verification" and info1["errors"] == 1
    assert r1 == pytest.approx(-5 - 0.2 - 0.5)
    assert "postcondition" in RepairPolicy().propose(state).messages[-1]["content"].lower()
    state, r2, d2, info2 = env.step(RepairPolicy().propose(state))
    assert d2 and info2["verified"] and r2 == 5.0


@pytest.mark.slow
@needs_dafny
def test_real_integrity_gate_turns_a_cheat_into_a_failure():
    # raw Dafny accepts the cheat: the gate is what must reject it
    assert dafny_stand_in(CHEAT, task())["verified"]
    env = RepairEnv(task(), DummyLLM([fenced(CHEAT)]), verify_source, budget=1, verify_timeout=30)
    state, reward, done, info = env.step(RepairPolicy().propose(env.reset()))
    assert done and not info["verified"] and reward < 0
    assert info["phase"] == "integrity"
