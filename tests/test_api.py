"""The Python API for research scripts: typed reports from real pipeline runs."""

from __future__ import annotations

from pipeline.api import load_report, load_task, run_pipeline, with_hardware
from pipeline.stage import Status
from tests.support import EXAMPLES, needs_dafny

EXAMPLE = EXAMPLES / "max_array.yaml"


def test_with_hardware_changes_only_the_copy():
    task = load_task(EXAMPLE)
    narrow = with_hardware(task, int_width=16)
    assert narrow.hardware.int_width == 16
    assert task.hardware.int_width == 32


@needs_dafny
def test_run_pipeline_returns_a_typed_report(tmp_path):
    task = load_task(EXAMPLE)
    report = run_pipeline(task, out_dir=tmp_path / "run", stages=["verify", "python"])
    assert report.ok
    assert [s.stage for s in report.stages] == ["verify", "python"]
    assert report.stage("python").status is Status.PASS
    assert report.metric("python", "vectors_passed") == len(task.tests)
    again = load_report(tmp_path / "run")
    assert again.task == "max_array" and again.ok


@needs_dafny
def test_run_pipeline_reports_a_failing_program(tmp_path):
    task = load_task(EXAMPLE)
    wrong = task.reference.replace("if a[k] > m", "if a[k] < m")
    report = run_pipeline(task, dafny=wrong, out_dir=tmp_path / "run", stages=["verify", "python"])
    assert not report.ok
    assert report.stage("verify").status is Status.FAIL
    assert report.stage("python").status is Status.SKIPPED
