"""A resumed batch re-runs exactly the tasks edited since their result was written, and keeps the others."""

from __future__ import annotations

import json
import shutil

import pipeline.batch as batch
from pipeline.batch import BatchConfig, run_batch
from pipeline.task import load_task
from tests.support import EXAMPLES


def _fake_worker(calls: list[str]):
    """Stands in for the toolchain: records which tasks ran and writes a line as the real worker does."""

    def worker(task_id: str, task_path: str, config_data: dict) -> dict:
        calls.append(task_id)
        task = load_task(task_path)
        return {"task": task_id, "ok": True, "stages": {"verify": {"status": "pass", "seconds": 0.0}},
                "first_failure": None, "metrics": {}, "task_hash": task.fingerprint()}

    return worker


def test_an_edited_task_runs_again_and_its_new_result_counts(tmp_path, monkeypatch):
    suite = tmp_path / "suite"
    suite.mkdir()
    for name in ("max2.yaml", "clamp.yaml", "square.yaml"):
        shutil.copy(EXAMPLES / name, suite / name)
    tasks = lambda: [load_task(p) for p in sorted(suite.glob("*.yaml"))]  # noqa: E731
    calls: list[str] = []
    monkeypatch.setattr(batch, "_worker", _fake_worker(calls))
    config = BatchConfig(suite=str(suite), out_dir=str(tmp_path / "out"), stages=["verify"])

    run_batch(config, tasks=tasks(), progress=False)
    assert sorted(calls) == ["clamp", "max2", "square"]

    calls.clear()
    run_batch(config, tasks=tasks(), progress=False)
    assert calls == [], "unchanged tasks are not run again"

    edited = suite / "clamp.yaml"
    edited.write_text(edited.read_text().replace("description: ", "description: (edited) ", 1))
    run_batch(config, tasks=tasks(), progress=False)
    assert calls == ["clamp"], "only the edited task runs again"

    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["task"] for r in lines].count("clamp") == 1, "one line per task: the old one is replaced"
    assert next(r for r in lines if r["task"] == "clamp")["task_hash"] == load_task(edited).fingerprint()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["tasks"] == 3


def test_fingerprint_changes_with_the_task_and_only_then():
    a, b = load_task(EXAMPLES / "max2.yaml"), load_task(EXAMPLES / "max2.yaml")
    assert a.fingerprint() == b.fingerprint()
    b.requires = [*b.requires, "true"]
    assert a.fingerprint() != b.fingerprint()


def test_rerun_failed_runs_only_the_failures_again(tmp_path, monkeypatch):
    suite = tmp_path / "suite"
    suite.mkdir()
    for name in ("max2.yaml", "clamp.yaml"):
        shutil.copy(EXAMPLES / name, suite / name)
    tasks = [load_task(p) for p in sorted(suite.glob("*.yaml"))]
    calls: list[str] = []
    worker = _fake_worker(calls)

    def failing_clamp(task_id: str, task_path: str, config_data: dict) -> dict:
        rec = worker(task_id, task_path, config_data)
        rec["ok"] = task_id != "clamp"
        return rec

    monkeypatch.setattr(batch, "_worker", failing_clamp)
    config = BatchConfig(suite=str(suite), out_dir=str(tmp_path / "out"), stages=["verify"])
    run_batch(config, tasks=tasks, progress=False)
    calls.clear()
    run_batch(config, tasks=tasks, progress=False)
    assert calls == []
    config.rerun_failed = True
    summary = run_batch(config, tasks=tasks, progress=False)
    assert calls == ["clamp"]
    assert summary["tasks"] == 2
