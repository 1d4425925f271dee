"""PREFACE-lite: a small torch actor-critic that picks one repair operator per attempt.

The operators rewrite the current prompt's knobs (:class:`~agents.policies.base.PromptConfig`); the prompt is
then rendered with the last program and the verifier's diagnostics. The network reads
:mod:`agents.policies.features` (phase, error kinds and counts, attempt, knobs, last operator, optionally a
MiniLM embedding of the task) and is trained by :mod:`agents.ppo`. Operators that would not change the
prompt are masked out, so every choice is a real change (``raw_feedback`` is always allowed).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from agents.policies.base import episode_generator, nearest_example, repair_prompt
from agents.policies.features import EMBED_DIM, feature_names, nearest_temperature, shared_embedder, state_features
from agents.ppo import Decision
from agents.prompts.prompt import Example, Prompt, PromptConfig

if TYPE_CHECKING:
    from agents.env import RepairState

OPERATORS: tuple[str, ...] = (
    "raw_feedback",  # the previous program and the verifier's messages (the plain repair prompt)
    "feedback_lines",  # quote the failing lines next to each message
    "syntax_hints",  # syntax notes for the installed Dafny's dialect
    "invariants",  # ask for loop invariants and decreases clauses
    "few_shot",  # a verified solution of the nearest training task
    "restate_spec",  # restate the pinned spec and the integrity rules
    "switch_mode",  # chat <-> completion prompt
    "temperature_down",
    "temperature_up",
)


def apply_operator(config: PromptConfig, op: str) -> PromptConfig:
    """The prompt knobs after ``op``."""
    if op == "raw_feedback":
        return replace(config, feedback="raw")
    if op == "feedback_lines":
        return replace(config, feedback="lines")
    if op == "syntax_hints":
        return replace(config, syntax_hints=True)
    if op == "invariants":
        return replace(config, invariant_hint=True)
    if op == "few_shot":
        return replace(config, few_shot=True)
    if op == "restate_spec":
        return replace(config, restate_spec=True)
    if op == "switch_mode":
        return replace(config, mode="completion" if config.mode == "chat" else "chat")
    if op == "temperature_down":
        return replace(config, temperature=nearest_temperature(config.temperature, -1))
    if op == "temperature_up":
        return replace(config, temperature=nearest_temperature(config.temperature, +1))
    raise ValueError(f"unknown operator {op!r} (known: {', '.join(OPERATORS)})")


def operator_mask(config: PromptConfig, has_examples: bool) -> list[bool]:
    """Which operators change the prompt (``raw_feedback`` always counts: it re-asks with fresh feedback)."""
    mask = []
    for op in OPERATORS:
        if op == "raw_feedback":
            mask.append(True)
        elif op == "few_shot" and not has_examples:
            mask.append(False)
        else:
            mask.append(apply_operator(config, op) != config)
    return mask


class LiteNet(nn.Module):
    """Two-layer tanh MLP with an actor head (operator logits) and a critic head (state value)."""

    def __init__(self, n_features: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.actor = nn.Linear(hidden, n_actions)
        self.critic = nn.Linear(hidden, 1)
        nn.init.orthogonal_(self.actor.weight, 0.01)
        nn.init.zeros_(self.actor.bias)
        nn.init.orthogonal_(self.critic.weight, 1.0)
        nn.init.zeros_(self.critic.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.actor(h), self.critic(h).squeeze(-1)


class PrefaceLitePolicy:
    """Operator-choosing policy; ``propose`` for evaluation, ``act``/``evaluate`` for PPO.

    Args:
        examples: few-shot pool (verified solutions of training tasks).
        use_embedding: add the MiniLM task embedding to the features.
        hidden: width of the MLP.
        greedy: ``propose`` takes the most likely operator instead of sampling.
        seed: seed of the policy's own sampling in ``propose``.
    """

    name = "preface-lite"
    max_attempts: int | None = None
    defaults = PromptConfig()

    def __init__(self, examples: list[Example] | None = None, use_embedding: bool = False, hidden: int = 64,
                 greedy: bool = False, seed: int = 0) -> None:
        self.examples = list(examples or [])
        self.use_embedding = use_embedding
        self.greedy = greedy
        self.hidden = hidden
        self.n_features = len(feature_names(OPERATORS)) + (EMBED_DIM if use_embedding else 0)
        self.net = LiteNet(self.n_features, len(OPERATORS), hidden)
        self.ref_net = copy.deepcopy(self.net).requires_grad_(False)
        self.seed = seed
        self.generator = episode_generator(seed, "")

    # ----------------------------------------------------------------------------------------- encoding

    def features(self, state: RepairState) -> torch.Tensor:
        f = torch.tensor(state_features(state, OPERATORS), dtype=torch.float32)
        if self.use_embedding:
            f = torch.cat([f, shared_embedder().embed(state.task.description + "\n" + state.task.signature.text)])
        return f

    def _mask(self, state: RepairState) -> torch.Tensor:
        return torch.tensor(operator_mask(state.prompt.config, bool(self.examples)))

    def _dist(self, net: LiteNet, states: list[RepairState]) -> tuple[torch.distributions.Categorical, torch.Tensor]:
        x = torch.stack([self.features(s) for s in states])
        logits, value = net(x)
        masks = torch.stack([self._mask(s) for s in states])
        logits = logits.masked_fill(~masks, -1e9)
        return torch.distributions.Categorical(logits=logits), value

    def prompt_for(self, state: RepairState, op: str) -> Prompt:
        config = apply_operator(state.prompt.config, op)
        example = nearest_example(state.task, self.examples) if config.few_shot else None
        return repair_prompt(state, config, example, action=op)

    # ----------------------------------------------------------------------------------------- policy API

    @torch.no_grad()
    def propose(self, state: RepairState) -> Prompt:
        if state.attempt == 0:
            self.generator = episode_generator(self.seed, state.task.id)
        dist, _ = self._dist(self.net, [state])
        if self.greedy:
            index = int(dist.probs.argmax(-1).item())
        else:
            index = int(torch.multinomial(dist.probs[0], 1, generator=self.generator).item())
        return self.prompt_for(state, OPERATORS[index])

    # ----------------------------------------------------------------------------------------- PPO API

    @torch.no_grad()
    def act(self, state: RepairState) -> Decision:
        dist, value = self._dist(self.net, [state])
        action = dist.sample()
        ref_dist, _ = self._dist(self.ref_net, [state])
        return Decision(
            prompt=self.prompt_for(state, OPERATORS[int(action.item())]), action=int(action.item()),
            logprob=float(dist.log_prob(action).item()), value=float(value.item()),
            ref_logprob=float(ref_dist.log_prob(action).item()),
        )

    @torch.no_grad()
    def value(self, state: RepairState) -> float:
        return float(self._dist(self.net, [state])[1].item())

    def evaluate(self, states: list[RepairState], actions: list[int]) -> tuple[torch.Tensor, torch.Tensor,
                                                                            torch.Tensor]:
        dist, value = self._dist(self.net, states)
        a = torch.tensor(actions)
        return dist.log_prob(a), dist.entropy(), value

    def parameters(self):
        return self.net.parameters()

    def probabilities(self, state: RepairState) -> dict[str, float]:
        with torch.no_grad():
            dist, _ = self._dist(self.net, [state])
        return {op: float(p) for op, p in zip(OPERATORS, dist.probs[0].tolist(), strict=True)}

    # ----------------------------------------------------------------------------------------- checkpoints

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": self.name, "operators": list(OPERATORS), "use_embedding": self.use_embedding,
            "hidden": self.hidden, "net": self.net.state_dict(), "ref_net": self.ref_net.state_dict(),
            "examples": [e.__dict__ | {"words": sorted(e.words)} for e in self.examples],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("kind") != self.name:
            raise ValueError(f"checkpoint is for {state.get('kind')!r}, not {self.name!r}")
        if list(state["operators"]) != list(OPERATORS):
            raise ValueError("checkpoint was trained with a different operator set")
        if state["use_embedding"] != self.use_embedding or state["hidden"] != self.hidden:
            raise ValueError("checkpoint has another network shape: load it with from_checkpoint()")
        self.net.load_state_dict(state["net"])
        self.ref_net.load_state_dict(state["ref_net"])
        self.examples = [Example(e["task_id"], e["description"], e["code"], frozenset(e["words"]))
                         for e in state.get("examples", [])]

    @classmethod
    def from_checkpoint(cls, path: str | Path, greedy: bool = False) -> PrefaceLitePolicy:
        data = torch.load(path, map_location="cpu", weights_only=False)
        policy = cls(use_embedding=data["policy"]["use_embedding"], hidden=data["policy"]["hidden"], greedy=greedy)
        policy.load_state_dict(data["policy"])
        return policy
