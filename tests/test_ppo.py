"""PPO: GAE against a naive loop, and updates that move both learned policies toward a rewarded action."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest
import torch

from agents import ppo
from agents.env import RepairState
from agents.prompts import initial_prompt
from pipeline.task import task_from_dict

TASK = task_from_dict({
    "id": "max2", "description": "Return the larger of two integers.",
    "signature": "method Max(a: int, b: int) returns (m: int)", "ensures": ["m >= a && m >= b"],
})


class BanditEnv:
    """One-attempt episodes whose reward is a function of the proposed prompt (no LLM, no verifier)."""

    def __init__(self, score) -> None:
        self.task, self.score, self.attempts = TASK, score, []

    def reset(self) -> RepairState:
        self.state = RepairState(task=TASK, prompt=initial_prompt(TASK), budget=1)
        return self.state

    def step(self, prompt):
        reward = self.score(prompt)
        self.state = replace(self.state, attempt=1)
        return self.state, reward, True, {"verified": reward > 0, "attempt": 1}


# ============================================================================================ GAE


def naive_gae(rewards, values, dones, next_value, next_done, gamma, lam):
    """Advantages straight from the definition: discounted sums of TD errors within each episode."""
    n = len(rewards)
    vals = list(values) + [next_value]
    starts = list(dones) + [next_done]  # starts[t] = 1: the state at t begins a new episode
    deltas = [rewards[t] + gamma * vals[t + 1] * (1 - starts[t + 1]) - vals[t] for t in range(n)]
    adv = []
    for t in range(n):
        total, factor = 0.0, 1.0
        for k in range(t, n):
            total += factor * deltas[k]
            if starts[k + 1]:
                break
            factor *= gamma * lam
        adv.append(total)
    return adv


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gae_matches_a_naive_loop(seed):
    g = torch.Generator().manual_seed(seed)
    n = 12
    rewards = torch.randn(n, generator=g)
    values = torch.randn(n, generator=g)
    dones = (torch.rand(n, generator=g) < 0.3).float()
    next_value, next_done = 0.7, float(seed % 2)
    adv, ret = ppo.compute_gae(rewards, values, dones, next_value, next_done, 0.9, 0.95)
    expected = naive_gae(rewards.tolist(), values.tolist(), dones.tolist(), next_value, next_done, 0.9, 0.95)
    assert adv.tolist() == pytest.approx(expected, abs=1e-5)
    assert (ret - values).tolist() == pytest.approx(expected, abs=1e-5)


def test_args_derive_sizes():
    args = ppo.Args(num_steps=16, num_minibatches=4)
    assert (args.batch_size, args.minibatch_size) == (16, 4)
    assert all(f in args.to_dict() for f in ("clip_coef", "kl_coef", "target_kl", "gae_lambda"))


# ============================================================================================ updates


def test_ppo_moves_preface_lite_toward_the_rewarded_operator(tmp_path):
    from agents.policies.lite import PrefaceLitePolicy

    torch.manual_seed(0)
    policy = PrefaceLitePolicy()
    state = BanditEnv(None).reset()
    before = policy.probabilities(state)["invariants"]
    env = BanditEnv(lambda p: 5.0 if p.action == "invariants" else -5.0)
    args = ppo.Args(episodes=48, num_steps=16, learning_rate=1e-2, seed=0)
    final = ppo.train(args, policy, lambda cursor: env, tmp_path, log=lambda m: None)
    after = policy.probabilities(state)["invariants"]
    assert before < 0.2 and after > 0.6, (before, after)
    assert final.episodes == 48 and final.iteration == 3
    rows = list(csv.DictReader((tmp_path / "updates.csv").open()))
    assert len(rows) == 3
    for key in ("losses/policy_loss", "losses/value_loss", "charts/approx_kl", "charts/clipfrac",
                "charts/explained_variance", "charts/kl_ref"):
        assert key in rows[0]
    assert float(rows[-1]["charts/kl_ref"]) > 0  # moved away from the reference policy
    assert len(list(csv.DictReader((tmp_path / "episodes.csv").open()))) == 48


@pytest.mark.slow
def test_ppo_moves_the_lm_policy_toward_a_rewarded_instruction(tmp_path):
    """The sequence log-probability of the instruction is what PPO trains: a tiny random LM learns to start its
    instruction with a digit when only that is rewarded."""
    from agents.preface_lm import LMConfig, PrefaceLMPolicy

    torch.manual_seed(0)
    policy = PrefaceLMPolicy(LMConfig(model="tiny", max_new_tokens=3, lora=False, max_obs_tokens=64))
    digits = [policy.tokenizer.convert_tokens_to_ids(c) for c in "0123456789"]
    state = BanditEnv(None).reset()

    def p_digit() -> float:
        obs = policy.encode_observation(state)
        with torch.no_grad():
            logits = policy.model(input_ids=obs.unsqueeze(0)).logits[0, -1]
        return torch.softmax(logits, -1)[digits].sum().item()

    before = p_digit()
    env = BanditEnv(lambda p: 5.0 if (p.config.instruction or " ")[0].isdigit() else -1.0)
    args = ppo.Args(episodes=40, num_steps=8, learning_rate=3e-2, kl_coef=0.0, update_epochs=8, ent_coef=0.0)
    ppo.train(args, policy, lambda cursor: env, tmp_path, log=lambda m: None)
    after = p_digit()
    assert before < 0.2 and after > before + 0.3, (before, after)


def test_kl_penalty_and_target_kl_hold_the_policy_back(tmp_path):
    """Against the same reward, a large KL penalty to the reference policy, or a target-KL stop, leave the
    rewarded operator less likely than a free run does."""
    from agents.policies.lite import PrefaceLitePolicy

    def trained_prob(name: str, **overrides) -> float:
        torch.manual_seed(0)
        policy = PrefaceLitePolicy()
        env = BanditEnv(lambda p: 5.0 if p.action == "invariants" else -5.0)
        args = ppo.Args(**{"episodes": 32, "num_steps": 16, "learning_rate": 1e-2, "kl_coef": 0.0, **overrides})
        ppo.train(args, policy, lambda cursor: env, tmp_path / name, log=lambda m: None)
        return policy.probabilities(BanditEnv(None).reset())["invariants"]

    free = trained_prob("free")
    assert trained_prob("kl", kl_coef=20.0) < free - 0.1
    assert trained_prob("target", target_kl=1e-6) < free - 0.1
