"""Training a learned prompt-repair policy (``preface`` or ``preface-lite``) with PPO on a suite's train split.

The run folder holds everything: ``config.json`` (all settings, PPO hyperparameters, git hash, seed),
``checkpoints/latest.pt`` (policy, optimizer, where training stands), ``episodes.csv`` and ``updates.csv``
(the learning curve and the PPO statistics), ``curve.png``, ``attempts.jsonl`` (every attempt) and
``transcript.jsonl`` (every LLM call, for ``--llm replay:``). Running
the same command again continues from the last checkpoint until the asked number of episodes is reached.
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from agents import ppo
from agents.env import DEFAULT_BUDGET, AttemptLog, RepairEnv, RewardConfig
from agents.policies import make_policy, prompt_config
from agents.policies.base import examples_from_tasks
from agents.prompts import initial_prompt, resolve_grammar, resolve_style
from pipeline.errors import UserError
from pipeline.provenance import git_commit
from pipeline.task import Task

TRAINABLE = ("preface-lite", "preface")


@dataclass
class TrainConfig:
    """What ``p2s train`` was asked; dumped into the run folder next to the PPO ``Args``."""

    suite: str
    split: str = "train"
    llm: str = "embedded"
    agent: str = "preface-lite"
    out: str = "runs/train"
    seed: int = 0
    episodes: int = 40
    budget: int = DEFAULT_BUDGET
    prompt_style: str = "auto"
    grammar: str = "auto"
    preface_model: str = "smollm2"
    use_embedding: bool = False
    max_tasks: int | None = None
    difficulty: str | None = None
    verify_timeout: float = 60.0
    ppo: dict[str, Any] = field(default_factory=dict)


# ============================================================================================ tasks


def load_tasks(suite: str, split: str | None, difficulty: str | None = None) -> list[Task]:
    """The tasks of a suite (:func:`pipeline.suites.load_suite`: a bundled name or a folder), one split
    (``all``: every task), optionally one difficulty (comma-separated for several), sorted by id."""
    from pipeline.suites import load_suite

    tasks = load_suite(suite, split, difficulty.split(",") if difficulty else None)
    if not tasks:
        raise UserError(f"suite {suite!r} has no tasks in split {split!r}")
    return tasks


def resolve_mode(prompt_style: str, llm_spec: str) -> str:
    """The base prompt style; ``auto`` follows the project's rule (few-shot completion for embedded models)."""
    return resolve_style(prompt_style, llm_spec)


# ============================================================================================ curve


def plot_curve(out: Path, window: int = 10) -> Path | None:
    """``curve.png``: verified rate and return per episode (moving average over ``window`` episodes)."""
    rows = list(csv.DictReader((out / "episodes.csv").open())) if (out / "episodes.csv").exists() else []
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [int(r["episode"]) for r in rows]
    ver = [float(r["verified"]) for r in rows]
    ret = [float(r["return"]) for r in rows]

    def moving(xs: list[float]) -> list[float]:
        return [sum(xs[max(0, i - window + 1): i + 1]) / len(xs[max(0, i - window + 1): i + 1])
                for i in range(len(xs))]

    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    a1.plot(ep, moving(ver), color="tab:green")
    a1.set_ylabel(f"verified rate\n(moving avg {window})")
    a1.set_ylim(-0.02, 1.02)
    a2.plot(ep, ret, ".", alpha=0.4, color="tab:blue")
    a2.plot(ep, moving(ret), color="tab:blue")
    a2.set_ylabel("episode return")
    a2.set_xlabel("training episode")
    fig.suptitle(f"PREFACE training: {out.name}")
    fig.tight_layout()
    path = out / "curve.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# ============================================================================================ training


def _save(path: Path, policy: Any, st: ppo.TrainState, optimizer: torch.optim.Optimizer, cfg: TrainConfig,
          args: ppo.Args) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"policy": policy.state_dict(), "train_state": asdict(st), "optimizer": optimizer.state_dict(),
                "config": asdict(cfg), "args": args.to_dict()}, tmp)
    os.replace(tmp, path)  # atomic: a kill leaves the previous checkpoint whole


def _drop_rows_after(path: Path, iteration: int) -> None:
    """A resumed run drops CSV rows written after the checkpoint it continues from."""
    if not path.exists():
        return
    rows = list(csv.DictReader(path.open()))
    if not rows or all(int(r["iteration"]) <= iteration for r in rows):
        return
    fields = list(rows[0].keys())
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fields)
        w.writeheader()
        w.writerows(r for r in rows if int(r["iteration"]) <= iteration)


