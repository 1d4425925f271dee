"""The prompt-repair comparison script: figures recomputed from episode records, and the README's table
matching the recorded measurement."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import prompt_repair
from tests.support import REPO


def _episode(task: str, verified: bool, attempts: int, phases: list[str]) -> dict:
    return {"task": task, "seed": 0, "verified": verified, "attempts": attempts, "tokens": 100 * attempts,
            "seconds": 10.0 * attempts, "phases": phases, "actions": ["initial"] * attempts, "reward": 0.0}


def _write(folder: Path, agent: str, episodes: list[dict]) -> None:
    (folder / f"eval-{agent}").mkdir(parents=True)
    text = "".join(json.dumps(e) + "\n" for e in episodes)
    (folder / f"eval-{agent}" / "episodes.jsonl").write_text(text)


def test_table_per_task_phases_and_training_from_records(tmp_path, capsys):
    _write(tmp_path, "repair", [_episode("a", True, 2, ["parse", "ok"]), _episode("b", False, 3, ["parse"] * 3)])
    _write(tmp_path, "none", [_episode("a", False, 1, ["resolution"]), _episode("b", False, 1, ["parse"])])
    train = tmp_path / "train-preface-lite"
    train.mkdir()
    (train / "episodes.csv").write_text("iteration,episode,task,return,verified,attempts,tokens,actions\n"
                                        "1,1,a,5.0,1,1,10,x\n1,2,b,-17.0,0,3,10,x y z\n")
    (train / "updates.csv").write_text("iteration,losses/approx_kl,losses/entropy\n1,0.01,2.0\n2,0.03,1.9\n")
    assert prompt_repair.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines.index("| none | 0/2 | 0.0% [0.0%, 65.8%] | - | - | 20 |") < lines.index(
        "| repair | 1/2 | 50.0% [9.5%, 90.5%] | 2.00 | 200 | 50 |")  # the agents in their canonical order
    assert "| task | none | repair |" in lines and "| a | - | +2 |" in lines
    assert not any(line.startswith("| b |") for line in lines)  # nobody verified b
    assert lines[lines.index("how the attempts ended:") + 2:][:4] == [
        "| agent | parse | resolution | ok |", "| --- | --- | --- | --- |", "| none | 1 | 1 | 0 |",
        "| repair | 4 | 0 | 1 |"]
    assert ("train-preface-lite: 2 episodes, 1 verified, mean return 5.0 (first half) -17.0 (second half); "
            "2 updates, approx_kl 0.01..0.03, last entropy 1.90") in lines


def test_empty_folder_is_one_error_line(tmp_path, capsys):
    assert prompt_repair.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no eval-*/episodes.jsonl under") and err.count("\n") == 1


def test_results_page_table_is_the_recorded_measurement(capsys):
    """Every row the recorded episodes give appears verbatim in the results page, and all five agents are there."""
    assert prompt_repair.main([]) == 0
    out = capsys.readouterr().out
    readme = (REPO / "docs" / "results" / "prompt-repair.md").read_text(encoding="utf-8")
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    agents = rows[: rows.index("| task | none | repair | best-of-n | preface-lite | preface |")][1:]
    assert [r.split(" | ")[0] for r in agents] == ["| none", "| repair", "| best-of-n", "| preface-lite", "| preface"]
    assert all(r.split(" | ")[1].endswith("/54") for r in agents)  # the whole test split
    for row in rows:  # the agents' rows, the per-task table and the phase table
        assert row in readme
