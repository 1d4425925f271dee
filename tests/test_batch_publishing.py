"""Batch folders a researcher can publish from: one configuration per folder, one writer, one line per task,
outages kept out of the figures, nothing stale beside a re-used run, a report that says where it came from."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pipeline.batch import BatchConfig, run_batch
from pipeline.lock import FolderLock
from pipeline.runner import run_dafny_file
from pipeline.stage import RunOptions
from pipeline.task import load_task
from tests.support import EXAMPLES, REPO, needs_dafny
from tests.test_llm_openai import FakeOpenAI


def _suite(tmp_path: Path, names: tuple[str, ...] = ("max2", "clamp")) -> Path:
    suite = tmp_path / "suite"
    suite.mkdir()
    for name in names:
        shutil.copy(EXAMPLES / f"{name}.yaml", suite / f"{name}.yaml")
    return suite


def _p2s(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600, **kw)


def _lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


@needs_dafny
def test_a_folder_holds_one_configuration_and_another_is_refused_naming_the_difference(tmp_path):
    """Finding 1: the reference run's results must not be relabelled as the dummy model's."""
    suite, out = _suite(tmp_path), tmp_path / "b"
    first = _p2s("bench", str(suite), "--llm", "reference", "--stages", "verify", "--out", str(out))
    assert first.returncode == 0, first.stderr
    other = _p2s("bench", str(suite), "--llm", "dummy", "--agent", "none", "--stages", "verify", "--out", str(out))
    assert other.returncode == 2 and other.stderr.count("\n") == 1, other.stderr
    assert other.stderr.startswith("p2s: error:") and "llm: 'reference' -> 'dummy'" in other.stderr
    assert "--force" in other.stderr
    assert json.loads((out / "summary.json").read_text())["ok"] == 2  # untouched
    forced = _p2s("bench", str(suite), "--llm", "dummy", "--agent", "none", "--stages", "verify", "--out", str(out),
                  "--force")
    assert forced.returncode == 1  # the dummy model verifies nothing, and says so under its own name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] == 0 and summary["tasks"] == 2
    assert json.loads((out / "identity.json").read_text())["llm"] == "dummy"
    assert "LLM `dummy`" in (out / "report.md").read_text()


@needs_dafny
def test_two_benches_on_one_folder_one_waits_and_each_task_has_one_line(tmp_path):
    """Finding 3: a second bench on a folder in use refuses (or waits with --wait); nothing runs twice."""
    suite, out = _suite(tmp_path, ("max2", "clamp", "square")), tmp_path / "b"
    args = ("bench", str(suite), "--llm", "reference", "--stages", "verify,python", "--out", str(out))
    first = subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        lock = out / ".p2s-lock"
        while not (lock.is_file() and lock.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = _p2s(*args)
        assert second.returncode == 2 and "in use by another p2s bench" in second.stderr, second.stderr
        assert second.stderr.count("\n") == 1
    finally:
        first.wait(timeout=600)
    assert first.returncode == 0, first.stderr
    # --wait: the folder held (here by this test, so the waiting is not a race against the first bench's speed)
    with FolderLock(out):
        waiting = subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args, "--wait"], cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = waiting.stderr.readline()
        assert "waiting for pid" in line, line
        assert waiting.poll() is None  # still waiting while the folder is held
    waiting.wait(timeout=600)
    assert waiting.returncode == 0, waiting.stderr.read()
    assert sorted(r["task"] for r in _lines(out)) == ["clamp", "max2", "square"]


def _openai_config(suite: Path, out: Path, url: str) -> BatchConfig:
    return BatchConfig(suite=str(suite), out_dir=str(out), llm="openai:test-model", agent="none",
                       stages=["verify"], llm_options={"retries": 0, "timeout": 5})


@needs_dafny
def test_an_outage_is_an_error_left_out_of_the_figures_and_run_again(tmp_path, monkeypatch):
    """Finding 2: HTTP 500 after the retries is the server's failure, not the model's."""
    suite, out = _suite(tmp_path), tmp_path / "b"
    max2 = load_task(suite / "max2.yaml")
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    with FakeOpenAI(["500", "500", "500", "500"]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        summary = run_batch(_openai_config(suite, out, server.url), progress=False)
    assert summary["tasks"] == 0 and summary["ok"] == 0, "an outage is in no rate"
    assert sorted(e["task"] for e in summary["errors"]) == ["clamp", "max2"]
    assert all(e["status"] == "error" and "500" in e["detail"] for e in summary["errors"])
    assert "infrastructure error" in (out / "report.md").read_text()
    assert all(r["error"] for r in _lines(out))
    with FakeOpenAI(reply=f"```dafny\n{max2.reference}\n```") as server:  # the server is back
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        summary = run_batch(_openai_config(suite, out, server.url), progress=False)
        assert len(server.requests) == 2, "both tasks ran again, without --rerun-failed"
    assert summary["tasks"] == 2 and not summary["errors"]
    assert {r["task"]: r["ok"] for r in _lines(out)} == {"max2": True, "clamp": False}


@needs_dafny
def test_a_reused_run_folder_keeps_nothing_of_the_previous_run(tmp_path):
    """Finding 4: another task's python/ must not stay beside a new, failing run."""
    out = tmp_path / "run"
    max2, clamp = load_task(EXAMPLES / "max2.yaml"), load_task(EXAMPLES / "clamp.yaml")
    good = tmp_path / "max2.dfy"
    good.write_text(max2.reference)
    run_dafny_file(max2, good, out, RunOptions(), stages=["verify", "python"])
    assert (out / "python").is_dir()
    bad = tmp_path / "clamp.dfy"
    bad.write_text(clamp.reference.replace("{", "{ assert false;", 1))
    ctx = run_dafny_file(clamp, bad, out, RunOptions(), stages=["verify", "python"])
    assert ctx.results[0].status.value == "fail"
    assert not (out / "python").exists() and json.loads((out / "report.json").read_text())["task"] == "clamp"


