"""The one interface every LLM backend implements: ``complete(messages, params) -> Completion``.

A backend sees chat messages (``[{"role": ..., "content": ...}]``) and :class:`GenParams`. A prompt in
completion style (a raw few-shot text the model continues) travels as one user message with
``params.style == "completion"``; each backend maps that onto its raw-completion API, so prompt code stays
backend-agnostic.
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any

Message = dict[str, str]

STYLES = ("chat", "completion")


@dataclass(frozen=True)
class GenParams:
    """Sampling parameters; ``temperature == 0`` means greedy (and makes results cacheable)."""

    max_tokens: int = 768
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()
    style: str = "chat"
    # A GBNF grammar (llama.cpp's format) the reply must match; None: unconstrained. Only the embedded backend
    # applies it (it sends the text to its worker). to_dict() gives its sha256 instead of the text, and nothing
    # when None, so call keys, caches and transcripts of unconstrained calls stay exactly as they were.
    grammar: str | None = None

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, got {self.style!r}")

    @property
    def sampling(self) -> bool:
        return self.temperature > 0

    @property
    def grammar_sha256(self) -> str | None:
        return hashlib.sha256(self.grammar.encode("utf-8")).hexdigest() if self.grammar is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON data; a grammar as ``grammar_sha256`` (the text can be large; the hash is its
        identity for call keys, and what a transcript records)."""
        d = asdict(self)
        d["stop"] = list(self.stop)
        del d["grammar"]
        if self.grammar is not None:
            d["grammar_sha256"] = self.grammar_sha256
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenParams:
        data = dict(data)
        data["stop"] = tuple(data.get("stop") or ())
        data.pop("grammar_sha256", None)  # to_dict() keeps only the grammar's hash: pass grammar= to restore it
        return cls(**data)


@dataclass
class Usage:
    """Token counts as the backend reported them (0 where it does not say)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}


@dataclass
class Completion:
    """One reply: its text, token usage and wall-clock seconds.

    ``incidents`` are the failed tries the backend retried before this answer (a crashed model worker, a
    timeout, an HTTP 500), one line each, so a report shows them and not only stderr.
    """

    text: str
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    model: str = ""
    incidents: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return len(self.incidents)

    def to_dict(self) -> dict[str, Any]:
        d = {"text": self.text, "usage": self.usage.to_dict(), "seconds": round(self.seconds, 4), "model": self.model}
        if self.incidents:
            d["incidents"] = list(self.incidents)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Completion:
        return cls(
            text=data["text"], usage=Usage(**data.get("usage", {})), seconds=data.get("seconds", 0.0),
            model=data.get("model", ""), incidents=list(data.get("incidents") or []),
        )


@dataclass(frozen=True)
class Request:
    """One call in a batch for :meth:`LLM.generate`."""

    messages: tuple[tuple[str, str], ...]
    params: GenParams = GenParams()

    @classmethod
    def of(cls, messages: list[Message], params: GenParams | None = None) -> Request:
        return cls(tuple((m["role"], m["content"]) for m in messages), params or GenParams())

    def message_list(self) -> list[Message]:
        return [{"role": r, "content": c} for r, c in self.messages]


def call_key(messages: list[Message], params: GenParams) -> str:
    """sha256 of the canonical JSON of (messages, params): the identity of a call for replay and caching."""
    payload = json.dumps(
        {"messages": [{"role": m["role"], "content": m["content"]} for m in messages], "params": params.to_dict()},
        sort_keys=True, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def check_messages(messages: list[Message], params: GenParams) -> None:
    """Reject malformed prompts early with a clear message (a bug in the caller, not the model)."""
    if not messages:
        raise ValueError("no messages")
    for m in messages:
        if set(m) - {"role", "content"} or m.get("role") not in ("system", "user", "assistant"):
            raise ValueError(f"bad message {m!r}: expected {{'role': system|user|assistant, 'content': str}}")
    if params.style == "completion" and (len(messages) != 1 or messages[0]["role"] != "user"):
        raise ValueError("a completion-style prompt is one user message holding the raw text")


class LLM(ABC):
    """A frozen language model behind one call; subclasses implement :meth:`_complete`.

    ``name`` is the spec it was built from (``openai:gpt-4o-mini``, ``embedded:0.5b``, ...).
    """

    name: str = "llm"

    def complete(self, messages: list[Message], params: GenParams | None = None) -> Completion:
        """Ask the model once; times the call when the backend does not."""
        params = params or GenParams()
        check_messages(messages, params)
        start = time.monotonic()
        result = self._complete(messages, params)
        if not result.seconds:
            result.seconds = time.monotonic() - start
        if not result.model:
            result.model = self.name
        return result

    @abstractmethod
    def _complete(self, messages: list[Message], params: GenParams) -> Completion: ...

    def generate(self, requests: list[Request]) -> list[Completion]:
        """Answer a batch; the default is a loop (backends with real batching override it)."""
        return [self.complete(r.message_list(), r.params) for r in requests]

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release model memory or connections."""


def flatten_messages(messages: list[Message]) -> str:
    """A plain-text rendering of a chat for models without a chat template."""
    if len(messages) == 1:
        return messages[0]["content"]
    parts = [f"{m['role'].upper()}:\n{m['content']}" for m in messages]
    return "\n\n".join([*parts, "ASSISTANT:\n"])
