"""``dummy``: fixed or scripted replies for tests of everything around the model."""

from __future__ import annotations

from agents.llm.base import LLM, Completion, GenParams, Message, Usage
from agents.llm.registry import register


@register("dummy")
class DummyLLM(LLM):
    """Answers each call with the next reply of ``replies`` (the last one repeats); records the calls."""

    def __init__(self, replies: list[str] | str = "") -> None:
        self.replies = [replies] if isinstance(replies, str) else list(replies)
        self.calls: list[tuple[list[Message], GenParams]] = []

    @classmethod
    def from_spec(cls, arg: str, task=None, replies: list[str] | None = None, **_: object) -> DummyLLM:
        return cls(replies if replies is not None else arg)

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        i = min(len(self.calls), len(self.replies) - 1)
        self.calls.append((messages, params))
        text = self.replies[i] if self.replies else ""
        return Completion(text, Usage(sum(len(m["content"].split()) for m in messages), len(text.split())))
