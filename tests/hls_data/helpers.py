"""Test helpers for the hls/ suites: the hand-written C programs with their interfaces and vectors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from hls.toolenv import SETUP_HINT, hls_python
from pipeline.hw_interface import HwInterface

DATA = Path(__file__).parent
PROGRAMS = DATA / "programs"
MOCKS = DATA.parent / "mock_commands"


@dataclass
class Program:
    name: str
    source: str
    top: str
    hw: HwInterface
    inputs: list[dict]
    expected: list[dict]


def program(name: str) -> Program:
    data = json.loads((PROGRAMS / f"{name}.json").read_text())
    return Program(name, (PROGRAMS / f"{name}.c").read_text(), data["top"], HwInterface.from_dict(data["interface"]),
                   [t["inputs"] for t in data["tests"]], [t["expected"] for t in data["tests"]])


def all_programs() -> list[str]:
    return sorted(p.stem for p in PROGRAMS.glob("*.c"))


def require_circt() -> None:
    """Skip unless the HLS environment (Python 3.13 + circt) is set up."""
    if hls_python() is None:
        pytest.skip(f"the HLS environment is not set up: {SETUP_HINT}")


def argv_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
