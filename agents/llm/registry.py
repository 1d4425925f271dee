"""Backend registry: ``--llm`` specs map to classes, imported only when chosen.

A spec is ``NAME`` or ``NAME:ARG`` (``openai:gpt-4o-mini``, ``hf:/models/qwen``, ``replay:run.jsonl``).
:data:`LAZY` names each backend's ``module:Class`` so that ``torch`` or ``llama_cpp`` load only for the
backend that needs them; :func:`register` adds a class defined anywhere (tests, plug-ins).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import UserError

if TYPE_CHECKING:
    from agents.llm.base import LLM
    from pipeline.task import Task

LAZY: dict[str, str] = {
    "embedded": "agents.llm.embedded:EmbeddedLLM",
    "openai": "agents.llm.openai_backend:OpenAILLM",
    "hf": "agents.llm.hf:HFLLM",
    "reference": "agents.llm.reference:ReferenceLLM",
    "replay": "agents.llm.replay:ReplayLLM",
    "dummy": "agents.llm.dummy:DummyLLM",
}
SPEC_HELP: dict[str, str] = {
    "embedded": "embedded[:0.5b|1.5b|smollm2|FILE.gguf]  local GGUF model through llama-cpp-python (default)",
    "openai": "openai:MODEL  any OpenAI-compatible endpoint (OPENAI_BASE_URL, OPENAI_API_KEY)",
    "hf": "hf:PATH  a local transformers causal LM",
    "reference": "reference  the task's reference solution (tests the hardware chain without a model)",
    "replay": "replay:FILE  answers from a recorded transcript (JSONL)",
    "dummy": "dummy[:TEXT]  fixed replies, for tests",
}
_REGISTRY: dict[str, type] = {}

DEFAULT_SPEC = "embedded"


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make ``name`` a valid ``--llm`` spec prefix for the decorated backend."""

    def deco(cls: type) -> type:
        _REGISTRY[name] = cls
        cls.backend = name
        return cls

    return deco


def valid_specs() -> str:
    return "; ".join(SPEC_HELP.get(n, n) for n in sorted(set(LAZY) | set(_REGISTRY)))


def backend_class(name: str) -> type:
    """The class behind a backend name, importing its module on first use."""
    if name not in _REGISTRY:
        if name not in LAZY:
            raise UserError(f"unknown LLM backend {name!r}; valid --llm specs: {valid_specs()}")
        module, cls = LAZY[name].split(":")
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise UserError(f"LLM backend {name!r} needs a library that is not installed ({exc}); "
                            "run 'make setup' or pip install the missing package") from None
        _REGISTRY.setdefault(name, getattr(mod, cls))
    return _REGISTRY[name]


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
