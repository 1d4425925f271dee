"""``benchmarks/public_funnel.py``: the funnel and the grouped first failures, from bench result lines."""

from __future__ import annotations

import json

from benchmarks import public_funnel as pf


def _row(task: str, **stages: tuple[str, str]) -> dict:
    return {"task": task, "commit": "abc123",
            "stages": {k: {"status": v[0], "detail": v[1]} for k, v in stages.items()}}


ROWS = [
    _row("a", verify=("pass", ""), python=("pass", ""), c=("pass", ""), rtl=("pass", ""), cosim=("pass", "")),
    _row("b", verify=("pass", ""), python=("pass", ""), c=("fail", "not synthesizable: array c (line 7): used"),
         rtl=("skipped", "c fail"), cosim=("skipped", "c fail")),
    _row("c", verify=("pass", ""), python=("fail", "2/3 vectors matched"), c=("skipped", "python fail")),
    _row("d", verify=("fail", "verification"), python=("skipped", "")),
]


def test_funnel_counts_tasks_alive_after_each_stage_and_groups_first_failures(tmp_path):
    assert pf.funnel(ROWS, pf.CHAIN) == [3, 2, 1, 1, 1]
    grouped = pf.failures(ROWS, pf.CHAIN)
    assert grouped[("c", "used")] == 1 and grouped[("python", "_/_ vectors matched")] == 1
    assert sum(grouped.values()) == 3  # the passing task has no failure
    bench = tmp_path / "bench-mbpp"
    bench.mkdir()
    lines = [json.dumps(r) for r in ROWS] + [json.dumps(_row("d", verify=("pass", ""), python=("pass", ""),
                                                             c=("pass", ""), rtl=("pass", ""), cosim=("pass", "")))]
    (bench / "results.jsonl").write_text("\n".join(lines) + "\n")  # a rerun's line replaces the first
    records = tmp_path / "records"
    pf.record(tmp_path, "mbpp", records)
    assert len((records / "mbpp.jsonl").read_text().splitlines()) == 4  # the latest line per task
    text = pf.report(records, ["mbpp"])
    assert "| 4 | 3 | 2 | 2 | 2 |" in text and "Of the 4 that verify, 2 (50%) pass cosim." in text


def test_unknown_suite_is_a_usage_error(capsys):
    assert pf.main(["--suites", "nope", "--report"]) == 2
    assert "p2s: error: --suites nope" in capsys.readouterr().err


def test_a_sampled_suite_reports_its_rtl_share_apart_from_the_published_headline(tmp_path):
    records = tmp_path / "records"
    records.mkdir()
    (records / "dafnybench.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS) + "\n")
    (records / "mbpp.jsonl").write_text(json.dumps(ROWS[0]) + "\n")
    text = pf.report(records, ["mbpp", "dafnybench"])
    assert "Of the 3 that verify, 1 (33%) compile to RTL and 1 (33%) pass cosim on up to 4 sampled" in text
    assert "(mbpp): 1 of the 1 that verify" in text  # the sampled suite is not in the headline
