"""Baseline policies at the same attempt budget: ``none`` (one shot), ``repair`` (raw verifier feedback) and
``best-of-n`` (independent samples of the initial prompt).

They use the same renderer as the learned policies, so a difference in verified rate comes from the choices a
policy makes, not from wording.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.policies.base import repair_prompt
from agents.prompts.prompt import Prompt, PromptConfig, render

if TYPE_CHECKING:
    from agents.env import RepairState


class NonePolicy:
    """One shot: the initial prompt, one attempt whatever the budget."""

    name = "none"
    max_attempts: int | None = 1
    defaults = PromptConfig(temperature=0.0)  # one shot: greedy, the reproducible baseline

    def __init__(self, config: PromptConfig | None = None) -> None:
        self.config = config or self.defaults

    def propose(self, state: RepairState) -> Prompt:
        return render(state.task, self.config, action="initial")


class RepairPolicy:
    """The plain verifier-in-the-loop: the previous program and the verifier's raw messages, every attempt."""

    name = "repair"
    max_attempts: int | None = None
    defaults = PromptConfig()  # sampled at 0.75: a repeated prompt must be able to get another reply

    def __init__(self, config: PromptConfig | None = None) -> None:
        self.config = config or self.defaults

    def propose(self, state: RepairState) -> Prompt:
        if state.attempt == 0:
            return render(state.task, self.config, action="initial")
        return repair_prompt(state, self.config, action="raw_feedback")


class BestOfNPolicy:
    """Independent samples: the initial prompt again at the sampling temperature, ignoring feedback."""

    name = "best-of-n"
    max_attempts: int | None = None
    defaults = PromptConfig()  # sampled at 0.75: a repeated prompt must be able to get another reply

    def __init__(self, config: PromptConfig | None = None) -> None:
        self.config = config or self.defaults

    def propose(self, state: RepairState) -> Prompt:
        return render(state.task, self.config, action="sample")
