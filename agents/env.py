"""The prompt-repair environment and its loop: one task, a frozen LLM, the verifier with its integrity gate, a
budget. This is the project's only generation loop: ``p2s run``, ``p2s bench --agent``, the evaluation and PPO
training all drive :class:`RepairEnv` (the first three through :func:`play`).

Everything sees this gym-style boundary (``reset`` / ``step`` / ``info``). An action is a
:class:`~agents.prompts.Prompt` written by a policy; the environment sends it to the frozen LLM,
extracts the Dafny program, verifies it against the task's pinned spec and pays the reward. The integrity
gate lives inside the verifier call, and the environment trusts a success only when the verifier says
``verified`` *and* the phase is ``ok`` *and* at least one declaration was verified: a cheat is a failure,
never a reward.

The reward follows the PREFACE paper by default: ``+5`` when the candidate verifies, otherwise
``-5 - 0.2 x errors - 0.5 x attempt`` (``attempt`` counts from 1). Optional partial credit for verified
declarations is capped so that a failing attempt always earns strictly less than a verifying one.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from agents.prompts.prompt import Prompt
from pipeline.errors import LLMUnavailableError
from pipeline.task import Task

Verifier = Callable[..., Any]  # verify_source(source, task, timeout) -> VerificationResult
Extractor = Callable[[str, "str | None"], str]  # (reply, target method) -> program ("" when none)

DEFAULT_BUDGET = 7  # attempts per task for every agent and every command (``none`` uses one of them)
PHASES = ("none", "ok", "integrity", "parse", "resolution", "verification", "timeout", "crash", "no_code")


# ============================================================================================ reward


@dataclass
class RewardConfig:
    """The reward table; defaults are the paper's.

    Attributes:
        success: reward for an attempt whose candidate verifies and passes the integrity gate.
        failure: base reward of an attempt that does not verify.
        per_error: added per verifier error of a failing attempt (negative: more errors, less reward).
        per_attempt: added per attempt index (1-based) of a failing attempt.
        integrity: reward of an attempt the integrity gate rejected (a cheat); no partial credit ever.
        partial_per_verified: optional credit per verified declaration of a failing attempt.
        partial_cap: upper bound of the partial credit; checked to stay below ``success - failure``.
        max_errors: error counts above this are clipped (a parse error cascade is not 50x worse).
    """

    success: float = 5.0
    failure: float = -5.0
    per_error: float = -0.2
    per_attempt: float = -0.5
    integrity: float = -5.0
    partial_per_verified: float = 0.0
    partial_cap: float = 0.0
    max_errors: int = 20

    def __post_init__(self) -> None:
        if self.partial_cap < 0 or self.partial_per_verified < 0:
            raise ValueError("partial credit must be non-negative")
        if self.failure + self.partial_cap >= self.success:
            raise ValueError(
                f"partial_cap {self.partial_cap} lets a failure ({self.failure} + cap) reach the success reward "
                f"{self.success}; lower it below {self.success - self.failure}"
            )
        if self.integrity >= self.success:
            raise ValueError("a cheat must never earn the success reward")

    def reward(self, verified: bool, phase: str, errors: int, attempt: int, verified_count: int = 0) -> float:
        """Reward of one attempt.

        Args:
            verified: the environment's verdict (already combined with the integrity gate).
            phase: the verifier's phase (``integrity`` marks a rejected cheat).
            errors: number of verifier errors of the attempt.
            attempt: 1-based attempt index.
            verified_count: declarations verified (used only for the optional partial credit).
        """
        if verified:
            return self.success
        if phase == "integrity":
            return self.integrity
        errors = min(max(errors, 0), self.max_errors)
        partial = min(self.partial_per_verified * max(verified_count, 0), self.partial_cap)
        value = self.failure + self.per_error * errors + self.per_attempt * attempt + partial
        return min(value, self.success - 1e-6)


# ============================================================================================ state


@dataclass
class Attempt:
    """What one step produced: the prompt sent, the reply, the program and the verifier's verdict.

    The one attempt record of the project: a run's ``attempts.jsonl``, an evaluation's and a training run's
    are lines of :meth:`to_dict`. ``verdict`` is the verifier's result as a dict (``program`` holds the text
    as verified: pinned spec spliced, dialect bridged).
    """

    index: int
    prompt: Prompt
    reply: str
    code: str | None
    phase: str
    verified: bool
    errors: int
    verified_count: int
    diagnostics: list[dict[str, Any]]
    reward: float
    seed: int = 0  # the call's sampling seed
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_seconds: float = 0.0
    verify_seconds: float = 0.0
    verdict: dict[str, Any] = field(default_factory=dict)
    llm_incidents: list[str] = field(default_factory=list)  # failed tries the backend retried (crash, timeout)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def seconds(self) -> float:
        return self.llm_seconds + self.verify_seconds

    @property
    def action(self) -> str:
        return self.prompt.action or ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON line: everything but the verdict's program text and the prompt's messages (the transcript
        and the attempt folder hold those)."""
        verdict = {k: v for k, v in self.verdict.items() if k != "program"}
        return {
            "attempt": self.index, "action": self.action, "prompt_hash": self.prompt.hash,
            "temperature": self.prompt.params.temperature, "max_tokens": self.prompt.params.max_tokens,
            "call_seed": self.seed, "reply": self.reply, "code": self.code or "", "phase": self.phase,
            "verified": self.verified, "errors": self.errors, "verified_count": self.verified_count,
            "diagnostics": self.diagnostics, "reward": self.reward, "tokens": self.tokens,
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "llm_seconds": round(self.llm_seconds, 3), "verify_seconds": round(self.verify_seconds, 3),
            "seconds": round(self.seconds, 3), "llm_incidents": self.llm_incidents, "verdict": verdict,
        }


