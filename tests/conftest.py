"""Fixtures shared by several test files. Paths and skip markers are in ``tests/support.py``."""

from __future__ import annotations

import pytest

from tests.support import DAFNY_MISSING
from verifiers.dafny import Dafny, find_dafny


@pytest.fixture
def private_p2s_home(tmp_path, monkeypatch):
    """A fresh ``$P2S_HOME`` (verification cache, models, wheels) under the test's tmp folder; returns it.

    Files that must never read or write the user's cache take it for every test with
    ``pytestmark = pytest.mark.usefixtures("private_p2s_home")``.
    """
    home = tmp_path / "p2s-home"
    monkeypatch.setenv("P2S_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def dafny() -> Dafny:
    """The installed Dafny verifier (``$P2S_DAFNY`` or PATH), once per module; skips when there is none."""
    if find_dafny() is None:
        pytest.skip(DAFNY_MISSING)
    return Dafny()
