"""``p2s doctor`` lines for the LLM side: llama-cpp-python, the embedded model files, the OpenAI endpoint."""

from __future__ import annotations

import os

from pipeline.doctor import ToolStatus


def _llama() -> ToolStatus:
    try:
        from agents.llm.embedded import import_llama

        llama_cpp = import_llama()
        return ToolStatus("llama-cpp-python", True, getattr(llama_cpp, "__version__", ""),
                          detail="embedded LLM runtime")
    except Exception as exc:  # ImportError, or a shared library that fails to load
        return ToolStatus("llama-cpp-python", False, detail=f"not importable ({type(exc).__name__})",
                          hint="make setup (builds it once, ~6 min), or pip install llama-cpp-python")


def _model(key: str, required: bool) -> ToolStatus:
    from agents.llm.fetch_model import MODELS, ModelFetchError, check_file, models_dir

    model = MODELS[key]
    path = models_dir() / model.filename
    name = f"model embedded:{key}"
    if not path.is_file():
        return ToolStatus(name, False, detail=f"{path} absent", required=required,
                          hint=f"python -m agents.llm.fetch_model {key}" + (" (or make setup)" if required else ""))
    try:
        check_file(path, model)
    except ModelFetchError as exc:
        return ToolStatus(name, False, detail=str(exc).split(":")[0] + ": fails its size/sha256 check",
                          required=required, hint=f"delete it and run python -m agents.llm.fetch_model {key}")
    return ToolStatus(name, True, model.filename, detail=f"sha256 {model.sha256[:12]}... verified", required=required)


def _openai() -> ToolStatus:
    url = os.environ.get("OPENAI_BASE_URL")
    key = bool(os.environ.get("OPENAI_API_KEY"))
    if url or key:
        return ToolStatus("OpenAI endpoint", True, url or "api.openai.com",
                          detail="key set" if key else "no key (fine for local servers)", required=False)
    return ToolStatus("OpenAI endpoint", False, detail="OPENAI_BASE_URL / OPENAI_API_KEY not set", required=False,
                      hint="optional: export OPENAI_BASE_URL=http://host:port/v1 to use --llm openai:MODEL")


def checks() -> list[ToolStatus]:
    """Quick checks; a present model is re-hashed only when it changed since its last verification."""
    return [_llama(), _model("0.5b", True), _model("1.5b", False), _model("smollm2", False), _openai()]