@dataclass
class RepairState:
    """The observation: the task, the current prompt, the last code and the verifier's structured output."""

    task: Task
    prompt: Prompt
    attempt: int = 0  # attempts made so far
    budget: int = DEFAULT_BUDGET
    code: str | None = None
    reply: str = ""
    phase: str = "none"
    errors: int = 0
    verified_count: int = 0
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # phase/errors/action of earlier attempts
    last_action: str | None = None

    @property
    def remaining(self) -> int:
        return self.budget - self.attempt


# ============================================================================================ helpers


def _result_fields(result: Any) -> tuple[bool, str, int, int, list[dict[str, Any]]]:
    """Read a VerificationResult (or its dict form) defensively: a malformed result is a failure."""
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    phase = str(data.get("phase", "crash"))
    diagnostics = [d if isinstance(d, dict) else asdict(d) for d in data.get("diagnostics", [])]
    verified_count = int(data.get("verified_count", 0) or 0)
    errors = int(data.get("error_count", len(diagnostics)) or 0)
    verified = bool(data.get("verified")) and phase == "ok" and verified_count > 0
    if phase in ("timeout", "crash", "parse") and errors == 0:
        errors = 1
    return verified, phase, errors, verified_count, diagnostics


def default_verifier() -> Verifier:
    from verifiers.api import verify_source

    return verify_source


def default_extractor(reply: str, method: str | None = None) -> str:
    """The program in a reply, by the project's extraction rules (:mod:`agents.extract`)."""
    from agents.extract import extract_dafny

    return extract_dafny(reply, method).code


