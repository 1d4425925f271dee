"""Prompt-repair policies behind one interface, ``propose(state) -> Prompt``, and the factory that builds them.

``make_policy(name, checkpoint=None)`` is what ``p2s run --agent``, ``p2s bench --agent`` and the evaluation
module call. Names: ``none``, ``repair``, ``best-of-n`` (baselines), ``preface-lite`` and ``preface`` (learned;
without a checkpoint they start untrained).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.policies.base import Example, Policy, Prompt, PromptConfig, examples_from_tasks
from pipeline.errors import UserError

POLICY_NAMES = ("none", "repair", "best-of-n", "preface-lite", "preface")
LEARNED = ("preface-lite", "preface")

__all__ = ["POLICY_NAMES", "Example", "Policy", "Prompt", "PromptConfig", "checkpoint_path", "examples_from_tasks",
           "get_policy", "make_policy"]


def checkpoint_path(checkpoint: str | Path) -> Path:
    """A checkpoint file, or a training run folder (its latest checkpoint)."""
    path = Path(checkpoint).expanduser()
    if path.is_dir():
        path = path / "checkpoints" / "latest.pt"
    if not path.is_file():
        raise UserError(f"{checkpoint}: no checkpoint there (give a .pt file or a 'p2s train --out' folder)")
    return path


def make_policy(name: str, checkpoint: str | Path | None = None, **options: Any) -> Policy:
    """Build the policy called ``name``.

    Args:
        name: one of :data:`POLICY_NAMES`.
        checkpoint: for the learned policies, a checkpoint file or a training run folder.
        **options: ``config`` (a :class:`PromptConfig` for the baselines), ``examples`` (few-shot pool for an
            untrained preface-lite), ``use_embedding``, ``model`` (the PREFACE LM spec), ``greedy``, ``seed``.

    Raises:
        UserError: unknown name, or a checkpoint given to a baseline or of the wrong kind.
    """
    if name not in POLICY_NAMES:
        raise UserError(f"unknown agent {name!r}; valid agents: {', '.join(POLICY_NAMES)}")
    if checkpoint is not None and name not in LEARNED:
        raise UserError(f"agent {name!r} takes no --checkpoint (only {', '.join(LEARNED)} are trained)")
    config = options.get("config")
    if name == "none":
        from agents.policies.baselines import NonePolicy

        return NonePolicy(config)
    if name == "repair":
        from agents.policies.baselines import RepairPolicy

        return RepairPolicy(config)
    if name == "best-of-n":
        from agents.policies.baselines import BestOfNPolicy

        return BestOfNPolicy(config)
    if name == "preface-lite":
        from agents.policies.lite import PrefaceLitePolicy

        if checkpoint is not None:
            return _checked(PrefaceLitePolicy.from_checkpoint, checkpoint, name, options.get("greedy", False))
        return PrefaceLitePolicy(examples=options.get("examples"), use_embedding=options.get("use_embedding", False),
                                 greedy=options.get("greedy", False), seed=options.get("seed", 0))
    from agents.preface_lm import LMConfig, PrefaceLMPolicy

    if checkpoint is not None:
        return _checked(PrefaceLMPolicy.from_checkpoint, checkpoint, name, options.get("greedy", False))
    return PrefaceLMPolicy(LMConfig(model=options.get("model", "smollm2")), config, options.get("greedy", False))


def get_policy(name: str, checkpoint: str | Path | None = None, **options: Any):
    """The policy for ``pipeline.generate``'s loop (``p2s run --agent``): :func:`make_policy` behind the adapter
    that speaks the loop's ``GenerationState`` and the prompt builder's ``Prompt``."""
    from agents.policies.adapter import GenerationPolicy

    return GenerationPolicy(make_policy(name, checkpoint, **options))


def _checked(load, checkpoint: str | Path, name: str, greedy: bool) -> Policy:
    path = checkpoint_path(checkpoint)
    try:
        return load(path, greedy=greedy)
    except (KeyError, ValueError) as exc:
        raise UserError(f"{path}: not a {name} checkpoint ({exc})") from None
