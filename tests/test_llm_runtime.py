"""The embedded LLM runtime: a portable build keyed on what decides whether it runs, and crash isolation.

The build tests read CPU flags as text (this machine cannot become another CPU); the isolation tests
run the real SmolLM2 model in a real worker process and make it fault for real (a read at address 0, or
a sleep past the time limit) through ``P2S_LLM_WORKER_FAULT``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agents.llm import runtime_build as rb

AMX_HOST = "flags : fpu sse4_2 avx avx2 fma f16c bmi2 avx512f avx512bw avx512vl amx_tile amx_int8 amx_bf16\n"
AVX2_HOST = "flags\t\t: fpu sse4_2 avx avx2 fma f16c bmi2 vaes\n"
OLD_HOST = "flags : fpu sse sse2 sse4_1 sse4_2 popcnt\n"


def test_level_is_chosen_from_the_cpu_flags():
    assert rb.choose_level(rb.host_cpu_flags(AMX_HOST), "x86_64") == "x86-64-v3"
    assert rb.choose_level(rb.host_cpu_flags(AVX2_HOST), "x86_64") == "x86-64-v3"
    assert rb.choose_level(rb.host_cpu_flags(OLD_HOST), "x86_64") == "x86-64-v2"
    assert rb.choose_level(frozenset(), "x86_64") == "x86-64"
    assert rb.choose_level(rb.host_cpu_flags("Features : fp asimd\n"), "aarch64") == rb.NATIVE


def test_no_level_enables_amx_or_native_detection():
    for level in rb.LEVELS:
        args = rb.cmake_args(level.name)
        assert "-DGGML_NATIVE=OFF" in args
        assert {"-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"} <= set(args)
        assert not any(a.endswith("=ON") and "AVX512" in a for a in args)  # one v3 build for AVX-512 hosts too
    assert "-DGGML_AVX2=ON" in rb.cmake_args("x86-64-v3") and "-DGGML_AVX2=OFF" in rb.cmake_args("x86-64-v2")
    with pytest.raises(ValueError, match="unknown CPU level"):
        rb.cmake_args("x86-64-v9")


def test_the_cache_key_separates_what_decides_whether_a_wheel_runs():
    v3, v2 = rb.build_key("x86-64-v3"), rb.build_key("x86-64-v2")
    assert v3 != v2 and "x86-64-v3" in v3 and rb.VERSION in v3
    assert rb.build_key("x86-64-v3") == v3  # stable
    # a native build is only for the CPU it was built on: the flags enter its key
    assert rb.build_key(rb.NATIVE, rb.host_cpu_flags(AMX_HOST)) != rb.build_key(rb.NATIVE, rb.host_cpu_flags(AVX2_HOST))


def test_installed_key_is_read_from_the_venv_marker(tmp_path):
    assert rb.installed_key(tmp_path) is None
    (tmp_path / rb.MARKER).write_text(json.dumps({"key": "k1", "level": "x86-64-v3"}))
    assert rb.installed_key(tmp_path) == "k1"
    (tmp_path / rb.MARKER).write_text("not json")
    assert rb.installed_key(tmp_path) is None


def test_this_venv_holds_the_build_for_this_host():
    """``make setup`` installed the runtime through runtime_build, for this host's level (not pip's native build)."""
    flags = rb.host_cpu_flags()
    assert rb.installed_key() == rb.build_key(rb.choose_level(flags), flags), \
        "run 'python -m agents.llm.runtime_build ensure' (make setup does)"


# ------------------------------------------------------------------------------------- crash isolation


@pytest.fixture
def smollm2():
    from agents.llm.fetch_model import ensure_model

    return ensure_model("smollm2")


def _fresh(spec: str = "embedded:smollm2", **options):
    """A backend on a worker of its own (the shared one of this process is left alone)."""
    from agents.llm import get_llm
    from agents.llm.model_worker import _WORKERS

    _WORKERS.clear()
    return get_llm(spec, **options)


MSG = [{"role": "user", "content": "Write a Dafny method that returns the larger of two integers."}]


@pytest.mark.llm
def test_a_real_completion_runs_in_a_worker_process(smollm2):
    from agents.llm import GenParams

    llm = _fresh()
    out = llm.complete(MSG, GenParams(max_tokens=12))
    assert out.text.strip() and 0 < out.usage.completion_tokens <= 12 and out.incidents == []
    assert llm.worker.alive and llm.worker.proc.pid != __import__("os").getpid()


@pytest.mark.llm
def test_a_segfault_is_one_failed_call_and_the_next_call_gets_a_fresh_worker(smollm2, monkeypatch):
    from agents.llm import GenParams
    from pipeline.errors import LLMUnavailableError

    monkeypatch.setenv("P2S_LLM_WORKER_FAULT", "segv:CRASH-HERE")
    llm = _fresh(retries=1)
    with pytest.raises(LLMUnavailableError, match="died with SIGSEGV .*on each of 2 tries"):
        llm.complete([{"role": "user", "content": "CRASH-HERE"}], GenParams(max_tokens=4))
    starts = llm.worker.starts
    out = llm.complete(MSG, GenParams(max_tokens=4))
    assert out.text and llm.worker.starts == starts + 1


@pytest.mark.llm
def test_a_retried_crash_appears_in_the_completion(smollm2, monkeypatch, tmp_path):
    from agents.llm import GenParams

    monkeypatch.setenv("P2S_LLM_WORKER_FAULT", "segv:larger of two")
    monkeypatch.setenv("P2S_LLM_WORKER_FAULT_ONCE", str(tmp_path / "fired"))
    out = _fresh(retries=1).complete(MSG, GenParams(max_tokens=4))
    assert out.text and out.retries == 1 and "SIGSEGV" in out.incidents[0]


@pytest.mark.llm
def test_a_hang_is_cut_at_the_call_time_limit(smollm2, monkeypatch):
    import time

    from agents.llm import GenParams
    from pipeline.errors import LLMUnavailableError

    monkeypatch.setenv("P2S_LLM_WORKER_FAULT", "hang:larger of two")
    llm = _fresh(timeout=1.5, retries=0)
    start = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="no answer within 1.5s"):
        llm.complete(MSG, GenParams(max_tokens=4))
    assert time.monotonic() - start < 10 and not llm.worker.alive


@pytest.mark.llm
def test_doctor_reports_a_crashing_runtime_in_one_line_with_the_fix(smollm2, monkeypatch):
    from agents.doctor import checks

    monkeypatch.setenv("P2S_LLM_WORKER_FAULT", "segv:Say OK.")
    runs = {s.name: s for s in checks() if s.name.startswith("run embedded:")}
    assert not runs["run embedded:smollm2"].found
    assert "SIGSEGV" in runs["run embedded:smollm2"].detail and "runtime_build" in runs["run embedded:smollm2"].hint
    monkeypatch.delenv("P2S_LLM_WORKER_FAULT")
    assert _probe_ok()


def _probe_ok() -> bool:
    from agents.doctor import _probe

    return _probe("smollm2", required=False).found


SUITE_TASKS = ("max2", "clamp", "square")


@pytest.mark.llm
@pytest.mark.slow
def test_a_batch_goes_on_past_a_crashing_worker(smollm2, monkeypatch, tmp_path):
    """The worker segfaults on one task's prompt: that task has one clear line, the others run."""
    from pipeline.batch import BatchConfig, run_batch
    from pipeline.task import load_task

    suite = tmp_path / "suite"
    suite.mkdir()
    for name in SUITE_TASKS:
        shutil.copy(Path("benchmarks/examples") / f"{name}.yaml", suite / f"{name}.yaml")
    crash = load_task(suite / "clamp.yaml")
    monkeypatch.setenv("P2S_LLM_WORKER_FAULT", f"segv:{crash.signature.text}")
    config = BatchConfig(suite=str(suite), out_dir=str(tmp_path / "out"), llm="embedded:smollm2", agent="repair",
                         attempts=2, stages=["verify"], llm_options={"retries": 1, "timeout": 120})
    summary = run_batch(config, progress=False)
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    by_task = {r["task"]: r for r in lines}
    assert sorted(by_task) == sorted(SUITE_TASKS) and summary["tasks"] == 2  # the outage is in no figure
    assert [e["task"] for e in summary["errors"]] == [crash.id] and by_task[crash.id]["error"]
    assert by_task[crash.id]["first_failure"]["status"] == "error"
    detail = by_task[crash.id]["first_failure"]["detail"]
    assert detail.startswith("LLM unavailable at attempt 1: ") and "SIGSEGV" in detail and "\n" not in detail
    for other in set(SUITE_TASKS) - {crash.id}:
        assert by_task[other]["attempts"] == 2 or by_task[other]["ok"]  # its loop ran: the model answered
        assert "LLM unavailable" not in json.dumps(by_task[other])
    report = json.loads((Path(by_task[crash.id]["run_dir"]) / "report.json").read_text())
    assert report["generation"]["llm_error"] and "SIGSEGV" in report["generation"]["llm_error"]
    assert "SIGSEGV" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.llm
