"""``benchmarks/dafnybench_verify.py``: resumable records, Dafny's verdict beside what is trusted, the report."""

from __future__ import annotations

import json

import pytest

from benchmarks import dafnybench_verify as dbv
from tests.support import needs_dafny

pytestmark = pytest.mark.usefixtures("private_p2s_home")

PROGRAMS = {
    "proved": "method Id(x: int) returns (y: int) ensures y == x { y := x; }\n",
    "uninterpreted": "function F(x: int): int\nmethod UseF(x: int) returns (r: int) ensures r == F(x) { r := F(x); }\n",
    "wrong": "method Bad(x: int) returns (y: int) ensures y == x + 1 { y := x; }\n",
}


@needs_dafny
def test_records_resume_and_the_report_counts_by_phase(tmp_path, capsys):
    data, records = tmp_path / "programs", tmp_path / "records.jsonl"
    data.mkdir()
    for name, text in PROGRAMS.items():
        (data / f"{name}.dfy").write_text(text)
    assert dbv.main(["--data", str(data), "--records", str(records), "--limit", "2"]) == 0
    assert len(records.read_text().splitlines()) == 2
    assert dbv.main(["--data", str(data), "--records", str(records)]) == 0  # resumes: only the third
    recs = {r["name"]: r for r in map(json.loads, records.read_text().splitlines())}
    assert set(recs) == set(PROGRAMS)
    assert (recs["proved"]["dafny_verified"], recs["proved"]["verified"]) == (True, True)
    assert (recs["uninterpreted"]["dafny_verified"], recs["uninterpreted"]["verified"]) == (True, False)
    assert recs["uninterpreted"]["trusted"] == ["bodyless function"]
    assert (recs["wrong"]["dafny_verified"], recs["wrong"]["phase"]) == (False, "verification")
    report = dbv.report(records)
    assert "| Dafny verifies through the bridge (`dafny_verified`) | 2 | 67% |" in report
    assert "| verification | 1 |" in report and "| bodyless function | 1 |" in report
    assert dbv.drop_failed(records) == 1 and len(records.read_text().splitlines()) == 2
