"""LLM backends behind one interface: ``get_llm(spec).complete(messages, params) -> Completion``."""

from __future__ import annotations

from agents.llm.base import LLM, Completion, GenParams, Message, Request, Usage, call_key
from agents.llm.registry import DEFAULT_SPEC, get_llm, register, valid_specs

__all__ = [
    "DEFAULT_SPEC", "LLM", "Completion", "GenParams", "Message", "Request", "Usage", "call_key", "get_llm",
    "register", "valid_specs",
]
