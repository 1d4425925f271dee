"""Task format: loading, field checks and one-line errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.errors import TaskFormatError
from pipeline.task import dump_task, load_task, parse_signature
from pipeline.types import parse_type
from tests.support import EXAMPLES

EXAMPLE = EXAMPLES / "max_array.yaml"


def write(tmp_path: Path, data: dict, name: str = "t.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data))
    return p


def base() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def test_example_loads():
    task = load_task(EXAMPLE)
    assert task.id == "max_array"
    assert task.signature.name == "MaxArray"
    assert [p.name for p in task.signature.params] == ["a"]
    assert str(task.signature.returns[0].type) == "int"
    assert task.tests[0].expected == {"m": 9}
    assert task.hardware.int_width == 32


def test_signature_with_several_results_and_bitvectors():
    sig = parse_signature("method DivMod(x: bv8, y: array2<int>) returns (q: int, r: seq<bool>)")
    assert [str(p.type) for p in sig.params] == ["bv8", "array2<int>"]
    assert [p.name for p in sig.returns] == ["q", "r"]


@pytest.mark.parametrize("text", ["method F(x) returns (y: int)", "function F(x: int): int", "method F(x: real)"])
def test_bad_signatures_rejected(text):
    with pytest.raises(ValueError):
        parse_signature(text)


def test_parameter_named_like_a_dafny23_reserved_word_is_refused():
    """The bridge renames `array1` for Dafny 2.3; vectors are matched by name, so the task must not use it."""
    with pytest.raises(ValueError, match="'where' is a reserved word of Dafny 2.3"):
        parse_signature("method F(where: int) returns (y: int)")
    assert parse_signature("method F(wherever: int) returns (y: int)").params[0].name == "wherever"


def test_bv_type_range():
    assert parse_type("bv64").width == 64
    with pytest.raises(ValueError):
        parse_type("bv65")


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d.pop("signature"), "signature"),
        (lambda d: d.update(signature="method (a: int)"), "signature"),
        (lambda d: d.update(requires=[1]), "requires"),
        (lambda d: d["tests"][0]["inputs"].update(a=[1, "x"]), "tests[0].inputs.a"),
        (lambda d: d["tests"][1].update(inputs={}), "tests[1].inputs"),
        (lambda d: d["tests"][0]["expected"].update(z=1), "tests[0].expected.z"),
        (lambda d: d.update(hardware={"int_width": 0}), "hardware.int_width"),
        (lambda d: d.update(colour="red"), "colour"),
    ],
)
def test_malformed_fields_named(tmp_path, mutate, field):
    data = base()
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(TaskFormatError) as err:
        load_task(path)
    assert err.value.field == field
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_not_yaml(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("id: [unclosed\n")
    with pytest.raises(TaskFormatError) as err:
        load_task(p)
    assert "not valid YAML" in str(err.value)


def test_include_merges_defaults_and_rejects_cycles(tmp_path):
    (tmp_path / "defaults.yaml").write_text(yaml.safe_dump({"hardware": {"int_width": 16, "max_array_length": 8}}))
    data = base()
    data["include"] = "defaults.yaml"
    data["hardware"] = {"max_array_length": 32}
    task = load_task(write(tmp_path, data))
    assert (task.hardware.int_width, task.hardware.max_array_length) == (16, 32)
    (tmp_path / "a.yaml").write_text("include: b.yaml\n")
    (tmp_path / "b.yaml").write_text("include: a.yaml\n")
    with pytest.raises(TaskFormatError, match="cycle"):
        load_task(tmp_path / "a.yaml")


def test_dump_round_trips(tmp_path):
    task = load_task(EXAMPLE)
    dump_task(task, tmp_path / "out.yaml")
    again = load_task(tmp_path / "out.yaml")
    assert again.to_dict() == task.to_dict()
    assert again.reference == task.reference
