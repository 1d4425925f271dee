"""``p2s doctor`` lines for the hardware half: simulators, yosys/nextpnr, the HLS environment, HLS tools."""

from __future__ import annotations

import re
import shutil
import subprocess

from hls.launchers import INSTALL_HINTS
from hls.toolenv import CIRCT_VERSION, SETUP_HINT, hls_python
from pipeline.tools import ToolStatus, simple_check

_CIRCT_PROBE = "import importlib.metadata as m, circt.passmanager; print(m.version('circt'))"


def _run(argv: list[str], timeout: float = 20.0) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout + out.stderr


def check_circt() -> ToolStatus:
    name = f"hls-venv (Python 3.13, circt=={CIRCT_VERSION})"
    python = hls_python()
    if python is None:
        return ToolStatus(name, False, hint=SETUP_HINT)
    out = _run([str(python), "-c", _CIRCT_PROBE])
    version = (out or "").strip().splitlines()[-1:] or [""]
    if not out or not re.fullmatch(r"[\d.]+", version[0]):
        return ToolStatus(name, False, detail=f"{python}: circt does not import", hint=SETUP_HINT)
    ok = version[0] == CIRCT_VERSION
    detail = str(python) if ok else f"{python}: circt {version[0]}, the flow was measured with {CIRCT_VERSION}"
    return ToolStatus(name, True, f"circt {version[0]}", detail=detail)


def _versioned(name: str, argv: list[str], pattern: str, hint: str, required: bool) -> ToolStatus:
    if shutil.which(argv[0]) is None:
        return ToolStatus(name, False, hint=hint, required=required)
    out = _run(argv) or ""
    m = re.search(pattern, out)
    return ToolStatus(name, True, m.group(0) if m else "version unknown", required=required)


def check_container_engine() -> ToolStatus:
    """Docker's engine if it answers, else Podman if installed (its service starts on demand, not here)."""
    from hls.container_engine import PODMAN_HINT, docker_answers

    if docker_answers():
        return ToolStatus("container engine", True, "docker answers", required=False)
    if shutil.which("podman") is not None:
        out = _run(["podman", "--version"]) or ""
        m = re.search(r"\d+\.\d+(\.\d+)?", out)
        return ToolStatus("container engine", True, f"podman {m.group(0) if m else '(version unknown)'}",
                          detail="its Docker-compatible service starts when --runner container needs it",
                          required=False)
    return ToolStatus("container engine", False, hint=f"{PODMAN_HINT} to run the tools from images "
                                                      f"(--runner container, p2s images build)", required=False)


def checks() -> list[ToolStatus]:
    """Every hardware-side tool; the open flow's tools are required, vendor tools and Docker optional."""
    return [
        simple_check("iverilog", ["iverilog", "-V"], INSTALL_HINTS["iverilog"]),
        simple_check("verilator", ["verilator", "--version"], INSTALL_HINTS["verilator"], required=False),
        simple_check("yosys", ["yosys", "-V"], INSTALL_HINTS["yosys"]),
        simple_check("nextpnr-ice40", ["nextpnr-ice40", "--version"],
                     "apt-get install nextpnr-ice40 (Fmax estimates; optional)", required=False),
        check_circt(),
        _versioned("bambu", ["bambu", "--version"], r"PandA [\w.\-]+", INSTALL_HINTS["bambu"], False),
        _versioned("vitis_hls", ["vitis_hls", "-version"], r"v?20\d\d\.\d", INSTALL_HINTS["vitis_hls"], False),
        _versioned("vivado_hls", ["vivado_hls", "-version"], r"v?20\d\d\.\d", INSTALL_HINTS["vivado_hls"], False),
        check_container_engine(),
    ]
