"""``replay:FILE``: answer from a recorded transcript, keyed by sha256 of (messages, params).

FILE is the ``transcript.jsonl`` of a run, an evaluation or a training run, or a folder: every transcript
under it (a ``p2s bench`` folder holds one per task and seed).

A call the transcript does not hold is an error, never a guess: a replayed run either reproduces the
recorded one exactly or stops and says which call diverged.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from agents.llm.base import LLM, Completion, GenParams, Message, call_key
from agents.llm.registry import register
from agents.llm.transcript import replay_records
from pipeline.errors import UserError


@register("replay")
class ReplayLLM(LLM):
    """Replays completions; identical calls recorded several times are answered in recorded order."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._answers: dict[str, list[Completion]] = defaultdict(list)
        for key, completion in replay_records(self.path):  # a malformed line is a UserError naming it
            self._answers[key].append(completion)
        self._served: dict[str, int] = defaultdict(int)

    @classmethod
    def from_spec(cls, arg: str, task=None, **_: object) -> ReplayLLM:
        if not arg:
            raise UserError("replay needs a transcript file: --llm replay:runs/<run>/transcript.jsonl")
        return cls(arg)

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        key = call_key(messages, params)
        answers = self._answers.get(key)
        if not answers:
            preview = messages[-1]["content"][:60].replace("\n", " ")
            raise UserError(
                f"replay: {self.path} has no recorded call {key[:12]} (last message {preview!r}...); "
                "the prompt or parameters differ from the recorded run — record it again with a live --llm"
            )
        i = min(self._served[key], len(answers) - 1)
        self._served[key] += 1
        c = answers[i]
        return Completion(c.text, c.usage, c.seconds, c.model)
