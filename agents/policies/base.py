"""The prompt a policy proposes, the knobs it is built from, and the policy interface.

A policy's action is a :class:`Prompt`: the messages and sampling parameters sent to the frozen LLM. Every
policy (baselines, PREFACE-lite, PREFACE) builds it the same way: the project's prompt builder
(:mod:`agents.prompts`: chat or few-shot completion style, first or repair turn) plus the additions the repair
operators switch on (``templates/extras.j2``: pinned spec restated, dialect syntax notes, a request for loop
invariants, a training-split example, a free-text instruction). So the learned policies differ from the
baselines only in the choices they make, never in wording that only they can reach.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import jinja2

from agents.llm.base import GenParams
from agents.prompts import PromptBuilder, feedback_from_result
from agents.prompts.builder import spec_lines
from pipeline.task import Task

if TYPE_CHECKING:
    from agents.env import RepairState

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_TEMPERATURE = 0.75
DEFAULT_MAX_TOKENS = 512
TEMPERATURES = (0.2, 0.5, 0.75, 1.0)

# Syntax notes for every dialect: the two mistakes that ended most unparsable or unresolvable attempts of the
# measured comparison (README "PREFACE prompt repair -> Measured": 113 and 98 of 478 such attempts).
COMMON_HINTS = [
    "the results named in `returns (...)` are already declared: assign them (`r := ...`), never `var r := ...`",
    "a method body is statements: `if c { r := a; } else { r := b; }`, not the expression `if c then a else b`",
]

# Syntax notes per Dafny dialect: what an LLM trained on Dafny 4 code gets wrong on each.
DIALECT_HINTS = {
    "dafny2": [
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


@dataclass
class Prompt:
    """What a policy proposes: the LLM messages and parameters, plus how they came about.

    ``prefix`` is the text the reply continues (completion style: the open fence and the method header); the
    environment puts it in front of the reply before extracting the program. ``action`` names the operator.
    """

    messages: list[dict[str, str]]
    params: GenParams
    config: PromptConfig = field(default_factory=PromptConfig)
    action: str | None = None
    prefix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"messages": self.messages, "params": self.params.to_dict(), "action": self.action,
                "prefix": self.prefix, "config": self.config.__dict__}


@dataclass(frozen=True)
class Example:
    """A verified solution of a training-split task, used as a few-shot example."""

    task_id: str
    description: str
    code: str
    words: frozenset[str] = frozenset()


class Policy(Protocol):
    """Every policy: ``propose(state) -> Prompt``; ``max_attempts`` caps the budget (``none`` is one shot)."""

    name: str
    max_attempts: int | None

    def propose(self, state: RepairState) -> Prompt: ...


# ============================================================================================ rendering


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=False, undefined=jinja2.StrictUndefined, autoescape=False,
    )


@functools.lru_cache(maxsize=1)
def installed_dialect() -> str:
    """``dafny2`` for an installed 2.x/3.x Dafny (legacy CLI, ``function method``), else ``dafny4``."""
    import shutil
    import subprocess

    exe = shutil.which("dafny")
    if not exe:
        return "dafny4"
    try:
        proc = subprocess.run([exe, "/version"], capture_output=True, text=True, timeout=60)
        out = proc.stdout + proc.stderr
    except (OSError, subprocess.TimeoutExpired):
        return "dafny4"
    m = re.search(r"Dafny\s+(\d+)\.", out)
    return "dafny2" if m and int(m.group(1)) < 4 else "dafny4"


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
    """Render the prompt for ``task`` under ``config``; with ``code`` (the last failing program) a repair turn."""
    dialect = installed_dialect()
    builder = _builder(config.mode, dialect)
    if code:
        base = builder.repair(task, _feedback(code, reply, phase, diagnostics or [], config.feedback))
    else:
        base = builder.initial(task)
    completion = config.mode == "completion"
    c = "// " if completion else ""
    extras = _env().get_template("extras.j2").render(
        c=c, restate_spec=config.restate_spec, spec_lines=spec_lines(task.requires, task.ensures),
        syntax_hints=config.syntax_hints, hints=DIALECT_HINTS[dialect] + COMMON_HINTS, dialect=dialect,
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
    params = GenParams(max_tokens=config.max_tokens, temperature=config.temperature, stop=tuple(base.stop),
                       style=base.style)
    return Prompt(messages, params, config, action, prefix=base.prefix)


def initial_prompt(task: Task, config: PromptConfig | None = None) -> Prompt:
    """The first prompt of an episode: the task in chat form at the default temperature."""
    return render(task, config or PromptConfig(), action="initial")


def words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2)


def nearest_example(task: Task, examples: list[Example]) -> Example | None:
    """The training example whose description shares most words with the task's (never the task itself)."""
    mine = words(task.description + " " + task.signature.text)
    pool = [e for e in examples if e.task_id != task.id]
    if not pool:
        return None
    return max(pool, key=lambda e: (len(mine & e.words) / (len(mine | e.words) or 1), e.task_id))


def examples_from_tasks(tasks: list[Task]) -> list[Example]:
    """Few-shot pool: the reference solutions of (training-split) tasks."""
    return [
        Example(t.id, t.description, t.reference.strip(), words(t.description + " " + t.signature.text))
        for t in tasks if t.reference
    ]


def repair_prompt(state: RepairState, config: PromptConfig, example: Example | None = None,
                  action: str | None = None) -> Prompt:
    """The prompt for the state's next attempt: a repair turn when there is a last program, else the first."""
    return render(state.task, config, state.code, state.diagnostics, example, action, state.reply, state.phase)
