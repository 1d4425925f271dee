"""One name, one algorithm: ``p2s bench --agent repair --seeds`` and ``python -m agents.evaluate --agent repair``
play the same episodes (the same calls, seeds and replies with the real SmolLM2 model), and ``--llm replay:``
reproduces a bench and an evaluation from what they recorded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agents.evaluate import main as evaluate_main
from pipeline.cli import main as p2s
from tests.support import REPO, needs_dafny

TASKS = ("max2", "clamp", "square")
SEEDS = (0, 1, 2)
LIMITS = ["--attempts", "2", "--max-tokens", "40"]

pytestmark = [pytest.mark.llm, pytest.mark.slow,
              needs_dafny]


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    from agents.llm.fetch_model import ensure_model

    ensure_model("smollm2")
    folder = tmp_path_factory.mktemp("suite")
    for name in TASKS:
        shutil.copy(REPO / "benchmarks" / "examples" / f"{name}.yaml", folder / f"{name}.yaml")
    return folder


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _bench_episodes(out: Path) -> dict[tuple[str, int], list[tuple]]:
    """(task, seed) -> each attempt's (seed of the call, reply, phase) in a bench folder."""
    episodes = {}
    for seed in SEEDS:
        for task in TASKS:
            rows = _lines(out / f"seed-{seed}" / "tasks" / task / "attempts.jsonl")
            assert {r["seed"] for r in rows} == {seed}
            episodes[(task, seed)] = [(r["call_seed"], r["reply"], r["phase"]) for r in rows]
    return episodes


def _eval_episodes(out: Path) -> dict[tuple[str, int], list[tuple]]:
    episodes: dict[tuple[str, int], list[tuple]] = {}
    for r in _lines(out / "attempts.jsonl"):
        episodes.setdefault((r["task"], r["seed"]), []).append((r["call_seed"], r["reply"], r["phase"]))
    return episodes


def _bench(suite: Path, llm: str, out: Path) -> int:
    return p2s(["bench", str(suite), "--llm", llm, "--agent", "repair", "--seeds", ",".join(map(str, SEEDS)),
                "--stages", "verify", "--out", str(out), *LIMITS])


def _evaluate(suite: Path, llm: str, out: Path) -> int:
    return evaluate_main([str(suite), "--split", "all", "--llm", llm, "--agent", "repair", "--seeds",
                          ",".join(map(str, SEEDS)), "--budget", "2", "--max-tokens", "40", "--out", str(out)])


def test_bench_and_evaluation_play_the_same_episodes_and_replay_reproduces_both(suite, tmp_path, capsys):
    assert _bench(suite, "embedded:smollm2", tmp_path / "bench") in (0, 1)
    assert _evaluate(suite, "embedded:smollm2", tmp_path / "eval") == 0
    bench, evaluation = _bench_episodes(tmp_path / "bench"), _eval_episodes(tmp_path / "eval")
    assert set(bench) == set(evaluation) == {(t, s) for t in TASKS for s in SEEDS}
    assert bench == evaluation  # call for call: the same seeds, the same replies, the same verdicts
    # the seeds make a difference: the model was sampled, not decoded greedily three times
    assert len({tuple(bench[("max2", s)]) for s in SEEDS}) > 1

    outcomes = {(r["task"], r["seed"]): (r["verified"], r["attempts"]) for r in _lines(tmp_path / "eval" /
                                                                                      "episodes.jsonl")}
    for seed in SEEDS:
        for r in _lines(tmp_path / "bench" / f"seed-{seed}" / "results.jsonl"):
            assert (r["ok"], r["attempts"]) == outcomes[(r["task"], seed)]

    # replay: a bench from its folder, an evaluation from its transcript; nothing reaches a model
    assert _bench(suite, f"replay:{tmp_path / 'bench'}", tmp_path / "bench-replay") in (0, 1)
    assert _bench_episodes(tmp_path / "bench-replay") == bench
    assert _evaluate(suite, f"replay:{tmp_path / 'eval' / 'transcript.jsonl'}", tmp_path / "eval-replay") == 0
    assert _eval_episodes(tmp_path / "eval-replay") == evaluation
    replayed = json.loads((tmp_path / "eval-replay" / "report.json").read_text())
    recorded = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert replayed["verified_rate"] == recorded["verified_rate"]
    assert replayed["per_seed_rate"] == recorded["per_seed_rate"]
