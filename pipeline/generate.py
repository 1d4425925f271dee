"""The generate -> gate -> verify -> repair loop that turns a task into verified Dafny.

``p2s run`` (and ``p2s bench`` with a model) call :func:`run_task_from_spec`: a prompt goes to the LLM, the
program is extracted from the reply, and ``verifiers.api.verify_source`` checks it (integrity gate with the
pinned spec spliced in, then the verifier). With ``--agent repair`` a failure turns into a repair prompt
carrying the verifier's diagnostics, up to ``attempts`` times; ``none`` is one shot. Every attempt is a
typed :class:`Attempt` record, one line of ``attempts.jsonl``, and a folder ``attempts/NN/`` with the
prompt, the raw reply, the candidate and its verification; every LLM call lands in ``transcript.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from agents.extract import extract_dafny
from agents.llm.base import LLM, GenParams
from agents.prompts import Feedback, Prompt, PromptBuilder, feedback_from_result
from pipeline.errors import LLMUnavailableError, UserError
from pipeline.stage import RunContext, RunOptions, StageResult, Status
from pipeline.task import Task

PROMPT_STYLES = ("auto", "chat", "completion")
RETRY_TEMPERATURE = 0.7  # a prompt seen before is sampled at least this hot (greedy would repeat itself)
DEFAULT_MAX_TOKENS = 768  # reply limit of the built-in loop (the policies' own default is PromptConfig's)
TRANSCRIPT = "transcript.jsonl"

VerifyFn = Callable[[str, Task, float], Any]
EventFn = Callable[..., None]


@dataclass
class Attempt:
    """One round: the prompt, what the model said, what was extracted and what the verifier decided."""

    index: int
    prompt_hash: str
    prompt_kind: str
    reply: str
    code: str
    extraction: str
    verified: bool
    phase: str
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    verified_count: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_seconds: float = 0.0
    verify_seconds: float = 0.0
    temperature: float = 0.0
    folder: str = ""
    llm_incidents: list[str] = field(default_factory=list)  # failed tries the backend retried first

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def seconds(self) -> float:
        return self.llm_seconds + self.verify_seconds

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(tokens=self.tokens, seconds=round(self.seconds, 3))
        d["llm_seconds"], d["verify_seconds"] = round(self.llm_seconds, 3), round(self.verify_seconds, 3)
        return d


@dataclass
class Generation:
    """All attempts for one task and the verified program, if any."""

    attempts: list[Attempt]
    verified: bool
    program: str | None = None  # the candidate as the model wrote it (extracted)
    verified_program: str | None = None  # as verified (pinned spec spliced, dialect bridged)
    verification: dict[str, Any] | None = None
    llm: str = ""
    agent: str = "none"
    style: str = "chat"

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
            "llm": self.llm, "agent": self.agent, "prompt_style": self.style, "verified": self.verified,
            "attempts": len(self.attempts), "tokens": self.tokens, "seconds": round(self.seconds, 3),
            "verified_at": next((a.index for a in self.attempts if a.verified), None),
            "llm_retries": sum(len(a.llm_incidents) for a in self.attempts), "llm_error": self.llm_error,
        }


# ------------------------------------------------------------------------------------------------ policies


@dataclass
class GenerationState:
    """What a policy sees when it proposes the next prompt."""

    task: Task
    builder: PromptBuilder
    attempts: list[Attempt]
    feedback: Feedback | None


class Policy(Protocol):
    def propose(self, state: GenerationState) -> Prompt: ...


class OneShot:
    """``--agent none``: the first prompt only."""

    max_attempts = 1

    def propose(self, state: GenerationState) -> Prompt:
        return state.builder.initial(state.task)


class RepairLoop:
    """``--agent repair``: after a failure, show the model its program and the verifier's diagnostics."""

    max_attempts: int | None = None

    def propose(self, state: GenerationState) -> Prompt:
        if state.feedback is None:
            return state.builder.initial(state.task)
        return state.builder.repair(state.task, state.feedback)


BUILTIN_AGENTS = ("none", "repair")


def make_policy(agent: str, checkpoint: str | None = None) -> Policy:
    """The built-in policy behind ``--agent none|repair``; other agents run through :func:`generate_with_env`."""
    if agent == "none":
        return OneShot()
    if agent == "repair":
        return RepairLoop()
    raise UserError(f"--agent {agent} is not a built-in loop: use --agent repair or none")


# ------------------------------------------------------------------------------------------------ verify


def default_verify(source: str, task: Task, timeout: float) -> Any:
    """``verifiers.api.verify_source``: the integrity gate plus the Dafny verifier."""
    try:
        from verifiers.api import verify_source
    except ImportError:
        raise UserError("the Dafny verifier adapter (verifiers.api) is not available: run 'make setup'") from None
    return verify_source(source, task, timeout)


