"""The hardware lines of p2s doctor: required open tools, optional vendor tools and engine, with fixes."""

from __future__ import annotations

from hls.doctor import check_circt, checks
from pipeline.tools import ToolStatus
from tests.hls_data.helpers import require_circt


def test_every_hardware_tool_has_a_line():
    statuses = checks()
    assert all(isinstance(s, ToolStatus) for s in statuses)
    names = [s.name for s in statuses]
    for tool in ("iverilog", "verilator", "yosys", "nextpnr-ice40", "bambu", "vitis_hls", "vivado_hls",
                 "container engine"):
        assert tool in names
    assert any(n.startswith("hls-venv") for n in names)
    optional = {s.name for s in statuses if not s.required}
    assert {"bambu", "vitis_hls", "vivado_hls", "container engine", "nextpnr-ice40"} <= optional
    assert all(s.hint for s in statuses if not s.found)


def test_hls_environment_found_and_missing(monkeypatch, tmp_path):
    require_circt()
    found = check_circt()
    assert found.found and found.version == "circt 1.162.0"
    monkeypatch.setenv("P2S_HLS_PYTHON", str(tmp_path / "none"))
    missing = check_circt()
    assert not missing.found and missing.required and "make setup" in missing.hint
