"""``p2s doctor`` lines for the LLM side: llama-cpp-python, the embedded model files, the OpenAI endpoint."""

from __future__ import annotations

import os
import time

from pipeline.tools import ToolStatus, all_required_found, status_lines

REBUILD = "make setup (or: python -m agents.llm.runtime_build ensure) builds the runtime for this CPU"
PROBE_TIMEOUT = 120.0


def _llama() -> ToolStatus:
    """The runtime's version and whether it is the build for this CPU (read without importing it)."""
    from importlib.metadata import PackageNotFoundError, version

    from agents.llm import runtime_build as rb

    try:
        installed = version("llama_cpp_python")
    except PackageNotFoundError:
        return ToolStatus("llama-cpp-python", False, detail="not installed", hint=REBUILD)
    flags = rb.host_cpu_flags()
    level = rb.choose_level(flags)
    key = rb.installed_key()
    if key == rb.build_key(level, flags):
        return ToolStatus("llama-cpp-python", True, installed, detail=f"embedded LLM runtime, built for {level}")
    where = "not built by 'make setup' (pip builds for the CPU it ran on)" if key is None else f"built as {key}"
    return ToolStatus("llama-cpp-python", True, installed, required=False,
                      detail=f"{where}, not for this host's {level}: it may crash here", hint=REBUILD)


def _probe(key: str, required: bool, timeout: float = PROBE_TIMEOUT) -> ToolStatus:
    """A one-token completion of a model in a worker process: a crashing runtime shows as one line here."""
    from agents.llm.base import GenParams
    from agents.llm.fetch_model import MODELS, models_dir
    from agents.llm.model_worker import ModelWorker, WorkerConfig, WorkerFailure

    worker = ModelWorker(WorkerConfig(str(models_dir() / MODELS[key].filename)), load_timeout=timeout)
    start = time.monotonic()
    try:
        worker.complete([{"role": "user", "content": "Say OK."}], GenParams(max_tokens=1).to_dict(), timeout)
    except WorkerFailure as exc:
        return ToolStatus(f"run embedded:{key}", False, detail=f"one-token completion failed: {exc}", hint=REBUILD,
                          required=required)
    finally:
        worker.close()
    return ToolStatus(f"run embedded:{key}", True, detail=f"one-token completion in {time.monotonic() - start:.1f}s "
                      "(worker process: load + decode)", required=required)


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
    """Quick checks; a present model is re-hashed only when it changed since its last verification.

    Each model that is present and intact is also run once (a one-token completion in its own process),
    so a runtime that crashes on this CPU is found here and not in the middle of a batch.
    """
    runtime = _llama()
    statuses = [runtime]
    for key, required in (("0.5b", True), ("1.5b", False), ("smollm2", False)):
        status = _model(key, required)
        statuses.append(status)
        if status.found and runtime.found:
            statuses.append(_probe(key, required))
    return [*statuses, _openai()]


def main() -> int:
    """``python -m agents.doctor``: the LLM lines of ``p2s doctor``; status 1 if a required one fails."""
    statuses = checks()
    print("\n".join(status_lines(statuses)))
    return 0 if all_required_found(statuses) else 1


if __name__ == "__main__":
    raise SystemExit(main())
