"""The estimator classes: yosys counts LUTs and flip-flops of a tiny module, nextpnr-ice40 wraps it for Fmax
(and degrades to a note), both go through their launcher, and an unknown name lists the valid ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hls.estimators import DEFAULT_ESTIMATOR, ESTIMATORS, EstimateResult, Estimator, get_estimator
from hls.estimators.nextpnr import NextpnrIce40
from hls.estimators.yosys import Yosys
from hls.launchers import CONTAINER_CPUS, CONTAINER_MEMORY_MB, ContainerLauncher, LocalLauncher
from pipeline.errors import ToolMissingError, UserError
from tests.support import needs_yosys
from tests.test_hls_backends import FakeClient

COUNTER = """module counter(input clk, input rst, input en, output reg [7:0] q);
  always @(posedge clk) if (rst) q <= 8'd0; else if (en) q <= q + 8'd1;
endmodule
"""


def counter(tmp_path: Path) -> list[str]:
    rtl = tmp_path / "rtl"
    rtl.mkdir(exist_ok=True)
    (rtl / "counter.v").write_text(COUNTER)
    return [str(rtl / "counter.v")]


class NoNextpnr(LocalLauncher):
    """The local tools, as on a machine without nextpnr-ice40."""

    def resolve(self, tool: str) -> str:
        if tool == "nextpnr-ice40":
            raise ToolMissingError(tool, "apt-get install nextpnr-ice40")
        return super().resolve(tool)


@needs_yosys
@pytest.mark.parametrize("family,lut_cell", [("ice40", "SB_LUT4"), ("generic", "$lut")])
def test_yosys_counts_luts_and_flip_flops_of_a_tiny_module(tmp_path, family, lut_cell):
    est = get_estimator("yosys", family=family)
    assert isinstance(est, Estimator) and est.name == "yosys"
    r = est.estimate(counter(tmp_path), "counter", tmp_path / "est", timeout=300)
    assert isinstance(r, EstimateResult) and r.family == family and r.top == "counter"
    assert r.ff == 8 and 0 < r.lut < 40 and r.cells[lut_cell] == r.lut  # one flip-flop per bit, an incrementer
    assert r.fmax_mhz is None and (tmp_path / "est" / "netlist.json").is_file() == (family == "ice40")


@needs_yosys
def test_nextpnr_wraps_synthesis_and_adds_fmax(tmp_path):
    if shutil.which("nextpnr-ice40") is None:
        pytest.skip("nextpnr-ice40 not installed (apt-get install nextpnr-ice40)")
    r = get_estimator("nextpnr-ice40", pnr_timeout=300).estimate(counter(tmp_path), "counter", tmp_path / "e", 300)
    assert r.ff == 8 and r.lut > 0
    assert r.fmax_mhz is not None and r.fmax_mhz > 20 and r.fmax_note == "nextpnr-ice40 --hx8k"


@needs_yosys
def test_without_nextpnr_the_counts_stand_with_a_note(tmp_path):
    r = NextpnrIce40(NoNextpnr()).estimate(counter(tmp_path), "counter", tmp_path / "e", 300)
    assert r.ff == 8 and r.fmax_mhz is None
    assert r.fmax_note == "nextpnr-ice40 not installed (apt-get install nextpnr-ice40)"
    with pytest.raises(ToolMissingError, match="nextpnr-ice40 not found"):
        NextpnrIce40(NoNextpnr()).check()


def test_too_big_for_the_part_is_a_note(tmp_path):
    if shutil.which("nextpnr-ice40") is None:
        pytest.skip("nextpnr-ice40 not installed (apt-get install nextpnr-ice40)")
    fmax, note = NextpnrIce40().place_and_route(tmp_path, 10_000, 10, tmp_path / "log")
    assert fmax is None and note == "10000 logic cells do not fit an iCE40-HX8K (7680)"


def test_unknown_estimator_and_bad_options_list_the_valid_ones():
    assert ESTIMATORS.names() == ["nextpnr-ice40", "yosys"] and DEFAULT_ESTIMATOR in ESTIMATORS
    with pytest.raises(UserError, match=r"unknown estimator 'vivado'; valid: nextpnr-ice40, yosys"):
        get_estimator("vivado")
    with pytest.raises(UserError, match=r"unknown estimate family 'ecp5' \(choose from: ice40, xilinx, generic\)"):
        Yosys(family="ecp5")
    with pytest.raises(UserError, match="nextpnr-ice40 places iCE40 netlists, not xilinx"):
        NextpnrIce40(synth=Yosys(family="xilinx"))


def test_a_missing_yosys_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolMissingError, match="yosys not found: apt-get install yosys"):
        Yosys().estimate(counter(tmp_path), "counter", tmp_path / "e", 60)


@needs_yosys
def test_yosys_through_the_docker_launcher(tmp_path):
    """``--runner container`` reaches yosys: the open image, the RTL's folder bound read-only (the fake
    client runs the real yosys in the work folder)."""
    client = FakeClient()
    r = Yosys(ContainerLauncher(client)).estimate(counter(tmp_path), "counter", tmp_path / "e", 300)
    assert r.ff == 8
    [(image, kw)] = client.runs
    assert image == "proof2silicon/open:latest" and kw["command"][:3] == ["yosys", "-q", "-l"]
    assert kw["volumes"][str((tmp_path / "rtl").resolve())]["mode"] == "ro"
    assert kw["mem_limit"] == f"{CONTAINER_MEMORY_MB}m" and kw["nano_cpus"] == int(CONTAINER_CPUS * 1e9)
