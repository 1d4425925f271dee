"""Where a batch's tasks run: the local executors and Ray, against a real Ray head on loopback.

The Ray tests start one head (``ray start --head --block`` on 127.0.0.1, a token of our own, two CPUs) for
the module and stop it at the end; each bench is a real ``p2s bench --executor ray --address`` subprocess.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.errors import UserError
from pipeline.executors import DIED_TWICE, PoolExecutor, RayExecutor, SerialExecutor, make_executor
from tests.support import EXAMPLES, REPO, journal_lines, kill_bench_mid_run, needs_dafny


def test_the_executor_named_is_the_one_made():
    assert isinstance(make_executor("local", 1), SerialExecutor)
    assert make_executor("local", 3) == PoolExecutor(3)
    assert make_executor("ray", 2, "10.0.0.5:6379", 0.5, 2048) == RayExecutor("10.0.0.5:6379", 2, 0.5, 2048)
    with pytest.raises(UserError, match="--executor slurm: use one of local, ray"):
        make_executor("slurm", 1)
    with pytest.raises(UserError, match="--address is for --executor ray"):
        make_executor("local", 1, "10.0.0.5:6379")


@pytest.mark.parametrize("flags, message", [
    (["--address", "127.0.0.1:1"], "--address apply to --executor ray"),
    (["--executor", "ray", "--task-cpus", "0"], "--task-cpus 0.0: give a positive number"),
    (["--executor", "ray", "--task-memory-mb", "-5"], "--task-memory-mb -5: give a positive size"),
])
def test_ray_options_without_ray_or_out_of_range_are_one_error(flags, message, tmp_path):
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "bench", str(EXAMPLES), "--out", str(tmp_path / "o"),
                           *flags], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("p2s: error: ") and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_an_address_where_no_cluster_answers_is_one_error(tmp_path):
    port = _free_port()  # nothing listens there
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "bench", str(EXAMPLES), "--stages", "python",
                           "--executor", "ray", "--address", f"127.0.0.1:{port}", "--out", str(tmp_path / "o")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert f"p2s: error: --address 127.0.0.1:{port}: no Ray cluster answers there" in done.stderr, done.stderr


# --------------------------------------------------------------------------------------- a real Ray head


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    """A Ray head on loopback for this module: its address and the environment a driver needs to join it."""
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        pytest.fail("ray is not installed in this environment: make setup installs it")
    home = tmp_path_factory.mktemp("ray")
    token = home / "token"
    token.write_text(secrets.token_hex(32))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token),
           "RAY_USAGE_STATS_ENABLED": "0"}
    port = _free_port()
    head = subprocess.Popen([str(ray_cli), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
                             "--num-cpus", "2", "--include-dashboard=false", "--disable-usage-stats", "--block"],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=(home / "head.log").open("w"))
    try:
        _wait_for_port(port, head, home / "head.log")
        yield f"127.0.0.1:{port}", env
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # --block stops the head's processes on SIGTERM
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


def _wait_for_port(port: int, head: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if head.poll() is not None:
            pytest.fail(f"the Ray head exited: {log.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    pytest.fail("the Ray head did not listen within 120 s")


def _suite(tmp_path: Path, names: list[str] | None = None) -> Path:
    suite = tmp_path / "suite"
    suite.mkdir()
    for yaml_file in sorted(EXAMPLES.glob("*.yaml")):
        if names is None or yaml_file.stem in names:
            shutil.copy(yaml_file, suite / yaml_file.name)
    return suite


def _bench(suite: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "bench", str(suite), "--llm", "reference", "--stages",
            "verify,python,c", "--out", str(out), *extra]


def _outcomes(out: Path) -> dict[str, tuple]:
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {r["task"]: (r["ok"], {s: v["status"] for s, v in r["stages"].items()}) for r in records}


@needs_dafny
@pytest.mark.slow
def test_a_ray_run_gives_the_local_runs_outcomes(ray_head, tmp_path):
    address, env = ray_head
    suite = _suite(tmp_path)
    local = subprocess.run(_bench(suite, tmp_path / "local"), cwd=REPO, capture_output=True, text=True, timeout=600)
    ray = subprocess.run(_bench(suite, tmp_path / "ray", "--executor", "ray", "--address", address), cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=600)
    assert local.returncode == 0 and ray.returncode == 0, ray.stderr[-3000:]
    assert _outcomes(tmp_path / "ray") == _outcomes(tmp_path / "local")
    assert len(_outcomes(tmp_path / "ray")) == len(list(suite.glob("*.yaml")))
    summary = json.loads((tmp_path / "ray" / "summary.json").read_text())
    assert summary["stages"]["c"]["pass"] == summary["tasks"]


def _kill_workers(times: int, deadline: float) -> int:
    """SIGKILL the Ray worker running one of our tasks (its title is ``ray::_call``), ``times`` times."""
    killed: set[int] = set()
    while len(killed) < times and time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-f", "^ray::_call"], capture_output=True, text=True).stdout.split()
        for pid in (int(p) for p in found if int(p) not in killed):
            os.kill(pid, signal.SIGKILL)
            killed.add(pid)
            break
        time.sleep(0.05)
    return len(killed)


@needs_dafny
@pytest.mark.slow
def test_a_killed_worker_is_retried_once_and_a_second_death_recorded(ray_head, tmp_path):
    address, env = ray_head
    env = {**env, "P2S_NO_VERIFY_CACHE": "1"}  # a task long enough to be caught running
    suite = _suite(tmp_path, ["max_array"])
    out = tmp_path / "once"
    bench = subprocess.Popen(_bench(suite, out, "--executor", "ray", "--address", address), cwd=tmp_path, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert _kill_workers(1, time.monotonic() + 120) == 1
    assert bench.wait(timeout=600) == 0, bench.stderr.read()[-3000:]
    assert _outcomes(out) == {"max_array": (True, {"verify": "pass", "python": "pass", "c": "pass"})}

    out = tmp_path / "twice"
    bench = subprocess.Popen(_bench(suite, out, "--executor", "ray", "--address", address), cwd=tmp_path, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert _kill_workers(2, time.monotonic() + 300) == 2
    assert bench.wait(timeout=600) == 1, bench.stderr.read()[-3000:]
    record = json.loads(journal_lines(out)[0])
    assert record["error"] is True and record["first_failure"]["detail"] == DIED_TWICE, record


@needs_dafny
@pytest.mark.slow
def test_a_killed_driver_resumes_losing_and_redoing_nothing(ray_head, tmp_path):
    address, env = ray_head
    env = {**env, "P2S_NO_VERIFY_CACHE": "1"}
    suite = _suite(tmp_path)
    ids = {f.stem for f in suite.glob("*.yaml")}
    out = tmp_path / "out"
    command = _bench(suite, out, "--executor", "ray", "--address", address)
    before = kill_bench_mid_run(command, out, tmp_path, env)
    assert 1 <= len(before) < len(ids), "the driver must be killed mid-run for this test to mean anything"

    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    after = journal_lines(out)
    assert after[: len(before)] == before, "records written before the kill were changed"
    assert sorted(json.loads(line)["task"] for line in after) == sorted(ids), "each task once"


@needs_dafny
@pytest.mark.slow
def test_without_an_address_a_local_ray_of_its_own_runs_the_tasks(tmp_path):
    suite = _suite(tmp_path, ["square", "max2"])
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run(_bench(suite, tmp_path / "out", "--executor", "ray", "--workers", "2"), cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert set(_outcomes(tmp_path / "out")) == {"square", "max2"}
    assert all(ok for ok, _ in _outcomes(tmp_path / "out").values())
