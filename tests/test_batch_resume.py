"""A batch killed with SIGKILL mid-run resumes with the same command, losing and redoing nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import EXAMPLES, REPO, journal_lines, kill_bench_mid_run, needs_dafny

pytestmark = needs_dafny


def bench_cmd(suite: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "bench", str(suite), "--llm", "reference",
            "--stages", "verify,python", "--workers", "1", "--out", str(out)]


@pytest.mark.slow
def test_kill_and_resume(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    for yaml_file in sorted(EXAMPLES.glob("*.yaml")):
        shutil.copy(yaml_file, suite / yaml_file.name)
    ids = {f.stem for f in suite.glob("*.yaml")}
    assert len(ids) >= 4
    out = tmp_path / "out"
    env = {**os.environ, "P2S_NO_VERIFY_CACHE": "1"}
    before = kill_bench_mid_run(bench_cmd(suite, out), out, REPO, env)
    assert 1 <= len(before) < len(ids), "the batch must be killed mid-run for this test to mean anything"

    done = subprocess.run(bench_cmd(suite, out), cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stderr
    after = journal_lines(out)
    assert after[: len(before)] == before, "records written before the kill were changed"
    tasks = [json.loads(line)["task"] for line in after]
    assert sorted(tasks) == sorted(ids), "each task exactly once: nothing lost, nothing redone"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["tasks"] == len(ids)
    assert summary["stages"]["verify"]["pass"] == len(ids)
    assert (out / "report.md").read_text().count("| ") > len(ids)


def test_an_identity_field_added_later_is_no_difference_at_its_former_value():
    from pipeline.identity import differences

    old = {"llm": "reference", "formal": "auto"}  # written before formal_timeout was part of the identity
    assert differences(old, {**old, "formal_timeout": 600.0}) == []
    assert differences(old, {**old, "formal_timeout": 120.0}) == ["formal_timeout: 600.0 -> 120.0"]
