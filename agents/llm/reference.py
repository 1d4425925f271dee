"""``reference``: answers with the task's reference solution, fenced like a model's reply.

It exercises the whole chain (extraction, the integrity gate, verification, hardware) without a model.
"""

from __future__ import annotations

from agents.llm.base import LLM, Completion, GenParams, Message
from agents.llm.registry import register
from pipeline.errors import UserError


@register("reference")
class ReferenceLLM(LLM):
    def __init__(self, solution: str) -> None:
        self.solution = solution

    @classmethod
    def from_spec(cls, arg: str, task=None, **_: object) -> ReferenceLLM:
        if task is None:
            raise UserError("--llm reference needs a task (use it with p2s run --task T)")
        if not task.reference:
            raise UserError(f"task {task.id} has no 'reference' solution; use another --llm")
        return cls(task.reference)

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        return Completion(f"```dafny\n{self.solution.strip()}\n```\n")
