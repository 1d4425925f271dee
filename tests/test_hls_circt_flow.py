"""The open flow for real: C → MLIR → CIRCT (Python 3.13 environment) → Verilog → Icarus co-simulation."""

from __future__ import annotations

import pytest

from hls.backends import HlsOptions, get_backend
from hls.cosim import run_cosim
from hls.vectors import port_vectors
from pipeline.errors import UserError
from tests.hls_data.helpers import all_programs, program, require_circt
from tests.support import needs_iverilog, needs_verilator


def synth_and_simulate(name: str, work, simulator: str = "icarus", settings: dict | None = None):
    p = program(name)
    rtl = get_backend("circt").synthesize(p.source, p.top, HlsOptions(settings=settings or {}), work / name)
    vectors = port_vectors(p.hw, p.inputs, p.expected)
    return rtl, run_cosim(rtl, p.hw, vectors, work / name / "cosim", simulator=simulator, max_cycles=50_000)


@needs_iverilog
def test_max_array_handshake_interface_and_cosim(tmp_path):
    require_circt()
    rtl, result = synth_and_simulate("max_array", tmp_path)
    iface = rtl.interface
    assert iface.protocol == "handshake" and iface.clock == "clock" and iface.reset_active_high
    kinds = [p.kind for p in iface.ports]
    assert kinds.count("load") == 3  # a[0], a[k] in the test, a[k] in the assignment
    assert kinds.count("in") == 1 and kinds.count("ctrl_in") == 1 and kinds.count("ctrl_out") == 1
    out = next(p for p in iface.ports if p.kind == "out")
    assert out.arg == "return" and out.width == 32
    load = next(p for p in iface.ports if p.kind == "load")
    assert load.addr_width == 4 and load.signals["addr"] == "in1_ld0_addr"  # the array goes after a_len
    assert rtl.reports["buffer_strategy"] == "cycles" and rtl.reports["widths"] == [32]
    assert result.passed, result.summary()
    assert all(c and c > 0 for c in result.cycles)
    assert result.cycles[3] > result.cycles[1]  # 8 elements take longer than 1


@pytest.mark.slow
@needs_iverilog
def test_every_program_through_circt_and_icarus(tmp_path):
    """Loops, branches, array arguments, local arrays, several outputs, helpers, 2-D, bool, i8 and i64."""
    require_circt()
    results = {}
    for name in all_programs():
        rtl, res = synth_and_simulate(name, tmp_path)
        results[name] = res
    failed = {n: r.summary() for n, r in results.items() if not r.passed}
    assert set(failed) == {"max_array_wrong"}, failed
    wrong = results["max_array_wrong"]
    assert "expected 9" in wrong.vectors[0].mismatches[0]  # it keeps the minimum, 2
    assert wrong.vectors[1].ok  # a one-element array cannot tell min from max
    assert results["merge"].vectors[2].outputs["c"][:4] == [-4, -3, -3, 0]  # three arrays in one bank
    sorted_ = results["bubble_sort"].vectors[-1].outputs["a"]
    assert sorted_ == sorted(sorted_) and len(sorted_) == 16


@pytest.mark.slow
@needs_verilator
@needs_iverilog
def test_verilator_agrees_with_icarus(tmp_path):
    require_circt()
    _, icarus = synth_and_simulate("min_max", tmp_path / "i")
    _, verilator = synth_and_simulate("min_max", tmp_path / "v", simulator="verilator")
    assert verilator.passed, verilator.summary()
    assert verilator.cycles == icarus.cycles


@needs_iverilog
def test_buffer_strategy_all_still_matches(tmp_path):
    require_circt()
    _, cycles = synth_and_simulate("divmod", tmp_path / "c")
    _, every = synth_and_simulate("divmod", tmp_path / "a", settings={"buffer_strategy": "all"})
    assert cycles.passed and every.passed
    assert sum(every.cycles) > sum(cycles.cycles)  # buffering every channel costs latency


def test_circt_failure_is_one_line_with_the_log(tmp_path):
    require_circt()
    p = program("max_array")
    with pytest.raises(UserError, match=r"circt: circt-python failed: .*\(log: .*hls.log\)"):
        get_backend("circt").synthesize(p.source, p.top, HlsOptions(settings={"pre_pipeline": "no-such-pass"}),
                                        tmp_path)
