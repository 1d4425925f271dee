"""The backend registry, transcripts, replay, the cache and the light backends (dummy, reference)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agents.llm import LLM, Completion, GenParams, call_key, get_llm, register
from agents.llm.transcript import read_transcript
from pipeline.errors import UserError
from pipeline.task import load_task

MSGS = [{"role": "user", "content": "Write Max."}]


def test_unknown_spec_lists_the_valid_ones():
    with pytest.raises(UserError) as err:
        get_llm("gpt5-local")
    for name in ("embedded", "openai:MODEL", "hf:PATH", "reference", "replay:FILE"):
        assert name in str(err.value)


def test_heavy_libraries_load_only_when_their_backend_is_chosen():
    code = (
        "import sys; from agents.llm import get_llm; get_llm('dummy:x').complete([{'role':'user','content':'a'}]);"
        "print(sorted(m for m in ('llama_cpp', 'torch', 'transformers', 'openai') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_register_decorator_adds_a_backend():
    @register("echo-test")
    class Echo(LLM):
        @classmethod
        def from_spec(cls, arg, task=None, **_):
            return cls()

        def _complete(self, messages, params):
            return Completion(messages[-1]["content"].upper())

    llm = get_llm("echo-test:x")
    assert llm.complete(MSGS).text == "WRITE MAX." and llm.name == "echo-test:x"


def test_dummy_scripted_replies_and_bad_messages():
    llm = get_llm("dummy", replies=["one", "two"])
    assert [llm.complete(MSGS).text for _ in range(3)] == ["one", "two", "two"]
    with pytest.raises(ValueError, match="bad message"):
        llm.complete([{"role": "robot", "content": "x"}])
    with pytest.raises(ValueError, match="completion-style"):
        llm.complete(MSGS * 2, GenParams(style="completion"))


def test_reference_backend_answers_with_the_task_solution():
    task = load_task("benchmarks/examples/max2.yaml")
    out = get_llm("reference", task=task).complete(MSGS)
    assert out.text.startswith("```dafny\nmethod Max(") and out.text.rstrip().endswith("```")
    with pytest.raises(UserError, match="needs a task"):
        get_llm("reference")


def test_call_key_depends_on_messages_and_params():
    base = call_key(MSGS, GenParams())
    assert base == call_key([dict(m) for m in MSGS], GenParams())
    assert base != call_key(MSGS, GenParams(seed=1))
    assert base != call_key([{"role": "user", "content": "Write Min."}], GenParams())


def test_transcript_records_and_replay_answers_the_same(tmp_path):
    path = tmp_path / "transcript.jsonl"
    live = get_llm("dummy", replies=["alpha", "beta"], transcript=path)
    a = live.complete(MSGS)
    b = live.complete(MSGS, GenParams(seed=7))
    records = read_transcript(path)
    assert [r["completion"]["text"] for r in records] == ["alpha", "beta"]
    assert records[0]["messages"] == MSGS and records[1]["params"]["seed"] == 7
    assert records[0]["key"] == call_key(MSGS, GenParams())

    replay = get_llm(f"replay:{path}")
    assert replay.complete(MSGS, GenParams(seed=7)).text == b.text
    assert replay.complete(MSGS).text == a.text
    with pytest.raises(UserError, match="no recorded call"):
        replay.complete([{"role": "user", "content": "something new"}])


def test_replay_errors_are_one_line(tmp_path):
    with pytest.raises(UserError, match="not found"):
        get_llm(f"replay:{tmp_path / 'none.jsonl'}")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with pytest.raises(UserError, match="bad.jsonl:1"):
        get_llm(f"replay:{bad}")


def test_cache_answers_greedy_calls_and_bypasses_sampling(tmp_path):
    db = tmp_path / "cache.sqlite"
    llm = get_llm("dummy", replies=["first", "second", "third"], cache=db)
    assert llm.complete(MSGS).text == "first"
    assert llm.complete(MSGS).text == "first"  # from the cache
    assert llm.complete(MSGS, GenParams(temperature=0.7)).text == "second"
    assert llm.complete(MSGS, GenParams(temperature=0.7)).text == "third"
    assert (llm.hits, llm.misses) == (1, 1)
    again = get_llm("dummy", replies=["never"], cache=db)  # a new process sees the stored answer
    assert again.complete(MSGS).text == "first"


def test_generate_defaults_to_a_loop():
    from agents.llm import Request

    llm = get_llm("dummy", replies=["a", "b", "c"])
    outs = llm.generate([Request.of(MSGS), Request.of(MSGS, GenParams(seed=2))])
    assert [o.text for o in outs] == ["a", "b"]
    assert json.loads(json.dumps(outs[0].to_dict()))["usage"]["completion_tokens"] == 1


def test_doctor_reports_the_model_file_and_the_optional_endpoint(tmp_path, monkeypatch):
    from agents.doctor import checks

    monkeypatch.setenv("P2S_HOME", str(tmp_path))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    by_name = {s.name: s for s in checks()}
    model = by_name["model embedded:0.5b"]
    assert not model.found and model.required and "fetch_model 0.5b" in model.hint
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").write_bytes(b"GGUF")
    model = {s.name: s for s in checks()}["model embedded:0.5b"]
    assert not model.found and "size/sha256" in model.detail
    endpoint = by_name["OpenAI endpoint"]
    assert not endpoint.found and not endpoint.required
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert {s.name: s for s in checks()}["OpenAI endpoint"].found
    assert "llama-cpp-python" in by_name
