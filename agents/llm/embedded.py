"""``embedded``: a GGUF model run in-process by ``llama-cpp-python`` — the default, works offline.

``embedded`` / ``embedded:0.5b`` is Qwen2.5-Coder-0.5B-Instruct (Q4_K_M), ``embedded:1.5b`` the 1.5B one,
``embedded:smollm2`` SmolLM2-135M-Instruct (fast, for tests), ``embedded:FILE.gguf`` any local file (not
hash-checked: it is the user's own). Known models are fetched and checked by
:mod:`agents.llm.fetch_model`; a file whose size or sha256 differs from the official release is refused.
Loaded models are kept per file so a batch of runs loads each once.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from agents.llm.base import LLM, Completion, GenParams, Message, Usage
from agents.llm.fetch_model import DEFAULT_MODEL, MODELS, ModelFetchError, check_file, ensure_model
from agents.llm.registry import register
from pipeline.errors import UserError

_LOADED: dict[tuple[str, int], object] = {}
_LOAD_LOCK = threading.Lock()


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
            path = Path(os.environ.get("P2S_HOME") or Path.home() / ".cache" / "proof2silicon") / "models"
            path = path / MODELS[key].filename
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


def import_llama():
    """Import ``llama_cpp`` with OpenMP worker threads that sleep while they wait.

    They spin by default; on a shared machine with more busy processes than cores that made a 450-token
    prompt 5x slower here (and a test 30x slower). ``OMP_WAIT_POLICY`` is read once, when the OpenMP
    runtime loads with ``llama_cpp``, so every import of it in the project goes through here; a value the
    user set is kept.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import llama_cpp

    return llama_cpp


def load_llama(path: Path, n_ctx: int = 4096, threads: int | None = None):
    """Load (once per file and context size) a ``llama_cpp.Llama``."""
    try:
        llama_cpp = import_llama()
    except ImportError:
        raise UserError(
            "the embedded LLM needs llama-cpp-python: run 'make setup' (or pip install llama-cpp-python)"
        ) from None
    key = (str(path), n_ctx)
    with _LOAD_LOCK:
        if key not in _LOADED:
            n_threads = threads or int(os.environ.get("P2S_LLM_THREADS", "0")) or min(4, os.cpu_count() or 1)
            _LOADED[key] = llama_cpp.Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=0, verbose=False
            )
        return _LOADED[key]


@register("embedded")
class EmbeddedLLM(LLM):
    """llama.cpp chat completions (the GGUF's own chat template) or raw completions."""

    def __init__(self, model_path: Path, n_ctx: int = 4096, threads: int | None = None) -> None:
        self.model_path = Path(model_path)
        start = time.monotonic()
        self.llama = load_llama(self.model_path, n_ctx, threads)
        self.load_seconds = time.monotonic() - start
        self.n_ctx = n_ctx
        self._lock = threading.Lock()  # one llama context is not re-entrant

    @classmethod
    def from_spec(cls, arg: str, task=None, n_ctx: int = 4096, threads: int | None = None, **_: object):
        return cls(resolve_model(arg), n_ctx=n_ctx, threads=threads)

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        kwargs = {
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "seed": params.seed,
            "stop": list(params.stop) or None,
        }
        if params.temperature == 0:
            kwargs["top_k"] = 1
        start = time.monotonic()
        with self._lock:
            if params.style == "completion":
                out = self.llama.create_completion(prompt=messages[0]["content"], **kwargs)
                text = out["choices"][0]["text"]
            else:
                out = self.llama.create_chat_completion(messages=messages, **kwargs)
                text = out["choices"][0]["message"]["content"] or ""
        usage = out.get("usage") or {}
        return Completion(
            text, Usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)),
            time.monotonic() - start, self.model_path.name,
        )
