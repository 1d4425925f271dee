"""Co-simulation: testbenches on hand-written ap_ctrl designs (Icarus), port parsing, vector mapping,
result comparison, and where the expected values come from."""

from __future__ import annotations

import json
import shutil

import pytest

from hls import cosim
from hls.ap_ctrl import BAMBU_NAMING, VITIS_NAMING, ap_ctrl_interface
from hls.cfront import top_signature
from hls.cosim import compare, parse_output, run_cosim
from hls.expected import expected_outputs
from hls.rtl_result import RtlResult
from hls.vectors import from_bits, port_vectors
from hls.verilog_ports import read_ports
from pipeline.errors import UserError
from pipeline.hw_interface import HwInterface, HwPort
from pipeline.stage import RunContext
from pipeline.task import load_task
from tests.hls_data.helpers import DATA, program

RTL = DATA / "rtl"
needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None,
                                  reason="iverilog not installed (apt-get install iverilog)")


def ap_design(tmp_path, name: str, rtl_file: str, naming, edit=None) -> tuple:
    p = program(name)
    text = (RTL / rtl_file).read_text()
    if edit:
        text = edit(text)
    path = tmp_path / rtl_file
    path.write_text(text)
    iface = ap_ctrl_interface(top_signature(p.source, p.top), read_ports(text, p.top), naming, "test")
    rtl = RtlResult("test", p.top, [str(path)], iface)
    return p, rtl


@needs_icarus
def test_ap_ctrl_testbench_passes_a_correct_vitis_style_design(tmp_path):
    p, rtl = ap_design(tmp_path, "max_array", "vitis_MaxArray.v", VITIS_NAMING)
    result = run_cosim(rtl, p.hw, port_vectors(p.hw, p.inputs, p.expected), tmp_path / "sim")
    assert result.passed, result.summary()
    # 2 cycles per element after the first, plus start and finish
    assert result.cycles[1] < result.cycles[0] < result.cycles[3]
    assert all(v.outputs["return"] == e["m"] for v, e in zip(result.vectors, p.expected, strict=True))


@needs_icarus
def test_ap_ctrl_testbench_catches_a_wrong_design(tmp_path):
    p, rtl = ap_design(tmp_path, "max_array", "vitis_MaxArray.v", VITIS_NAMING,
                       edit=lambda t: t.replace("$signed(a_q0) > $signed(m)", "$signed(a_q0) < $signed(m)"))
    result = run_cosim(rtl, p.hw, port_vectors(p.hw, p.inputs, p.expected), tmp_path / "sim")
    assert not result.passed
    assert result.vectors[0].mismatches == ["return = 2, expected 9"]
    assert "vectors match" in result.summary() and "vector 0" in result.summary()


@needs_icarus
def test_a_design_that_never_finishes_fails_with_the_cycle_limit(tmp_path):
    p, rtl = ap_design(tmp_path, "max_array", "vitis_MaxArray.v", VITIS_NAMING,
                       edit=lambda t: t.replace("assign ap_done = (state == DONE);", "assign ap_done = 1'b0;"))
    result = run_cosim(rtl, p.hw, port_vectors(p.hw, p.inputs[:1], p.expected[:1]), tmp_path / "sim", max_cycles=300)
    assert not result.passed and "no completion within the cycle limit (300 cycles)" in result.vectors[0].mismatches


@needs_icarus
def test_bambu_style_design_with_pulsed_start_and_active_low_reset(tmp_path):
    p, rtl = ap_design(tmp_path, "gcd", "bambu_Gcd.v", BAMBU_NAMING)
    assert not rtl.interface.reset_active_high
    result = run_cosim(rtl, p.hw, port_vectors(p.hw, p.inputs, p.expected), tmp_path / "sim")
    assert result.passed, result.summary()
    tb = (tmp_path / "sim" / "p2s_tb.v").read_text()
    assert "reg reset = 1'b0;" in tb and "start_port = 1'b1;" in tb


def test_testbench_loads_memories_and_scalars_per_vector(tmp_path):
    p, rtl = ap_design(tmp_path, "max_array", "vitis_MaxArray.v", VITIS_NAMING)
    vectors = port_vectors(p.hw, p.inputs, p.expected)
    text = cosim.testbench(rtl, p.hw, vectors)
    assert "p2s_mem_a[2] = 32'h2;" in text  # a = [3, 9, 2]: element 2 of vector 0
    assert "a_len = 32'h3;" in text and "MaxArray dut (" in text


# --------------------------------------------------------------------------------------------- ports


def test_read_ports_non_ansi_and_ansi():
    vitis = read_ports((RTL / "vitis_MaxArray.v").read_text(), "MaxArray")
    assert [(p.name, p.direction, p.width) for p in vitis][:3] == [("ap_clk", "input", 1), ("ap_rst", "input", 1),
                                                                   ("ap_start", "input", 1)]
    assert {p.name: p.width for p in vitis}["a_address0"] == 4
    ansi = read_ports("""module top #(parameter W = 8) (
      input  [W-1:0]  a,
                      b,
      // input  /*Zero Width*/ c,
      input           c_valid,
      output [15:0]   out0, out1
    );
    endmodule""", "top")
    assert [(p.name, p.direction, p.width) for p in ansi] == [
        ("a", "input", 8), ("b", "input", 8), ("c_valid", "input", 1), ("out0", "output", 16), ("out1", "output", 16)]
    with pytest.raises(UserError, match="module 'absent' not found"):
        read_ports("module x(); endmodule", "absent")


