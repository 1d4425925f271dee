"""Where a batch's tasks run: in this process, on a local process pool, or as Ray tasks on a cluster.

One contract for every executor: :meth:`Executor.run` calls ``work(task_id, task_path)`` for each task
somewhere and hands each finished record back to ``record`` *in this process*, so the driver stays the
journal's only writer whichever executor ran the task (resume, the folder lock and the reports work the
same). A task whose worker process dies (the OOM killer, a segfault, a killed node) is run once more; a
second death becomes an ``error`` record from ``crashed``, so a batch always ends.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pipeline.errors import UserError
from pipeline.task import Task

EXECUTORS = ("local", "ray")
DIED_TWICE = "the worker process died twice running this task"

Work = Callable[[str, str], dict[str, Any]]  # (task id, task file) -> the task's journal record
Record = Callable[[dict[str, Any]], None]  # journal one finished record (the driver's side)
Crashed = Callable[[Task, str], dict[str, Any]]  # the record of a task that could not finish (why)


class Executor(Protocol):
    def run(self, todo: list[Task], work: Work, record: Record, crashed: Crashed) -> None:
        """Run every task of ``todo`` and pass each one's record to ``record`` as it finishes."""


@dataclass
class SerialExecutor:
    """One task after another in this process (``--workers 1``): the simplest to debug."""

    def run(self, todo: list[Task], work: Work, record: Record, crashed: Crashed) -> None:
        for task in todo:
            record(work(task.id, str(task.path)))


@dataclass
class PoolExecutor:
    """A local process pool of ``workers`` processes; a broken pool is replaced and its tasks in flight retried."""

    workers: int

    def run(self, todo: list[Task], work: Work, record: Record, crashed: Crashed) -> None:
        crashes: Counter[str] = Counter()
        remaining = list(todo)
        while remaining:
            remaining = self._one_pool(remaining, work, record, crashed, crashes)

    def _one_pool(self, todo: list[Task], work: Work, record: Record, crashed: Crashed,
                  crashes: Counter[str]) -> list[Task]:
        """Run ``todo`` until the pool breaks; return the tasks still to run (those in flight at the break)."""
        recorded: set[str] = set()
        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            futures: dict[Future, Task] = {pool.submit(work, t.id, str(t.path)): t for t in todo}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    task = futures[fut]
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        crashes[task.id] += 1
                        if crashes[task.id] < 2:
                            continue
                        result = crashed(task, DIED_TWICE)
                    record(result)
                    recorded.add(task.id)
        return [t for t in todo if t.id not in recorded]


@dataclass
class RayExecutor:
    """Each task a Ray task: a local Ray instance of ``workers`` CPUs when ``address`` is None, else the cluster
    at ``address`` (``host:port``, or ``auto`` for the one this machine belongs to), which schedules every task
    by its resources (``task_cpus``, ``task_memory_mb``). Every node needs this checkout at the same path with
    its tools (or the container image) and a shared folder for the batch's output (docs/cluster.md)."""

    address: str | None = None
    workers: int = 1
    task_cpus: float = 1.0
    task_memory_mb: int | None = None

    def run(self, todo: list[Task], work: Work, record: Record, crashed: Crashed) -> None:
        if not todo:
            return
        ray = _import_ray()
        started_here = not ray.is_initialized()
        if started_here:
            self._connect(ray)
        try:
            self._run_on(ray, todo, work, record, crashed)
        finally:
            if started_here:
                ray.shutdown()

    def _connect(self, ray: Any) -> None:
        import logging

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no reporting home from a batch run
        env = {k: v for k, v in os.environ.items() if k.startswith("P2S_")}
        common = {"log_to_driver": False, "logging_level": logging.WARNING,
                  "runtime_env": {"env_vars": env} if env else None}
        if self.address is None:
            # "local": a new instance of our own, never one some other program left running on this machine
            ray.init(address="local", num_cpus=max(1, int(self.workers * self.task_cpus + 0.999)),
                     include_dashboard=False, _node_ip_address="127.0.0.1", **common)
            return
        _check_reachable(self.address)
        try:
            ray.init(address=self.address, **common)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UserError(f"--address {self.address}: could not join the Ray cluster there ({exc}); a cluster "
                            f"with token authentication needs RAY_AUTH_MODE=token and its token (RAY_AUTH_TOKEN, "
                            f"or ~/.ray/auth_token)") from exc

    def _run_on(self, ray: Any, todo: list[Task], work: Work, record: Record, crashed: Crashed) -> None:
        """Submit every task (Ray queues them by their resources) and journal each as it finishes. Ray itself
        runs a task again once if its worker dies (``max_retries=1``); a second death is recorded."""
        resources: dict[str, Any] = {"num_cpus": self.task_cpus, "max_retries": 1, "retry_exceptions": False}
        if self.task_memory_mb:
            resources["memory"] = self.task_memory_mb * 1024 * 1024
        remote = ray.remote(**resources)(_call)  # Ray wraps functions only; ``work`` may be a partial
        # absolute paths: a Ray worker's working folder is its raylet's, not ours
        refs = {remote.remote(work, t.id, str(Path(t.path).resolve())): t for t in todo}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                task = refs[ref]
                try:
                    result = ray.get(ref)
                except ray.exceptions.WorkerCrashedError:
                    result = crashed(task, DIED_TWICE)
                except ray.exceptions.RayError as exc:  # a lost node, an OOM kill: not the task's fault
                    result = crashed(task, f"Ray could not run this task: {type(exc).__name__}: "
                                           f"{str(exc).splitlines()[0] if str(exc) else ''}")
                record(result)


def _check_reachable(address: str, seconds: float = 5.0) -> None:
    """A HOST:PORT where nothing listens is one error now (Ray itself retries for minutes before it gives up)."""
    import socket

    if address == "auto" or address.startswith("ray://"):
        return  # found through this node's own Ray files, or Ray's client protocol: Ray checks those itself
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--address {address}: give the head's HOST:PORT (e.g. 10.0.0.5:6379) or auto")
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except OSError as exc:
        raise UserError(f"--address {address}: no Ray cluster answers there ({exc.strerror or exc}); start one "
                        f"with `ray start --head` or leave --address out for a local one") from exc


def _call(work: Work, task_id: str, task_path: str) -> dict[str, Any]:
    """The Ray task: one task's work on whichever node Ray chose."""
    return work(task_id, task_path)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise UserError("--executor ray needs Ray in this environment: pip install 'ray==2.60.0' "
                        "(make setup installs it)") from exc
    return ray


def make_executor(name: str, workers: int, address: str | None = None, task_cpus: float = 1.0,
                  task_memory_mb: int | None = None) -> Executor:
    """The executor ``--executor NAME`` asks for (``local``: serial for one worker, else a process pool)."""
    if name not in EXECUTORS:
        raise UserError(f"--executor {name}: use one of {', '.join(EXECUTORS)}")
    if name == "ray":
        return RayExecutor(address, workers, task_cpus, task_memory_mb)
    if address:
        raise UserError("--address is for --executor ray; add --executor ray or leave --address out")
    return SerialExecutor() if workers <= 1 else PoolExecutor(workers)
