"""Sampled test vectors for tasks without any: drawn inputs kept only where Dafny proves the requires, outputs
from the reference's own run, the same draw for the same seed."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks.importers.sampling import Unsampleable, draw_value
from pipeline.cli import main as p2s
from pipeline.task import load_task
from pipeline.types import parse_type
from tests.support import needs_dafny

DATA = Path(__file__).parent / "data" / "import" / "sampling"


def test_drawn_values_fit_their_types_and_bounds():
    rng = random.Random(1)
    for _ in range(200):
        assert draw_value(parse_type("nat"), rng, 16) >= 0
        arr = draw_value(parse_type("array<int>"), rng, 3)
        assert isinstance(arr, list) and len(arr) <= 3 and all(isinstance(v, int) for v in arr)
        assert draw_value(parse_type("char"), rng, 16) in "abcde"
        assert isinstance(draw_value(parse_type("bool"), rng, 16), bool)
    with pytest.raises(Unsampleable, match="array2<int>"):
        draw_value(parse_type("array2<int>"), rng, 16)


@needs_dafny
def test_sampled_vectors_meet_the_requires_and_carry_the_reference_outputs(tmp_path, capsys, monkeypatch):
    outs = []
    for run in ("a", "b"):
        monkeypatch.setenv("P2S_HOME", str(tmp_path / f"home-{run}"))  # drawn afresh both times: no sample cache
        code = p2s(["import", "dafnybench", str(DATA), "--out", str(tmp_path / run), "--sample-vectors", "3"])
        assert code == 0
        outs.append(capsys.readouterr().out)
    task = load_task(tmp_path / "a" / "first_at_least.yaml")
    assert len(task.tests) == 3
    for vec in task.tests:
        a, key = vec.inputs["a"], vec.inputs["key"]
        assert len(a) > 1 and a == sorted(a) and key > 3  # the requires, checked here independently
        assert vec.expected == {"k": next((i for i, v in enumerate(a) if v >= key), len(a))}
    assert task.metadata["vectors_from"].startswith("sampled:")
    again = load_task(tmp_path / "b" / "first_at_least.yaml")
    assert again.tests == task.tests  # same seed, same vectors
    never = load_task(tmp_path / "a" / "never.yaml")
    assert never.tests == [] and "vectors_from" not in never.metadata
    assert "never: no sampled vectors: none of 9 drawn inputs provably meets the requires" in outs[0]


@needs_dafny
def test_an_interrupted_sampling_resumes_from_its_cache(tmp_path, capsys, monkeypatch):
    """Each task's sampled outcome is kept: a second import (an interrupted one run again) runs no Dafny for
    the tasks already sampled and gives them the same vectors, and the import shows its progress."""
    from benchmarks.importers import sampling

    monkeypatch.setenv("P2S_HOME", str(tmp_path / "home"))
    assert p2s(["import", "dafnybench", str(DATA), "--out", str(tmp_path / "a"), "--sample-vectors", "3"]) == 0
    assert "sampling: " in capsys.readouterr().err

    def no_dafny(*args, **kwargs):
        raise AssertionError("sampled again although its outcome was kept")

    monkeypatch.setattr(sampling, "sample_task", no_dafny)
    assert p2s(["import", "dafnybench", str(DATA), "--out", str(tmp_path / "b"), "--sample-vectors", "3"]) == 0
    for name in ("first_at_least", "never"):
        assert load_task(tmp_path / "b" / f"{name}.yaml").tests == load_task(tmp_path / "a" / f"{name}.yaml").tests
    assert "never: no sampled vectors: none of 9 drawn inputs provably meets the requires" in capsys.readouterr().out


def test_a_printed_space_is_a_value():
    from benchmarks.check_suite import parse_printed

    assert parse_printed(" ", parse_type("char")) == " "
    assert parse_printed(" a b ", parse_type("string")) == " a b "
    assert parse_printed(" ab", parse_type("seq<char>")) == [" ", "a", "b"]
    assert parse_printed(" [1, 2] ", parse_type("seq<int>")) == [1, 2]


def test_a_negative_sample_count_is_one_line_exit_2(tmp_path, capsys):
    assert p2s(["import", "dafnybench", str(DATA), "--out", str(tmp_path / "o"), "--sample-vectors", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("p2s: error: --sample-vectors -1") and err.count("\n") == 1