def _result_dict(result: Any) -> dict[str, Any]:
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def _no_code_result() -> dict[str, Any]:
    return {
        "verified": False, "phase": "extract", "verified_count": 0, "error_count": 1, "seconds": 0.0,
        "diagnostics": [{"phase": "extract", "line": 0, "column": 0, "related": [],
                         "message": "no Dafny program in the reply: answer with one ```dafny code block"}],
    }


# ------------------------------------------------------------------------------------------------ the loop


def resolve_style(style: str, llm_spec: str) -> str:
    """``auto``: few-shot completion for the small embedded models, chat elsewhere; replay follows its file."""
    if style not in PROMPT_STYLES:
        raise UserError(f"unknown prompt style {style!r}: choose one of {', '.join(PROMPT_STYLES)}")
    if style != "auto":
        return style
    name, _, arg = llm_spec.partition(":")
    if name == "replay" and arg and Path(arg).is_file():
        for line in Path(arg).read_text(encoding="utf-8").splitlines():
            if line.strip():
                return json.loads(line).get("params", {}).get("style", "chat")
    return "completion" if name in ("embedded", "") else "chat"


def generate(
    task: Task,
    llm: LLM,
    *,
    policy: Policy,
    builder: PromptBuilder,
    attempts: int = 1,
    params: GenParams | None = None,
    verify: VerifyFn | None = None,
    verify_timeout: float = 60.0,
    out_dir: str | Path | None = None,
    on_event: EventFn | None = None,
) -> Generation:
    """Ask, extract, verify; repeat per the policy until verified or ``attempts`` are used.

    Args:
        task: the task to solve.
        llm: the backend (already wrapped to record its transcript).
        policy: proposes each prompt (see :class:`OneShot`, :class:`RepairLoop`).
        builder: renders the prompts.
        attempts: the attempt budget (the policy may cap it: one-shot uses 1).
        params: sampling parameters; the seed is offset by the attempt index.
        verify: ``(source, task, timeout) -> VerificationResult``; default :func:`default_verify`.
        out_dir: where ``attempts/NN/`` and ``attempts.jsonl`` go (nothing is written when ``None``).
        on_event: progress callback ``(event, **info)`` with events ``attempt``, ``llm_done``, ``verified``.
    """
    verify = verify or default_verify
    params = params or GenParams()
    cap = getattr(policy, "max_attempts", None)
    budget = max(1, min(attempts, cap) if cap else attempts)
    out = Path(out_dir) if out_dir else None
    done: list[Attempt] = []
    feedback: Feedback | None = None
    final: dict[str, Any] | None = None
    seen: set[str] = set()
    for index in range(1, budget + 1):
        if on_event:
            on_event("attempt", index=index, budget=budget)
        prompt = policy.propose(GenerationState(task, builder, done, feedback))
        # a policy from agents.policies (through its adapter) carries its own sampling knobs in the meta
        temperature = float(prompt.meta.get("temperature", params.temperature))
        max_tokens = int(prompt.meta.get("max_tokens", params.max_tokens))
        if prompt.hash in seen:  # greedy decoding would repeat the same reply: sample instead
            temperature = max(temperature, RETRY_TEMPERATURE)
        seen.add(prompt.hash)
        call_params = prompt.params(GenParams(max_tokens, temperature, params.top_p,
                                              params.seed + index - 1, params.stop, prompt.style))
        try:
            completion = llm.complete(prompt.messages, call_params)
        except LLMUnavailableError as exc:  # recorded as this attempt's outcome; the generation stops here
            attempt = _outage_attempt(index, prompt, str(exc), temperature)
            final = _outage_result(str(exc))
            if out:
                _write_attempt(out, task, prompt, attempt, final)
            done.append(attempt)
            if on_event:
                on_event("failed", index=index, phase="llm")
            break
        if on_event:
            on_event("llm_done", index=index, tokens=completion.usage.total_tokens, seconds=completion.seconds)
        extraction = extract_dafny(prompt.prefix + completion.text, task.signature.name)
        start = time.monotonic()
        result = _result_dict(verify(extraction.code, task, verify_timeout)) if extraction.found else _no_code_result()
        verify_seconds = time.monotonic() - start
        attempt = Attempt(
            index=index, prompt_hash=prompt.hash, prompt_kind=prompt.meta.get("kind", ""), reply=completion.text,
            code=extraction.code, extraction=extraction.how, verified=bool(result.get("verified")),
            phase=result.get("phase", ""), diagnostics=list(result.get("diagnostics") or []),
            verified_count=int(result.get("verified_count") or 0),
            prompt_tokens=completion.usage.prompt_tokens, completion_tokens=completion.usage.completion_tokens,
            llm_seconds=completion.seconds, verify_seconds=verify_seconds, temperature=temperature,
            llm_incidents=list(completion.incidents),
        )
        if out:
            _write_attempt(out, task, prompt, attempt, result)
        done.append(attempt)
        final = result
        if on_event:
            on_event("verified" if attempt.verified else "failed", index=index, phase=attempt.phase)
        if attempt.verified:
            break
        feedback = feedback_from_result(extraction.code, completion.text, result)
        if not extraction.found:
            feedback.phase = "extract"
    last = done[-1]
    return Generation(
        attempts=done, verified=last.verified, program=last.code if last.verified else None,
        verified_program=(final or {}).get("program") or (last.code if last.verified else None),
        verification=final, llm=llm.name, style=builder.style,
    )