def test_report_json_counts_the_retries(smollm2, monkeypatch, tmp_path):
    from pipeline.generate import run_task_from_spec
    from pipeline.task import load_task

    task = load_task("benchmarks/examples/max2.yaml")
    monkeypatch.setenv("P2S_LLM_WORKER_FAULT", f"segv:{task.signature.text}")
    monkeypatch.setenv("P2S_LLM_WORKER_FAULT_ONCE", str(tmp_path / "fired"))
    from agents.llm.model_worker import _WORKERS

    _WORKERS.clear()
    run_task_from_spec(task, llm="embedded:smollm2", agent="none", out_dir=tmp_path / "run", stages=[],
                       max_tokens=16, llm_options={"retries": 1})
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["generation"]["llm_retries"] == 1 and report["generation"]["llm_error"] is None
    assert "SIGSEGV" in report["attempts"][0]["llm_incidents"][0]


def test_llm_call_options_are_checked_and_passed_only_when_given():
    import argparse

    from pipeline.commands.llm_args import add_llm_call_arguments, llm_call_options
    from pipeline.errors import UserError

    p = argparse.ArgumentParser()
    add_llm_call_arguments(p)
    assert llm_call_options(p.parse_args([])) == {}
    assert llm_call_options(p.parse_args(["--llm-timeout", "30", "--llm-retries", "0"])) == {"timeout": 30.0,
                                                                                           "retries": 0}
    with pytest.raises(UserError, match="--llm-timeout 0: give a positive"):
        llm_call_options(p.parse_args(["--llm-timeout", "0"]))
    with pytest.raises(UserError, match="--llm-retries -1"):
        llm_call_options(p.parse_args(["--llm-retries", "-1"]))
