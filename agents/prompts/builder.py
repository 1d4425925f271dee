"""Prompts for the frozen LLM, rendered from jinja2 templates in ``templates/``.

Two styles:

* ``chat``: a system message, few-shot (user task, assistant solution) pairs, the task; a repair adds the
  previous reply and the verifier's diagnostics as the next turns;
* ``completion``: one raw text the model continues — solved examples as fenced Dafny, then the target's
  open fence with its header and pinned specification, so the model only writes the body. With the
  embedded Qwen-1.5B this form verified 13 of 24 trivial tasks against 5 of 24 for a plain chat prompt.

A :class:`Rendering` is the text of one prompt; ``prefix`` is the text the reply continues (completion
style), which extraction puts back in front of the reply. :mod:`agents.prompts.prompt` adds the sampling
parameters and the repair operators' additions and makes it a policy's action.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from agents.llm.base import Message

TEMPLATES = Path(__file__).parent / "templates"
EXAMPLES = Path(__file__).parent / "examples.yaml"
STYLES = ("chat", "completion")


@dataclass(frozen=True)
class Example:
    """A solved few-shot task."""

    id: str
    description: str
    signature: str
    requires: tuple[str, ...]
    ensures: tuple[str, ...]
    solution: str


@dataclass
class Rendering:
    """The text of one prompt: messages, their style, the text the reply continues, stop strings, its kind."""

    messages: list[Message]
    style: str = "chat"
    prefix: str = ""
    stop: tuple[str, ...] = ()
    kind: str = "initial"  # "initial" or "repair"


@dataclass
class Feedback:
    """A failed attempt as the repair prompt shows it: the code and the verifier's diagnostics."""

    code: str
    reply: str
    phase: str
    diagnostics: list[dict[str, Any]]


def _definitions(task) -> str:
    """The functions/predicates the task's contract calls: shown to the model, supplied by the gate."""
    from verifiers.integrity import task_definitions

    return task_definitions(task)


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=False, undefined=jinja2.StrictUndefined, autoescape=False,
    )


def render(name: str, **values: Any) -> str:
    return _env().get_template(name).render(**values).strip("\n")


@lru_cache(maxsize=1)
def load_examples() -> tuple[Example, ...]:
    data = yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))
    return tuple(
        Example(d["id"], d["description"], d["signature"], tuple(d.get("requires") or ()),
                tuple(d.get("ensures") or ()), d["solution"])
        for d in data
    )


def spec_lines(requires: list[str] | tuple[str, ...], ensures: list[str] | tuple[str, ...]) -> list[str]:
    return [f"requires {r}" for r in requires] + [f"ensures {e}" for e in ensures]


def method_header(signature: str, requires, ensures) -> str:
    """The method header with its pinned clauses, as the program must start."""
    return "\n".join([signature, *("  " + s for s in spec_lines(requires, ensures))])


def feedback_from_result(code: str, reply: str, result: Any, max_items: int = 6) -> Feedback:
    """Turn a ``verifiers.diagnostics.VerificationResult`` (or its dict) into what the repair prompt shows.

    The offending source line is quoted so that small models see what the line number points at.
    """
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result or {})
    lines = code.splitlines()
    items = []
    diags = [d if isinstance(d, dict) else d.to_dict() for d in data.get("diagnostics") or []]
    diags.sort(key=lambda d: d.get("severity", "error") != "error")  # errors first, warnings after
    for d in diags[:max_items]:
        line = d.get("line") or 0
        src = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        related = [r if isinstance(r, str) else (r.get("message") or str(r)) for r in d.get("related") or []]
        items.append({"line": line, "column": d.get("column") or 0, "message": d.get("message", ""),
                      "source_line": src, "related": related[:2]})
    return Feedback(code, reply, data.get("phase", "verification"), items)


_PHASE_TEXT = {
    "integrity": "it breaks the rules: the pinned specification changed or something escapes the verifier",
    "parse": "it does not parse",
    "resolution": "it has name or type errors",
    "verification": "some proof obligations fail",
    "timeout": "the verifier timed out",
    "crash": "the verifier crashed",
    "extract": "no Dafny program was found in the reply",
}


class PromptBuilder:
    """Builds the first and the repair prompts for a task.

    Args:
        style: ``chat`` or ``completion``.
        n_examples: how many few-shot examples to include (0..3).
        dialect: the installed verifier's (``verifiers.dafny.installed_dialect``): ``dafny4``, or ``dafny3``
            for Dafny 2.3 to 3.x (``function method``, no ``for`` loops).
    """

    def __init__(self, style: str = "chat", n_examples: int = 3, dialect: str = "dafny4") -> None:
        if style not in STYLES:
            raise ValueError(f"prompt style must be one of {STYLES}")
        self.style = style
        self.examples = load_examples()[:n_examples]
        self.dialect = dialect

    # ------------------------------------------------------------------------------------------ chat

    def _task_text(self, description: str, signature: str, requires, ensures, definitions: str = "") -> str:
        return render("task.j2", task={"description": description}, header=signature,
                      spec_lines=spec_lines(requires, ensures), definitions=definitions.strip())

    def _chat(self, task) -> list[Message]:
        messages: list[Message] = [{"role": "system", "content": render("system.j2", dialect=self.dialect)}]
        for ex in self.examples:
            messages.append({"role": "user", "content": self._task_text(ex.description, ex.signature, ex.requires,
                                                                        ex.ensures)})
            messages.append({"role": "assistant", "content": f"```dafny\n{ex.solution.strip()}\n```"})
        messages.append({"role": "user", "content": self._task_text(task.description, task.signature.text,
                                                                    task.requires, task.ensures,
                                                                    _definitions(task))})
        return messages

    # ------------------------------------------------------------------------------------------ completion

    def _prefix(self, task) -> str:
        definitions = _definitions(task).strip()
        head = definitions + "\n\n" if definitions else ""
        return "```dafny\n" + head + method_header(task.signature.text, task.requires, task.ensures) + "\n{\n"

    def _completion(self, task, previous: Feedback | None) -> tuple[list[Message], str]:
        prefix = self._prefix(task)
        text = render("completion.j2", examples=self.examples, task=task, dialect=self.dialect,
                      previous=previous, prefix="@@PREFIX@@")
        text = text.replace("@@PREFIX@@", prefix)
        return [{"role": "user", "content": text}], prefix

    # ------------------------------------------------------------------------------------------ public

    def initial(self, task) -> Rendering:
        """The first prompt for ``task``."""
        if self.style == "completion":
            messages, prefix = self._completion(task, None)
            return Rendering(messages, "completion", prefix, stop=("```",), kind="initial")
        return Rendering(self._chat(task), "chat", kind="initial")

    def repair(self, task, feedback: Feedback) -> Rendering:
        """The prompt after a failed attempt: the previous code and the verifier's diagnostics."""
        if self.style == "completion":
            messages, prefix = self._completion(task, feedback)
            return Rendering(messages, "completion", prefix, stop=("```",), kind="repair")
        messages = self._chat(task)
        previous = feedback.reply.strip() or f"```dafny\n{feedback.code.strip()}\n```"
        messages.append({"role": "assistant", "content": previous})
        messages.append({"role": "user", "content": render(
            "repair.j2", phase_text=_PHASE_TEXT.get(feedback.phase, feedback.phase),
            diagnostics=feedback.diagnostics,
            fallback="Reply with the complete program in one ```dafny code block.",
        )})
        return Rendering(messages, "chat", kind="repair")
