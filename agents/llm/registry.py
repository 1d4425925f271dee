"""Backend registry: ``--llm`` specs map to classes, imported only when chosen.

A spec is ``NAME`` or ``NAME:ARG`` (``openai:gpt-4o-mini``, ``hf:/models/qwen``, ``replay:run.jsonl``).
:data:`LLMS` (the project's one registry type) names each backend's ``module:Class`` so that ``torch`` or
``llama_cpp`` load only for the backend that needs them; :func:`register` adds a class defined anywhere
(tests, plug-ins).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.registry import Registry

if TYPE_CHECKING:
    from agents.llm.base import LLM
    from pipeline.task import Task

_TARGETS: dict[str, str] = {
    "embedded": "agents.llm.embedded:EmbeddedLLM",
    "openai": "agents.llm.openai_backend:OpenAILLM",
    "hf": "agents.llm.hf:HFLLM",
    "reference": "agents.llm.reference:ReferenceLLM",
    "replay": "agents.llm.replay:ReplayLLM",
    "dummy": "agents.llm.dummy:DummyLLM",
}
_HELP: dict[str, str] = {
    "embedded": "embedded[:0.5b|1.5b|smollm2|FILE.gguf]  local GGUF model through llama-cpp-python (default)",
    "openai": "openai:MODEL  any OpenAI-compatible endpoint (OPENAI_BASE_URL, OPENAI_API_KEY)",
    "hf": "hf:PATH  a local transformers causal LM",
    "reference": "reference  the task's reference solution (tests the hardware chain without a model)",
    "replay": "replay:FILE  answers from a recorded transcript (JSONL)",
    "dummy": "dummy[:TEXT]  fixed replies, for tests",
}
LLMS: Registry[type] = Registry("LLM backend", "--llm", targets=_TARGETS, help=_HELP)

DEFAULT_SPEC = "embedded"


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make ``name`` a valid ``--llm`` spec prefix for the decorated backend."""

    def deco(cls: type) -> type:
        cls.backend = name
        return LLMS.register(name)(cls)

    return deco


def valid_specs() -> str:
    return LLMS.describe()


def backend_class(name: str) -> type:
    """The class behind a backend name, importing its module on first use (an unknown name lists the valid
    specs; a library that is not installed is :class:`~pipeline.errors.ToolMissingError` naming it)."""
    return LLMS.get(name)


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``NAME:ARG`` (``ARG`` may itself contain colons, e.g. a Windows path or a model tag)."""
    spec = (spec or DEFAULT_SPEC).strip()
    name, _, arg = spec.partition(":")
    return name.strip().lower(), arg.strip()


def get_llm(spec: str | None = None, task: Task | None = None, transcript: str | Path | None = None,
            cache: str | Path | None = None, **kwargs: Any) -> LLM:
    """Build the backend a ``--llm`` spec names.

    Args:
        spec: e.g. ``embedded``, ``openai:gpt-4o-mini``, ``hf:PATH``, ``reference``, ``replay:FILE``.
        task: the task being solved (the ``reference`` backend answers with its reference solution).
        transcript: a JSONL file that every call is appended to (so the run can be replayed).
        cache: an SQLite file caching greedy calls (bypassed when sampling).
        **kwargs: backend options (e.g. ``timeout``, ``max_concurrency``).

    Raises:
        UserError: unknown backend name (the message lists the valid specs) or a bad argument.
    """
    name, arg = parse_spec(spec or DEFAULT_SPEC)
    cls = backend_class(name)
    llm: LLM = cls.from_spec(arg, task=task, **kwargs)
    llm.name = f"{name}:{arg}" if arg else name
    if cache is not None:
        from agents.llm.cache import CachingLLM

        llm = CachingLLM(llm, cache)
    if transcript is not None:
        from agents.llm.transcript import RecordingLLM

        llm = RecordingLLM(llm, transcript)
    return llm


def spec_fingerprint(spec: str) -> str | None:
    """What identifies the model behind an ``--llm`` spec without loading it: a pinned model's official sha256,
    a local file's or a transcript's digest; ``None`` where only the spec itself is known (an API model)."""
    from pipeline.provenance import file_digest

    name, arg = parse_spec(spec)
    if name == "embedded":
        from agents.llm.fetch_model import DEFAULT_MODEL, MODELS

        key = (arg or DEFAULT_MODEL).lower()
        return MODELS[key].sha256 if key in MODELS else file_digest(arg)
    if name in ("replay", "hf"):
        return file_digest(arg)
    return None
