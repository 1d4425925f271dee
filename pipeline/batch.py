"""Batch runs over a suite: parallel workers, a live progress display, and resumption after any crash.

Every finished task becomes one line of ``results.jsonl`` (see :mod:`pipeline.journal`), written by the
parent process only. Re-running the same command skips the tasks already there, so a batch killed even
with ``kill -9`` finishes the rest without redoing or losing anything; a task whose file was edited since
its line was written (another :meth:`~pipeline.task.Task.fingerprint`) runs again. The summary and report are
rebuilt from the journal at the end of every run.

With ``seeds`` the batch runs once per seed in ``OUT/seed-N/`` (each its own resumable batch), and
``OUT/summary.json`` pools them: the stage funnel over every task run, and the generation figures (verified
rate per seed, its mean with a 95% interval, attempts and tokens per verified task) by
``agents.evaluate.summarise``, as the evaluation computes them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.journal import Journal
from pipeline.runner import STAGE_ORDER, holds, run_dafny_file
from pipeline.stage import DEFAULT_HLS, RunContext, RunOptions
from pipeline.task import Task, load_task

FUNNEL = ["generate", *STAGE_ORDER]


@dataclass
class BatchConfig:
    """One resolved batch configuration (CLI > defaults); dumped as ``config.json`` in the batch folder."""

    suite: str
    out_dir: str
    split: str | None = None
    llm: str = "reference"
    agent: str = "none"
    attempts: int = 1
    checkpoint: str | None = None
    hls: str = DEFAULT_HLS
    runner: str = "local"
    workers: int = 1
    executor: str = "local"  # where tasks run (pipeline.executors): local processes or Ray tasks
    address: str | None = None  # the Ray cluster (host:port or auto); None starts a local Ray instance
    task_cpus: float = 1.0  # Ray: CPUs each task asks for
    task_memory_mb: int | None = None  # Ray: memory each task asks for (the scheduler's limit)
    seed: int = 0
    temperature: float | None = None
    max_tokens: int | None = None
    limit: int | None = None
    stages: list[str] = field(default_factory=lambda: list(STAGE_ORDER))
    prompt_style: str = "auto"
    grammar: str = "auto"
    formal: str = "auto"  # the formal stage's mode (RunOptions.formal)
    formal_timeout: float = 600.0  # RunOptions.formal_timeout
    seeds: list[int] | None = None  # one batch per seed in OUT/seed-N/ (``seed`` is then unused)
    rerun_failed: bool = False  # resume, but run again every task whose line is not a full pass
    llm_options: dict[str, Any] = field(default_factory=dict)  # timeout / retries of each LLM call
    force: bool = False  # discard results of another configuration in out_dir instead of refusing
    wait: bool = False  # queue behind another bench writing out_dir instead of refusing
    latex: bool = False  # also write report.tex
    command: str = ""  # the command line, for the report's header
    commit: str | None = None  # the code's commit, read when the batch starts (each journal line carries it)

    def run_options(self) -> RunOptions:
        return RunOptions(hls=self.hls, runner=self.runner, seed=self.seed, formal=self.formal,
                          formal_timeout=self.formal_timeout)


IDENTITY_FIELDS = ("llm", "agent", "attempts", "checkpoint", "hls", "runner", "seed", "temperature", "max_tokens",
                   "stages", "prompt_style", "grammar", "formal", "formal_timeout")


def batch_identity(config: BatchConfig) -> dict[str, Any]:
    """Everything that changes a batch's results (the tasks' own fingerprints are in each line): the settings,
    the model file's and the checkpoint's hashes, and the toolchain's versions."""
    from agents.llm.registry import spec_fingerprint
    from pipeline.doctor import tool_versions
    from pipeline.provenance import file_digest

    identity: dict[str, Any] = {name: getattr(config, name) for name in IDENTITY_FIELDS}
    identity["model"] = spec_fingerprint(config.llm) if config.llm != "reference" else None
    identity["checkpoint_sha256"] = file_digest(config.checkpoint)
    identity["tools"] = tool_versions()
    return identity


