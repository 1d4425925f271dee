"""CloverBench textbook_algo through the bridge: the figure the README states (slow: 62 real verifications)."""

from __future__ import annotations

import pytest

from tests.support import CLOVER_DIR, needs_clover, needs_dafny

DATA = CLOVER_DIR / "textbook_algo"


@pytest.mark.slow
@needs_clover
@needs_dafny
def test_cloverbench_through_the_bridge(tmp_path, monkeypatch):
    monkeypatch.setenv("P2S_HOME", str(tmp_path))  # measure, do not read an old cache
    from benchmarks.clover_verify import measure, programs

    paths = programs(DATA)
    assert len(paths) == 62
    rows = measure(paths, timeout=300, workers=2, use_cache=True)  # `rotate` needs ~16 s of CPU
    as_is = {name for name, a, _ in rows if a.verified}
    bridged = {name for name, _, b in rows if b.verified}
    assert len(bridged) >= 58, sorted(set(n for n, _, _ in rows) - bridged)
    assert as_is <= bridged  # the bridge never loses a program that verified as it was
    for name in ("all_digits", "longest_prefix"):  # Dafny 4 for loops: parse errors as they are
        assert name not in as_is and name in bridged
