"""The evaluated state of a shared prompt prefix, kept on disk so a new process does not evaluate it again.

Every prompt of a run starts with the same few-shot text (about 1,250 tokens of the completion prompt). In one
worker llama.cpp keeps the evaluated tokens of the last call and evaluates only what differs, but every new
process (each ``p2s run``, each batch worker, each retry on a fresh worker) paid the full prompt again: 15–20 s
on this machine's 2 cores for the 0.5B model, more than the rest of the call. llama-cpp-python's own prompt
caches copy the whole logits buffer with every state (hundreds of MB for a 152k vocabulary), so this module
keeps just llama.cpp's state of a prefix:

* :meth:`PrefixStates.remember`: before a call in a warm worker, the tokens it shares with the previous call
  are the shared prefix; if no state of it is stored, the context is cut back to it (llama.cpp would do that
  itself a moment later) and its state written to ``DIR/<sha256 of the tokens>.state`` beside the tokens.
* :meth:`PrefixStates.restore`: the first call of a cold worker loads the stored state that shares the longest
  prefix with its prompt; llama.cpp then evaluates only the rest.

The outputs are the same as without the store (greedy decoding gives the same text: a test), since the state
is llama.cpp's own record of the same tokens. The files live under ``$P2S_HOME/kv/<model file>/`` and are
small (about 12 kB a token for the 0.5B model); ``P2S_LLM_PREFIX_STATES=off`` turns the store off.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pipeline.home import p2s_home

MIN_TOKENS = 256  # shorter shared prefixes are cheap to evaluate: not worth a file
MAX_FILES = 16  # per model; the oldest go first


class PrefixStates:
    """Stored prefix states of one model, in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    # ------------------------------------------------------------------------------------------------

    def restore(self, llama: Any, tokens: list[int]) -> int:
        """Load the stored state sharing the longest prefix (≥ :data:`MIN_TOKENS`) with ``tokens`` into a cold
        context; returns how many tokens it holds (0: nothing loaded)."""
        if llama.n_tokens:
            return 0
        best, best_len = None, 0
        for meta in self.folder.glob("*.json"):
            try:
                stored = json.loads(meta.read_text(encoding="utf-8"))["tokens"]
            except (OSError, ValueError, KeyError):
                continue
            n = _lib().Llama.longest_token_prefix(stored, tokens)
            if n == len(stored) and n > best_len:
                best, best_len = meta.with_suffix(".state"), n
        if best is None or best_len < MIN_TOKENS:
            return 0
        try:
            data = best.read_bytes()
        except OSError:
            return 0
        lib = _lib()
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if lib.llama_state_set_data(llama._ctx.ctx, buf, len(data)) != len(data):
            llama.reset()
            return 0
        llama.input_ids[:best_len] = tokens[:best_len]
        llama.n_tokens = best_len
        return best_len

    def remember(self, llama: Any, tokens: list[int]) -> int:
        """In a warm context, store the state of the prefix ``tokens`` shares with what it holds (if long enough
        and not stored yet); returns the prefix length stored (0: nothing written)."""
        n = _lib().Llama.longest_token_prefix(llama.input_ids[: llama.n_tokens].tolist(), tokens)
        n = min(n, len(tokens) - 1)  # the last prompt token is always evaluated again (its logits are needed)
        if n < MIN_TOKENS:
            return 0
        prefix = tokens[:n]
        key = hashlib.sha256(json.dumps(prefix).encode()).hexdigest()[:24]
        if (self.folder / f"{key}.state").is_file():
            return 0
        llama._ctx.kv_cache_seq_rm(-1, n, -1)  # what the next evaluation would do itself
        llama.n_tokens = n
        lib = _lib()
        size = lib.llama_state_get_size(llama._ctx.ctx)
        buf = (ctypes.c_uint8 * int(size))()
        written = lib.llama_state_get_data(llama._ctx.ctx, buf, size)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(bytes(buf[: int(written)]))
        tmp.replace(self.folder / f"{key}.state")  # a reader never sees half a file
        meta_tmp = self.folder / f".{key}.{os.getpid()}.json.tmp"
        meta_tmp.write_text(json.dumps({"tokens": prefix}), encoding="utf-8")
        meta_tmp.replace(self.folder / f"{key}.json")
        self._prune()
        return n

    def _prune(self) -> None:
        metas = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for meta in metas[:-MAX_FILES]:
            meta.with_suffix(".state").unlink(missing_ok=True)
            meta.unlink(missing_ok=True)


def _lib():
    import llama_cpp  # in the model worker, already imported by its import_runtime (OpenMP's policy set first)

    return llama_cpp


def store_for(model_path: str) -> PrefixStates | None:
    """The store of ``model_path`` (``None`` when ``P2S_LLM_PREFIX_STATES=off``)."""
    if os.environ.get("P2S_LLM_PREFIX_STATES", "on").lower() in ("off", "0", "no"):
        return None
    path = Path(model_path)
    try:
        stat = path.stat()
        tag = f"{path.name}-{stat.st_size}"
    except OSError:
        tag = path.name
    return PrefixStates(p2s_home() / "kv" / tag)
