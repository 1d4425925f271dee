"""Synthesis estimates with the real yosys (and nextpnr-ice40 for Fmax) on small designs."""

from __future__ import annotations

import shutil

import pytest

from hls.estimate import estimate, parse_stat, resources
from pipeline.errors import ToolMissingError, UserError
from tests.hls_data.helpers import DATA

RTL = DATA / "rtl" / "vitis_MaxArray.v"
pytestmark = pytest.mark.usefixtures("private_p2s_home")  # each test runs yosys: no estimate cache from before
needs_yosys = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed (apt-get install yosys)")


@needs_yosys
def test_ice40_counts_without_place_and_route(tmp_path):
    r = estimate([str(RTL)], "MaxArray", tmp_path, family="ice40", fmax=False)
    assert 30 < r.lut < 400 and 60 <= r.ff < 120  # m, k (32 bits each) and the state register
    assert r.dsp == 0 and r.bram == 0
    assert r.cells["SB_LUT4"] == r.lut and r.fmax_mhz is None and r.fmax_note == "place and route not requested"
    assert (tmp_path / "synth.ys").read_text().count("read_verilog -sv") == 1


@needs_yosys
@pytest.mark.slow
def test_generic_and_xilinx_families(tmp_path):
    generic = estimate([str(RTL)], "MaxArray", tmp_path / "g", family="generic")
    xilinx = estimate([str(RTL)], "MaxArray", tmp_path / "x", family="xilinx")
    assert generic.lut > 0 and generic.ff >= 60
    assert xilinx.lut > 0 and xilinx.ff >= 60 and xilinx.fmax_mhz is None


@needs_yosys
@pytest.mark.slow
def test_fmax_from_nextpnr(tmp_path):
    if shutil.which("nextpnr-ice40") is None:
        pytest.skip("nextpnr-ice40 not installed (apt-get install nextpnr-ice40)")
    r = estimate([str(RTL)], "MaxArray", tmp_path, family="ice40", fmax=True, fmax_timeout=300)
    assert r.fmax_mhz is not None and 20 < r.fmax_mhz < 1000, r.fmax_note


@needs_yosys
def test_yosys_error_is_one_line(tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("module MaxArray(input a); assign = ; endmodule\n")
    with pytest.raises(UserError, match=r"yosys failed: .*\(log: .*estimate.log\)"):
        estimate([str(bad)], "MaxArray", tmp_path / "w")
    with pytest.raises(UserError, match="unknown estimate family 'ecp5'"):
        estimate([str(bad)], "MaxArray", tmp_path / "w", family="ecp5")


def test_missing_yosys_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolMissingError, match="yosys not found: apt-get install yosys"):
        estimate([str(RTL)], "MaxArray", tmp_path)


def test_stat_json_parsing_and_resource_mapping():
    stat = {"modules": {"\\top": {"num_cells_by_type": {"SB_LUT4": 10, "SB_DFFER": 4, "SB_DFF": 2,
                                                        "SB_RAM40_4K": 1, "SB_MAC16": 2}}}}
    cells = parse_stat(stat, "top")
    assert resources(cells, "ice40") == (10, 6, 2, 1)
    xil = {"LUT2": 3, "LUT6": 1, "FDRE": 5, "DSP48E1": 1, "RAMB36E1": 1, "RAMB18E1": 1}
    assert resources(xil, "xilinx") == (4, 5, 1, 3)
    assert resources({"$lut": 7, "$_DFF_P_": 2, "$_SDFFE_PP0P_": 3}, "generic") == (7, 5, 0, 0)
    assert parse_stat({"design": {"num_cells_by_type": {"$lut": 1}}}, "x") == {"$lut": 1}


@needs_yosys
def test_the_same_rtl_is_estimated_once_and_any_change_runs_again(tmp_path):
    first = estimate([str(RTL)], "MaxArray", tmp_path / "a", family="ice40", fmax=False)
    again = estimate([str(RTL)], "MaxArray", tmp_path / "b", family="ice40", fmax=False)
    assert not first.cached and again.cached and (again.lut, again.ff) == (first.lut, first.ff)
    assert not (tmp_path / "b" / "synth.ys").exists()  # yosys did not run
    changed = tmp_path / "changed.v"
    changed.write_text(RTL.read_text() + "\n// a comment changes the text\n")
    assert not estimate([str(changed)], "MaxArray", tmp_path / "c", family="ice40", fmax=False).cached
    assert not estimate([str(RTL)], "MaxArray", tmp_path / "d", family="generic", fmax=False).cached