def train(
    cfg: TrainConfig,
    *,
    tasks: list[Task] | None = None,
    llm: Any = None,
    verifier: Callable[..., Any] | None = None,
    reward: RewardConfig | None = None,
    log: Callable[[str], None] = print,
) -> ppo.TrainState:
    """Train ``cfg.agent`` with PPO; resumes from ``cfg.out/checkpoints/latest.pt`` when it exists.

    Args:
        cfg: the run's settings.
        tasks: the training tasks (default: ``cfg.suite``'s ``cfg.split``).
        llm: a built LLM backend (default: ``get_llm(cfg.llm)``).
        verifier: ``verify_source`` stand-in (tests); default the real one.
        reward: the reward table (default: the paper's).
        log: progress sink.
    """
    if cfg.agent not in TRAINABLE:
        raise UserError(f"--agent {cfg.agent} is not trainable; choose {' or '.join(TRAINABLE)}")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = list(tasks) if tasks is not None else load_tasks(cfg.suite, cfg.split, cfg.difficulty)
    if cfg.max_tasks:
        tasks = tasks[: cfg.max_tasks]
    args = ppo.Args(**{"seed": cfg.seed, "episodes": cfg.episodes, "budget": cfg.budget, **cfg.ppo})
    mode = resolve_mode(cfg.prompt_style, cfg.llm)
    config = prompt_config(cfg.agent, mode, grammar=resolve_grammar(cfg.grammar, cfg.llm))
    policy = make_policy(cfg.agent, config=config, examples=examples_from_tasks(tasks),
                         use_embedding=cfg.use_embedding, model=cfg.preface_model, seed=cfg.seed)
    ckpt_path = out / "checkpoints" / "latest.pt"
    state, optimizer_state = None, None
    if ckpt_path.exists():
        data = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        if data["config"]["agent"] != cfg.agent:
            raise UserError(f"{out} holds a {data['config']['agent']} run; use another --out for {cfg.agent}")
        policy.load_state_dict(data["policy"])
        state = ppo.TrainState(**data["train_state"])
        optimizer_state = data["optimizer"]
        _drop_rows_after(out / "episodes.csv", state.iteration)
        _drop_rows_after(out / "updates.csv", state.iteration)
        log(f"resuming {out} at update {state.iteration}, {state.episodes} episode(s) done")
    else:
        torch.manual_seed(cfg.seed)
    (out / "config.json").write_text(json.dumps(
        {"train": asdict(cfg), "ppo": args.to_dict(), "prompt_mode": mode, "git": git_commit() or "",
         "tasks": [t.id for t in tasks], "reward": asdict(reward or RewardConfig())}, indent=2))

    from agents.llm.transcript import TRANSCRIPT_NAME, RecordingLLM

    if llm is None:
        from agents.llm import get_llm

        llm = get_llm(cfg.llm)
    llm = RecordingLLM(llm, out / TRANSCRIPT_NAME)  # every call, for --llm replay:
    attempt_log = AttemptLog(out / "attempts.jsonl")

    def initial(task: Task):
        return initial_prompt(task, config)

    def next_env(cursor: int) -> RepairEnv:
        epoch, index = divmod(cursor, len(tasks))
        order = list(range(len(tasks)))
        random.Random(cfg.seed * 7919 + epoch).shuffle(order)
        task = tasks[order[index]]
        return RepairEnv(task, llm, verifier=verifier, budget=cfg.budget, reward=reward, initial_prompt=initial,
                         log=attempt_log, verify_timeout=cfg.verify_timeout,
                         tag={"run": "train", "cursor": cursor}, seed=cfg.seed * 1_000_003 + cursor)

    def save(st: ppo.TrainState, optimizer: torch.optim.Optimizer) -> None:
        _save(ckpt_path, policy, st, optimizer, cfg, args)
        plot_curve(out)

    if state is not None and state.episodes >= cfg.episodes:
        log(f"{out}: already trained for {state.episodes} episode(s); raise --episodes to continue")
        plot_curve(out)
        return state
    final = ppo.train(args, policy, next_env, out, state=state, save_checkpoint=save,
                      optimizer_state=optimizer_state, log=log)
    plot_curve(out)
    return final
