"""``openai:MODEL``: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, a llama.cpp server).

The base URL and key come from ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` (or keyword arguments). The
client's own retries are off; this module retries 429, 5xx, timeouts and dropped connections itself with
exponential backoff (honouring ``Retry-After``), so the policy is explicit and tested. A semaphore bounds
concurrent calls, and each call has its own timeout.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from agents.llm.base import LLM, Completion, GenParams, Message, Request, Usage
from agents.llm.registry import register
from pipeline.errors import LLMUnavailableError, UserError

log = logging.getLogger(__name__)


class MalformedReply(Exception):
    """An HTTP 200 whose body is not a completion (not JSON, no choices, no message): retried like a 5xx."""


def _reply_text(resp: object, style: str) -> str:
    """The reply's text, or :class:`MalformedReply` saying what the body lacks.

    A chat message whose ``content`` is null (a refusal, a tool call) is an empty answer: the model's, not the
    server's fault. A completion choice must hold its ``text``.
    """
    if isinstance(resp, (str, bytes)):  # the client hands back a body it could not read as a JSON object
        preview = " ".join((resp if isinstance(resp, str) else resp.decode("utf-8", "replace"))[:200].split())[:60]
        raise MalformedReply(f"a body that is not a JSON object ({preview!r})")
    choices = getattr(resp, "choices", None)
    if choices is None:
        raise MalformedReply("JSON without 'choices'" + ("" if hasattr(resp, "choices") else
                                                          f" (a JSON {type(resp).__name__})"))
    if not isinstance(choices, list):
        raise MalformedReply(f"'choices' that is a {type(choices).__name__}, not a list")
    if not choices:
        raise MalformedReply("no choices ('choices': [])")
    choice = choices[0]
    if style == "completion":
        text = getattr(choice, "text", None)
        if not isinstance(text, str):
            raise MalformedReply("a choice without its 'text'")
        return text
    message = getattr(choice, "message", None)
    if message is None or not hasattr(message, "content"):
        raise MalformedReply("a choice without a 'message'")
    content = message.content
    if not isinstance(content, (str, type(None))):
        raise MalformedReply(f"a message whose content is a {type(content).__name__}, not text")
    return content or ""


@register("openai")
class OpenAILLM(LLM):
    """Chat (or raw completion) calls with retries, a per-call timeout and a concurrency limit."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_concurrency: int = 4,
    ) -> None:
        import openai

        self.model = model
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not api_key:
            if not base_url:
                raise UserError("openai backend: set OPENAI_API_KEY (and OPENAI_BASE_URL for a non-OpenAI server)")
            api_key = "unused"  # local servers (vLLM, llama.cpp, Ollama) accept any key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_concurrency = max(1, max_concurrency)
        self._sem = threading.BoundedSemaphore(self.max_concurrency)
        self._openai = openai
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
        self.retries = 0  # how many retries this instance made (tests and reports read it)

    @classmethod
    def from_spec(cls, arg: str, task=None, timeout: float | None = None, retries: int | None = None,
                  **kwargs: object) -> OpenAILLM:
        """``timeout``/``retries`` are the CLI's ``--llm-timeout``/``--llm-retries`` (``None``: the defaults)."""
        if not arg:
            raise UserError("openai backend needs a model name: --llm openai:MODEL (e.g. openai:gpt-4o-mini)")
        if timeout is not None:
            kwargs["timeout"] = timeout
        if retries is not None:
            kwargs["max_retries"] = retries
        return cls(arg, **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------------------------------ calls

    def _request(self, messages: list[Message], params: GenParams):
        common = {
            "model": self.model,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "seed": params.seed,
            "timeout": self.timeout,
        }
        if params.stop:
            common["stop"] = list(params.stop)
        if params.grammar is not None:  # llama.cpp's server applies a GBNF "grammar"; --grammar on asked for it
            common["extra_body"] = {"grammar": params.grammar}
        try:
            if params.style == "completion":
                resp = self.client.completions.create(prompt=messages[0]["content"], **common)
            else:
                resp = self.client.chat.completions.create(messages=messages, **common)
        except json.JSONDecodeError as exc:  # the client parses a JSON content type itself
            raise MalformedReply(f"a body that is not JSON ({exc.msg})") from None
        return _reply_text(resp, params.style), getattr(resp, "usage", None)

    def _retryable(self, exc: Exception) -> bool:
        if isinstance(exc, MalformedReply):  # the server misbehaving, like a 5xx
            return True
        o = self._openai
        if isinstance(exc, (o.RateLimitError, o.APITimeoutError, o.APIConnectionError, o.InternalServerError)):
            return True
        return isinstance(exc, o.APIStatusError) and exc.status_code >= 500

    def _delay(self, exc: Exception, attempt: int) -> float:
        delay = min(self.max_backoff, self.backoff * (2**attempt))
        response = getattr(exc, "response", None)
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after:
            try:
                delay = min(self.max_backoff, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return delay

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        start = time.monotonic()
        incidents: list[str] = []
        with self._sem:
            for attempt in range(self.max_retries + 1):
                try:
                    text, usage = self._request(messages, params)
                    break
                except Exception as exc:
                    if not isinstance(exc, (self._openai.OpenAIError, MalformedReply)):
                        raise
                    if not self._retryable(exc):
                        raise UserError(self._explain(exc)) from None
                    if attempt == self.max_retries:  # an outage, not bad input: the loop records it
                        raise LLMUnavailableError(self._explain(exc)) from None
                    delay = self._delay(exc, attempt)
                    incidents.append(f"{type(exc).__name__}: {exc}"[:200])
                    log.warning("openai: %s; retry %d in %.1fs", type(exc).__name__, attempt + 1, delay)
                    self.retries += 1
                    time.sleep(delay)
        u = Usage(getattr(usage, "prompt_tokens", 0) or 0, getattr(usage, "completion_tokens", 0) or 0)
        return Completion(text, u, time.monotonic() - start, self.model, incidents)

    def _explain(self, exc: Exception) -> str:
        where = self.base_url or "api.openai.com"
        if isinstance(exc, MalformedReply):
            return (f"openai: {where} answered HTTP 200 with {exc}, not a completion, "
                    f"after {self.max_retries} retries: check OPENAI_BASE_URL names an OpenAI-compatible /v1 API")
        if isinstance(exc, self._openai.APITimeoutError):
            return f"openai: no answer from {where} within {self.timeout:g}s after {self.max_retries} retries"
        if isinstance(exc, self._openai.AuthenticationError):
            return f"openai: {where} rejected the key: set OPENAI_API_KEY"
        if isinstance(exc, self._openai.NotFoundError):
            return f"openai: {where} does not know model {self.model!r} (or the path): check --llm and OPENAI_BASE_URL"
        status = getattr(exc, "status_code", None)
        return f"openai: call to {where} failed" + (f" with HTTP {status}" if status else "") + f": {exc}"

    def generate(self, requests: list[Request]) -> list[Completion]:
        """Answer a batch concurrently (at most ``max_concurrency`` calls in flight), in order."""
        if len(requests) <= 1:
            return super().generate(requests)
        with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
            return list(pool.map(lambda r: self.complete(r.message_list(), r.params), requests))

    def close(self) -> None:
        self.client.close()
