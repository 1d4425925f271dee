"""The prompt-repair environment: one task, a frozen LLM, the verifier with its integrity gate, a budget.

PPO and the evaluation loop see only this gym-style boundary (``reset`` / ``step`` / ``info``). An action is a
:class:`~agents.policies.base.Prompt` written by a policy; the environment sends it to the frozen LLM,
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

from agents.policies.base import Prompt
from pipeline.errors import LLMUnavailableError
from pipeline.task import Task

Verifier = Callable[..., Any]  # verify_source(source, task, timeout) -> VerificationResult
Extractor = Callable[[str, "str | None"], str]  # (reply, target method) -> program ("" when none)

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
    """What one step produced: the prompt sent, the reply, the program and the verifier's verdict."""

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
    tokens: int
    seconds: float
    llm_incidents: list[str] = field(default_factory=list)  # failed tries the backend retried (crash, timeout)


@dataclass
class RepairState:
    """The observation: the task, the current prompt, the last code and the verifier's structured output."""

    task: Task
    prompt: Prompt
    attempt: int = 0  # attempts made so far
    budget: int = 7
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


def _usage_tokens(usage: Any) -> int:
    if not usage:
        return 0
    if hasattr(usage, "total_tokens"):
        return int(usage.total_tokens or 0)
    return int(usage.get("prompt_tokens", 0) or 0) + int(usage.get("completion_tokens", 0) or 0)


def prompt_hash(prompt: Prompt) -> str:
    blob = json.dumps({"messages": prompt.messages, "params": prompt.params.to_dict()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


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


class Transcript:
    """Append-only JSONL file: one line per environment step (flushed at once, so a kill loses nothing)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict[str, Any]) -> None:
        if not self.path:
            return
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")


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
        transcript: JSONL file that receives every step.
        verify_timeout: seconds per verifier call.
        tag: free-form label written into each transcript line (policy name, seed, phase of training).
        seed: base of the per-call sampling seeds (see :func:`call_seed`).
    """

    def __init__(
        self,
        task: Task,
        llm: Any,
        verifier: Verifier | None = None,
        budget: int = 7,
        reward: RewardConfig | None = None,
        extract: Extractor | None = None,
        initial_prompt: Callable[[Task], Prompt] | None = None,
        transcript: str | Path | Transcript | None = None,
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
            from agents.policies.base import initial_prompt as _initial

            initial_prompt = _initial
        self.initial_prompt = initial_prompt
        self.transcript = transcript if isinstance(transcript, Transcript) else Transcript(transcript)
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
        start = time.monotonic()
        params = replace(action.params, seed=call_seed(self.seed, self.episode, index))
        outage = None
        try:
            completion = self.llm.complete(action.messages, params)
        except LLMUnavailableError as exc:  # a crashed worker or a server outage: the episode ends here
            completion, outage = None, str(exc)
        reply = getattr(completion, "text", "") or ""
        tokens = _usage_tokens(getattr(completion, "usage", None))
        code = self._extract(action.prefix, reply) if outage is None else ""
        if outage is not None:
            verified, phase, errors, verified_count, diagnostics = False, "llm", 1, 0, [
                {"phase": "llm", "line": 0, "column": 0, "message": outage}
            ]
            result_dict = {"verified": False, "phase": "llm", "error": outage}
        elif not code:
            verified, phase, errors, verified_count, diagnostics = False, "no_code", 1, 0, [
                {"phase": "parse", "line": 0, "column": 0, "message": "the reply holds no Dafny program"}
            ]
            result_dict: dict[str, Any] = {"verified": False, "phase": "no_code"}
        else:
            result = self.verifier(code, self.task, timeout=self.verify_timeout)
            verified, phase, errors, verified_count, diagnostics = _result_fields(result)
            result_dict = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        # an outage says nothing about the prompt: no reward either way
        reward = 0.0 if outage else self.reward_config.reward(verified, phase, errors, index, verified_count)
        seconds = time.monotonic() - start
        attempt = Attempt(index, action, reply, code, phase, verified, errors, verified_count, diagnostics,
                          reward, tokens, seconds, list(getattr(completion, "incidents", None) or []))
        self.attempts.append(attempt)
        done = verified or index >= self.budget or outage is not None
        history = state.history + [{"attempt": index, "phase": phase, "errors": errors, "action": action.action}]
        self.state = replace(
            state, prompt=action, attempt=index, code=code or state.code, reply=reply, phase=phase, errors=errors,
            verified_count=verified_count, diagnostics=diagnostics, history=history, last_action=action.action,
        )
        info = {
            "verified": verified, "phase": phase, "errors": errors, "tokens": tokens, "attempt": index,
            "cheat": phase == "integrity", "seconds": seconds, "outage": outage,
        }
        self.transcript.write({
            **self.tag, "task": self.task.id, "episode": self.episode, "attempt": index, "action": action.action,
            "prompt_hash": prompt_hash(action), "messages": action.messages, "params": params.to_dict(),
            "reply": reply, "code": code, "verdict": result_dict, "verified": verified, "phase": phase,
            "errors": errors, "reward": reward, "done": done, "tokens": tokens, "seconds": round(seconds, 3),
            "llm_incidents": attempt.llm_incidents,
        })
        return self.state, reward, done, info

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
