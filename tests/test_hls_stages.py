"""The rtl, cosim and estimate stages on a run context: pass on checked facts, skip on missing tools."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hls.options import hls_options
from pipeline.runner import run_stage
from pipeline.stage import RunContext, RunOptions, Status
from pipeline.task import load_task
from tests.hls_data.helpers import MOCKS, program, require_circt
from tests.support import EXAMPLES, needs_iverilog, needs_yosys

EXAMPLE = EXAMPLES / "max_array.yaml"


def context(tmp_path: Path, name: str = "max_array", **options) -> RunContext:
    """A run that has reached the rtl stage: the task, the C design and its interface.json."""
    task = load_task(EXAMPLE)
    p = program(name)
    c_dir = tmp_path / "c"
    c_dir.mkdir(parents=True)
    (c_dir / "design.c").write_text(p.source)
    p.hw.save(c_dir / "interface.json")
    ctx = RunContext(task, tmp_path, RunOptions(**{"hls": "circt", **options}))
    ctx.artifacts.update({"c": str(c_dir / "design.c"), "interface": str(c_dir / "interface.json")})
    return ctx


def run(ctx: RunContext, stage: str):
    result = run_stage(ctx, stage)
    ctx.results.append(result)
    return result


@needs_yosys
@needs_iverilog
def test_rtl_cosim_estimate_on_the_open_flow(tmp_path):
    require_circt()
    ctx = context(tmp_path, extra={"fmax": False})
    rtl = run(ctx, "rtl")
    assert rtl.status is Status.PASS, rtl.detail
    assert rtl.metrics["protocol"] == "handshake" and rtl.metrics["backend"] == "circt"
    assert Path(rtl.artifacts["verilog"]).name == "MaxArray.v"
    assert json.loads(Path(rtl.artifacts["verilog_files"]).read_text()) == [rtl.artifacts["verilog"]]
    cos = run(ctx, "cosim")
    assert cos.status is Status.PASS, cos.detail
    assert cos.metrics["vectors_passed"] == cos.metrics["vectors_total"] == 4
    assert len(cos.metrics["cycles"]) == 4 and "task's expected values" in cos.detail
    saved = json.loads(Path(cos.artifacts["cosim_results"]).read_text())
    assert saved["passed"] and saved["vectors"][0]["outputs"] == {"return": 9}
    est = run(ctx, "estimate")
    assert est.status is Status.PASS, est.detail
    assert est.metrics["lut"] > 100 and est.metrics["ff"] > 50 and est.metrics["fmax_mhz"] is None


@needs_iverilog
def test_wrong_design_fails_cosim(tmp_path):
    require_circt()
    ctx = context(tmp_path, "max_array_wrong")
    assert run(ctx, "rtl").status is Status.PASS
    cos = run(ctx, "cosim")
    assert cos.status is Status.FAIL and "expected 9" in cos.detail
    assert cos.metrics["vectors_passed"] == 1


def test_missing_inputs_fail(tmp_path):
    task = load_task(EXAMPLE)
    ctx = RunContext(task, tmp_path)
    assert "the c stage produced none" in run_stage(ctx, "rtl").detail
    assert all(run_stage(ctx, s).status is Status.FAIL for s in ("rtl", "cosim", "estimate"))


def test_missing_tools_skip_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("P2S_HLS_PYTHON", str(tmp_path / "no-python"))
    ctx = context(tmp_path)
    rtl = run_stage(ctx, "rtl")
    assert rtl.status is Status.SKIPPED and "make setup" in rtl.detail
    monkeypatch.setenv("PATH", str(tmp_path))
    ctx = context(tmp_path / "v", hls="vitis")
    rtl = run_stage(ctx, "rtl")
    assert rtl.status is Status.SKIPPED and "vitis_hls not found" in rtl.detail


@needs_iverilog
def test_vitis_through_the_stages_with_the_fake_tool(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{MOCKS}:{Path(shutil.which('iverilog')).parent}")
    monkeypatch.setenv("P2S_MOCK_ARGV", str(tmp_path / "argv.jsonl"))
    ctx = context(tmp_path, hls="vitis", extra={"fmax": False})
    rtl = run(ctx, "rtl")
    assert rtl.status is Status.PASS and rtl.metrics["hls_lut"] == 164 and rtl.metrics["protocol"] == "ap_ctrl"
    cos = run(ctx, "cosim")
    assert cos.status is Status.PASS, cos.detail
    est = run_stage(ctx, "estimate")
    assert est.status is Status.PASS and est.metrics["lut"] < 400  # the small hand-written FSM
    monkeypatch.setenv("PATH", str(MOCKS))  # no yosys
    est = run_stage(ctx, "estimate")
    assert est.status is Status.SKIPPED and "apt-get install yosys" in est.detail


def test_hls_options_precedence(tmp_path):
    ctx = context(tmp_path, hls="vitis", extra={"hls_options": {"part": "xcu250", "settings": {"csim": True}}})
    ctx.task.hardware.clock_period_ns = 4.0
    ctx.task.hardware.extra = {"hls": {"part": "xc7a35t", "timeout": 60}, "vitis": {"export": False, "csim": False}}
    opts = hls_options(ctx)
    assert opts.clock_period_ns == 4.0 and opts.part == "xcu250" and opts.timeout == 60
    assert opts.settings == {"export": False, "csim": True}
