"""Generation for ``p2s run`` and ``p2s bench``: a task's text becomes verified Dafny in the one loop,
:func:`agents.env.play` over a :class:`agents.env.RepairEnv`, exactly as the evaluation and training drive it.

The agent (``--agent``) is a policy of :mod:`agents.policies` with its prompt configuration from
:func:`agents.policies.prompt_config`; each attempt is an :class:`agents.env.Attempt`, one line of the run's
``attempts.jsonl`` and a folder ``attempts/NN/`` with the prompt, the raw reply, the candidate and its
verification; every LLM call lands in ``transcript.jsonl``, which ``--llm replay:`` answers from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.env import ATTEMPTS_NAME, Attempt, RepairEnv, episode_budget, play
from agents.llm.base import LLM
from agents.llm.transcript import TRANSCRIPT_NAME
from agents.policies import make_policy, prompt_config
from agents.prompts import PromptConfig, initial_prompt, resolve_grammar, resolve_style
from pipeline.errors import UserError
from pipeline.stage import RunContext, RunOptions, StageResult, Status
from pipeline.task import Task

TRANSCRIPT = TRANSCRIPT_NAME
ATTEMPTS = ATTEMPTS_NAME

VerifyFn = Callable[..., Any]
EventFn = Callable[..., None]

__all__ = ["GenerateStage", "Generation", "generate", "generate_stage", "resolve_style", "run_task_from_spec"]


@dataclass
class Generation:
    """All attempts for one task, and what the run needs of them."""

    attempts: list[Attempt]
    config: PromptConfig
    llm: str = ""
    agent: str = "none"

    @property
    def last(self) -> Attempt:
        return self.attempts[-1]

    @property
    def verified(self) -> bool:
        return bool(self.attempts) and self.last.verified

    @property
    def program(self) -> str | None:
        """The candidate as the model wrote it (extracted), when it verified."""
        return (self.last.code or "") if self.verified else None

    @property
    def verified_program(self) -> str | None:
        """The candidate as verified (pinned spec spliced, dialect bridged)."""
        return (self.last.verdict.get("program") or self.program) if self.verified else None

    @property
    def tokens(self) -> int:
        return sum(a.tokens for a in self.attempts)

    @property
    def seconds(self) -> float:
        return sum(a.seconds for a in self.attempts)

    @property
    def llm_error(self) -> str | None:
        """Why the model could not answer (after its retries), when that ended the generation."""
        last = self.attempts[-1] if self.attempts else None
        return last.diagnostics[0]["message"] if last and last.phase == "llm" and last.diagnostics else None

    def summary(self) -> dict[str, Any]:
        return {
            "llm": self.llm, "agent": self.agent, "prompt_style": self.config.mode, "verified": self.verified,
            "attempts": len(self.attempts), "tokens": self.tokens, "seconds": round(self.seconds, 3),
            "verified_at": next((a.index for a in self.attempts if a.verified), None),
            "llm_retries": sum(len(a.llm_incidents) for a in self.attempts), "llm_error": self.llm_error,
            "prompt_config": self.config.to_dict(),
        }


def generate(
    task: Task,
    llm: LLM,
    *,
    agent: str,
    config: PromptConfig,
    checkpoint: str | None = None,
    attempts: int = 7,
    seed: int = 0,
    verify: VerifyFn | None = None,
    verify_timeout: float = 60.0,
    out_dir: str | Path | None = None,
    on_event: EventFn | None = None,
) -> Generation:
    """Play one episode of ``agent`` on ``task``: the same policy, environment and seeds as the evaluation.

    Args:
        llm: the backend (already wrapped to record its transcript).
        config: the prompt configuration (:func:`agents.policies.prompt_config`).
        attempts: the attempt budget (the policy may cap it: ``none`` uses 1).
        seed: the episode's seed: the LLM calls' sampling seeds and the policy's own sampling.
        verify: ``(source, task, timeout=) -> VerificationResult``; default ``verifiers.api.verify_source``.
        out_dir: where ``attempts/NN/`` and ``attempts.jsonl`` go (nothing is written when ``None``).
        on_event: progress callback ``(event, **info)`` with events ``attempt``, ``verified``, ``failed``.
    """
    policy = make_policy(agent, checkpoint, config=config, seed=seed)
    budget = episode_budget(policy, attempts)
    out = Path(out_dir) if out_dir else None
    env = RepairEnv(task, llm, verifier=verify, budget=budget, verify_timeout=verify_timeout, seed=seed,
                    tag={"agent": agent, "seed": seed}, initial_prompt=lambda t: initial_prompt(t, config),
                    log=out / ATTEMPTS if out else None)

    def started(index: int) -> None:
        if on_event:
            on_event("attempt", index=index, budget=budget)

    def finished(attempt: Attempt) -> None:
        if out:
            _write_attempt_folder(out, attempt)
        if on_event:
            on_event("verified" if attempt.verified else "failed", index=attempt.index, phase=attempt.phase)

    done = play(env, policy, on_attempt=finished, on_start=started)
    return Generation(done, config, llm.name, agent)


def _write_attempt_folder(out: Path, attempt: Attempt) -> None:
    """``attempts/NN/``: the prompt, the raw reply, the candidate and its verification, for reading by hand."""
    folder = out / "attempts" / f"{attempt.index:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prompt.json").write_text(json.dumps(attempt.prompt.to_dict(), indent=2, ensure_ascii=False))
    (folder / "reply.txt").write_text(attempt.reply)
    (folder / "candidate.dfy").write_text(attempt.code or "")
    (folder / "verify.json").write_text(json.dumps(attempt.verdict, indent=2, default=str))


# ------------------------------------------------------------------------------------------------ a whole run


@dataclass
class GenerateStage:
    """The ``generate`` stage of a run that starts from the task's text: one episode of the agent.

    It writes the ``dafny`` artifact: the candidate that verified in the loop or, when none did, the last one the
    model wrote; the ``verify`` stage then judges it exactly as it judges a program given by hand (its Dafny
    call is the loop's, answered from the verifier's cache). It fails only when there is nothing to judge: the
    model wrote no program, or could not be reached.
    """

    llm: LLM
    agent: str
    config: PromptConfig
    checkpoint: str | None = None
    attempts: int = 7
    verify: VerifyFn | None = None
    on_event: EventFn | None = None
    close_llm: bool = False  # the stage built the model (from a spec): free it before the hardware stages run
    generation: Generation | None = None

    def __call__(self, ctx: RunContext) -> StageResult:
        try:
            self.generation = gen = generate(
                ctx.task, self.llm, agent=self.agent, config=self.config, checkpoint=self.checkpoint,
                attempts=self.attempts, seed=ctx.options.seed, verify=self.verify,
                verify_timeout=ctx.options.verify_timeout, out_dir=ctx.out_dir, on_event=self.on_event)
        finally:
            if self.close_llm:
                self.llm.close()
        gen.llm = self.llm.name
        return generate_result(ctx, gen)


def generate_stage(ctx: RunContext) -> StageResult:
    """The stage registered as ``generate``: the run's :class:`GenerateStage`, bound by whoever started it."""
    if ctx.generator is None:
        raise UserError("the generate stage needs a model: start the run from the task's text "
                        "(p2s run or p2s bench with --llm)")
    return ctx.generator(ctx)


