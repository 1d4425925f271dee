"""Evaluation of a prompt-repair policy: verified rate, attempts and tokens per verified task, with a confidence
interval over seeds.

``evaluate_policy`` plays one episode per (task, seed) with :func:`agents.env.play`, the loop ``p2s run`` and
``p2s bench --agent`` use, at the same budget for every agent; it records each episode as one JSON line (so an
interrupted evaluation resumes where it stopped), every attempt in ``attempts.jsonl`` and every LLM call in
``transcript.jsonl`` (which ``--llm replay:`` answers from), and summarises them in an :class:`EvalReport`.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agents.env import ATTEMPTS_NAME, DEFAULT_BUDGET, AttemptLog, RepairEnv, RewardConfig, episode_budget, play
from agents.policies import make_policy, prompt_config
from agents.policies.base import Policy
from agents.prompts import initial_prompt, resolve_grammar, resolve_style
from agents.prompts.prompt import GRAMMAR_CHOICES
from pipeline.task import Task

# two-sided 95% Student t quantiles by degrees of freedom (a normal 1.96 beyond the table)
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        15: 2.131, 20: 2.086, 30: 2.042}


@dataclass
class Outcome:
    """What :func:`summarise` reads of one task run: an :class:`EpisodeRecord`, or one task of a ``p2s bench`` run."""

    task: str
    seed: int
    verified: bool
    attempts: int
    tokens: int
    seconds: float


@dataclass
class EpisodeRecord(Outcome):
    """One task under one seed: did it verify, after how many attempts and tokens, and what the policy did."""

    phases: list[str]
    actions: list[str]
    reward: float


@dataclass
class EvalReport:
    """The summary a comparison table needs (``ci95`` is over seeds, or over tasks with a single seed)."""

    agent: str
    llm: str
    budget: int
    seeds: list[int]
    tasks: int
    verified_rate: float
    ci95: tuple[float, float]
    ci_method: str
    per_seed_rate: dict[int, float]
    attempts_per_verified: float | None
    tokens_per_verified: float | None
    mean_attempts: float
    seconds: float
    episodes: list[EpisodeRecord] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_seed_rate"] = {str(k): v for k, v in self.per_seed_rate.items()}
        return data

    def figures(self) -> dict[str, Any]:
        """The summary without the episodes (what ``p2s bench`` puts in ``summary.json`` as ``generation``)."""
        data = self.to_dict()
        data.pop("episodes")
        data["ci95"] = list(self.ci95)
        data["verified"] = sum(bool(e.verified) for e in self.episodes)
        data["runs"] = len(self.episodes)
        return data

    def row(self) -> str:
        """One Markdown table row: agent, verified, rate [CI], attempts and tokens per verified task."""
        verified = sum(e.verified for e in self.episodes)
        apv = "-" if self.attempts_per_verified is None else f"{self.attempts_per_verified:.2f}"
        tpv = "-" if self.tokens_per_verified is None else f"{self.tokens_per_verified:.0f}"
        return (f"| {self.agent} | {verified}/{len(self.episodes)} | {self.verified_rate:.1%} "
                f"[{self.ci95[0]:.1%}, {self.ci95[1]:.1%}] | {apv} | {tpv} | {self.seconds:.0f} |")


def t95(df: int) -> float:
    if df in _T95:
        return _T95[df]
    larger = [k for k in _T95 if k > df]
    return _T95[min(larger)] if larger else 1.96


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (sensible at 0 and n, unlike the normal approximation)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def summarise(agent: str, llm: str, budget: int, seeds: Sequence[int], episodes: Sequence[Outcome]) -> EvalReport:
    """Rates per seed, their mean and 95% interval, and the cost of the verified tasks.

    ``seconds`` is the time spent in the episodes (LLM and verifier), so a resumed run reports
    the whole evaluation rather than the part since it resumed.
    """
    per_seed = {}
    for s in seeds:
        eps = [e for e in episodes if e.seed == s]
        per_seed[s] = sum(e.verified for e in eps) / len(eps) if eps else 0.0
    rates = list(per_seed.values())
    mean = statistics.fmean(rates) if rates else 0.0
    if len(rates) >= 2:
        half = t95(len(rates) - 1) * statistics.stdev(rates) / math.sqrt(len(rates))
        ci, method = (max(0.0, mean - half), min(1.0, mean + half)), f"t over {len(rates)} seeds"
    else:
        ci, method = wilson(sum(e.verified for e in episodes), len(episodes)), "Wilson over tasks (one seed)"
    won = [e for e in episodes if e.verified]
    return EvalReport(
        agent=agent, llm=llm, budget=budget, seeds=list(seeds), tasks=len({e.task for e in episodes}),
        verified_rate=mean, ci95=ci, ci_method=method, per_seed_rate=per_seed,
        attempts_per_verified=statistics.fmean(e.attempts for e in won) if won else None,
        tokens_per_verified=statistics.fmean(e.tokens for e in won) if won else None,
        mean_attempts=statistics.fmean(e.attempts for e in episodes) if episodes else 0.0,
        seconds=sum(e.seconds for e in episodes), episodes=list(episodes),
    )


def run_episode(env: RepairEnv, policy: Policy) -> EpisodeRecord:
    """Play one episode (:func:`agents.env.play`) and keep what the summary needs of it."""
    attempts = play(env, policy)
    summary = env.info()
    return EpisodeRecord(
        task=env.task.id, seed=int(env.seed), verified=bool(summary["verified"]), attempts=summary["attempts"],
        tokens=summary["tokens"], seconds=round(sum(a.seconds for a in attempts), 3),
        phases=summary["phases"], actions=[a.action for a in attempts], reward=round(summary["return"], 4),
    )


def _done_episodes(path: Path) -> dict[tuple[str, int], EpisodeRecord]:
    done: dict[tuple[str, int], EpisodeRecord] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    rec = EpisodeRecord(**json.loads(line))
                except (json.JSONDecodeError, TypeError):
                    continue  # a line cut by a kill: that episode runs again
                done[(rec.task, rec.seed)] = rec
    return done


def evaluate_policy(
    tasks: Sequence[Task],
    llm_spec: str,
    agent: str,
    checkpoint: str | Path | None = None,
    seeds: Sequence[int] = (0,),
    budget: int = DEFAULT_BUDGET,
    out_dir: str | Path | None = None,
    *,
    policy: Policy | None = None,
    llm: Any = None,
    verifier: Callable[..., Any] | None = None,
    reward: RewardConfig | None = None,
    policy_options: dict[str, Any] | None = None,
    verify_timeout: float = 60.0,
    prompt_style: str = "auto",
    grammar: str = "auto",
    temperature: float | None = None,
    max_tokens: int | None = None,
    llm_options: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
) -> EvalReport:
    """Evaluate ``agent`` on ``tasks`` with ``len(seeds)`` independent runs at the same attempt budget.

    Args:
        tasks: the tasks (e.g. a suite's test split).
        llm_spec: the frozen LLM (``--llm`` spec); ``llm`` overrides it with a built backend (tests).
        agent: a policy name (see :data:`agents.policies.POLICY_NAMES`).
        checkpoint: a trained policy's checkpoint (file or ``p2s train`` folder).
        seeds: one run per seed (the seed sets the LLM's sampling seeds and the policy's own).
        budget: attempts per task for every agent (``none`` uses one of them).
        out_dir: where ``episodes.jsonl``, ``transcript.jsonl`` and ``report.json`` go; reruns skip done episodes.
        policy: an already built policy (overrides ``agent``/``checkpoint``).
        verifier: ``verify_source`` stand-in (tests); default the real one.
        reward: reward table (recorded per episode; does not change what counts as verified).
        policy_options: extra options for :func:`~agents.policies.make_policy`.
        verify_timeout: seconds per verifier call (``p2s run``'s default: the same verdicts).
        prompt_style: the frozen LLM's base prompt style (``auto``, ``chat``, ``completion``), the same for all.
        grammar: ``auto``/``on``/``off``: decode under the task's Dafny grammar
            (:func:`~agents.prompts.resolve_grammar`).
        temperature, max_tokens: over the agent's defaults (:func:`~agents.policies.prompt_config`).
        llm_options: backend options (``timeout``, ``retries``).
        log: progress sink (one line per episode).
    """
    from agents.llm import get_llm
    from agents.llm.transcript import TRANSCRIPT_NAME, RecordingLLM

    base = prompt_config(agent, resolve_style(prompt_style, llm_spec), temperature, max_tokens,
                         resolve_grammar(grammar, llm_spec))
    options = {"config": base, **(policy_options or {})}
    out = Path(out_dir) if out_dir else None
    done: dict[tuple[str, int], EpisodeRecord] = {}
    attempt_log, transcript = AttemptLog(None), None
    if out:
        out.mkdir(parents=True, exist_ok=True)
        done = _done_episodes(out / "episodes.jsonl")
        attempt_log, transcript = AttemptLog(out / ATTEMPTS_NAME), out / TRANSCRIPT_NAME
    per_task_llm = llm is None and llm_spec.split(":", 1)[0] == "reference"
    shared_llm = None
    if llm is not None:
        shared_llm = RecordingLLM(llm, transcript) if transcript else llm
    elif not per_task_llm:
        shared_llm = get_llm(llm_spec, transcript=transcript, **(llm_options or {}))
    episodes: list[EpisodeRecord] = []
    try:
        for seed in seeds:
            pol = policy or make_policy(agent, checkpoint, seed=seed, **options)
            for task in tasks:
                if (task.id, seed) in done:
                    episodes.append(done[(task.id, seed)])
                    continue
                task_llm = shared_llm or get_llm(llm_spec, task=task, transcript=transcript)
                env = RepairEnv(task, task_llm, verifier=verifier, budget=episode_budget(pol, budget),
                                reward=reward, log=attempt_log, verify_timeout=verify_timeout,
                                tag={"agent": agent, "seed": seed}, seed=seed,
                                initial_prompt=lambda t: initial_prompt(t, base))
                rec = run_episode(env, pol)
                episodes.append(rec)
                if out:
                    with (out / "episodes.jsonl").open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(asdict(rec)) + "\n")
                if log:
                    log(f"{agent} seed {seed} {task.id}: {'verified' if rec.verified else 'failed'} "
                        f"after {rec.attempts} attempt(s) [{' '.join(rec.phases)}]")
    finally:
        if shared_llm is not None and llm is None:
            shared_llm.close()
    report = summarise(agent, llm_spec, budget, seeds, episodes)
    if out:
        (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2))
    return report


TABLE_HEADER = ("| agent | verified | rate [95% CI] | attempts / verified | tokens / verified | seconds |\n"
                "| --- | --- | --- | --- | --- | --- |")


def main(argv: list[str] | None = None) -> int:
    """``python -m agents.evaluate SUITE --split test --llm SPEC --agent A [--checkpoint C]``: one table row."""
    import argparse

    from agents.train import load_tasks
    from pipeline.errors import UserError

    p = argparse.ArgumentParser(prog="python -m agents.evaluate", description=main.__doc__)
    p.add_argument("suite", help="suite name or folder of task YAML files")
    p.add_argument("--split", default="test")
    p.add_argument("--llm", default="embedded")
    p.add_argument("--agent", required=True)
    p.add_argument("--checkpoint")
    p.add_argument("--seeds", default="0", help="comma-separated seeds (one run each)")
    p.add_argument("--budget", type=int, default=DEFAULT_BUDGET)
    p.add_argument("--max-tasks", type=int)
    p.add_argument("--difficulty", help="keep only tasks of this difficulty (comma-separated)")
    p.add_argument("--prompt", default="auto", choices=["auto", "chat", "completion"])
    p.add_argument("--grammar", default="auto", choices=GRAMMAR_CHOICES,
                   help="decode under the task's Dafny grammar (auto: on for embedded models)")
    p.add_argument("--temperature", type=float, help="sampling temperature (default: the agent's own)")
    p.add_argument("--max-tokens", type=int, help="reply limit (default: the agent's own)")
    p.add_argument("--preface-model", default="smollm2", help="LM of an untrained preface agent")
    p.add_argument("--out", required=True, help="folder for episodes.jsonl, transcript.jsonl, report.json")
    args = p.parse_args(argv)
    try:
        tasks = load_tasks(args.suite, args.split, args.difficulty)[: args.max_tasks or None]
        report = evaluate_policy(
            tasks, args.llm, args.agent, args.checkpoint, [int(s) for s in args.seeds.split(",")], args.budget,
            args.out, prompt_style=args.prompt, grammar=args.grammar, temperature=args.temperature,
            max_tokens=args.max_tokens,
            policy_options={"model": args.preface_model}, log=print,
        )
    except UserError as exc:
        print(f"p2s: error: {exc}", file=sys.stderr)
        return 2
    print(TABLE_HEADER)
    print(report.row())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
