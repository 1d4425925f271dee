"""A policy's action, :class:`Prompt`: the text the frozen LLM gets, its sampling parameters, and the knobs
(:class:`PromptConfig`) it was rendered from.

Every policy (baselines, PREFACE-lite, PREFACE) builds its prompt with :func:`render`: the builder's first or
repair turn (:mod:`agents.prompts.builder`, chat or few-shot completion) plus the additions the repair operators
switch on (``templates/extras.j2``: pinned spec restated, syntax notes of the installed verifier's dialect, a
request for loop invariants, a training-split example, a free-text instruction). So a learned policy differs
from the baselines only in the choices it makes, never in wording that only it can reach.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from agents.llm.base import GenParams
from agents.prompts.builder import PromptBuilder, feedback_from_result, spec_lines
from pipeline.errors import UserError
from pipeline.task import Task

TEMPLATES = Path(__file__).parent / "templates"
PROMPT_STYLES = ("auto", "chat", "completion")
GRAMMAR_CHOICES = ("auto", "on", "off")
DEFAULT_TEMPERATURE = 0.75
DEFAULT_MAX_TOKENS = 512
TEMPERATURES = (0.2, 0.5, 0.75, 1.0)

# Syntax notes for every dialect: the two mistakes that ended most unparsable or unresolvable attempts of a
# measured comparison (113 and 98 of 478 such attempts).
COMMON_HINTS = [
    "the results named in `returns (...)` are already declared: assign them (`r := ...`), never `var r := ...`",
    "a method body is statements: `if c { r := a; } else { r := b; }`, not the expression `if c then a else b`",
]

# Syntax notes per Dafny dialect (``verifiers.dafny.DafnyVersion.dialect``): what an LLM trained on Dafny 4
# code gets wrong on each.
DIALECT_HINTS = {
    "dafny3": [
        "functions called from methods must be declared `function method` (plain `function` is ghost)",
        "there is no `for` loop: use `while` with `invariant` and `decreases`",
        "no array displays: allocate with `new int[n]` and assign the elements",
        "use `a.Length` for arrays and `|s|` for sequences; `a[..]` is the array's sequence",
    ],
    "dafny4": [
        "`function` is compiled; use `ghost function` for specification-only functions",
        "`for i := lo to hi` loops exist but `while` loops with invariants are easier to verify",
        "use `a.Length` for arrays and `|s|` for sequences; `a[..]` is the array's sequence",
    ],
}


@dataclass(frozen=True)
class PromptConfig:
    """The knobs of a prompt; repair operators change them and :func:`render` turns them into messages."""

    mode: str = "chat"  # "chat" or "completion"
    temperature: float = DEFAULT_TEMPERATURE
    feedback: str = "raw"  # "raw": the verifier's messages; "lines": each message with its failing line quoted
    syntax_hints: bool = False
    invariant_hint: bool = False
    restate_spec: bool = False
    few_shot: bool = False
    instruction: str | None = None
    max_tokens: int = DEFAULT_MAX_TOKENS
    grammar: bool = False  # decode under the task's Dafny grammar (agents.grammar.task_grammar; embedded LLM only)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not self.grammar:  # off: the records stay as they were before the knob existed
            del d["grammar"]
        return d


@dataclass
class Prompt:
    """What a policy proposes: the LLM messages and parameters, plus how they came about.

    ``prefix`` is the text the reply continues (completion style: the open fence and the method header); the
    environment puts it in front of the reply before extracting the program. ``action`` names the operator.
    ``params.seed`` is a placeholder: the environment sets each call's seed.
    """

    messages: list[dict[str, str]]
    params: GenParams
    config: PromptConfig = field(default_factory=PromptConfig)
    action: str | None = None
    prefix: str = ""

    @property
    def hash(self) -> str:
        """Identity of the prompt's text and sampling knobs (not of the per-call seed)."""
        params = {**self.params.to_dict(), "seed": None}
        blob = json.dumps({"messages": self.messages, "params": params}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {"messages": self.messages, "params": self.params.to_dict(), "action": self.action,
                "prefix": self.prefix, "config": self.config.to_dict(), "hash": self.hash}


@dataclass(frozen=True)
class Example:
    """A verified solution of a training-split task, used as a few-shot example."""

    task_id: str
    description: str
    code: str
    words: frozenset[str] = frozenset()


def _first_recorded_params(llm_spec: str) -> dict[str, Any] | None:
    """The params of a replay file's first call (``None`` for any other spec, or an empty file)."""
    name, _, arg = llm_spec.partition(":")
    if name != "replay" or not arg:
        return None
    from agents.llm.transcript import check_transcripts, transcript_files

    check_transcripts(arg)  # a broken file is one error line naming it, not a traceback here
    for file in transcript_files(arg)[:1]:
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                return json.loads(line).get("params", {})
    return None


def resolve_grammar(choice: str, llm_spec: str) -> bool:
    """``auto``: decode under the task's Dafny grammar where the backend applies it (the embedded models); a
    replay follows its file; ``on`` sends the grammar to any backend (an OpenAI-compatible llama.cpp server
    takes it; other servers may ignore or refuse it)."""
    if choice not in GRAMMAR_CHOICES:
        raise UserError(f"unknown --grammar {choice!r}: choose one of {', '.join(GRAMMAR_CHOICES)}")
    if choice != "auto":
        return choice == "on"
    recorded = _first_recorded_params(llm_spec)
    if recorded is not None:
        return "grammar_sha256" in recorded
    return llm_spec.partition(":")[0] in ("embedded", "")


def resolve_style(style: str, llm_spec: str) -> str:
    """``auto``: few-shot completion for the small embedded models, chat elsewhere; replay follows its file."""
    if style not in PROMPT_STYLES:
        raise UserError(f"unknown prompt style {style!r}: choose one of {', '.join(PROMPT_STYLES)}")
    if style != "auto":
        return style
    recorded = _first_recorded_params(llm_spec)
    if recorded is not None:
        return recorded.get("style", "chat")
    return "completion" if llm_spec.partition(":")[0] in ("embedded", "") else "chat"


# ============================================================================================ rendering


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=False, undefined=jinja2.StrictUndefined, autoescape=False,
    )