def generate_result(ctx: RunContext, gen: Generation) -> StageResult:
    """The ``generate`` stage record of a generation; writes ``candidate.dfy`` for the verify stage."""
    metrics = {"attempts": len(gen.attempts), "tokens": gen.tokens, "verified_at": gen.summary()["verified_at"]}
    n = len(gen.attempts)
    if gen.llm_error:
        detail = f"LLM unavailable at attempt {gen.last.index}: {gen.llm_error}"
        return StageResult("generate", Status.ERROR, gen.seconds, detail[:300], metrics=metrics)
    code = gen.program if gen.verified else next((a.code for a in reversed(gen.attempts) if a.code), None)
    if not code:
        return StageResult("generate", Status.FAIL, gen.seconds, f"no Dafny program in the model's {n} "
                           "repl" + ("y" if n == 1 else "ies"), metrics=metrics)
    candidate = ctx.out_dir / "candidate.dfy"
    candidate.write_text(code, encoding="utf-8")
    if gen.verified:
        detail = f"verified at attempt {metrics['verified_at']} of {n}"
    else:
        last = gen.last
        first = next((d for d in last.diagnostics if d.get("message")), None)
        why = last.phase + (f" at line {first.get('line')}: {first['message']}" if first else "")
        detail = f"no attempt of {n} verified (last: {why}); the last program goes to verify"
    return StageResult("generate", Status.PASS, gen.seconds, detail[:300], {"dafny": str(candidate)}, metrics)


