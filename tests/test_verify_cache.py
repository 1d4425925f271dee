"""The content-addressed verification cache: hits, several writers at once, corrupt entries, batch runs."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from tests.support import EXAMPLES
from verifiers import cache
from verifiers.diagnostics import Diagnostic, VerificationResult

PROGRAM = (EXAMPLES / "max_array.dfy").read_text()


@pytest.fixture(autouse=True)
def _private_cache(private_p2s_home, monkeypatch):
    monkeypatch.delenv(cache.ENV_DISABLE, raising=False)


def sample(i: int) -> VerificationResult:
    diags = [Diagnostic("verification", i, 1, "x" * 2000) for _ in range(20)]
    return VerificationResult(False, "verification", diags, 1, 20, 0.5, "2.3.0", "p" * 5000)


def test_key_depends_on_program_version_and_options():
    k = cache.cache_key("method M() {}", "2.3.0", {"timeout": 60})
    assert k != cache.cache_key("method M() { }", "2.3.0", {"timeout": 60})
    assert k != cache.cache_key("method M() {}", "4.8.1", {"timeout": 60})
    assert k != cache.cache_key("method M() {}", "2.3.0", {"timeout": 30})
    assert len(k) == 64


def test_store_load_and_corrupt_entry(tmp_path):
    key = cache.cache_key("p", "v", {})
    assert cache.load(key) is None
    cache.store(key, sample(3))
    assert cache.load(key) == sample(3)
    path = cache.cache_dir() / key[:2] / f"{key}.json"
    assert path.is_file() and str(path).startswith(str(tmp_path))
    path.write_text('{"verified": tru')
    assert cache.load(key) is None


def _hammer(home: str, worker: int, rounds: int) -> int:
    import os

    os.environ["P2S_HOME"] = home
    key = cache.cache_key("shared", "v", {})
    bad = 0
    for i in range(rounds):
        cache.store(key, sample(worker * 1000 + i))
        got = cache.load(key)
        if got is None or len(got.diagnostics) != 20:
            bad += 1
    return bad


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path):
    home = str(tmp_path / "shared-home")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        bad = pool.starmap(_hammer, [(home, w, 150) for w in range(2)])
    assert bad == [0, 0]
    folder = Path(home) / "verify-cache"
    assert [p.name for p in folder.rglob("*") if p.is_file() and p.name.startswith(".tmp-")] == []


def test_second_verification_is_a_cache_hit(dafny):
    from verifiers.api import verify_source

    first = verify_source(PROGRAM, dafny=dafny, timeout=60)
    second = verify_source(PROGRAM, dafny=dafny, timeout=60)
    assert first.verified and not first.cached
    assert second.verified and second.cached and second.diagnostics == first.diagnostics
    assert second.seconds < first.seconds
    assert len(list(cache.cache_dir().rglob("*.json"))) == 1


def test_timeouts_are_not_cached(dafny):
    slow = "lemma D(x: bv64, y: bv64) requires y != 0 ensures (x / y) * y + x % y == x { }\n"
    r = dafny.verify(slow, timeout=60, time_limit=1)
    assert r.phase == "timeout"
    assert list(cache.cache_dir().rglob("*.json")) == []


def test_verify_many_in_parallel_keeps_order(dafny):
    from verifiers.api import verify_many

    broken = PROGRAM.replace("invariant 1 <= k <= a.Length\n", "")
    results = verify_many([PROGRAM, broken, PROGRAM], timeout=60, workers=2, dafny=dafny)
    assert [r.verified for r in results] == [True, False, True]
    assert results[1].phase == "verification"