def _outage_result(message: str) -> dict[str, Any]:
    return {"verified": False, "phase": "llm", "verified_count": 0, "error_count": 1, "seconds": 0.0,
            "diagnostics": [{"phase": "llm", "line": 0, "column": 0, "related": [], "message": message}]}


def _outage_attempt(index: int, prompt: Prompt, message: str, temperature: float) -> Attempt:
    """The record of a call the model could not answer (crash, hang, outage after the backend's retries)."""
    return Attempt(index=index, prompt_hash=prompt.hash, prompt_kind=prompt.meta.get("kind", ""), reply="", code="",
                   extraction="none", verified=False, phase="llm", diagnostics=_outage_result(message)["diagnostics"],
                   temperature=temperature)


class _Tap(LLM):
    """Passes calls through and keeps each completion, so attempts made elsewhere get their token counts."""

    def __init__(self, inner: LLM) -> None:
        self.inner = inner
        self.name = inner.name
        self.completions: list[Any] = []

    def _complete(self, messages, params):
        c = self.inner.complete(messages, params)
        self.completions.append(c)
        return c


def generate_with_env(
    task: Task,
    llm: LLM,
    *,
    agent: str,
    checkpoint: str | None = None,
    attempts: int = 7,
    seed: int = 0,
    style: str = "chat",
    temperature: float | None = None,
    max_tokens: int | None = None,
    verify: VerifyFn | None = None,
    verify_timeout: float = 60.0,
    out_dir: str | Path | None = None,
    on_event: EventFn | None = None,
) -> Generation:
    """Run a policy from ``agents.policies`` (best-of-n, preface-lite, preface) in its ``agents.env.RepairEnv``.

    The environment owns the loop (sampling seeds, extraction, verification); this turns its attempts into
    the same :class:`Attempt` records as :func:`generate`. The policy is built exactly as
    ``agents.evaluate.evaluate_policy`` builds it, so ``p2s run``/``p2s bench --agent`` behave as the evaluation.

    Args:
        style: the resolved prompt style (``chat`` or ``completion``): the base prompt of every episode.
        temperature: the base sampling temperature (``None``: the policies' default, 0.75 as in the paper);
            a policy may change it per prompt (preface-lite's temperature operators), and the LLM gets the
            prompt's own value.
        max_tokens: the reply limit (``None``: the policies' default).
        seed: base of the environment's per-call sampling seeds and of the policy's own sampling.
    """
    try:
        from agents.env import RepairEnv
        from agents.policies import make_policy as make_agent
        from agents.policies.base import PromptConfig, initial_prompt
    except ImportError:
        raise UserError(f"--agent {agent} is not available in this build: use --agent repair or none") from None
    base = PromptConfig(mode=style)
    if temperature is not None:
        base = replace(base, temperature=temperature)
    if max_tokens is not None:
        base = replace(base, max_tokens=max_tokens)
    policy = make_agent(agent, checkpoint, config=base, seed=seed)
    cap = getattr(policy, "max_attempts", None)
    budget = max(1, min(attempts, cap) if cap else attempts)
    tap = _Tap(llm)
    env = RepairEnv(task, tap, verifier=verify or default_verify, budget=budget, verify_timeout=verify_timeout,
                    seed=seed, tag={"agent": agent}, initial_prompt=lambda t: initial_prompt(t, base))
    state, done = env.reset(), False
    out = Path(out_dir) if out_dir else None
    records: list[Attempt] = []
    final: dict[str, Any] | None = None
    while not done:
        if on_event:
            on_event("attempt", index=state.attempt + 1, budget=budget)
        prompt = policy.propose(state)
        calls = len(tap.completions)
        state, _reward, done, _info = env.step(prompt)
        a = env.attempts[-1]
        answered = len(tap.completions) > calls  # no completion: the call failed (outage)
        usage = tap.completions[-1].usage if answered else None
        llm_seconds = tap.completions[-1].seconds if answered else 0.0
        final = {"verified": a.verified, "phase": a.phase, "diagnostics": a.diagnostics,
                 "verified_count": a.verified_count, "error_count": a.errors}
        ours = Prompt(list(prompt.messages), prompt.params.style, prompt.prefix, tuple(prompt.params.stop),
                      meta={"kind": prompt.action or "", "temperature": prompt.params.temperature,
                            "max_tokens": prompt.params.max_tokens, "agent": agent})
        rec = Attempt(
            index=a.index, prompt_hash=ours.hash, prompt_kind=ours.meta["kind"], reply=a.reply, code=a.code or "",
            extraction="found" if a.code else "none", verified=a.verified, phase=a.phase,
            diagnostics=list(a.diagnostics), verified_count=a.verified_count,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            llm_seconds=llm_seconds, verify_seconds=max(0.0, a.seconds - llm_seconds),
            temperature=prompt.params.temperature, llm_incidents=list(a.llm_incidents),
        )
        if out:
            _write_attempt(out, task, ours, rec, final)
        records.append(rec)
        if on_event:
            on_event("verified" if rec.verified else "failed", index=rec.index, phase=rec.phase)
    last = records[-1]
    program = last.code if last.verified else None
    verified_program = None
    if last.verified:  # the environment keeps no bridged text: re-verify (cached) to get the program as verified
        again = _result_dict((verify or default_verify)(last.code, task, verify_timeout))
        verified_program = again.get("program") or last.code
        final = again
    return Generation(records, last.verified, program, verified_program, final, llm.name, agent, style=style)