def test_run_out_on_an_existing_file_is_one_error_line(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    done = _p2s("synth", str(tmp_path / "none.dfy"), "--task", str(EXAMPLES / "max2.yaml"), "--out", str(target))
    assert done.returncode == 2 and done.stderr.startswith("p2s: error:") and done.stderr.count("\n") == 1


@needs_dafny
def test_the_report_says_where_each_number_comes_from(tmp_path):
    """Finding 6: per-task figures, skipped stages as '-', command, commit, tools; CSV and LaTeX tables."""
    suite, out = _suite(tmp_path), tmp_path / "b"
    done = _p2s("bench", str(suite), "--llm", "reference", "--stages", "verify,python", "--out", str(out), "--latex")
    assert done.returncode == 0, done.stderr
    report = (out / "report.md").read_text()
    assert "Command: `p2s bench " in report and "Commit `" in report and "dafny `2." in report
    assert "| rtl | 0 | 0 | 2 | - |" in report, "a stage that never ran has no rate"
    assert "| task | split | last stage passed | verified at | cycles (max) | LUT | FF |" in report
    assert "| max2 | " in report
    csv_lines = (out / "report.csv").read_text().splitlines()
    assert csv_lines[0].startswith("task,split,last_passed,verified_at,cycles,lut,ff") and len(csv_lines) == 3
    assert r"\begin{tabular}" in (out / "report.tex").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stages"]["rtl"]["rate"] is None and summary["stages"]["python"]["rate"] == 1.0


@needs_dafny
def test_the_commit_is_the_one_each_task_ran_at_not_the_checkout_at_report_time(tmp_path):
    """A long batch must not take the commit of a checkout that moved on while it ran: the batch reads it once
    when it starts, every journal line carries it, and a resumed batch that spans two names both."""
    from pipeline.summary import header_lines

    suite, out = _suite(tmp_path), tmp_path / "b"
    config = BatchConfig(suite=str(suite), out_dir=str(out), llm="reference", stages=["verify"], commit="aaaa111")
    run_batch(config, progress=False)
    lines = _lines(out)
    assert {r["commit"] for r in lines} == {"aaaa111"}
    assert "Commit `aaaa111`" in (out / "report.md").read_text()
    assert json.loads((out / "config.json").read_text())["commit"] == "aaaa111"
    assert json.loads((out / "summary.json").read_text())["provenance"]["commit"] == "aaaa111"
    mixed = [{**lines[0], "commit": "bbbb222"}, *lines[1:]]
    header = "\n".join(header_lines(config, out, mixed))
    assert "Commits `aaaa111` (1 tasks), `bbbb222` (1 tasks)" in header or \
        "Commits `bbbb222` (1 tasks), `aaaa111` (1 tasks)" in header


def test_failure_reasons_are_cut_at_a_word_not_inside_one():
    from pipeline.task_table import shorten

    text = "width proof failed at int32_t: " + "overflowing-expression " * 20
    short = shorten(text, 60)
    assert len(short) <= 60 and short.endswith("…") and short[:-1].endswith(("overflowing-expression", ":"))


def test_bench_refuses_a_broken_replay_file_and_an_out_that_is_a_file(tmp_path):
    suite = _suite(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    done = _p2s("bench", str(suite), "--llm", f"replay:{bad}", "--out", str(tmp_path / "b"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "bad.jsonl:1" in done.stderr, done.stderr
    target = tmp_path / "a-file"
    target.write_text("x")
    done = _p2s("bench", str(suite), "--out", str(target))
    assert done.returncode == 2 and done.stderr.startswith("p2s: error:") and done.stderr.count("\n") == 1