def test_missing_ports_are_named():
    p = program("max_array")
    text = (RTL / "vitis_MaxArray.v").read_text().replace("a_len", "n_len")
    with pytest.raises(UserError, match="no RTL ports found for argument 'a_len'"):
        ap_ctrl_interface(top_signature(p.source, p.top), read_ports(text, "MaxArray"), VITIS_NAMING, "vitis")


# --------------------------------------------------------------------------------------------- vectors


def test_vectors_map_task_values_onto_ports():
    hw = HwInterface("F", [
        HwPort("m", "array", "int32_t", 32, True, 6, [2, 3], dafny_name="m"),
        HwPort("m_rows", "rows", "int32_t", 32, True, of="m"),
        HwPort("m_cols", "cols", "int32_t", 32, True, of="m"),
        HwPort("c", "in", "uint8_t", 8, False, dafny_name="c"),
        HwPort("flag", "in", "bool", 1, False, dafny_name="flag"),
        HwPort("r", "array_out", "int8_t", 8, True, 4, [4], dafny_name="r"),
        HwPort("r_len", "len", "int32_t *", 32, True, of="r"),
        HwPort("return", "return", "int16_t", 16, True, dafny_name="s"),
    ])
    [v] = port_vectors(hw, [{"m": [[1, -2], [3, 4]], "c": "A", "flag": True}],
                       [{"r": [-1, 2], "s": -5, "m": [[1, -2], [3, 4]]}])
    assert v.memories["m"] == [1, 0xFFFFFFFE, 0, 3, 4, 0]  # 2 x 2 laid out with 3 columns
    assert v.scalars == {"m_rows": 2, "m_cols": 2, "c": 65, "flag": 1}
    assert v.memories["r"] == [0, 0, 0, 0]
    assert v.expected == {"m": [1, -2, 0, 3, 4, 0], "r": [-1, 2], "r_len": 2, "return": -5}
    with pytest.raises(UserError, match="array 'm' has 9 elements, port depth is 6"):
        port_vectors(hw, [{"m": [[1, 2, 3]] * 3, "c": "A", "flag": True}], [{}])
    with pytest.raises(UserError, match="no value for input 'c'"):
        port_vectors(hw, [{"m": [[1]], "flag": True}], [{}])


def test_from_bits_is_twos_complement():
    assert from_bits(0xFF, 8, True) == -1 and from_bits(0xFF, 8, False) == 255 and from_bits(1, 1, False) == 1


def test_compare_reads_undefined_values_and_missing_vectors():
    hw = program("min_max").hw
    vectors = port_vectors(hw, [{"a": [1, 2]}, {"a": [3]}], [{"lo": 1, "hi": 2}, {"lo": 3, "hi": 3}])
    out = "\n".join(["P2S_VECTOR 0 cycles=12 done=1", "P2S_OUT 0 lo 1 1", "P2S_OUT 0 hi x 1",
                     "P2S_MEM 0 a 0 1", "P2S_END"])
    assert parse_output(out)[0]["outputs"] == {"lo": 1, "hi": None}
    outcomes = compare(out, hw, vectors)
    assert outcomes[0].cycles == 12 and outcomes[0].mismatches == ["hi = no value, expected 2"]
    assert outcomes[1].mismatches == ["the simulation did not reach this vector"]


# --------------------------------------------------------------------------------------------- reference values


def test_expected_values_prefer_the_reference_model(tmp_path):
    task = load_task(DATA.parents[1] / "benchmarks" / "examples" / "max_array.yaml")
    ctx = RunContext(task, tmp_path)
    values, source = expected_outputs(ctx)
    assert source == "the task's expected values" and values[0] == {"m": 9}
    c_results = tmp_path / "c_results.json"
    outcomes = [{"index": i, "ok": True, "python": {"m": t.expected["m"], "a": t.inputs["a"]}}
                for i, t in enumerate(task.tests)]
    c_results.write_text(json.dumps({"compiled": True, "outcomes": outcomes}))
    ctx.artifacts["c_results"] = str(c_results)
    values, source = expected_outputs(ctx)
    assert source.startswith("the Python reference model") and values[0] == {"m": 9, "a": [3, 9, 2]}
    py = tmp_path / "python_results.json"
    py.write_text(json.dumps({"total": 4, "results": [  # the python stage's layout: task values and the model's
        {"index": 0, "passed": False, "expected": {"m": 9}, "actual": {"m": 10, "a": [3, 9, 2]}}]}))
    ctx.artifacts["python_results"] = str(py)
    values, source = expected_outputs(ctx)
    assert values[0]["m"] == 10 and values[1] == {"m": -5} and "1/4 vectors" in source


def test_a_one_character_string_is_an_array_of_one_character():
    """MBPP-DFY's IsInteger("1"): a string port gets the characters, not one char's code (that crashed)."""
    hw = HwInterface("IsInteger", [HwPort("s", "array", "uint8_t", 8, False, depth=16, dims=[16], dafny_name="s",
                                          dafny_type="string"),
                                   HwPort("s_len", "len", "int32_t", 32, True, of="s"),
                                   HwPort("return", "return", "bool", 1, False, dafny_name="result",
                                          dafny_type="bool")])
    [one, two] = port_vectors(hw, [{"s": "1"}, {"s": "12"}], [{"result": True}, {"result": True}])
    assert one.memories["s"][:2] == [ord("1"), 0] and one.scalars["s_len"] == 1
    assert two.memories["s"][:2] == [ord("1"), ord("2")] and two.scalars["s_len"] == 2
