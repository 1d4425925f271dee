"""The QoR benchmark's outside designs: Polyphony's, really compiled, wrapped into ap_ctrl_hs and co-simulated on
the task's vectors; and the report's comparison of cycles against it."""

from __future__ import annotations

import pytest

from benchmarks import qor
from benchmarks.polyphony_design import KERNELS, polyphony
from hls.toolenv import hls_venv
from tests.support import needs_iverilog, needs_yosys

needs_polyphony = pytest.mark.skipif(not (hls_venv() / "bin" / "polyphony").exists(),
                                     reason="polyphony not installed: run 'make setup' (the HLS environment)")


def test_polyphony_kernels_are_the_scalar_ones_with_a_hand_design():
    assert set(KERNELS) == {"abs_diff", "clamp", "gcd", "isqrt", "popcount32"}
    assert set(KERNELS) <= set(qor.KERNELS)


@needs_polyphony
@needs_iverilog
@needs_yosys
@pytest.mark.slow
def test_polyphony_gcd_passes_the_vectors_through_its_wrapper(tmp_path):
    assert polyphony().exists()
    row = qor.measure("gcd", "polyphony", tmp_path, fmax=False)
    assert row["passed"], row.get("failed")
    hand = qor.measure("gcd", "hand", tmp_path, fmax=False)
    assert row["cycles_mean"] > hand["cycles_mean"] > 0  # Polyphony's state machine spends a cycle per step more
    assert row["ff"] > 0 and row["lut"] > 0


def test_the_report_counts_the_kernels_where_a_backend_is_no_slower_than_polyphony():
    def row(kernel: str, backend: str, cycles: float) -> dict:
        return {"kernel": kernel, "backend": backend, "commit": "abcdef0", "passed": True, "cycles_max": cycles,
                "cycles_mean": cycles, "lut": 10, "ff": 5, "dsp": 0, "fmax_mhz": None}

    rows = [row("gcd", "hand", 3), row("gcd", "static", 4), row("gcd", "polyphony", 5),
            row("clamp", "hand", 1), row("clamp", "static", 4), row("clamp", "polyphony", 3)]
    text = qor.report(rows, ["static", "polyphony"])
    assert "static: cycles no more than Polyphony's on 1 of 2 kernels." in text
    assert "| clamp | 3 | 4 (1.33x) |" in text
