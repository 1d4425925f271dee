"""Stored prefix states: a cold model starts from the state of the shared prompt prefix, and the replies are
the same as without it (greedy)."""

from __future__ import annotations

import importlib.util

import pytest

from agents.prompts import PromptConfig, initial_prompt
from pipeline.task import load_task
from tests.support import EXAMPLES


@pytest.fixture(scope="module")
def smollm2():
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python not installed: run 'make setup'")
    from agents.llm.fetch_model import ModelFetchError, ensure_model
    from agents.llm.model_worker import import_runtime

    try:
        path = ensure_model("smollm2")
    except ModelFetchError as exc:
        pytest.skip(f"model smollm2 unavailable: {exc}")
    llama_cpp = import_runtime()
    return llama_cpp.Llama(model_path=str(path), n_ctx=4096, n_threads=2, n_gpu_layers=0, verbose=False)


def _prompt(name: str) -> str:
    task = load_task(EXAMPLES / f"{name}.yaml")
    return initial_prompt(task, PromptConfig(mode="completion", temperature=0.0)).messages[0]["content"]


def _greedy(llama, prompt: str) -> str:
    out = llama.create_completion(prompt=prompt, max_tokens=24, temperature=0.0, top_k=1, seed=0, stop=["```"])
    return out["choices"][0]["text"]


@pytest.mark.llm
def test_a_restored_prefix_gives_the_same_reply_as_a_full_evaluation(smollm2, tmp_path):
    from agents.llm.prefix_states import MIN_TOKENS, PrefixStates

    llama = smollm2
    first, second = _prompt("max2"), _prompt("clamp")
    tokens = llama.tokenize(second.encode(), add_bos=llama._model.add_bos_token(), special=True)
    llama.reset()
    expected = _greedy(llama, second)  # a cold context: the whole prompt evaluated
    store = PrefixStates(tmp_path / "kv")
    llama.reset()
    _greedy(llama, first)
    stored = store.remember(llama, tokens)  # warm: the prefix the two prompts share
    assert stored >= MIN_TOKENS and len(list((tmp_path / "kv").glob("*.state"))) == 1
    assert store.remember(llama, tokens) == 0  # stored once
    llama.reset()
    assert store.restore(llama, tokens) == stored and llama.n_tokens == stored
    assert _greedy(llama, second) == expected
    llama.reset()
    assert store.restore(llama, [1, 2, 3] + tokens) == 0  # nothing shares a prefix with that


def test_the_store_can_be_turned_off(monkeypatch, tmp_path):
    from agents.llm.prefix_states import store_for

    monkeypatch.setenv("P2S_HOME", str(tmp_path))
    assert store_for("/m/model.gguf").folder == tmp_path / "kv" / "model.gguf"
    monkeypatch.setenv("P2S_LLM_PREFIX_STATES", "off")
    assert store_for("/m/model.gguf") is None
