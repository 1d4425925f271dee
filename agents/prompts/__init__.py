"""Prompt construction from jinja2 templates: chat and few-shot completion styles, first and repair turns."""

from __future__ import annotations

from agents.prompts.builder import Feedback, Prompt, PromptBuilder, feedback_from_result, load_examples

__all__ = ["Feedback", "Prompt", "PromptBuilder", "feedback_from_result", "load_examples"]