def task_outcome(ctx: RunContext, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The journal line of one task: its stage statuses, the first failure and the figures."""
    stages = {
        r.stage: {"status": r.status.value, "seconds": round(r.seconds, 3), "detail": r.detail} for r in ctx.results
    }
    failed = next((r for r in ctx.results if not holds(r)), None)
    error = next((r for r in ctx.results if r.status.value == "error"), None)
    metrics: dict[str, Any] = {}
    for r in ctx.results:
        metrics.update({f"{r.stage}.{k}": v for k, v in r.metrics.items() if isinstance(v, (int, float, str, bool))})
    return {
        "task": ctx.task.id,
        "split": ctx.task.split,
        "difficulty": ctx.task.difficulty,
        "ok": bool(ctx.results) and failed is None,
        "error": error is not None,
        "stages": stages,
        "first_failure": {"stage": failed.stage, "status": failed.status.value, "detail": failed.detail}
        if failed
        else None,
        "metrics": metrics,
        "run_dir": str(ctx.out_dir),
        "task_hash": ctx.task.fingerprint(),
        **(extra or {}),
    }


def run_one(task: Task, config: BatchConfig, run_dir: Path) -> dict[str, Any]:
    """Run the pipeline for one task and return its journal line."""
    start = time.monotonic()
    if run_dir.is_dir():  # the task runs again (edited, or an infrastructure error): nothing old stays beside it
        shutil.rmtree(run_dir)
    if config.llm == "reference" and config.agent == "none":
        if not task.reference:
            return {**_failure(task.id, "generate", "task has no reference solution", task, run_dir), "seconds": 0.0,
                    "commit": config.commit}
        src = run_dir / "reference.dfy"
        run_dir.mkdir(parents=True, exist_ok=True)
        src.write_text(task.reference)
        ctx = run_dafny_file(task, src, run_dir, config.run_options(), stages=config.stages)
        extra: dict[str, Any] = {"attempts": 0, "tokens": 0}
    else:
        from pipeline.generate import run_task_from_spec

        ctx, extra = run_task_from_spec(
            task,
            llm=config.llm,
            agent=config.agent,
            attempts=config.attempts,
            options=config.run_options(),
            out_dir=run_dir,
            checkpoint=config.checkpoint,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            prompt_style=config.prompt_style,
            grammar=config.grammar,
            stages=config.stages,
            llm_options=config.llm_options,
        )
    return task_outcome(ctx, {**extra, "seconds": round(time.monotonic() - start, 3), "commit": config.commit})


def _failure(task_id: str, stage: str, detail: str, task: Task | None = None, run_dir: Path | None = None,
             status: str = "fail") -> dict:
    """A journal line for a task that could not run at all (``status`` ``error`` when it was not the task's
    fault: our crash, a dead worker)."""
    return {
        "task": task_id,
        "split": task.split if task else None,
        "difficulty": task.difficulty if task else None,
        "ok": False,
        "error": status == "error",
        "stages": {},
        "first_failure": {"stage": stage, "status": status, "detail": detail},
        "metrics": {},
        "run_dir": str(run_dir) if run_dir else None,
        "task_hash": task.fingerprint() if task else None,
    }


def _worker(task_id: str, task_path: str, config_data: dict[str, Any]) -> dict[str, Any]:
    """Process-pool entry point: load the task, run it, and never raise (a crash becomes a record)."""
    config = BatchConfig(**config_data)
    run_dir = Path(config.out_dir) / "tasks" / task_id
    try:
        task = load_task(task_path)
    except Exception as exc:  # the file changed or broke since the batch started
        return _failure(task_id, "load", str(exc), run_dir=run_dir)
    try:
        return run_one(task, config, run_dir)
    except Exception as exc:  # one task's crash must not stop the batch
        return _failure(task.id, "internal", f"{type(exc).__name__}: {exc}", task, run_dir, status="error")


def select_tasks(config: BatchConfig) -> list[Task]:
    from pipeline.suites import load_suite

    tasks = load_suite(config.suite, split=config.split)
    return tasks[: config.limit] if config.limit else tasks


class BatchProgress:
    """A progress bar with counts per stage; quiet when stdout is not a terminal (CI, scripts)."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.counts: Counter[str] = Counter()
        self.enabled = enabled
        self._progress = None
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]bench"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[stages]}"),
            )
            self._progress.start()
            self._bar = self._progress.add_task("bench", total=total, completed=done, stages="")

    def update(self, record: dict[str, Any]) -> None:
        for stage, info in record.get("stages", {}).items():
            if info["status"] == "pass":
                self.counts[stage] += 1
        line = " ".join(f"{s}:{self.counts[s]}" for s in FUNNEL if s in self.counts)
        if self._progress is not None:
            self._progress.update(self._bar, advance=1, stages=line)
        else:
            status = "ok" if record.get("ok") else (record.get("first_failure") or {}).get("stage", "?")
            print(f"  {record['task']}: {status}", flush=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def run_batch(config: BatchConfig, tasks: list[Task] | None = None, progress: bool | None = None) -> dict[str, Any]:
    """Run (or resume) a batch and write ``results.jsonl``, ``summary.json`` and ``report.md``.

    With ``config.seeds`` it runs one batch per seed (see :func:`run_seeds`).

    Returns:
        The summary dictionary (also written to ``summary.json``).
    """
    from pipeline.identity import discard_results
    from pipeline.lock import FolderLock
    from pipeline.provenance import git_commit
    from pipeline.summary import write_summary

    if config.commit is None:
        config = replace(config, commit=git_commit())
    out = Path(config.out_dir)
    with FolderLock(out, wait=config.wait):
        if config.force:
            discard_results(out)
        if config.seeds is not None:
            return run_seeds(config, tasks, progress)
        tasks = tasks if tasks is not None else select_tasks(config)
        return write_summary(_run_journal(config, tasks, progress), out, config)


def _run_journal(config: BatchConfig, tasks: list[Task], progress: bool | None) -> list[dict[str, Any]]:
    """Run the tasks the journal does not hold yet; return the current journal line of every task."""
    from pipeline.identity import check_identity

    out = Path(config.out_dir)
    check_identity(out, batch_identity(config))
    (out / "config.json").write_text(json.dumps(asdict(config), indent=2))
    journal = Journal(out / "results.jsonl")
    current = _still_current(tasks, config.rerun_failed)
    done = journal.done_keys(current)
    todo = [t for t in tasks if t.id not in done]
    bar = BatchProgress(len(tasks), len(tasks) - len(todo), os.isatty(1) if progress is None else progress)
    try:
        _execute(todo, config, journal, bar)
    finally:
        bar.close()
    journal.compact()  # one line per task: the latest
    wanted = {t.id for t in tasks}
    return [r for r in journal.records(current) if r["task"] in wanted]


def _still_current(tasks: list[Task], rerun_failed: bool = False) -> Callable[[dict[str, Any]], bool]:
    """Whether a journal line still describes its task: a task edited since it ran (another hash) runs again,
    so does one that met an infrastructure error (an outage, a crashed worker) and, when ``rerun_failed``, a
    failed one (a tool fixed, a time-out on a busy machine). Lines written during this invocation count.

    Lines without a hash (older journals, tasks that could not be loaded) count as current.
    """
    hashes = {t.id: t.fingerprint() for t in tasks}
    started = time.time()

    def current(rec: dict[str, Any]) -> bool:
        if rec.get("task_hash") not in (None, hashes.get(rec["task"])):
            return False
        if rec.get("finished", 0) >= started:
            return True
        return not (rec.get("error") or (rerun_failed and not rec.get("ok")))

    return current


def run_seeds(config: BatchConfig, tasks: list[Task] | None = None, progress: bool | None = None) -> dict[str, Any]:
    """One resumable batch per seed in ``OUT/seed-N/``, then ``OUT/summary.json`` and ``report.md`` over them.

    Re-running resumes: finished seeds are read back from their journals, the interrupted one continues.
    """
    from pipeline.summary import write_seed_summary, write_summary

    seeds = list(dict.fromkeys(config.seeds or [config.seed]))
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(config), indent=2))
    tasks = tasks if tasks is not None else select_tasks(config)
    per_seed: dict[int, list[dict[str, Any]]] = {}
    for seed in seeds:
        one = replace(config, seed=seed, seeds=None, out_dir=str(out / f"seed-{seed}"))
        if progress is not False:
            print(f"seed {seed}: {one.out_dir}", flush=True)
        per_seed[seed] = _run_journal(one, tasks, progress)
        write_summary(per_seed[seed], Path(one.out_dir), one)
    return write_seed_summary(per_seed, out, config)


def _execute(todo: list[Task], config: BatchConfig, journal: Journal, bar: BatchProgress) -> None:
    """Run ``todo`` on the configured executor; every record is journalled here, by the driver."""
    from functools import partial

    from pipeline.executors import make_executor

    executor = make_executor(config.executor, config.workers, config.address, config.task_cpus,
                             config.task_memory_mb)

    def crashed(task: Task, why: str) -> dict[str, Any]:
        return _failure(task.id, "internal", why, task, status="error")

    if config.executor == "ray":  # a Ray worker's working folder is its raylet's: give it the absolute path
        config = replace(config, out_dir=str(Path(config.out_dir).resolve()))
    data = asdict(config)
    executor.run(todo, partial(_worker, config_data=data), lambda r: _record(journal, bar, r), crashed)


def _record(journal: Journal, bar: BatchProgress, record: dict[str, Any]) -> None:
    """Journal one finished task (stamped with the time, which ``rerun_failed`` compares) and show it."""
    record["finished"] = round(time.time(), 3)
    journal.append(record)
    bar.update(record)
