"""Prompts for the frozen LLM: the builder's text (chat or few-shot completion, first or repair turn) and the
policy's action, :class:`Prompt`, rendered from a :class:`PromptConfig`."""

from __future__ import annotations

from agents.prompts.builder import Feedback, PromptBuilder, Rendering, feedback_from_result, load_examples
from agents.prompts.prompt import Example, Prompt, PromptConfig, initial_prompt, render, resolve_grammar, resolve_style

__all__ = ["Example", "Feedback", "Prompt", "PromptBuilder", "PromptConfig", "Rendering", "feedback_from_result",
           "initial_prompt", "load_examples", "render", "resolve_grammar",
           "resolve_style"]
