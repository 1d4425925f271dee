"""The one registry type, and how the runner turns a stage's exceptions into statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ToolMissingError, UserError
from pipeline.registry import Registry, import_target
from pipeline.runner import STAGES, run_stage, run_stages
from pipeline.stage import RunContext, StageSpec, Status
from pipeline.task import task_from_dict

TASK = {"id": "t", "description": "d", "signature": "method Id(x: int) returns (y: int)",
        "tests": [{"inputs": {"x": 1}, "expected": {"y": 1}}]}


def test_an_unknown_name_lists_the_valid_ones_and_the_flag():
    reg: Registry[str] = Registry("widget", "--widget", targets={"b": "m:b", "a": "m:a"})
    with pytest.raises(UserError, match=r"unknown widget 'c' \(for --widget\); valid: a, b"):
        reg.get("c")
    assert reg.names() == ["a", "b"] and "a" in reg and "c" not in reg


def test_registered_objects_and_usages_from_help():
    reg: Registry[object] = Registry("backend", targets={"x": "json:dumps"}, help={"x": "x:ARG  takes an arg"})
    sentinel = object()
    reg.add("y", sentinel)
    assert reg.get("y") is sentinel
    assert reg.get("x").__name__ == "dumps"  # imported lazily
    assert reg.usages() == ["x:ARG", "y"]


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> None:
    (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_missing_third_party_package_is_a_missing_tool_naming_it(tmp_path, monkeypatch):
    _module(tmp_path, monkeypatch, "p2s_needs_pkg", "import p2s_no_such_package_xyz\ndef stage(ctx): ...\n")
    with pytest.raises(ToolMissingError, match="p2s_no_such_package_xyz"):
        import_target("p2s_needs_pkg:stage", "stage x")


def test_our_own_module_failing_to_import_is_not_hidden(tmp_path, monkeypatch):
    _module(tmp_path, monkeypatch, "p2s_broken", "from pipeline import p2s_no_such_name\ndef stage(ctx): ...\n")
    with pytest.raises(ImportError, match="p2s_no_such_name"):
        import_target("p2s_broken:stage", "stage x")


@pytest.fixture
def temp_stages(monkeypatch):
    """Stages added for one test and removed after it."""
    added: list[str] = []

    def add(spec: StageSpec) -> None:
        STAGES.add(spec.name, spec)
        added.append(spec.name)

    yield add
    for name in added:
        STAGES._loaded.pop(name, None)


def test_the_runner_maps_exceptions_to_statuses(tmp_path, monkeypatch, temp_stages):
    _module(tmp_path, monkeypatch, "p2s_stages", (
        "from pipeline.errors import ToolMissingError, UserError\n"
        "def missing_tool(ctx): raise ToolMissingError('frobnicator', 'apt-get install frob')\n"
        "def bad_input(ctx): raise UserError('the task says nonsense')\n"
        "def bug(ctx): return 1 / 0\n"))
    _module(tmp_path, monkeypatch, "p2s_stages_pkg", "import p2s_absent_pkg_q\ndef stage(ctx): ...\n")
    _module(tmp_path, monkeypatch, "p2s_stages_ours", "from hls import p2s_absent_name_q\ndef stage(ctx): ...\n")
    for name, target in (("t_tool", "p2s_stages:missing_tool"), ("t_user", "p2s_stages:bad_input"),
                         ("t_bug", "p2s_stages:bug"), ("t_pkg", "p2s_stages_pkg:stage"),
                         ("t_ours", "p2s_stages_ours:stage")):
        temp_stages(StageSpec(name, target))
    ctx = RunContext(task_from_dict(TASK), tmp_path / "run")
    got = {n: run_stage(ctx, n) for n in ("t_tool", "t_user", "t_bug", "t_pkg", "t_ours")}
    assert got["t_tool"].status is Status.SKIPPED and "apt-get install frob" in got["t_tool"].detail
    assert got["t_user"].status is Status.FAIL and got["t_user"].detail == "the task says nonsense"
    assert got["t_bug"].status is Status.FAIL and "internal error: ZeroDivisionError" in got["t_bug"].detail
    assert (ctx.out_dir / "t_bug" / "traceback.txt").read_text().count("ZeroDivisionError") >= 1
    assert got["t_pkg"].status is Status.SKIPPED and "p2s_absent_pkg_q" in got["t_pkg"].detail
    assert got["t_ours"].status is Status.FAIL and "internal error: ImportError" in got["t_ours"].detail
    assert "p2s_absent_name_q" in (ctx.out_dir / "t_ours" / "traceback.txt").read_text()


def test_a_stage_whose_input_is_missing_fails_naming_the_stage_that_writes_it(tmp_path):
    ctx = RunContext(task_from_dict(TASK), tmp_path / "run")
    results = run_stages(ctx, ["rtl", "cosim"])
    assert results[0].status is Status.FAIL and results[0].detail == "no c to read: the c stage produced none"
    assert results[1].status is Status.SKIPPED and results[1].detail == "rtl fail"


def test_an_unknown_stage_is_a_user_error():
    with pytest.raises(UserError, match="unknown stage 'synthesis' .*valid: .*cosim"):
        run_stages(RunContext(task_from_dict(TASK), Path(".")), ["synthesis"])
