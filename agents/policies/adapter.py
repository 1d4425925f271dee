"""Run any policy inside ``pipeline.generate``'s loop (``p2s run --agent``): its ``GenerationState`` in, the
prompt builder's ``Prompt`` out.

The loop keeps its own attempt records; the adapter rebuilds the :class:`~agents.env.RepairState` a policy
reads (task, current prompt, last code, the verifier's diagnostics) from them. The policy's temperature rides
in ``Prompt.meta["temperature"]`` for loops that honour it.
"""

from __future__ import annotations

from typing import Any

from agents.env import RepairState
from agents.policies.base import Policy, PromptConfig, initial_prompt
from agents.prompts import Prompt as BuilderPrompt


class GenerationPolicy:
    """Wraps a policy for ``pipeline.generate.generate``.

    Args:
        policy: any policy of :mod:`agents.policies`.
        budget: the attempt budget the policy is told about (its observation, not a limit).
    """

    def __init__(self, policy: Policy, budget: int = 7) -> None:
        self.policy = policy
        self.name = policy.name
        self.max_attempts = policy.max_attempts
        self.budget = budget
        self._last = None

    def propose(self, gstate: Any) -> BuilderPrompt:
        attempts = list(gstate.attempts)
        if not attempts or self._last is None:
            self._last = initial_prompt(gstate.task, PromptConfig(mode=gstate.builder.style))
        last = attempts[-1] if attempts else None
        state = RepairState(
            task=gstate.task, prompt=self._last, attempt=len(attempts), budget=max(self.budget, len(attempts) + 1),
            code=(last.code or None) if last else None, reply=last.reply if last else "",
            phase=(last.phase or "verification") if last else "none",
            errors=len(last.diagnostics) if last else 0, verified_count=last.verified_count if last else 0,
            diagnostics=list(last.diagnostics) if last else [],
            history=[{"attempt": a.index, "phase": a.phase, "errors": len(a.diagnostics), "action": a.prompt_kind}
                     for a in attempts],
            last_action=self._last.action,
        )
        prompt = self.policy.propose(state)
        self._last = prompt
        return BuilderPrompt(
            list(prompt.messages), prompt.params.style, prompt.prefix, tuple(prompt.params.stop),
            meta={"kind": prompt.action or "", "temperature": prompt.params.temperature,
                  "max_tokens": prompt.params.max_tokens, "agent": self.name},
        )
