"""Grammar-constrained sampling that costs a few milliseconds a token, not seconds (runs in the model worker).

llama-cpp-python applies a GBNF grammar by masking the whole vocabulary at every token: for our Dafny grammar
and Qwen's 151,936 tokens that took 0.4–4.6 s a token on this machine's CPU (a 12-token reply took 34 s).
Checking one token against the grammar takes about 3 ms, and the token the model wants is almost always one the
grammar allows. So :class:`GrammarGuide` (a logits processor) picks the token itself, the way llama.cpp's own
command-line sampler does:

* greedy (``temperature == 0``): the candidates in descending logit order; the first one the grammar allows;
* sampled: the candidate set the default chain would keep (top-k 40, top-p 0.95 and min-p 0.05 on the raw
  distribution), one draw at the temperature; a draw the grammar refuses is removed and the draw repeated. That
  is exactly sampling from the kept set restricted to the allowed tokens.

A reply that has to end early is *closed*, not cut: when it has turned into a loop (:class:`RepeatWatch`), when
it nears its token limit, and at a step where the model wants to end (the fence or end-of-text) but the grammar
does not allow it yet, the guide prefers, among the tokens the grammar allows, the ones that close what is open
(``;``, ``}``, ``)``, ``]``, the closing fence; :func:`closer_tokens`). A cut reply never parsed; a closed one
reaches the verifier, whose message is one the repair prompt can use.

"Allowed" means by the grammar and by the name check (:mod:`agents.grammar.names`). When no kept candidate is
allowed it takes the best of the :data:`SCAN` likeliest tokens that is; only when none of those is does it mask
the whole vocabulary, as llama.cpp would (and keep to the names where one of the best allowed tokens does). It
returns logits where only the chosen token is finite, so llama's own sampler chain takes that token whatever its
settings, and it advances the grammar by that token. A guide is built per call from a parsed base sampler that
is cloned (parsing the grammar happens once per distinct text).
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np

from agents.grammar.names import NameCheck

TOP_K, TOP_P, MIN_P = 40, 0.95, 0.05  # llama-cpp-python's create_completion defaults
TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)  # llama_token_data
SCAN = 256  # greedy: how many of the best tokens are checked one by one before the whole vocabulary is masked
REPEATS = 6  # a reply that writes the same line (digits aside) this often is a runaway: it is ended there
MIN_LINE = 8  # shorter lines (a brace, `i := i + 1;`) repeat in honest code
CHUNKS = range(6, 41)  # lengths of a chunk whose back-to-back repeats inside a line are a runaway too
CLOSE_MARGIN = 48  # tokens before the reply's limit where the guide starts closing (a quarter of a short limit)
CLOSE_SCAN = 16  # how many closing tokens (best first) are checked against the grammar at one step
FENCE = "```"


def closer_tokens(n_vocab: int, detokenize: Any) -> tuple[np.ndarray, np.ndarray]:
    """Ids of the tokens that close (text made of ``;`` ``}`` ``)`` ``]`` and blanks, or holding the fence),
    and of those the fence among them; computed once per model (a pass over the vocabulary)."""
    closing, fences = [], []
    for token in range(n_vocab):
        text = detokenize(token)
        if FENCE in text:
            closing.append(token)
            fences.append(token)
        elif text.strip() and not text.strip(";})] \n\t"):
            closing.append(token)
    return np.array(closing, dtype=np.int64), np.array(fences, dtype=np.int64)


def grammar_sampler(llama_cpp, vocab, grammar: str, root: str = "root"):
    """llama.cpp's grammar sampler of ``grammar`` over ``vocab`` (the caller frees it); ValueError when
    llama.cpp cannot parse the grammar (it then returns no sampler, which a sampler chain would dereference)."""
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), root.encode("utf-8"))
    if not sampler:
        raise ValueError("llama.cpp could not parse the grammar")
    return sampler


class RepeatWatch:
    """Says when a reply has become a loop: the same line, up to its numbers, :data:`REPEATS` times (or, inside
    one line, the same chunk that many times back to back).

    A small model held inside a grammar can no longer end with the text it wanted, and then writes
    ``var a1 := a * a1; var b1 := ...`` until its token limit (15 of 82 grammar-held replies in the first
    measurement, doubling the time per attempt). Ending such a reply early loses nothing: it would not have
    parsed at the limit either.
    """

    def __init__(self) -> None:
        self.line = ""
        self.counts: dict[str, int] = {}

    def feed(self, piece: str) -> bool:
        """Add generated text; True when the reply should end."""
        for ch in piece:
            if ch != "\n":
                self.line += ch
                if self._chunk_repeats():
                    return True
                continue
            shape = "".join("0" if c.isdigit() else c for c in self.line.strip())
            self.line = ""
            if len(shape.replace(" ", "")) >= MIN_LINE:
                self.counts[shape] = self.counts.get(shape, 0) + 1
                if self.counts[shape] >= REPEATS:
                    return True
        return False

    def _chunk_repeats(self) -> bool:
        """The line ends with one chunk (digits aside) written :data:`REPEATS` times back to back: ``x as
        invariant19 as invariant20 as ...`` never ends a line, so the line count above never sees it."""
        tail = "".join("0" if c.isdigit() else c for c in self.line[-CHUNKS[-1] * REPEATS:])
        for n in CHUNKS:
            if len(tail) < n * REPEATS:
                return False
            chunk = tail[-n:]
            if chunk.strip() and tail[-n * REPEATS:] == chunk * REPEATS:
                return True
        return False


class GrammarGuide:
    """A logits processor (``(input_ids, logits) -> logits``) that keeps the reply inside a grammar."""

    def __init__(self, llama_cpp: Any, base_sampler: Any, n_vocab: int, temperature: float, seed: int,
                 detokenize: Any = None, end_token: int | None = None,
                 closers: tuple[np.ndarray, np.ndarray] | None = None, max_tokens: int | None = None,
                 names: NameCheck | None = None) -> None:
        self.lib = llama_cpp
        self.names = names  # what the grammar cannot say: undeclared names, `param :=`, `int <==>`
        self.detokenize = detokenize  # token -> text, for the runaway watch (None: no watch)
        self.end_token = end_token
        self.watch = RepeatWatch()
        self.closers, self.fences = closers if closers is not None else (np.zeros(0, np.int64),) * 2
        self.enders = set(self.fences.tolist()) | ({end_token} if end_token is not None else set())
        self.max_tokens = max_tokens
        self.produced = 0
        self.closing = False  # set once the reply must end soon: closing tokens are preferred from then on
        self.sampler = llama_cpp.llama_sampler_clone(base_sampler)
        self.n_vocab = n_vocab
        self.temperature = temperature
        self.rng = np.random.default_rng(seed)
        self.one = (llama_cpp.llama_token_data * 1)()

    def close(self) -> None:
        if self.sampler:
            self.lib.llama_sampler_free(self.sampler)
            self.sampler = None

    def allowed(self, token: int) -> bool:
        """Whether the grammar, in its current state, allows ``token`` next (and the name check, if any)."""
        if self.names is not None and self.detokenize is not None and not self.names.allows(self.detokenize(token)):
            return False
        self.one[0].id, self.one[0].logit, self.one[0].p = int(token), 0.0, 0.0
        arr = self.lib.llama_token_data_array(self.one, 1, -1, False)
        self.lib.llama_sampler_apply(self.sampler, ctypes.byref(arr))
        return self.one[0].logit != -math.inf

    def __call__(self, input_ids: Any, logits: np.ndarray) -> np.ndarray:
        self.produced += 1
        if self.max_tokens is not None and self.produced >= self.max_tokens - min(CLOSE_MARGIN, self.max_tokens // 4):
            self.closing = True
        token = self._choose(np.asarray(logits, dtype=np.float64))
        self.lib.llama_sampler_accept(self.sampler, int(token))
        piece = self.detokenize(token) if self.detokenize is not None else ""
        if self.names is not None:
            self.names.feed(piece)
        if self.detokenize is not None and self.watch.feed(piece):
            if len(self.closers):
                self.closing = True  # a loop: close what is open from the next token on
            elif self.end_token is not None:
                token = self.end_token  # nothing to close with: end the reply here
        out = np.full(len(logits), -np.inf, dtype=np.float32)
        out[token] = 0.0
        return out

    def _close(self, logits: np.ndarray) -> int | None:
        """The best closing token the grammar allows now (the fence first), or ``None``."""
        if not len(self.closers):
            return None
        for group in (self.fences, self.closers):
            for token in group[np.argsort(-logits[group], kind="stable")][:CLOSE_SCAN]:
                if self.allowed(token):
                    return int(token)
        return None

    # ------------------------------------------------------------------------------------------------

    def _choose(self, logits: np.ndarray) -> int:
        if self.closing and (token := self._close(logits)) is not None:
            return token
        if self.temperature <= 0:
            return self._best_allowed(logits)
        kept = self._kept(logits)
        weights = np.exp((logits[kept] - logits[kept].max()) / self.temperature)
        alive = np.ones(len(kept), dtype=bool)
        while alive.any():
            p = np.where(alive, weights, 0.0)
            i = int(self.rng.choice(len(kept), p=p / p.sum()))
            if self.allowed(kept[i]):
                return int(kept[i])
            if int(kept[i]) in self.enders and (closing := self._close(logits)) is not None:
                return closing
            alive[i] = False
        return self._best_allowed(logits)  # every kept candidate refused: the best the rules allow

    def _best_allowed(self, logits: np.ndarray) -> int:
        """The best of the :data:`SCAN` likeliest tokens that the grammar and the name check allow (closing
        instead where the model wants to end), else :meth:`_masked_choice`."""
        top = np.argpartition(-logits, SCAN)[:SCAN]
        for token in top[np.argsort(-logits[top], kind="stable")]:
            if self.allowed(token):
                return int(token)
            if int(token) in self.enders and (closing := self._close(logits)) is not None:
                return closing  # the model wants to end: close what is open instead of wandering on
        return self._masked_choice(logits)

    def _kept(self, logits: np.ndarray) -> np.ndarray:
        """The candidates top-k, top-p and min-p keep (on the distribution at temperature 1), best first."""
        top = np.argpartition(-logits, TOP_K)[:TOP_K]
        top = top[np.argsort(-logits[top], kind="stable")]
        p = np.exp(logits[top] - logits[top[0]])
        p /= p.sum()
        n = int(np.searchsorted(np.cumsum(p), TOP_P) + 1)
        n = max(1, min(n, int((p >= MIN_P * p[0]).sum())))
        return top[:n]

    def _masked_choice(self, logits: np.ndarray) -> int:
        """No likely token is allowed: mask the whole vocabulary (slow, rare) and take the best, or sample."""
        data = np.zeros(self.n_vocab, dtype=TOKEN_DATA)
        data["id"] = np.arange(self.n_vocab)
        lib = self.lib
        ptr = data.ctypes.data_as(ctypes.POINTER(lib.llama_token_data))
        arr = lib.llama_token_data_array(ptr, self.n_vocab, -1, False)
        lib.llama_sampler_apply(self.sampler, ctypes.byref(arr))
        allowed = np.flatnonzero(data["logit"] != -np.inf)
        if len(allowed) == 0:
            raise ValueError("the grammar allows no token here (a grammar that cannot be completed)")
        if self.names is not None and self.detokenize is not None:  # the grammar's choice, kept to the names
            named = [t for t in allowed[np.argsort(-logits[allowed], kind="stable")][:SCAN]
                     if self.names.allows(self.detokenize(t))]
            allowed = np.array(named[:1] or allowed)
        if self.temperature <= 0:
            return int(allowed[np.argmax(logits[allowed])])
        w = np.exp((logits[allowed] - logits[allowed].max()) / self.temperature)
        return int(self.rng.choice(allowed, p=w / w.sum()))
