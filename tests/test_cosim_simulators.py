"""The simulator classes behind co-simulation: each runs a tiny real testbench, reports a missing tool and a
build error in one line, goes through its launcher (docker with a fake client), and is chosen by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from hls.ap_ctrl import VITIS_NAMING
from hls.cosim import run_cosim
from hls.launchers import CONTAINER_MEMORY_MB, ContainerLauncher
from hls.simulators import DEFAULT_SIMULATOR, SIMULATORS, Simulator, get_simulator
from hls.simulators.icarus import Icarus
from hls.simulators.verilator import Verilator
from hls.vectors import port_vectors
from pipeline.errors import ToolMissingError, UserError
from tests.support import needs_iverilog, needs_verilator
from tests.test_cosim import ap_design
from tests.test_hls_backends import FakeClient

ADDER = "module add(input [7:0] a, input [7:0] b, output [7:0] s); assign s = a + b; endmodule\n"
TESTBENCH = """module p2s_tb;
  reg [7:0] a = 8'd3, b = 8'd4;
  wire [7:0] s;
  add dut (.a(a), .b(b), .s(s));
  initial begin
    #1 $display("P2S_SUM %0d", s);
    $display("P2S_END");
    $finish;
  end
endmodule
"""

def tiny_design(tmp_path: Path, adder: str = ADDER) -> tuple[Path, list[str]]:
    """A testbench in the work folder and its design in another folder, as in a pipeline run."""
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    (rtl / "add.v").write_text(adder)
    work = tmp_path / "sim"
    work.mkdir()
    (work / "p2s_tb.v").write_text(TESTBENCH)
    return work / "p2s_tb.v", [str(rtl / "add.v")]


@pytest.mark.parametrize("name", [pytest.param("icarus", marks=needs_iverilog),
                                  pytest.param("verilator", marks=needs_verilator)])
def test_each_simulator_runs_a_tiny_testbench(tmp_path, name):
    tb, sources = tiny_design(tmp_path)
    sim = get_simulator(name)
    assert isinstance(sim, Simulator) and sim.name == name
    sim.check()
    result = sim.run(tb, sources, tb.parent, timeout=300)
    assert result.ok and "P2S_SUM 7" in result.stdout and "P2S_END" in result.stdout
    assert (tb.parent / f"{name}.log").read_text().count("# exit 0") == 2  # build and run, both logged


@needs_iverilog
def test_a_testbench_that_does_not_build_is_one_line(tmp_path):
    tb, sources = tiny_design(tmp_path, adder="module add(input a; endmodule\n")
    with pytest.raises(UserError, match=r"icarus could not build the testbench: .*\(log: .*cosim.log\)"):
        Icarus().run(tb, sources, tb.parent, timeout=60, log=tb.parent / "cosim.log")


def test_a_missing_simulator_names_the_fix(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolMissingError, match=r"iverilog not found: apt-get install iverilog"):
        Icarus().check()
    with pytest.raises(ToolMissingError, match=r"verilator not found: apt-get install verilator"):
        Verilator().check()


def test_unknown_simulator_lists_the_valid_ones(tmp_path):
    assert SIMULATORS.names() == ["icarus", "verilator"] and DEFAULT_SIMULATOR in SIMULATORS
    with pytest.raises(UserError, match=r"unknown simulator 'modelsim' \(for --simulator\); valid: icarus, verilator"):
        get_simulator("modelsim")
    p, rtl = ap_design(tmp_path, "max_array", "vitis_MaxArray.v", VITIS_NAMING)
    with pytest.raises(UserError, match="unknown simulator 'modelsim'"):
        run_cosim(rtl, p.hw, port_vectors(p.hw, p.inputs, p.expected), tmp_path / "sim", simulator="modelsim")


def test_the_commands_are_todays(tmp_path):
    tb, files = tmp_path / "p2s_tb.v", ["/rtl/a.v"]
    assert Icarus().build_commands(tb, files, tmp_path) == [
        ("iverilog", ["-g2012", "-o", "p2s_sim.vvp", "-s", "p2s_tb", str(tb), "/rtl/a.v"])]
    assert Icarus().run_command(tmp_path) == ("vvp", ["-n", "p2s_sim.vvp"])
    [(tool, args)] = Verilator().build_commands(tb, files, tmp_path)
    assert tool == "verilator" and args[:2] == ["--binary", "--timing"] and args[-2:] == [str(tb), "/rtl/a.v"]
    assert Verilator().run_command(tmp_path) == (str(tmp_path / "p2s_obj" / "Vp2s_tb"), [])


@needs_iverilog
def test_cosim_through_the_docker_launcher(tmp_path):
    """``--runner container`` reaches the simulator: both commands go to the open image, the RTL's folder is
    bound read-only and the simulation run is memory-limited (the fake client runs the real tools)."""
    client = FakeClient()
    p, rtl = ap_design(tmp_path, "max_array", "vitis_MaxArray.v", VITIS_NAMING)
    result = run_cosim(rtl, p.hw, port_vectors(p.hw, p.inputs, p.expected), tmp_path / "sim",
                       launcher=ContainerLauncher(client))
    assert result.passed and result.simulator == "icarus", result.summary()
    (build_image, build), (_, run) = client.runs
    assert build_image == "proof2silicon/open:latest"
    assert build["command"][0] == "iverilog" and run["command"] == ["vvp", "-n", "p2s_sim.vvp"]
    work = str((tmp_path / "sim").resolve())
    assert build["volumes"][work]["mode"] == "rw" and build["volumes"][str(tmp_path.resolve())]["mode"] == "ro"
    assert run["mem_limit"] == "4096m" and build["mem_limit"] == f"{CONTAINER_MEMORY_MB}m"  # every container: a limit
    assert "docker run --rm --network none" in (tmp_path / "sim" / "cosim.log").read_text()
