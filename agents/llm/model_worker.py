"""The embedded model in a process of its own, so a crash or a hang in llama.cpp is one failed call.

llama.cpp is native code: a segfault in it (the AMX repack path of a natively built runtime did this in
the first ``decode``) used to take the whole ``p2s run`` or batch down with it. Here the parent keeps a
:class:`ModelWorker` that starts ``python -m agents.llm.model_worker``, loads the model there once and
sends it one JSON line per call over a pipe; the answer comes back as one JSON line. A worker that dies
(by a signal or an exit) or does not answer within the call's time limit is killed and reported as a
:class:`WorkerFailure` naming what happened; the next call starts a fresh worker. The model stays
loaded between calls, so llama.cpp still reuses an evaluated prompt prefix.

Protocol (child side, :func:`serve`): the first line is ``{"op": "load", ...}``, answered with
``{"ok": true, "ready": ...}``; then ``{"op": "complete", "messages": [...], "params": {...}}`` lines,
each answered with ``{"ok": true, "text": ..., "usage": {...}}`` or ``{"ok": false, "error": ...}`` (a
``"grammar"`` in the params, a GBNF text, constrains the decoding). The
child moves its file descriptor 1 to stderr first, so anything native code prints never corrupts the
protocol; its stderr goes to a log file whose tail a failure quotes.

``P2S_LLM_WORKER_FAULT=segv:TEXT`` (or ``hang:TEXT``) makes the worker fault for real (a memory access
at address 0, or a sleep) on a call whose prompt contains ``TEXT``: how the tests crash a worker on
purpose, and how a user can watch a batch survive it. With ``P2S_LLM_WORKER_FAULT_ONCE=FILE`` it fires
only once (it creates FILE), so the retry on a fresh worker succeeds.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FAULT_ENV = "P2S_LLM_WORKER_FAULT"
FAULT_ONCE_ENV = "P2S_LLM_WORKER_FAULT_ONCE"  # a file: the fault fires only while it does not exist yet
DEFAULT_LOAD_TIMEOUT = 300.0  # loading a 1.5B model from a cold disk on 2 cores, with margin


class WorkerFailure(Exception):
    """The worker died or did not answer in time; the message says which (and the log's last line)."""


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker loads: the GGUF file, the context size and llama.cpp's thread count."""

    model_path: str
    n_ctx: int = 4096
    threads: int = 0  # 0: the runtime's default choice made in the child (P2S_LLM_THREADS or min(4, cores))


def _signal_name(returncode: int) -> str:
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


class ModelWorker:
    """The parent's handle on one worker process: start, call with a time limit, restart after a failure."""

    def __init__(self, config: WorkerConfig, load_timeout: float = DEFAULT_LOAD_TIMEOUT) -> None:
        self.config = config
        self.load_timeout = load_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._log = Path(tempfile.mkstemp(prefix="p2s-llm-worker-", suffix=".log")[1])
        self._lock = threading.Lock()  # one call at a time: one llama context is not re-entrant

    # ------------------------------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the child and load the model; raises :class:`WorkerFailure` if it cannot."""
        self.stop()
        self._lines = queue.Queue()
        with self._log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "agents.llm.model_worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, env=_child_env(), start_new_session=True,
            )
        self.starts += 1
        threading.Thread(target=self._pump, args=(self.proc, self._lines), daemon=True).start()
        reply = self._exchange({"op": "load", **self.config.__dict__}, self.load_timeout, "loading the model")
        if not reply.get("ok"):
            self.stop()
            raise WorkerFailure(f"the model worker could not load {self.config.model_path}: {reply.get('error')}")

    def stop(self) -> None:
        """Kill the child (its whole process group) if it runs."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream:
                stream.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # ------------------------------------------------------------------------------------------ calls

    def complete(self, messages: list[dict[str, str]], params: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One completion: ``{"ok", "text", "usage"}``; a dead or silent worker raises WorkerFailure."""
        with self._lock:
            if not self.alive:
                self.start()
            reply = self._exchange({"op": "complete", "messages": messages, "params": params}, timeout,
                                   "the completion")
            if not reply.get("ok"):
                raise WorkerFailure(f"the model worker refused the call: {reply.get('error')}")
            return reply

    def _exchange(self, request: dict[str, Any], timeout: float, what: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the child is gone: the read below reports how it ended
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise WorkerFailure(f"the model worker gave no answer within {timeout:g}s ({what}); killed it") from None
        if line is None:
            returncode = self.proc.wait()
            self.stop()
            tail = self._log_tail()
            raise WorkerFailure(f"the model worker died with {_signal_name(returncode)} during {what}"
                                + (f" (last log line: {tail})" if tail else ""))
        return json.loads(line)

    @staticmethod
    def _pump(proc: subprocess.Popen[bytes], lines: queue.Queue[bytes | None]) -> None:
        """Move the child's answer lines to a queue (``None`` at end of file), so reads can time out."""
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def _log_tail(self) -> str:
        try:
            lines = [ln for ln in self._log.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return ""
        return lines[-1][:200] if lines else ""

    def close(self) -> None:
        self.stop()
        self._log.unlink(missing_ok=True)


def _child_env() -> dict[str, str]:
    """The child's environment: this checkout first on the path, so ``-m agents.llm.model_worker`` is ours."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


# ---------------------------------------------------------------------------------------- shared workers

_WORKERS: dict[WorkerConfig, ModelWorker] = {}
_WORKERS_LOCK = threading.Lock()


def shared_worker(config: WorkerConfig) -> ModelWorker:
    """The process's one worker for a configuration (a batch loads each model once, as before)."""
    with _WORKERS_LOCK:
        if config not in _WORKERS:
            _WORKERS[config] = ModelWorker(config)
        return _WORKERS[config]


@atexit.register
def _stop_all() -> None:
    for worker in list(_WORKERS.values()):
        worker.close()


# ---------------------------------------------------------------------------------------- the child


def _fault(messages: list[dict[str, str]]) -> None:
    """Fault for real when ``P2S_LLM_WORKER_FAULT`` names a text the prompt contains (tests, demos)."""
    spec = os.environ.get(FAULT_ENV, "")
    kind, _, text = spec.partition(":")
    if not text or not any(text in m.get("content", "") for m in messages):
        return
    once = os.environ.get(FAULT_ONCE_ENV)
    if once:  # fault only the first time (across restarts): the retry then succeeds
        try:
            Path(once).touch(exist_ok=False)
        except FileExistsError:
            return
    if kind == "segv":
        import ctypes

        ctypes.string_at(0)  # a read at address 0: SIGSEGV, as a native crash would
    elif kind == "hang":
        time.sleep(3600)


def import_runtime():
    """Import ``llama_cpp`` with OpenMP worker threads that sleep while they wait.

    They spin by default; on a shared machine with more busy processes than cores that made prompts several
    times slower. ``OMP_WAIT_POLICY`` is read once, when the OpenMP runtime loads with ``llama_cpp``, so the
    worker (the only importer of it in the project) sets it first; a value the user set is kept.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import llama_cpp

    return llama_cpp


def _load(request: dict[str, Any]):
    llama_cpp = import_runtime()
    threads = int(request.get("threads") or 0) or int(os.environ.get("P2S_LLM_THREADS", "0")) \
        or min(4, os.cpu_count() or 1)
    return llama_cpp.Llama(model_path=request["model_path"], n_ctx=int(request["n_ctx"]), n_threads=threads,
                           n_gpu_layers=0, verbose=False)


_GRAMMARS: dict[str, Any] = {}  # grammar text's sha256 -> llama.cpp grammar sampler, parsed once per text
_CLOSERS: dict[int, Any] = {}  # id(llama) -> its closing tokens (agents.llm.grammar_guide.closer_tokens)


def _grammar_guide(llama: Any, params: dict[str, Any]):
    """A :class:`~agents.llm.grammar_guide.GrammarGuide` for one call, from the grammar's parsed base sampler
    (keyed by the ``grammar_sha256`` the parent sent beside the text).

    llama.cpp returns no sampler for a grammar it cannot parse; that is an error answer here, not a crash.
    """
    from agents.grammar.names import NameCheck
    from agents.llm.grammar_guide import GrammarGuide, closer_tokens, grammar_sampler

    llama_cpp = import_runtime()
    key = params["grammar_sha256"]
    base = _GRAMMARS.get(key)
    if base is None:
        try:
            base = grammar_sampler(llama_cpp, llama._model.vocab, params["grammar"])
        except ValueError:
            raise ValueError(f"llama.cpp cannot parse the grammar (sha256 {key[:12]})") from None
        _GRAMMARS[key] = base

    def detokenize(token: int) -> str:
        return llama.detokenize([int(token)]).decode("utf-8", errors="replace")

    if id(llama) not in _CLOSERS:
        _CLOSERS[id(llama)] = closer_tokens(llama.n_vocab(), detokenize)
    return GrammarGuide(llama_cpp, base, llama.n_vocab(), float(params["temperature"]), int(params["seed"]),
                        detokenize=detokenize, end_token=llama.token_eos(), closers=_CLOSERS[id(llama)],
                        max_tokens=int(params["max_tokens"]), names=NameCheck.from_grammar(params["grammar"]))


_PREFIXES: dict[int, Any] = {}  # id(llama) -> its PrefixStates (or None: the store is off)


def _use_prefix_states(llama: Any, prompt: str) -> None:
    """Load a stored state of the prompt's prefix into a cold context, or store the prefix a warm one shares
    with the previous call (:mod:`agents.llm.prefix_states`); a failure there costs only the saving."""
    from agents.llm.prefix_states import store_for

    if id(llama) not in _PREFIXES:
        _PREFIXES[id(llama)] = store_for(llama.model_path)
    store = _PREFIXES[id(llama)]
    if store is None:
        return
    tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=llama._model.add_bos_token(), special=True)
    try:
        if llama.n_tokens:
            store.remember(llama, tokens)
        else:
            store.restore(llama, tokens)
    except OSError as exc:  # a full or read-only disk: run without the store
        print(f"prefix states off: {exc}", file=sys.stderr)
        _PREFIXES[id(llama)] = None


def _complete(llama: Any, messages: list[dict[str, str]], params: dict[str, Any]) -> dict[str, Any]:
    kwargs = {
        "max_tokens": params["max_tokens"], "temperature": params["temperature"], "top_p": params["top_p"],
        "seed": params["seed"], "stop": list(params.get("stop") or []) or None,
    }
    guide = None
    if params.get("grammar"):
        guide = _grammar_guide(llama, params)
        kwargs["logits_processor"] = import_runtime().LogitsProcessorList([guide])
    if params.get("temperature") == 0:
        kwargs["top_k"] = 1
    try:
        if params.get("style") == "completion":
            _use_prefix_states(llama, messages[0]["content"])
            out = llama.create_completion(prompt=messages[0]["content"], **kwargs)
            text = out["choices"][0]["text"]
        else:
            out = llama.create_chat_completion(messages=messages, **kwargs)
            text = out["choices"][0]["message"]["content"] or ""
    finally:
        if guide is not None:
            guide.close()
    usage = out.get("usage") or {}
    return {"ok": True, "text": text, "usage": {"prompt_tokens": usage.get("prompt_tokens", 0),
                                                 "completion_tokens": usage.get("completion_tokens", 0)}}


def serve() -> None:
    """The child's loop: protocol on the original stdout, everything else printed goes to stderr."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    llama = None
    for raw in sys.stdin:
        request = json.loads(raw)
        try:
            if request["op"] == "load":
                llama = _load(request)
                reply = {"ok": True, "ready": request["model_path"]}
            elif llama is None:
                reply = {"ok": False, "error": "no model loaded"}
            else:
                _fault(request["messages"])
                reply = _complete(llama, request["messages"], request["params"])
        except Exception as exc:  # a Python-level error is an answer; only native faults kill the worker
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        channel.write(json.dumps(reply, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    serve()