def run_task_from_spec(
    task: Task,
    *,
    llm: str | LLM = "embedded",
    agent: str = "none",
    attempts: int = 1,
    options: RunOptions | None = None,
    out_dir: str | Path,
    checkpoint: str | None = None,
    temperature: float | None = None,
    prompt_style: str = "auto",
    grammar: str = "auto",
    max_tokens: int | None = None,
    stages: list[str] | None = None,
    verify: VerifyFn | None = None,
    cache: str | Path | None = None,
    llm_options: dict[str, Any] | None = None,
    on_event: EventFn | None = None,
) -> tuple[RunContext, dict[str, Any]]:
    """The whole chain from the task's text: generate Dafny, verify it, then the hardware stages.

    ``grammar`` (``auto``/``on``/``off``, see :func:`~agents.prompts.resolve_grammar`) constrains the decoding.
    ``temperature`` and ``max_tokens`` left at ``None`` take the agent's defaults (its policy class's
    ``defaults``); the seed is ``options.seed``, so a run is the evaluation's episode of that task and seed.
    ``llm_options`` go to the backend (``timeout``, ``retries``: the CLI's ``--llm-timeout``/``--llm-retries``).
    The run's stages are ``generate`` (:class:`GenerateStage`), ``verify`` (always: the same stage as for a
    program given by hand) and then ``stages`` (default: the hardware stages; ``[]`` stops after verify).
    Returns the run context (results and artifacts) and the report's extra fields (``generation``,
    ``attempts``). ``report.json`` is written in ``out_dir``.
    """
    from agents.llm import get_llm
    from pipeline.runner import HARDWARE_STAGES, prepare_run, run_stages, write_report

    options = options or RunOptions()
    ctx = prepare_run(task, Path(out_dir).resolve(), options)  # stages run tools in their own folders
    transcript = ctx.out_dir / TRANSCRIPT
    spec = llm if isinstance(llm, str) else llm.name
    style = resolve_style(prompt_style, spec)
    constrained = resolve_grammar(grammar, spec)
    if on_event:
        on_event("loading", llm=spec)
    if isinstance(llm, str):
        model = get_llm(llm, task=task, transcript=transcript, cache=cache, **(llm_options or {}))
    else:
        model = _recording(llm, transcript)
    _clear_previous(ctx.out_dir)  # after the model is built: a replay may read the folder's old transcript
    config = prompt_config(agent, style, temperature, max_tokens, constrained)
    stage = GenerateStage(model, agent, config, checkpoint, attempts, verify, on_event, close_llm=isinstance(llm, str))
    ctx.generator = stage
    hardware = [s for s in (HARDWARE_STAGES if stages is None else stages) if s not in ("generate", "verify")]
    progress = (lambda n, r: on_event("stage", name=n, result=r)) if on_event else None
    run_stages(ctx, ["generate", "verify", *hardware], on_stage=progress)
    gen = stage.generation or Generation([], stage.config, spec, agent)
    gen.llm = spec
    extra = {
        "generation": gen.summary(),
        "attempts": [a.to_dict() for a in gen.attempts],
        "transcript": TRANSCRIPT,
    }
    write_report(ctx, extra)
    return ctx, {"attempts": len(gen.attempts), "tokens": gen.tokens, "verified_at": gen.summary()["verified_at"]}


def _clear_previous(out: Path) -> None:
    """A re-used run folder starts clean (``prepare_run`` cleared the stages' files): old attempts and transcript
    lines would mix with the new ones. Called after the model is built, since a replay may read them."""
    for name in (TRANSCRIPT, ATTEMPTS):
        (out / name).unlink(missing_ok=True)


def _recording(llm: LLM, transcript: Path) -> LLM:
    from agents.llm.transcript import RecordingLLM

    return RecordingLLM(llm, transcript)
