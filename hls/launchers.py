"""Launchers: every EDA tool command (HLS tools, simulators, yosys, nextpnr) runs through one, locally or in a
container image (``--runner container``).

A command is a logical tool name plus arguments (``("vitis_hls", ["-f", "run_hls.tcl"])``). The
:class:`LocalLauncher` resolves the tool on ``PATH`` (or the HLS environment for ``circt-python``); the
:class:`ContainerLauncher` runs it in the tool's image through the Docker SDK (Docker, or Podman), with
the work folder mounted at the same path, no network, the caller's uid:gid, a time limit, and the container
removed afterwards (the ``--rm`` of ``docker run``). Arguments must name files inside the work folder so both
launchers see them, or inside one of the ``mounts`` folders the command is given (bound read-only in the
container: the RTL a simulator or yosys reads lives in the ``rtl`` stage's folder, not in theirs).
When no container engine answers, :func:`get_launcher` says so and falls back to the local tools.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hls.toolenv import SETUP_HINT, hls_python
from pipeline.errors import ToolMissingError, UserError
from pipeline.process import CommandResult, run_command

log = logging.getLogger(__name__)

# Container images per tool (built by `p2s images build KIND`, hls/images.py): override with P2S_IMAGE_<TOOL>
# (e.g. P2S_IMAGE_VITIS_HLS) or HlsOptions.image.
OPEN_IMAGE = "proof2silicon/open:latest"
BAMBU_IMAGE = "proof2silicon/bambu:latest"
VITIS_IMAGE = "proof2silicon/vitis:2023.2"
IMAGE_KINDS = {OPEN_IMAGE: "open", BAMBU_IMAGE: "bambu", VITIS_IMAGE: "vitis"}
IMAGES: dict[str, str] = {
    "circt-python": OPEN_IMAGE,
    "bambu": BAMBU_IMAGE,
    "yosys": OPEN_IMAGE,
    "yosys-smtbmc": OPEN_IMAGE,
    "z3": OPEN_IMAGE,
    "vitis_hls": VITIS_IMAGE,
    "vivado_hls": VITIS_IMAGE,
    "iverilog": OPEN_IMAGE,
    "vvp": OPEN_IMAGE,
    "verilator": OPEN_IMAGE,
    "nextpnr-ice40": OPEN_IMAGE,
}
CONTAINER_CPUS = float(os.environ.get("P2S_CONTAINER_CPUS", "1"))  # CPUs a tool's container may use
CONTAINER_MEMORY_MB = int(os.environ.get("P2S_CONTAINER_MEMORY_MB", "8192"))  # unless the command sets less
# The executable of each logical tool inside the images (docker/<kind>/Dockerfile).
CONTAINER_EXECUTABLES: dict[str, str] = {"circt-python": "/opt/hls-venv/bin/python"}

INSTALL_HINTS: dict[str, str] = {
    "circt-python": SETUP_HINT,
    "bambu": "install PandA Bambu (https://panda.deib.polimi.it, AppImage) or build its image (p2s images build "
    "bambu, docker/README.md) and use --runner container",
    "vitis_hls": "install AMD Vitis HLS and source its settings64.sh, or build the Vitis image from your installer "
    "(docker/README.md) and use --runner container",
    "vivado_hls": "install Vivado HLS (2020.1 or older) and source its settings64.sh, or build the Vitis image "
    "(docker/README.md) and use --runner container",
    "iverilog": "apt-get install iverilog (or run 'make setup')",
    "vvp": "apt-get install iverilog (or run 'make setup')",
    "verilator": "apt-get install verilator (or run 'make setup')",
    "yosys": "apt-get install yosys (or run 'make setup')",
    "yosys-smtbmc": "apt-get install yosys (it ships yosys-smtbmc; or run 'make setup')",
    "z3": "apt-get install z3 (or run 'make setup')",
    "nextpnr-ice40": "apt-get install nextpnr-ice40",
}


def image_for(tool: str, override: str | None = None) -> str:
    env = os.environ.get(f"P2S_IMAGE_{tool.upper().replace('-', '_')}")
    return override or env or IMAGES.get(tool, OPEN_IMAGE)


def image_kind(image: str) -> str:
    """The ``p2s images build`` kind that makes ``image`` (``open`` for one we do not know)."""
    return IMAGE_KINDS.get(image, "open")


class Launcher:
    """Runs ``tool args`` in ``cwd`` with a time limit and appends the transcript to ``log_path``.

    ``memory_mb`` limits the command's memory (a simulation of a runaway design must not take the machine);
    ``mounts`` are folders outside ``cwd`` that the command reads (see the module docstring).
    """

    name = "base"
    note = ""  # a message for the user (e.g. why this launcher replaced the one asked for)

    def run(self, tool: str, args: list[str], cwd: Path, timeout: float, log_path: Path,
            env: dict[str, str] | None = None, *, memory_mb: int | None = None,
            mounts: Sequence[str | Path] = ()) -> CommandResult:
        raise NotImplementedError

    def require(self, tool: str) -> None:
        """Raise :class:`ToolMissingError` (with the install hint) when ``tool`` cannot run here.

        A container image brings its own tools, so the base check passes; a missing image or engine shows
        when the command runs.
        """

    def describe(self, tool: str, args: list[str]) -> str:
        return shlex.join([tool, *args])

    def identity(self, tool: str) -> str:
        """What runs ``tool`` (``local``, or a container image's digest): part of a result cache's key."""
        return "local"

    def provenance(self) -> str:
        """For a stage's detail: which images ran its tools, or why they ran locally when containers were asked
        for (the fallback note); "" for a plain local run."""
        return f"; {self.note}" if self.note else ""


class LocalLauncher(Launcher):
    name = "local"

    def resolve(self, tool: str) -> str:
        """The executable for ``tool``; raises :class:`ToolMissingError` with the install hint."""
        if tool == "circt-python":
            python = hls_python()
            if python is None:
                raise ToolMissingError("HLS environment (Python 3.13 with circt)", SETUP_HINT)
            return str(python)
        found = shutil.which(tool)
        if found is None:
            raise ToolMissingError(tool, INSTALL_HINTS.get(tool, f"install {tool} or put it on PATH"))
        return found

    def require(self, tool: str) -> None:
        self.resolve(tool)

    def run(self, tool, args, cwd, timeout, log_path, env=None, *, memory_mb=None, mounts=()) -> CommandResult:
        return run_command([self.resolve(tool), *args], cwd=cwd, env=env, timeout=timeout, memory_mb=memory_mb,
                           log_path=log_path)


class ContainerLauncher(Launcher):
    """Runs tools in container images through the Docker SDK: Docker's engine, or Podman behind a socket of our
    own (:mod:`hls.container_engine`); ``client`` is injectable for tests.

    Each run: the work folder bound at its own path, the ``mounts`` read-only, no network, the caller's
    uid:gid, a memory limit and :data:`CONTAINER_CPUS` CPUs, a time limit, the container removed afterwards.
    Which image ran (by digest) is in the log line, in :attr:`images` and in the stage reports.
    """

    name = "container"

    def __init__(self, client: Any = None, image: str | None = None) -> None:
        self._client = client
        self.image = image
        self.images: dict[str, str] = {}  # image tag -> digest, of the images this launcher ran

    @property
    def client(self) -> Any:
        if self._client is None:
            from hls.container_engine import connect

            self._client = connect().client
        return self._client

    def available(self) -> tuple[bool, str]:
        """Whether an engine answers ``ping``; the reason when it does not."""
        try:
            self.client.ping()
            return True, ""
        except Exception as exc:  # ToolMissingError, DockerException, connection refused, missing socket, ...
            return False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'}"

    def identity(self, tool: str) -> str:
        """What runs ``tool``: its image and digest (a cache of results must not mix images, or local tools)."""
        image = image_for(tool, self.image)
        return f"{image}@{self._digest(image)}"

    def provenance(self) -> str:
        return "; in " + ", ".join(f"{tag}@{digest[:19]}" for tag, digest in self.images.items()) if self.images else ""

    def _digest(self, image: str) -> str:
        if image not in self.images:
            from hls.images import find_image

            found = find_image(self.client, image)
            if found is None:
                raise UserError(f"container image {image} is not here: build it with `p2s images build "
                                f"{image_kind(image)}` (docker/README.md)")
            self.images[image] = str(found.id)
        return self.images[image]

    def run(self, tool, args, cwd, timeout, log_path, env=None, *, memory_mb=None, mounts=()) -> CommandResult:
        image = image_for(tool, self.image)
        digest = self._digest(image)
        exe = CONTAINER_EXECUTABLES.get(tool, tool)
        work = str(Path(cwd).resolve())
        argv = [exe, *args]
        volumes = {work: {"bind": work, "mode": "rw"}}
        for folder in sorted({str(Path(m).resolve()) for m in mounts}):
            if not _inside(folder, work):
                volumes.setdefault(folder, {"bind": folder, "mode": "ro"})
        limits: dict[str, Any] = {"mem_limit": f"{memory_mb or CONTAINER_MEMORY_MB}m",
                                  "nano_cpus": int(CONTAINER_CPUS * 1e9)}
        start = time.monotonic()
        container = self.client.containers.run(
            image,
            command=argv,
            detach=True,
            working_dir=work,
            volumes=volumes,
            user=f"{os.getuid()}:{os.getgid()}",
            network_mode="none",  # Podman's Docker API ignores network_disabled: a bridge, eth0, forwarding
            environment=env or {},
            **limits,
        )
        timed_out = False
        code = -1
        try:
            try:
                status = container.wait(timeout=timeout)
                code = int(status.get("StatusCode", -1))
            except Exception:  # requests' ReadTimeout / ConnectionError: the time limit was reached
                timed_out = True
                container.kill()
            stdout = _decode(container.logs(stdout=True, stderr=False))
            stderr = _decode(container.logs(stdout=False, stderr=True))
        finally:
            container.remove(force=True)
        result = CommandResult(argv, code, stdout, stderr, time.monotonic() - start, timed_out)
        binds = " ".join(f"-v {src}:{v['bind']}" + (":ro" if v["mode"] == "ro" else "") for src, v in volumes.items())
        _append_log(log_path, f"docker run --rm --network none --memory {limits['mem_limit']} --cpus "
                              f"{CONTAINER_CPUS:g} {binds} {image} {shlex.join(argv)}   # {digest}", work, result)
        return result


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _decode(data: Any) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data or "")


def _append_log(path: Path, quoted: str, cwd: str, result: CommandResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    status = "TIMEOUT" if result.timed_out else f"exit {result.returncode}"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {quoted}\n# cwd: {cwd}\n# {status} after {result.seconds:.2f}s\n{result.output}\n")


RUNNERS = ("local", "container", "docker")  # docker: the container runner's former name, the same launcher


def get_launcher(name: str, client: Any = None, image: str | None = None, fallback: bool = True) -> Launcher:
    """The launcher called ``name``; ``container`` (``docker``) without an engine falls back to local, saying so.

    Raises:
        UserError: an unknown runner name, or no engine with ``fallback=False``.
    """
    if name == "local":
        return LocalLauncher()
    if name not in RUNNERS:
        raise UserError(f"unknown runner '{name}' (choose from: {', '.join(RUNNERS)})")
    launcher = ContainerLauncher(client, image)
    ok, why = launcher.available()
    if ok:
        return launcher
    message = f"no container engine answers ({why}); running the HLS tools locally instead"
    if not fallback:
        raise UserError(f"--runner {name}: {message.split(';')[0]}: install Podman or start Docker (docker/README.md), "
                        f"or use --runner local")
    log.warning(message)
    local = LocalLauncher()
    local.note = message
    return local
