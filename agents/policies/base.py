"""The policy interface and what policies share: the repair turn of a state and the few-shot example pool.

A policy's action is a :class:`~agents.prompts.Prompt` rendered by :func:`agents.prompts.render`, so every
policy speaks with the same words; it reads a :class:`~agents.env.RepairState`.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Protocol

import torch

from agents.prompts.prompt import Example, Prompt, PromptConfig, render, words
from pipeline.task import Task

if TYPE_CHECKING:
    from agents.env import RepairState


class Policy(Protocol):
    """Every policy: ``propose(state) -> Prompt``; ``max_attempts`` caps the budget (``none`` is one shot).

    ``defaults`` is the policy's prompt configuration before the user's options (temperature, max tokens,
    style) are laid over it: one place per agent name, printed into every run's config.
    """

    name: str
    max_attempts: int | None
    defaults: PromptConfig

    def propose(self, state: RepairState) -> Prompt: ...


def episode_generator(seed: int, task_id: str) -> torch.Generator:
    """The random stream of a policy's own sampling in one episode: a function of (seed, task) alone, so an
    episode decides the same whether it runs in ``p2s bench``, an evaluation, first or after a resume."""
    digest = hashlib.sha256(f"policy:{seed}:{task_id}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))


def nearest_example(task: Task, examples: list[Example]) -> Example | None:
    """The training example whose description shares most words with the task's (never the task itself)."""
    mine = words(task.description + " " + task.signature.text)
    pool = [e for e in examples if e.task_id != task.id]
    if not pool:
        return None
    return max(pool, key=lambda e: (len(mine & e.words) / (len(mine | e.words) or 1), e.task_id))


def examples_from_tasks(tasks: list[Task]) -> list[Example]:
    """Few-shot pool: the reference solutions of (training-split) tasks."""
    return [
        Example(t.id, t.description, t.reference.strip(), words(t.description + " " + t.signature.text))
        for t in tasks if t.reference
    ]


def repair_prompt(state: RepairState, config: PromptConfig, example: Example | None = None,
                  action: str | None = None) -> Prompt:
    """The prompt for the state's next attempt: a repair turn when there is a last program, else the first."""
    return render(state.task, config, state.code, state.diagnostics, example, action, state.reply, state.phase)
