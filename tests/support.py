"""What the test files share: the repository's paths, the CloverBench data folder and one skip per external tool.

Import from here (``from tests.support import needs_dafny``); ``tests`` is a package and pytest puts the repository
root on ``sys.path``. Fixtures live in ``tests/conftest.py``.

Each ``needs_*`` is a ``pytest.mark.skipif`` whose reason says how to install the tool, so a test can take it as a
decorator, in a ``pytestmark`` list or as ``pytestmark`` itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from verifiers.dafny import find_dafny

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "benchmarks" / "examples"
SHARED_DATA = REPO.parent / "shared" / "data"
CLOVER_DIR = SHARED_DATA / "cloverbench"
MBPP_DEV_DIR = SHARED_DATA / "mbpp-dfy-dev"

MAKE_SETUP = "run 'make setup'"


def _missing(tool: str, how: str) -> str:
    return f"{tool} not installed: {how}"


# Dafny as the verifier finds it: $P2S_DAFNY if set, else dafny on PATH.
DAFNY_MISSING = _missing("dafny", f"{MAKE_SETUP} (apt-get install dafny) or set P2S_DAFNY")
GCC_MISSING = _missing("gcc", "apt-get install gcc")
YOSYS_MISSING = _missing("yosys", f"{MAKE_SETUP} (apt-get install yosys)")
IVERILOG_MISSING = _missing("iverilog", f"{MAKE_SETUP} (apt-get install iverilog)")
VERILATOR_MISSING = _missing("verilator", f"{MAKE_SETUP} (apt-get install verilator)")
CLOVER_MISSING = f"CloverBench data not found at {CLOVER_DIR} (the shared data folder next to the repository)"

needs_dafny = pytest.mark.skipif(find_dafny() is None, reason=DAFNY_MISSING)
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason=GCC_MISSING)
needs_yosys = pytest.mark.skipif(shutil.which("yosys") is None, reason=YOSYS_MISSING)
needs_iverilog = pytest.mark.skipif(shutil.which("iverilog") is None, reason=IVERILOG_MISSING)
needs_verilator = pytest.mark.skipif(shutil.which("verilator") is None, reason=VERILATOR_MISSING)
needs_clover = pytest.mark.skipif(not CLOVER_DIR.is_dir(), reason=CLOVER_MISSING)
needs_mbpp_dev = pytest.mark.skipif(not MBPP_DEV_DIR.is_dir(),
                                    reason=f"MBPP-DFY data not found at {MBPP_DEV_DIR} (the shared data folder)")


def journal_lines(out: Path) -> list[str]:
    """A batch folder's ``results.jsonl`` lines (none before its first record)."""
    path = out / "results.jsonl"
    return path.read_text().splitlines() if path.exists() else []


def kill_bench_mid_run(command: list[str], out: Path, cwd: Path, env: dict[str, str]) -> list[str]:
    """Start ``p2s bench`` (``command``), SIGKILL its process group once it has journalled a task, and return the
    journal as the kill left it (the resumption tests compare the rerun's journal with it)."""
    import os
    import signal
    import subprocess
    import time

    proc = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not journal_lines(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return journal_lines(out)