def _spec_hash(task: Task) -> str:
    text = json.dumps({"signature": task.signature.text, "requires": task.requires, "ensures": task.ensures})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _write_attempt(out: Path, task: Task, prompt: Prompt, attempt: Attempt, result: dict[str, Any]) -> None:
    folder = out / "attempts" / f"{attempt.index:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prompt.json").write_text(json.dumps(prompt.to_dict(), indent=2, ensure_ascii=False))
    (folder / "reply.txt").write_text(attempt.reply)
    (folder / "candidate.dfy").write_text(attempt.code)
    (folder / "verify.json").write_text(json.dumps(result, indent=2, default=str))
    attempt.folder = str(folder.relative_to(out))
    line = {"task": task.id, "spec_hash": _spec_hash(task), **attempt.to_dict()}
    with (out / "attempts.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")


# ------------------------------------------------------------------------------------------------ a whole run


def verify_stage_result(ctx: RunContext, gen: Generation) -> StageResult:
    """The ``verify`` stage record of a generation, with the artifacts the verify stage would write."""
    folder = ctx.stage_dir("verify")
    ver = gen.verification or {}
    (folder / "verify.json").write_text(json.dumps(ver, indent=2, default=str))
    artifacts = {"verify_json": str(folder / "verify.json")}
    metrics = {"verified_count": int(ver.get("verified_count") or 0), "attempts": len(gen.attempts),
               "tokens": gen.tokens}
    seconds = sum(a.verify_seconds for a in gen.attempts)
    if gen.verified:
        verified = folder / "verified.dfy"
        verified.write_text(gen.verified_program or gen.program or "")
        artifacts["verified_dfy"] = str(verified)
        detail = f"verified at attempt {next(a.index for a in gen.attempts if a.verified)} of {len(gen.attempts)}"
        return StageResult("verify", Status.PASS, seconds, detail, artifacts, metrics)
    last = gen.attempts[-1]
    if gen.llm_error:
        detail = f"LLM unavailable at attempt {last.index}: {gen.llm_error}"
        return StageResult("verify", Status.FAIL, seconds, detail[:300], artifacts, metrics)
    first = next((d for d in last.diagnostics if d.get("message")), None)
    why = f"{last.phase}" + (f" at line {first.get('line')}: {first['message']}" if first else "")
    detail = f"not verified after {len(gen.attempts)} attempt(s): {why}"
    return StageResult("verify", Status.FAIL, seconds, detail[:300], artifacts, metrics)


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
    n_examples: int = 3,
    max_tokens: int | None = None,
    stages: list[str] | None = None,
    verify: VerifyFn | None = None,
    cache: str | Path | None = None,
    llm_options: dict[str, Any] | None = None,
    on_event: EventFn | None = None,
) -> tuple[RunContext, dict[str, Any]]:
    """The whole chain from the task's text: generate verified Dafny, then the hardware stages.

    ``temperature`` and ``max_tokens`` left at ``None`` take each loop's default: greedy and 768 tokens for the
    built-in ``none``/``repair``, the policies' 0.75 and 512 for the others (as ``agents.evaluate`` runs them).
    ``llm_options`` go to the backend (``timeout``, ``retries``: the CLI's ``--llm-timeout``/``--llm-retries``).
    ``stages`` lists the stages to run after generation (``verify`` is always the generation's own; ``["verify"]``
    or ``[]`` stops there). Returns the run context (results and artifacts) and the report's extra fields
    (``generation``, ``attempts``). ``report.json`` is written in ``out_dir``.
    """
    from agents.llm import get_llm
    from pipeline.runner import HARDWARE_STAGES, prepare_run, run_stages, write_report

    options = options or RunOptions()
    ctx = prepare_run(task, Path(out_dir).resolve(), options)  # stages run tools in their own folders
    transcript = ctx.out_dir / TRANSCRIPT
    spec = llm if isinstance(llm, str) else llm.name
    style = resolve_style(prompt_style, spec)
    if on_event:
        on_event("loading", llm=spec)
    if isinstance(llm, str):
        model = get_llm(llm, task=task, transcript=transcript, cache=cache, **(llm_options or {}))
    else:
        model = _recording(llm, transcript)
    _clear_previous(ctx.out_dir)  # after the model is built: a replay may read the folder's old transcript
    builder = PromptBuilder(style, n_examples)
    try:
        if agent in BUILTIN_AGENTS:
            params = GenParams(max_tokens=max_tokens or DEFAULT_MAX_TOKENS, temperature=temperature or 0.0,
                               seed=options.seed)
            gen = generate(
                task, model, policy=make_policy(agent, checkpoint), builder=builder, attempts=attempts,
                params=params, verify=verify, verify_timeout=options.verify_timeout, out_dir=ctx.out_dir,
                on_event=on_event,
            )
        else:
            gen = generate_with_env(
                task, model, agent=agent, checkpoint=checkpoint, attempts=attempts, seed=options.seed, style=style,
                temperature=temperature, max_tokens=max_tokens, verify=verify,
                verify_timeout=options.verify_timeout, out_dir=ctx.out_dir, on_event=on_event,
            )
    finally:
        if isinstance(llm, str):
            model.close()
    gen.agent = agent
    gen.llm = spec
    if gen.verified:
        candidate = ctx.out_dir / "candidate.dfy"
        candidate.write_text(gen.program or "")
        ctx.artifacts["dafny"] = str(candidate)
    result = verify_stage_result(ctx, gen)
    ctx.artifacts.update(result.artifacts)
    ctx.results.append(result)
    hardware = [s for s in (HARDWARE_STAGES if stages is None else stages) if s != "verify"]
    if gen.verified:
        present = _present_stages(hardware)
        run_stages(ctx, present, on_stage=(lambda n, r: on_event("stage", name=n, result=r)) if on_event else None)
        missing = hardware[len(present):]
        if missing:
            blocker = ctx.results[-1] if ctx.results[-1].status is not Status.PASS else None
            for s in missing:
                why = f"{blocker.stage} {blocker.status.value}" if blocker else "stage module not part of this build"
                ctx.results.append(StageResult(s, Status.SKIPPED, detail=why))
                blocker = blocker or ctx.results[-1]
    else:
        ctx.results.extend(StageResult(s, Status.SKIPPED, detail="verify fail") for s in hardware)
    extra = {
        "generation": gen.summary(),
        "attempts": [a.to_dict() for a in gen.attempts],
        "transcript": TRANSCRIPT,
    }
    write_report(ctx, extra)
    return ctx, {"attempts": len(gen.attempts), "tokens": gen.tokens, "verified_at": gen.summary()["verified_at"]}


def _clear_previous(out: Path) -> None:
    """A re-used run folder starts clean: old attempts and transcript lines would mix with the new ones."""
    import shutil

    for name in (TRANSCRIPT, "attempts.jsonl", "candidate.dfy", "report.json"):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / "attempts", ignore_errors=True)


def _present_stages(names: list[str]) -> list[str]:
    """The leading stages whose modules exist (a partial checkout skips the rest instead of crashing)."""
    import importlib.util

    from pipeline.runner import STAGES

    present = []
    for name in names:
        module = STAGES[name].split(":")[0]
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            break
        present.append(name)
    return present


def _recording(llm: LLM, transcript: Path) -> LLM:
    from agents.llm.transcript import RecordingLLM

    return RecordingLLM(llm, transcript)
