"""Task values checked where they enter: ``with_hardware`` in the API, ``requires``/``ensures`` and the file itself."""

from __future__ import annotations

import pytest
import yaml

from pipeline.api import load_task, with_hardware
from pipeline.cli import main
from pipeline.errors import TaskFormatError, UserError
from tests.support import EXAMPLES

pytestmark = pytest.mark.usefixtures("private_p2s_home")

EXAMPLE = EXAMPLES / "max_array.yaml"
DFY = EXAMPLES / "max_array.dfy"


# ------------------------------------------------------------------------------------------ with_hardware


@pytest.mark.parametrize("width", ["wide", 0, -8, 65, 128, True, 16.0, None])
def test_with_hardware_rejects_a_bad_int_width(width):
    task = load_task(EXAMPLE)
    with pytest.raises(TaskFormatError) as info:
        with_hardware(task, int_width=width)
    err = info.value
    assert isinstance(err, UserError) and err.field == "hardware.int_width"
    assert "8, 16, 32 or 64" in str(err) and repr(width) in str(err) and "max_array" in str(err)
    assert task.hardware.int_width == 32  # the original is untouched


@pytest.mark.parametrize(
    "change, field",
    [
        ({"max_int_width": "auto"}, "hardware.max_int_width"),
        ({"max_array_length": 0}, "hardware.max_array_length"),
        ({"unroll": -1}, "hardware.unroll"),
        ({"clock_period_ns": 0}, "hardware.clock_period_ns"),
        ({"clock_period_ns": "fast"}, "hardware.clock_period_ns"),
        ({"pipeline": "yes"}, "hardware.pipeline"),
        ({"int_widht": 16}, "hardware.int_widht"),
        ({"extra": 3}, "hardware.extra"),
    ],
)
def test_with_hardware_rejects_other_bad_options(change, field):
    with pytest.raises(TaskFormatError) as info:
        with_hardware(load_task(EXAMPLE), **change)
    assert info.value.field == field


def test_with_hardware_accepts_the_widths_and_options_the_format_allows():
    task = load_task(EXAMPLE)
    for width in (8, 16, 32, 64):
        assert with_hardware(task, int_width=width).hardware.int_width == width
    changed = with_hardware(task, clock_period_ns=5, unroll=2, extra={"width_proof": "off"})
    assert (changed.hardware.clock_period_ns, changed.hardware.unroll) == (5, 2)
    assert changed.hardware.extra == {"width_proof": "off"}


def test_the_loader_gives_the_same_message_for_a_bad_width(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["hardware"] = {"int_width": "wide"}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(TaskFormatError, match=r"field 'hardware.int_width'.*8, 16, 32 or 64.*'wide'"):
        load_task(path)


# ------------------------------------------------------------------------------------------ requires / ensures


def write_task(tmp_path, **changes) -> str:
    data = yaml.safe_load(EXAMPLE.read_text())
    data.update(changes)
    path = tmp_path / "task.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


@pytest.mark.parametrize("key", ["requires", "ensures"])
def test_a_string_clause_field_is_rejected_with_the_fix(tmp_path, capsys, key):
    path = write_task(tmp_path, **{key: "a.Length > 0"})
    with pytest.raises(TaskFormatError) as info:
        load_task(path)
    assert info.value.field == key and f"write {key}: as a list" in str(info.value)
    # and through the CLI: one line, exit 2
    assert main(["verify", str(DFY), "--task", path]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"p2s: error: {path}: field '{key}': ") and "as a list" in err


@pytest.mark.parametrize("value", [["ok", 3], [""], {"a": 1}, 5])
def test_clause_lists_of_other_shapes_are_still_rejected(tmp_path, value):
    with pytest.raises(TaskFormatError, match="field 'requires'"):
        load_task(write_task(tmp_path, requires=value))


def test_clause_lists_may_be_empty_or_absent(tmp_path):
    assert load_task(write_task(tmp_path, requires=[])).requires == []
    assert load_task(write_task(tmp_path, requires=None)).requires == []
    assert load_task(write_task(tmp_path, ensures=["  m >= 0  "])).ensures == ["m >= 0"]


# ------------------------------------------------------------------------------------------ the file itself


def test_a_task_file_that_is_not_utf8_or_a_folder_is_a_task_format_error(tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"id: x\ndescription: caf\xe9\n")
    with pytest.raises(TaskFormatError, match=r"latin\.yaml: field '<file>': not UTF-8 text \(byte 0xe9 on line 2\)"):
        load_task(latin)
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    with pytest.raises(TaskFormatError, match="a folder, not a task file"):
        load_task(folder)
