"""The options every command that calls an LLM shares: how long one call may take and how often it is retried."""

from __future__ import annotations

import argparse
from typing import Any

from pipeline.errors import UserError


def add_llm_call_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm-timeout", type=float, default=None, metavar="S",
                   help="seconds one LLM call may take before it is cut and retried "
                        "(default: 300 for embedded models, 120 for openai)")
    p.add_argument("--llm-retries", type=int, default=None, metavar="N",
                   help="retries of a call that crashed the model worker, hung or met a server outage "
                        "(default: 1 for embedded models, 5 for openai); they appear in report.json")


def add_grammar_argument(p: argparse.ArgumentParser) -> None:
    from agents.prompts.prompt import GRAMMAR_CHOICES

    p.add_argument("--grammar", default="auto", choices=GRAMMAR_CHOICES,
                   help="decode under the task's Dafny grammar (header and pinned clauses forced; "
                        "auto: on for embedded models, whose decoder applies it)")


def llm_call_options(args: argparse.Namespace) -> dict[str, Any]:
    """The backend keyword arguments of ``--llm-timeout``/``--llm-retries`` (only those given)."""
    options: dict[str, Any] = {}
    if args.llm_timeout is not None:
        if not args.llm_timeout > 0:
            raise UserError(f"--llm-timeout {args.llm_timeout:g}: give a positive number of seconds")
        options["timeout"] = args.llm_timeout
    if args.llm_retries is not None:
        if args.llm_retries < 0:
            raise UserError(f"--llm-retries {args.llm_retries}: give 0 or more")
        options["retries"] = args.llm_retries
    return options
