"""The container engine the container runner talks to: Docker where its socket answers, else Podman behind a
Docker-compatible socket of our own.

Everything that runs containers (:class:`hls.launchers.ContainerLauncher`, :mod:`hls.images`) uses the Docker
SDK, which Podman's ``podman system service`` also answers. Podman is set up with a configuration of ours
under ``$P2S_HOME/podman/`` (never the host's): runc as the runtime (crun 1.8 rejects hybrid cgroup hosts),
cgroupfs, ulimits a container may raise without CAP_SYS_RESOURCE, overlay storage under the same folder, no
network by default. The service stops by itself after :data:`IDLE_SECONDS` without a request, so nothing is
left running; :func:`stop_podman_service` stops it at once (the tests do).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ToolMissingError
from pipeline.home import p2s_home

IDLE_SECONDS = 300
PODMAN_HINT = "apt-get install podman runc (or run 'make setup'), or start Docker"

CONTAINERS_CONF = """\
# written by proof2silicon (hls/container_engine.py); used only through CONTAINERS_CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""

STORAGE_CONF = """\
# written by proof2silicon (hls/container_engine.py); used only through CONTAINERS_STORAGE_CONF
[storage]
driver = "overlay"
graphroot = "{root}/storage"
runroot = "{root}/run"
"""


@dataclass
class Engine:
    """A connected engine: the SDK client, its name (``docker`` or ``podman``) and its socket."""

    client: Any
    name: str
    base_url: str


def podman_folder() -> Path:
    return p2s_home() / "podman"


def podman_env() -> dict[str, str]:
    """The environment every podman command of ours runs with: our configuration files, written on first use."""
    folder = podman_folder()
    folder.mkdir(parents=True, exist_ok=True)
    conf, storage = folder / "containers.conf", folder / "storage.conf"
    if not conf.exists() or conf.read_text() != CONTAINERS_CONF:
        conf.write_text(CONTAINERS_CONF)
    text = STORAGE_CONF.format(root=folder)
    if not storage.exists() or storage.read_text() != text:
        storage.write_text(text)
    return {**os.environ, "CONTAINERS_CONF": str(conf), "CONTAINERS_STORAGE_CONF": str(storage)}


def podman_socket() -> Path:
    return podman_folder() / "podman.sock"


def connect() -> Engine:
    """Docker if ``DOCKER_HOST`` or the default socket answers, else Podman (its service started if needed).

    Raises:
        ToolMissingError: neither engine is here (with how to install one).
    """
    import docker

    client = _docker_client()
    if client is not None:
        return Engine(client, "docker", client.api.base_url)
    if shutil.which("podman") is None:
        raise ToolMissingError("a container engine (Docker or Podman)", PODMAN_HINT)
    base_url = start_podman_service()
    client = docker.DockerClient(base_url=base_url, timeout=600)
    client.ping()
    return Engine(client, "podman", base_url)


def docker_answers() -> bool:
    """Whether a Docker engine answers (``DOCKER_HOST`` or the default socket); starts nothing."""
    return _docker_client() is not None


def _docker_client() -> Any:
    import docker

    if not (os.environ.get("DOCKER_HOST") or Path("/var/run/docker.sock").exists()):
        return None
    try:
        client = docker.from_env(timeout=30)
        client.ping()
        return client
    except Exception:  # no daemon behind the socket
        return None


def start_podman_service(idle_seconds: int = IDLE_SECONDS) -> str:
    """Our Podman socket's URL, starting ``podman system service`` on it unless one answers there already."""
    from filelock import FileLock

    sock = podman_socket()
    url = f"unix://{sock}"
    if _answers(sock):
        return url
    podman_folder().mkdir(parents=True, exist_ok=True)
    with FileLock(str(podman_folder() / "service.lock"), timeout=60):  # parallel workers start one service
        if not _answers(sock):
            _spawn_service(sock, url, idle_seconds)
    return url


def _spawn_service(sock: Path, url: str, idle_seconds: int) -> None:
    sock.unlink(missing_ok=True)
    log = (podman_folder() / "service.log").open("a")
    proc = subprocess.Popen(["podman", "system", "service", f"--time={idle_seconds}", url], env=podman_env(),
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    (podman_folder() / "service.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _answers(sock):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise ToolMissingError("the Podman service", f"podman system service did not start (see "
                                                 f"{podman_folder() / 'service.log'}); {PODMAN_HINT}")


def stop_podman_service() -> None:
    """Stop the service :func:`start_podman_service` started, if it still runs."""
    pid_file = podman_folder() / "service.pid"
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text())
        os.killpg(pid, 15)
        for _ in range(100):
            _reap(pid)
            os.kill(pid, 0)  # raises once it is gone
            time.sleep(0.05)
    except (ValueError, ProcessLookupError, PermissionError):
        pass
    pid_file.unlink(missing_ok=True)
    podman_socket().unlink(missing_ok=True)


def _reap(pid: int) -> None:
    """Collect the service if this process started it (a zombie would look alive to ``kill 0``)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _answers(sock: Path) -> bool:
    import socket

    if not sock.exists():
        return False
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        try:
            s.connect(str(sock))
            return True
        except OSError:
            return False
