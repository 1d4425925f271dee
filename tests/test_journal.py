"""The batch journal: durable appends, the latest record per task wins, a torn last line is dropped and cut away."""

from __future__ import annotations

import json

from pipeline.journal import Journal
from pipeline.summary import summarize


def test_append_and_read_back(tmp_path):
    j = Journal(tmp_path / "r.jsonl")
    j.append({"task": "a", "ok": True})
    j.append({"task": "b", "ok": False})
    j.append({"task": "a", "ok": False})  # a task run again: its latest line counts
    assert [r["task"] for r in j.records()] == ["a", "b"]
    assert j.records()[0]["ok"] is False
    j.compact()
    assert [json.loads(x)["task"] for x in j.path.read_text().splitlines()] == ["a", "b"]
    assert j.done_keys() == {"a", "b"}


def test_torn_last_line_is_cut(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"task": "a", "ok": true}\n{"task": "b", "o')
    j = Journal(path)
    assert j.done_keys() == {"a"}
    j.append({"task": "b", "ok": True})
    assert path.read_text().splitlines()[-1] == '{"task":"b","ok":true}'
    assert Journal(path).done_keys() == {"a", "b"}


def test_summary_funnel_counts():
    recs = [
        {"task": "a", "ok": True, "stages": {s: {"status": "pass", "seconds": 1.0} for s in ["verify", "python"]}},
        {"task": "b", "ok": False, "stages": {"verify": {"status": "pass", "seconds": 2.0},
                                              "python": {"status": "fail", "seconds": 0.5}},
         "first_failure": {"stage": "python", "status": "fail", "detail": "vector 1"}},
        {"task": "c", "ok": False, "stages": {"verify": {"status": "fail", "seconds": 3.0}},
         "first_failure": {"stage": "verify", "status": "fail", "detail": "2 errors"}},
    ]
    s = summarize(recs)
    assert s["tasks"] == 3 and s["ok"] == 1
    assert s["funnel"]["verify"] == 2 and s["funnel"]["python"] == 1
    assert s["stages"]["python"]["fail"] == 1 and s["stages"]["c"]["skipped"] == 3
    assert s["failures"] == {"python": 1, "verify": 1}
    assert s["stages"]["verify"]["seconds"] == 6.0
