"""Prompt-repair policies behind one interface, ``propose(state) -> Prompt``, and the factory that builds them.

``make_policy(name, checkpoint=None, config=...)`` is what ``p2s run --agent``, ``p2s bench --agent``, the
evaluation and training call, and :func:`prompt_config` the one place their prompt settings are made: the agent's
own defaults with the user's options laid over them. Names: ``none``, ``repair``, ``best-of-n`` (baselines),
``preface-lite`` and ``preface`` (learned; without a checkpoint they start untrained).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from agents.policies.base import Policy, examples_from_tasks
from agents.prompts.prompt import Example, Prompt, PromptConfig
from pipeline.errors import UserError
from pipeline.registry import Registry

POLICY_NAMES = ("none", "repair", "best-of-n", "preface-lite", "preface")
LEARNED = ("preface-lite", "preface")
POLICIES: Registry[type] = Registry("agent", "--agent", targets={
    "none": "agents.policies.baselines:NonePolicy",
    "repair": "agents.policies.baselines:RepairPolicy",
    "best-of-n": "agents.policies.baselines:BestOfNPolicy",
    "preface-lite": "agents.policies.lite:PrefaceLitePolicy",
    "preface": "agents.preface_lm:PrefaceLMPolicy",
})

__all__ = ["POLICIES", "POLICY_NAMES", "Example", "Policy", "Prompt", "PromptConfig", "checkpoint_path",
           "examples_from_tasks", "make_policy", "prompt_config"]


def check_name(name: str) -> None:
    """An unknown agent name is a :class:`UserError` listing the valid ones."""
    POLICIES.check(name)


def defaults_of(name: str) -> PromptConfig:
    """The agent's own prompt configuration (its class's ``defaults``), without building the policy."""
    check_name(name)
    if name in LEARNED:  # both start from the plain configuration (and loading them would import torch)
        return PromptConfig()
    return POLICIES.get(name).defaults


def prompt_config(name: str, mode: str, temperature: float | None = None,
                  max_tokens: int | None = None, grammar: bool = False) -> PromptConfig:
    """The prompt configuration of agent ``name`` for a run: its defaults, the resolved prompt style ``mode``,
    the resolved ``--grammar`` and the user's ``--temperature``/``--max-tokens`` where given."""
    config = replace(defaults_of(name), mode=mode, grammar=grammar)
    if temperature is not None:
        config = replace(config, temperature=temperature)
    if max_tokens is not None:
        config = replace(config, max_tokens=max_tokens)
    return config


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
        **options: ``config`` (the run's :class:`PromptConfig`, see :func:`prompt_config`), ``examples``
            (few-shot pool for an untrained preface-lite), ``use_embedding``, ``model`` (the PREFACE LM spec),
            ``greedy``, ``seed`` (the policy's own sampling, per episode).

    Raises:
        UserError: unknown name, or a checkpoint given to a baseline or of the wrong kind.
    """
    check_name(name)
    if checkpoint is not None and name not in LEARNED:
        raise UserError(f"agent {name!r} takes no --checkpoint (only {', '.join(LEARNED)} are trained)")
    config = options.get("config")
    if name not in LEARNED:
        return POLICIES.get(name)(config)
    cls = POLICIES.get(name)
    if checkpoint is not None:
        return _checked(cls.from_checkpoint, checkpoint, name, options)
    if name == "preface-lite":
        return cls(examples=options.get("examples"), use_embedding=options.get("use_embedding", False),
                                 greedy=options.get("greedy", False), seed=options.get("seed", 0))
    from agents.preface_lm import LMConfig

    return cls(LMConfig(model=options.get("model", "smollm2")), config, options.get("greedy", False),
                           seed=options.get("seed", 0))


def _checked(load, checkpoint: str | Path, name: str, options: dict[str, Any]) -> Policy:
    path = checkpoint_path(checkpoint)
    try:
        policy = load(path, greedy=options.get("greedy", False))
        policy.seed = options.get("seed", 0)
        return policy
    except (KeyError, ValueError) as exc:
        raise UserError(f"{path}: not a {name} checkpoint ({exc})") from None
