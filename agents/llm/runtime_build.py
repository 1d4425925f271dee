"""Build the embedded LLM runtime (llama-cpp-python) for a portable CPU level, once per level, and install it.

Why this exists: ``pip install llama-cpp-python`` compiles llama.cpp with ``-march=native`` and caches the
wheel under the source archive's name alone. On a CPU with AMX, the native build takes llama.cpp's AMX
repack path and crashes in the first ``decode``; a wheel built on an AVX-512 machine and handed back by
pip's cache to one without AVX-512 dies with an illegal instruction. So the build here

* targets a named x86-64 ISA level with AMX off (``x86-64-v3``: AVX2/FMA/F16C/BMI2, what every machine
  of this workplace has; ``x86-64-v2`` and ``x86-64`` for older CPUs), chosen from the host's CPU flags;
* is keyed on what decides whether it runs: runtime version, level, CMake flags, Python tag, machine and
  compiler; the wheel lives in ``$P2S_HOME/wheels/KEY/`` and pip's own cache is bypassed;
* records the key it installed in the virtual environment, so ``ensure`` is a no-op when the installed
  build matches this host and a rebuild (or a cached wheel of the right key) when it does not.

llama.cpp's runtime dispatch (``GGML_BACKEND_DL`` + ``GGML_CPU_ALL_VARIANTS``) was not chosen: it builds
14 CPU variants (14x the compile time of the slowest step of setup), and on an AMX host it picks its
``sapphirerapids`` variant, which is the AMX path that crashes.

Run it as ``python -m agents.llm.runtime_build ensure`` (the Makefile does); ``show`` prints the level
and key this host would use.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.home import p2s_home

RUNTIME = "llama-cpp-python"
VERSION = "0.3.36"
MARKER = "p2s-llama-build.json"  # in the virtual environment's root (sys.prefix)

# Every instruction-set switch of the pinned llama.cpp, off unless a level turns it on. AMX stays off
# at every level: its repack path is the one that crashes.
_ALL_ISA = ("SSE42", "AVX", "AVX2", "FMA", "F16C", "BMI2", "AVX_VNNI", "AVX512", "AVX512_VBMI",
            "AVX512_VNNI", "AVX512_BF16", "AMX_TILE", "AMX_INT8", "AMX_BF16")


@dataclass(frozen=True)
class Level:
    """A CPU level: the /proc/cpuinfo flags a host needs and the llama.cpp ISA switches it turns on."""

    name: str
    needs: frozenset[str]
    isa: tuple[str, ...]

    def cmake_args(self) -> list[str]:
        on = set(self.isa)
        return ["-DGGML_NATIVE=OFF", *(f"-DGGML_{f}={'ON' if f in on else 'OFF'}" for f in _ALL_ISA)]


# Best first: the first level whose needs the host meets is chosen.
LEVELS: tuple[Level, ...] = (
    Level("x86-64-v3", frozenset({"sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"}),
          ("SSE42", "AVX", "AVX2", "FMA", "F16C", "BMI2")),
    Level("x86-64-v2", frozenset({"sse4_2"}), ("SSE42",)),
    Level("x86-64", frozenset(), ()),
)
NATIVE = "native"  # non-x86 machines: the build for this host only (its key names the host's CPU)


def host_cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The CPU feature flags of this host (Linux ``/proc/cpuinfo``; empty where it cannot be read)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def choose_level(flags: frozenset[str], machine: str | None = None) -> str:
    """The best portable level this host can run (``native`` off x86-64)."""
    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64"):
        return NATIVE
    return next(level.name for level in LEVELS if level.needs <= flags)


def cmake_args(level: str) -> list[str]:
    """The CMake switches for a level (``native`` lets llama.cpp detect the host)."""
    if level == NATIVE:
        return ["-DGGML_NATIVE=ON", "-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"]
    for candidate in LEVELS:
        if candidate.name == level:
            return candidate.cmake_args()
    raise ValueError(f"unknown CPU level {level!r}: use one of {', '.join(lv.name for lv in LEVELS)} or {NATIVE}")


def _compiler() -> str:
    try:
        out = subprocess.run(["cc", "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.splitlines()[0] if out else "unknown"


def build_key(level: str, flags: frozenset[str] | None = None) -> str:
    """The cache key of a build: everything that decides whether a wheel runs on a host.

    A ``native`` build also depends on the host's CPU flags, so they enter its key.
    """
    parts = {
        "runtime": f"{RUNTIME}=={VERSION}", "level": level, "cmake": cmake_args(level),
        "python": f"cp{sys.version_info.major}{sys.version_info.minor}", "machine": platform.machine(),
        "compiler": _compiler(),
    }
    if level == NATIVE:
        parts["cpu"] = sorted(flags if flags is not None else host_cpu_flags())
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]
    return f"{VERSION}-{level}-{parts['python']}-{digest}"


def installed_key(prefix: Path | None = None) -> str | None:
    """The key of the runtime installed in this environment, or ``None`` (none, or not built by us)."""
    marker = Path(prefix or sys.prefix) / MARKER
    try:
        return json.loads(marker.read_text())["key"]
    except (OSError, ValueError, KeyError):
        return None


def build_wheel(level: str, key: str, jobs: int) -> Path:
    """Compile the runtime for ``level`` into ``$P2S_HOME/wheels/KEY/`` (reusing a wheel already there)."""
    target = p2s_home() / "wheels" / key
    found = sorted(target.glob("*.whl")) if target.is_dir() else []
    if found:
        print(f"runtime: reusing {found[0]} (built for {level})", flush=True)
        return found[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CMAKE_ARGS=" ".join(cmake_args(level)), CMAKE_BUILD_PARALLEL_LEVEL=str(jobs))
    print(f"runtime: compiling {RUNTIME} {VERSION} for {level} (several minutes on 2 cores)", flush=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-cache-dir", "--no-deps",
             "--no-binary", RUNTIME, "-w", tmp, f"{RUNTIME}=={VERSION}"],
            env=env, check=True,
        )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if not wheels:
            raise RuntimeError(f"pip wheel produced no wheel in {tmp}")
        staged = Path(tmp) / "done"
        staged.mkdir()
        shutil.move(str(wheels[0]), staged / wheels[0].name)
        staged.rename(target)  # atomic: a half-built wheel is never found under the key
    return next(target.glob("*.whl"))


def install(wheel: Path, level: str, key: str) -> None:
    """Install the wheel (its Python dependencies from the index) and record its key in the venv."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-cache-dir", "--force-reinstall", "--no-deps", str(wheel)],
        check=True,
    )
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", str(wheel)], check=True)
    marker = Path(sys.prefix) / MARKER
    marker.write_text(json.dumps({"key": key, "level": level, "wheel": str(wheel)}, indent=1) + "\n")


def ensure(level: str | None = None, jobs: int = 2) -> str:
    """Make the installed runtime the build for this host; returns the key. Quick when it already is."""
    flags = host_cpu_flags()
    level = level or choose_level(flags)
    key = build_key(level, flags)
    if installed_key() == key:
        print(f"runtime: {RUNTIME} {VERSION} for {level} present", flush=True)
        return key
    install(build_wheel(level, key, jobs), level, key)
    print(f"runtime: installed {RUNTIME} {VERSION} for {level} (key {key})", flush=True)
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.llm.runtime_build", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("ensure", "show"), help="ensure: build/install if needed; show: print")
    parser.add_argument("--level", choices=[lv.name for lv in LEVELS] + [NATIVE], default=None,
                        help="CPU level to build for (default: the best this host runs)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")))
    args = parser.parse_args(argv)
    if args.action == "show":
        flags = host_cpu_flags()
        level = args.level or choose_level(flags)
        print(json.dumps({"level": level, "key": build_key(level, flags), "installed": installed_key(),
                          "cmake_args": cmake_args(level)}, indent=1))
        return 0
    try:
        ensure(args.level, args.jobs)
    except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
        print(f"p2s: error: building the embedded LLM runtime failed ({exc}); see the pip output above",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
