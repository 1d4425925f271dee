"""The bundled benchmark suite (benchmarks/suites/core) and its checker.

Fast tests read the YAML files only; the slow test runs the real Dafny over the whole suite once (every
reference verifies with its pinned contract and reproduces every vector); the checker's own failure
detection is tested on small broken copies of one task.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from benchmarks.check_suite import check_suite, check_task, contract_problems
from benchmarks.importers.dafny_text import definitions_text
from pipeline.errors import UserError
from pipeline.suites import DIFFICULTIES, SUITES_DIR, TaskIndex, load_suite, task_files
from pipeline.task import load_task
from tests.support import needs_dafny

CORE = SUITES_DIR / "core"


@pytest.fixture(scope="module")
def index() -> TaskIndex:
    return TaskIndex.build([CORE])


def test_at_least_100_tasks_all_load(index):
    assert len(task_files(CORE)) >= 100
    assert len(index) == len(task_files(CORE))


def test_ids_are_unique_and_match_file_names(index):
    assert not index.duplicates
    assert sorted(Path(t.path).stem for t in index) == index.ids()


def test_splits_are_roughly_60_40_with_every_difficulty_in_both(index):
    table = index.summary()
    assert set(table) == {"train", "test"}
    train, test = sum(table["train"].values()), sum(table["test"].values())
    assert 0.5 <= train / (train + test) <= 0.7
    for split in ("train", "test"):
        assert set(table[split]) == set(DIFFICULTIES), split
        assert min(table[split].values()) >= 5, table


def test_every_task_has_metadata_vectors_and_reference(index):
    for task in index:
        assert task.metadata.get("version", 0) >= 1, task.id
        assert task.metadata.get("tags"), task.id
        assert len(task.tests) >= 3, task.id
        assert all(v.expected for v in task.tests), task.id
        assert task.reference and len(task.description) > 30, task.id


def test_references_carry_the_exact_signature_and_pinned_contract(index):
    problems = {t.id: contract_problems(t) for t in index}
    assert {k: v for k, v in problems.items() if v} == {}


def test_contract_helpers_are_given_as_task_definitions(index):
    """A contract that calls a function carries its definition in ``definitions`` (what prompts show and the
    gate prepends), word for word as in the reference, so the reference passes the gate unchanged."""
    with_defs = 0
    for task in index:
        expected = definitions_text(task.reference, task.requires + task.ensures)
        assert (task.definitions or "").strip() == expected.strip(), task.id
        with_defs += bool(expected)
    assert with_defs >= 40


def test_test_values_fit_the_hardware_options(index):
    """Arrays within max_array_length, integers within a signed int_width register (the C/RTL chain's limits)."""
    for task in index:
        hw = task.hardware
        lo, hi = -(1 << (hw.int_width - 1)), (1 << (hw.int_width - 1)) - 1
        for vec in task.tests:
            for name, value in {**vec.inputs, **vec.expected}.items():
                typ = task.signature.param(name).type
                if isinstance(value, list):
                    assert len(value) <= hw.max_array_length, (task.id, name)
                scalar = typ.elem if typ.elem is not None else typ
                if scalar.kind in ("int", "nat"):
                    for x in value if isinstance(value, list) else [value]:
                        assert lo <= x <= hi, (task.id, name, x)


def test_interface_types_are_the_supported_subset(index):
    allowed = {"int", "nat", "bool", "bv8", "bv16", "bv32", "array<int>", "array<bool>", "seq<int>"}
    for task in index:
        for p in task.signature.params + task.signature.returns:
            assert str(p.type) in allowed, (task.id, p.name, str(p.type))


def test_references_avoid_constructs_the_hardware_chain_rejects(index):
    for task in index:
        ref = task.reference or ""
        for word in ("function method", "predicate method", " for ", "new int[] [", "set<", "map<", "real", "string"):
            assert word not in ref, (task.id, word)


def test_index_filters_and_errors(index):
    train = load_suite("core", split="train")
    assert train and all(t.split == "train" for t in train)
    assert len(load_suite("core", split="all")) == len(index)
    hard_crc = load_suite("core", difficulty="hard", tags=["crc"])
    assert hard_crc and all(t.difficulty == "hard" and "crc" in t.metadata["tags"] for t in hard_crc)
    assert [t.id for t in load_suite(CORE / "gcd.yaml")] == ["gcd"]
    with pytest.raises(UserError, match="not found"):
        load_suite("no_such_suite")
    with pytest.raises(UserError, match="unknown split"):
        load_suite("core", split="validation")


def test_index_warns_and_keeps_the_first_of_duplicate_ids(tmp_path, caplog):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copy(CORE / "gcd.yaml", tmp_path / sub / "gcd.yaml")
    (tmp_path / "TEMPLATE.yaml").write_text("not: a task")
    idx = TaskIndex.build([tmp_path])
    assert idx.ids() == ["gcd"]
    assert len(idx.duplicates) == 1 and "duplicate task id" in caplog.text


def test_template_is_not_a_task_but_documents_every_field():
    text = (SUITES_DIR / "TEMPLATE.yaml").read_text()
    for key in ("id", "description", "signature", "requires", "ensures", "reference", "tests", "hardware", "metadata"):
        assert f"\n{key}:" in "\n" + text, key
    assert SUITES_DIR / "TEMPLATE.yaml" not in task_files(SUITES_DIR)


def _broken_copy(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((CORE / "clamp.yaml").read_text())
    change(data)
    path = tmp_path / "clamp.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_contract_check_rejects_an_extra_requires(tmp_path):
    path = _broken_copy(tmp_path, lambda d: d.update(reference=d["reference"].replace(
        "requires lo <= hi", "requires lo <= hi\n  requires x >= 0")))
    assert any("requires" in p for p in contract_problems(load_task(path)))


@needs_dafny
def test_checker_catches_a_wrong_expected_value(tmp_path):
    def change(d):
        d["tests"][0]["expected"]["r"] += 1

    res = check_task(_broken_copy(tmp_path, change), use_cache=False)
    assert res.verified and not res.vectors and not res.ok
    assert any("vector 0" in p for p in res.problems)


@needs_dafny
def test_checker_catches_a_vector_that_breaks_the_requires(tmp_path):
    def change(d):
        d["tests"][1]["inputs"].update(lo=5, hi=1)

    res = check_task(_broken_copy(tmp_path, change), use_cache=False)
    assert not res.ok and any("vector(s) [1]" in p for p in res.problems)


@pytest.mark.slow
@needs_dafny
def test_whole_suite_verifies_and_matches_its_vectors():
    """Every reference verifies (through the project's verifier when it is present) and reproduces its vectors."""
    report = check_suite(CORE, workers=2)
    failed = [t.line() for t in report.tasks if not t.ok]
    assert not report.problems and not failed, "\n".join(report.problems + failed)
    assert len(report.tasks) >= 100
