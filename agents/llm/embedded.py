"""``embedded``: a GGUF model run by ``llama-cpp-python`` in a worker process — the default, works offline.

``embedded`` / ``embedded:0.5b`` is Qwen2.5-Coder-0.5B-Instruct (Q4_K_M), ``embedded:1.5b`` the 1.5B one,
``embedded:smollm2`` SmolLM2-135M-Instruct (fast, for tests), ``embedded:FILE.gguf`` any local file (not
hash-checked: it is the user's own). Known models are fetched and checked by
:mod:`agents.llm.fetch_model`; a file whose size or sha256 differs from the official release is refused.
Each model runs in a worker process (:mod:`agents.llm.model_worker`), kept per file so a batch of runs
loads each once, and so a crash in native code is one failed call instead of a dead batch.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from agents.llm.base import LLM, Completion, GenParams, Message, Usage
from agents.llm.fetch_model import DEFAULT_MODEL, MODELS, ModelFetchError, check_file, ensure_model, models_dir
from agents.llm.model_worker import WorkerConfig, WorkerFailure, shared_worker
from agents.llm.registry import register
from pipeline.errors import LLMUnavailableError, UserError

DEFAULT_TIMEOUT = 300.0  # seconds per call: 768 tokens of the 1.5B model on a busy 2-core machine, with margin
DEFAULT_RETRIES = 1  # a crashed or hung call is tried once more on a fresh worker


def resolve_model(arg: str, fetch: bool = True) -> Path:
    """The checked GGUF path for an ``embedded:ARG`` spec (fetching a known model when allowed).

    Raises:
        UserError: unknown model, missing file, or a file that fails the official size/sha256 check.
    """
    key = (arg or DEFAULT_MODEL).lower()
    try:
        if key in MODELS:
            if fetch:
                return ensure_model(key)
            path = models_dir() / MODELS[key].filename
            check_file(path, MODELS[key])
            return path
    except ModelFetchError as exc:
        raise UserError(str(exc)) from None
    if arg.endswith(".gguf"):
        path = Path(arg).expanduser()
        if not path.is_file():
            raise UserError(f"embedded model file {path} not found")
        return path
    raise UserError(f"unknown embedded model {arg!r}: use embedded, embedded:{'|'.join(MODELS)} or embedded:FILE.gguf")


def worker_params(params: GenParams) -> dict:
    """The parameters as the worker takes them: :meth:`GenParams.to_dict`, plus a grammar's text (the dict
    alone holds only its hash)."""
    data = params.to_dict()
    if params.grammar is not None:
        data["grammar"] = params.grammar
    return data


def runtime_installed() -> bool:
    """Whether llama-cpp-python is installed (found by spec: importing it belongs to the worker)."""
    return importlib.util.find_spec("llama_cpp") is not None


@register("embedded")
class EmbeddedLLM(LLM):
    """llama.cpp chat completions (the GGUF's own chat template) or raw completions, in a worker process.

    A call whose ``params.grammar`` is set is decoded under that GBNF grammar (see :mod:`agents.grammar`).

    A call that crashes the worker or outlasts ``timeout`` seconds is retried ``retries`` times on a fresh
    worker; the failed tries travel with the answer (``Completion.incidents``), and when every try fails
    the call raises :class:`LLMUnavailableError` with the reason in one line.
    """

    def __init__(self, model_path: Path, n_ctx: int = 4096, threads: int | None = None,
                 timeout: float | None = None, retries: int | None = None) -> None:
        if not runtime_installed():
            raise UserError("the embedded LLM needs llama-cpp-python: run 'make setup' "
                            "(python -m agents.llm.runtime_build ensure builds it for this CPU)")
        self.model_path = Path(model_path)
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        self.retries = DEFAULT_RETRIES if retries is None else int(retries)
        self.worker = shared_worker(WorkerConfig(str(self.model_path), n_ctx, threads or 0))
        start = time.monotonic()
        if not self.worker.alive:
            try:
                self.worker.start()
            except WorkerFailure as exc:
                raise LLMUnavailableError(f"embedded model {self.model_path.name}: {exc}; "
                                          "run 'p2s doctor' to check the runtime") from None
        self.load_seconds = time.monotonic() - start
        self.n_ctx = n_ctx

    @classmethod
    def from_spec(cls, arg: str, task=None, n_ctx: int = 4096, threads: int | None = None,
                  timeout: float | None = None, retries: int | None = None, **_: object):
        return cls(resolve_model(arg), n_ctx=n_ctx, threads=threads, timeout=timeout, retries=retries)

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        incidents: list[str] = []
        start = time.monotonic()
        while True:
            try:
                out = self.worker.complete(messages, worker_params(params), self.timeout)
                break
            except WorkerFailure as exc:
                incidents.append(str(exc))
                if len(incidents) > self.retries:
                    tries = len(incidents)
                    raise LLMUnavailableError(
                        f"embedded model {self.model_path.name}: {exc}" + (f" (on each of {tries} tries)" if tries > 1
                                                                           else "")) from None
        usage = out.get("usage") or {}
        return Completion(
            out["text"], Usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)),
            time.monotonic() - start, self.model_path.name, incidents,
        )
