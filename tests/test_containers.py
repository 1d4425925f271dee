"""The container runner against a real engine: the open image built (cached by its recipe's hash) and the
hardware chain run in it, compared with the local run.

Without Podman or Docker these tests are skipped with the reason; they never pass without an engine. A
Podman service this module starts is stopped at its end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from hls.launchers import ContainerLauncher
from pipeline.errors import UserError
from tests.support import EXAMPLES, REPO, needs_dafny


def test_an_unknown_kind_or_a_missing_supplied_file_is_one_error():
    for kind, message in (("quartus", "choose one of open, bambu, vitis"),
                          ("bambu", "docker/bambu/bambu*.AppImage is missing: put the PandA Bambu AppImage")):
        done = subprocess.run([sys.executable, "-m", "pipeline.cli", "images", "build", kind], cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and done.stderr.startswith("p2s: error: "), done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_the_apt_mirror_is_read_from_either_sources_format(tmp_path):
    from hls.images import apt_mirror

    (tmp_path / "a.sources").write_text("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n")
    (tmp_path / "b.list").write_text("deb http://other.example/debian bookworm main\n")
    (tmp_path / "c.list").write_text("# nothing\n")
    assert apt_mirror([tmp_path / "a.sources", tmp_path / "b.list"]) == "http://mirror.example/debian"
    assert apt_mirror([tmp_path / "c.list", tmp_path / "b.list"]) == "http://other.example/debian"
    assert apt_mirror([tmp_path / "c.list"]) == "http://deb.debian.org/debian"


@pytest.fixture(scope="module")
def engine():
    from hls.container_engine import connect, podman_socket, stop_podman_service

    if shutil.which("podman") is None and shutil.which("docker") is None:
        pytest.skip("no container engine here: apt-get install podman runc (make setup installs them)")
    started = not podman_socket().exists()
    try:
        found = connect()
    except UserError as exc:
        pytest.skip(f"no container engine answers: {exc}")
    yield found
    if found.name == "podman" and started:
        stop_podman_service()
        assert not podman_socket().exists()


@pytest.fixture(scope="module")
def open_image(engine):
    from hls.images import build_image

    return build_image("open", engine, say=lambda line: None)  # minutes the first time, then a no-op


@pytest.mark.slow
def test_the_open_image_is_built_once_per_recipe_and_runs_without_a_network(engine, open_image, tmp_path):
    from hls.images import build_image

    assert build_image("open", engine, say=lambda line: None) == open_image  # the same recipe: the same image
    before = _host_network()
    launcher = ContainerLauncher(engine.client)
    result = launcher.run("sh", ["-c", "ls /sys/class/net; id -u"], cwd=tmp_path, timeout=120,
                          log_path=tmp_path / "log")
    assert result.ok, result.output
    interfaces, uid = result.stdout.split()[:-1], result.stdout.split()[-1]
    assert interfaces == ["lo"] and int(uid) == os.getuid()
    assert _host_network() == before  # no bridge: no forwarding turned on, no firewall chains added
    assert open_image.split("@")[1] in (tmp_path / "log").read_text()  # the digest is in the transcript


def _host_network() -> tuple[str, str]:
    """IP forwarding and the firewall rules, which a bridge network would change."""
    forward = open("/proc/sys/net/ipv4/ip_forward").read().strip()
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout if shutil.which(
        "iptables-save") else ""
    return forward, "\n".join(line for line in rules.splitlines() if not line.startswith(("#", ":")))


def test_an_image_that_is_not_built_names_the_command_that_builds_it(engine, tmp_path):
    launcher = ContainerLauncher(engine.client, image="proof2silicon/open:not-built")
    with pytest.raises(UserError, match="is not here: build it with `p2s images build open`"):
        launcher.run("yosys", ["-V"], cwd=tmp_path, timeout=60, log_path=tmp_path / "log")


def _synth(task: str, out, runner: str) -> dict:
    from pipeline.task import load_task

    program = out.parent / f"{task}.dfy"  # the task's reference solution
    program.write_text(load_task(EXAMPLES / f"{task}.yaml").reference)
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "synth", str(program), "--task",
                           str(EXAMPLES / f"{task}.yaml"), "--runner", runner, "--no-fmax",
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {s["stage"]: s for s in json.loads((out / "report.json").read_text())["stages"]}


@needs_dafny
@pytest.mark.slow
@pytest.mark.parametrize("task", ["max_array", "clamp"])
def test_synth_in_the_container_matches_the_local_run(engine, open_image, task, tmp_path):
    local = _synth(task, tmp_path / "local", "local")
    boxed = _synth(task, tmp_path / "container", "container")
    digest = open_image.split("@")[1][:19]
    for stage in ("cosim", "estimate"):
        assert digest in boxed[stage]["detail"], boxed[stage]["detail"]  # which image ran it, by digest
        assert "open:latest" not in local[stage]["detail"]
    assert boxed["cosim"]["metrics"]["cycles"] == local["cosim"]["metrics"]["cycles"]
    assert boxed["cosim"]["metrics"]["vectors_passed"] == boxed["cosim"]["metrics"]["vectors_total"] > 0
    for figure in ("lut", "ff", "dsp"):
        assert boxed["estimate"]["metrics"][figure] == local["estimate"]["metrics"][figure], figure


def test_an_estimate_cached_from_local_tools_is_never_served_to_a_container_run(tmp_path):
    from hls.estimate import cache_key

    rtl = tmp_path / "m.v"
    rtl.write_text("module m(input a, output b); assign b = a; endmodule\n")
    local = cache_key([str(rtl)], "m", "ice40", False)
    assert local == cache_key([str(rtl)], "m", "ice40", False, "local")
    assert local != cache_key([str(rtl)], "m", "ice40", False, "proof2silicon/open:latest@sha256:82d4")