@functools.lru_cache(maxsize=1)
def dialect() -> str:
    """The installed verifier's dialect, asked once per process (it runs ``dafny --version``)."""
    from verifiers.dafny import installed_dialect

    return installed_dialect()


@functools.lru_cache(maxsize=4)
def _builder(style: str, dialect: str) -> PromptBuilder:
    return PromptBuilder(style=style, dialect=dialect)


def _feedback(code: str, reply: str, phase: str, diagnostics: list[dict[str, Any]], style: str):
    fb = feedback_from_result(code, reply, {"phase": "extract" if phase == "no_code" else phase,
                                            "diagnostics": diagnostics})
    if style == "raw":  # the verifier's own words only: no quoted source lines
        fb.diagnostics = [{**d, "source_line": ""} for d in fb.diagnostics]
    return fb


def render(
    task: Task,
    config: PromptConfig,
    code: str | None = None,
    diagnostics: list[dict[str, Any]] | None = None,
    example: Example | None = None,
    action: str | None = None,
    reply: str = "",
    phase: str = "verification",
) -> Prompt:
    """Render the prompt for ``task`` under ``config``; after a failed attempt (its ``code`` or, when the reply
    held no program, its ``reply``) a repair turn that shows it with the verifier's ``diagnostics``."""
    spoken = dialect()
    builder = _builder(config.mode, spoken)
    if code or reply:
        base = builder.repair(task, _feedback(code or "", reply, phase, diagnostics or [], config.feedback))
    else:
        base = builder.initial(task)
    completion = config.mode == "completion"
    c = "// " if completion else ""
    extras = _env().get_template("extras.j2").render(
        c=c, restate_spec=config.restate_spec, spec_lines=spec_lines(task.requires, task.ensures),
        syntax_hints=config.syntax_hints, hints=DIALECT_HINTS[spoken] + COMMON_HINTS, dialect=spoken,
        invariant_hint=config.invariant_hint, instruction=config.instruction,
    ).strip("\n")
    shot = ""
    if config.few_shot and example is not None:
        shot = _env().get_template("example.j2").render(c=c, example=example).strip("\n")
    messages = [dict(m) for m in base.messages]
    last = messages[-1]
    if completion:
        text = last["content"]
        if shot:
            at = text.rfind("// Task: " + task.description.splitlines()[0])
            at = at if at >= 0 else 0
            text = text[:at] + shot + "\n\n" + text[at:]
        if extras:
            at = text.rfind(base.prefix.rstrip("\n"))
            at = at if at >= 0 else len(text)
            text = text[:at] + extras + "\n" + text[at:]
        last["content"] = text
    else:
        added = "\n\n".join(x for x in (shot, extras) if x)
        if added:
            last["content"] = last["content"].rstrip() + "\n\n" + added
    grammar = None
    if config.grammar:
        from agents.grammar.dafny import task_grammar

        grammar = task_grammar(task, "completion" if base.style == "completion" else "chat", comments=False)
    params = GenParams(max_tokens=config.max_tokens, temperature=config.temperature, stop=tuple(base.stop),
                       style=base.style, grammar=grammar)
    return Prompt(messages, params, config, action, prefix=base.prefix)


def initial_prompt(task: Task, config: PromptConfig | None = None) -> Prompt:
    """The first prompt of an episode under ``config``."""
    return render(task, config or PromptConfig(), action="initial")


def words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2)