def call_seed(seed: int, episode: int, attempt: int) -> int:
    """A distinct, reproducible sampling seed per LLM call (a fixed seed would make best-of-n draw one sample)."""
    digest = hashlib.sha256(f"{seed}:{episode}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


ATTEMPTS_NAME = "attempts.jsonl"


class AttemptLog:
    """Append-only ``attempts.jsonl``: one :meth:`Attempt.to_dict` line per step, with the episode's labels
    (flushed at once, so a kill loses nothing). The LLM calls themselves go to ``transcript.jsonl``
    (:class:`agents.llm.transcript.RecordingLLM`), which ``--llm replay:`` reads."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict[str, Any]) -> None:
        if not self.path:
            return
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")


# ============================================================================================ environment


class RepairEnv:
    """Gym-style environment for one task: ``reset() -> state``, ``step(prompt) -> (state, reward, done, info)``.

    Args:
        task: the task whose pinned spec the candidate must meet.
        llm: the frozen LLM (``complete(messages, params) -> Completion(text, usage, seconds)``).
        verifier: ``verify_source(source, task, timeout)``; defaults to :func:`verifiers.api.verify_source`.
        budget: maximum number of attempts (LLM calls) per episode.
        reward: the reward table.
        extract: (reply, method name) -> Dafny program (``""`` when none); defaults to ``agents.extract``.
        initial_prompt: builds the first prompt of an episode from the task (policies may rewrite it).
        log: ``attempts.jsonl`` (a path or an :class:`AttemptLog`) that receives every step.
        verify_timeout: seconds per verifier call.
        tag: free-form label written into each transcript line (policy name, seed, phase of training).
        seed: base of the per-call sampling seeds (see :func:`call_seed`).
    """

    def __init__(
        self,
        task: Task,
        llm: Any,
        verifier: Verifier | None = None,
        budget: int = DEFAULT_BUDGET,
        reward: RewardConfig | None = None,
        extract: Extractor | None = None,
        initial_prompt: Callable[[Task], Prompt] | None = None,
        log: str | Path | AttemptLog | None = None,
        verify_timeout: float = 30.0,
        tag: dict[str, Any] | None = None,
        seed: int = 0,
    ) -> None:
        if budget < 1:
            raise ValueError("budget must be at least one attempt")
        self.task = task
        self.llm = llm
        self.verifier = verifier or default_verifier()
        self.budget = budget
        self.reward_config = reward or RewardConfig()
        self.extract = extract or default_extractor
        self.seed = seed
        if initial_prompt is None:
            from agents.prompts.prompt import initial_prompt as _initial

            initial_prompt = _initial
        self.initial_prompt = initial_prompt
        self.log = log if isinstance(log, AttemptLog) else AttemptLog(log)
        self.verify_timeout = verify_timeout
        self.tag = dict(tag or {})
        self.state: RepairState | None = None
        self.attempts: list[Attempt] = []
        self.episode = 0

    # -------------------------------------------------------------------------------------- gym API

    def reset(self) -> RepairState:
        """Start an episode: no code yet, the initial prompt, the full budget."""
        self.attempts = []
        self.episode += 1
        self.state = RepairState(task=self.task, prompt=self.initial_prompt(self.task), budget=self.budget)
        return self.state

    def step(self, action: Prompt) -> tuple[RepairState, float, bool, dict[str, Any]]:
        """Send ``action`` to the LLM, verify the extracted program, pay the reward.

        Returns:
            (next state, reward, done, info); ``info`` has ``verified``, ``phase``, ``errors``, ``tokens``,
            ``attempt`` and ``cheat`` (the integrity gate rejected the candidate).
        """
        state = self.state
        if state is None:
            raise RuntimeError("call reset() before step()")
        if state.attempt >= self.budget:
            raise RuntimeError("episode is over: the attempt budget is spent")
        index = state.attempt + 1
        seed = call_seed(self.seed, self.episode, index)
        params = replace(action.params, seed=seed)
        start = time.monotonic()
        try:
            completion, outage = self.llm.complete(action.messages, params), None
        except LLMUnavailableError as exc:  # a crashed worker or a server outage: the episode ends here
            completion, outage = None, str(exc)
        llm_seconds = time.monotonic() - start
        reply = completion.text if completion else ""
        code = self._extract(action.prefix, reply) if completion else ""
        start = time.monotonic()
        verified, phase, errors, verified_count, diagnostics, verdict = self._judge(code, outage)
        verify_seconds = time.monotonic() - start
        # an outage says nothing about the prompt: no reward either way
        reward = 0.0 if outage else self.reward_config.reward(verified, phase, errors, index, verified_count)
        usage = completion.usage if completion else None
        attempt = Attempt(
            index, action, reply, code, phase, verified, errors, verified_count, diagnostics, reward, seed,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            llm_seconds=completion.seconds if completion and completion.seconds else llm_seconds,
            verify_seconds=verify_seconds, verdict=verdict,
            llm_incidents=list(completion.incidents) if completion else [],
        )
        self.attempts.append(attempt)
        done = verified or index >= self.budget or outage is not None
        history = state.history + [{"attempt": index, "phase": phase, "errors": errors, "action": action.action}]
        self.state = replace(
            state, prompt=action, attempt=index, code=code or state.code, reply=reply, phase=phase, errors=errors,
            verified_count=verified_count, diagnostics=diagnostics, history=history, last_action=action.action,
        )
        info = {
            "verified": verified, "phase": phase, "errors": errors, "tokens": attempt.tokens, "attempt": index,
            "cheat": phase == "integrity", "seconds": attempt.seconds, "outage": outage,
        }
        self.log.write({**self.tag, "task": self.task.id, "episode": self.episode, **attempt.to_dict(), "done": done})
        return self.state, reward, done, info

    def _judge(self, code: str, outage: str | None) -> tuple[bool, str, int, int, list[dict[str, Any]], dict]:
        """The verdict on one reply: an outage, no program, or what the verifier says of the program."""
        if outage is not None:
            diagnostics = [{"phase": "llm", "line": 0, "column": 0, "message": outage}]
            return False, "llm", 1, 0, diagnostics, {"verified": False, "phase": "llm", "error": outage}
        if not code:
            diagnostics = [{"phase": "parse", "line": 0, "column": 0,
                            "message": "no Dafny program in the reply: answer with one ```dafny code block"}]
            return False, "no_code", 1, 0, diagnostics, {"verified": False, "phase": "no_code"}
        result = self.verifier(code, self.task, timeout=self.verify_timeout)
        verdict = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        return (*_result_fields(result), verdict)

    def _extract(self, prefix: str, reply: str) -> str:
        """The program in the reply; a completion-style reply continues ``prefix``, unless the model wrote the
        whole program again (small models often do), which then stands on its own."""
        name = self.task.signature.name
        if prefix and re.search(rf"\bmethod\s+{re.escape(name)}\s*[(<]", reply):
            code = self.extract(reply, name)
            if code:
                return code
        return self.extract(prefix + reply, name)

    def info(self) -> dict[str, Any]:
        """Summary of the episode so far (for reports)."""
        return {
            "task": self.task.id,
            "attempts": len(self.attempts),
            "verified": any(a.verified for a in self.attempts),
            "tokens": sum(a.tokens for a in self.attempts),
            "return": sum(a.reward for a in self.attempts),
            "phases": [a.phase for a in self.attempts],
        }


# ============================================================================================ the loop


def episode_budget(policy: Any, attempts: int) -> int:
    """The attempts an episode may use: the asked budget, capped by the policy (``none`` is one shot)."""
    cap = getattr(policy, "max_attempts", None)
    return max(1, min(attempts, cap) if cap else attempts)


def play(env: RepairEnv, policy: Any, on_attempt: Callable[[Attempt], None] | None = None,
         on_start: Callable[[int], None] | None = None) -> list[Attempt]:
    """One episode: the policy proposes, the environment answers, until verified, out of budget or the LLM
    is unavailable. ``on_start(index)`` runs before each call and ``on_attempt`` sees each attempt as it is
    made (progress lines, a run's attempt folders)."""
    state, done = env.reset(), False
    while not done:
        if on_start:
            on_start(state.attempt + 1)
        prompt = policy.propose(state)
        state, _reward, done, _info = env.step(prompt)
        if on_attempt:
            on_attempt(env.attempts[-1])
    return list(env.attempts)
