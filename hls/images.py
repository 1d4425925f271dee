"""The toolchain images (``p2s images build``): built from ``docker/<kind>/`` with whichever engine is here.

``open`` holds the open tools at the versions ``make setup`` installs (docker/open/Dockerfile), ``bambu`` adds
PandA Bambu from an AppImage the user supplies, ``vitis`` holds AMD Vitis HLS from the user's installer. An
image is labelled with the hash of its recipe (the Dockerfile, the build arguments, the names and sizes of
the supplied files), so a second build of the same recipe is a no-op. The ``open`` image starts from
``debian:trixie`` where a registry answers, else from a base debootstrapped from the Debian mirror apt uses
and imported as :data:`BASE_IMAGE`. Builds use the host network (apt, PyPI); runs never do.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hls.container_engine import Engine, connect
from pipeline.errors import ToolMissingError, UserError
from pipeline.home import p2s_home

DOCKER_DIR = Path(__file__).resolve().parents[1] / "docker"
BASE_IMAGE = "localhost/p2s-base:trixie"
REGISTRY_BASE = "debian:trixie"
RECIPE_LABEL = "org.proof2silicon.recipe"


@dataclass(frozen=True)
class ImageRecipe:
    """One buildable image: its tag, its folder under docker/, and the files the user must put there."""

    kind: str
    tag: str
    needs: tuple[tuple[str, str], ...] = ()  # (glob in the folder, what it is and where to get it)
    build_args: dict[str, str] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return DOCKER_DIR / self.kind


RECIPES: dict[str, ImageRecipe] = {
    "open": ImageRecipe("open", "proof2silicon/open:latest"),
    "bambu": ImageRecipe("bambu", "proof2silicon/bambu:latest",
                         (("bambu*.AppImage", "the PandA Bambu AppImage from https://panda.deib.polimi.it"),)),
    "vitis": ImageRecipe("vitis", "proof2silicon/vitis:2023.2",
                         (("*.tar.gz", "the AMD Unified Installer for Linux (docker/README.md)"),
                          ("install_config.txt", "the installer's configuration (xsetup -b ConfigGen)"))),
}


def recipe(kind: str) -> ImageRecipe:
    if kind not in RECIPES:
        raise UserError(f"p2s images build {kind}: choose one of {', '.join(RECIPES)}")
    return RECIPES[kind]


def build_image(kind: str, engine: Engine | None = None, force: bool = False,
                say: Callable[[str], None] = print) -> str:
    """Build (or find, by its recipe hash) the image ``kind``; return ``tag@digest``.

    Raises:
        UserError: a supplied file is missing (named, with where to get it), or the build failed (its log).
    """
    spec = recipe(kind)
    supplied = _supplied_files(spec)
    engine = engine or connect()
    args = dict(spec.build_args)
    if kind == "open":
        args["BASE"] = ensure_base(engine, say)
    elif kind == "bambu":
        args["BASE"] = build_image("open", engine, say=say).split("@")[0]
        args["APPIMAGE"] = supplied[0].name
    elif kind == "vitis":
        args["INSTALLER"] = supplied[0].name
    context = _context(spec, say)
    digest = recipe_hash(spec, args, supplied)
    found = find_image(engine.client, spec.tag)
    if found is not None and found.labels.get(RECIPE_LABEL) == digest and not force:
        say(f"{spec.tag}: up to date ({found.id[:19]})")
        return f"{spec.tag}@{found.id}"
    log_path = p2s_home() / "images" / f"{kind}.log"
    say(f"{spec.tag}: building with {engine.name} from {spec.folder} (log: {log_path})")
    image_id = _build(engine, spec, context, args, digest, log_path, say)
    say(f"{spec.tag}: built ({image_id[:19]})")
    return f"{spec.tag}@{image_id}"


def recipe_hash(spec: ImageRecipe, args: dict[str, str], supplied: list[Path]) -> str:
    """What decides the image: the Dockerfile, the build arguments and the supplied files (names and sizes: an
    installer of tens of GB is not read)."""
    h = hashlib.sha256((spec.folder / "Dockerfile").read_bytes())
    h.update(json.dumps(args, sort_keys=True).encode())
    for path in supplied:
        h.update(f"{path.name}:{path.stat().st_size}".encode())
    return h.hexdigest()


def _context(spec: ImageRecipe, say: Callable[[str], None]) -> Path:
    """The folder sent to the engine: ``docker/<kind>/`` itself, or for ``open`` a staged copy with the CIRCT
    wheel fetched by the host's pip (a container's pip may not trust the host's certificate authorities)."""
    if spec.kind != "open":
        return spec.folder
    context = p2s_home() / "images" / "open-context"
    wheels = context / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    shutil.copy(spec.folder / "Dockerfile", context / "Dockerfile")
    version = circt_version(spec)
    if not list(wheels.glob(f"circt-{version}-*.whl")):
        say(f"  fetching the circt {version} wheel for Python 3.13")
        done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                               "--python-version", "3.13", "--platform", "manylinux_2_28_x86_64", "-d", str(wheels),
                               f"circt=={version}"], capture_output=True, text=True)
        if done.returncode != 0:
            raise UserError(f"p2s images build open: pip could not fetch circt=={version}: "
                            f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
    return context


def circt_version(spec: ImageRecipe) -> str:
    """The circt version the open Dockerfile pins (its ``ARG CIRCT_VERSION=``)."""
    m = re.search(r"^ARG CIRCT_VERSION=(\S+)", (spec.folder / "Dockerfile").read_text(), re.M)
    if m is None:
        raise UserError(f"{spec.folder / 'Dockerfile'}: no ARG CIRCT_VERSION= line")
    return m.group(1)


def _supplied_files(spec: ImageRecipe) -> list[Path]:
    found = []
    for pattern, what in spec.needs:
        matches = sorted(spec.folder.glob(pattern))
        if not matches:
            raise UserError(f"p2s images build {spec.kind}: {spec.folder}/{pattern} is missing: put {what} there")
        found.append(matches[0])
    return found


def find_image(client: Any, tag: str) -> Any:
    """The engine's image ``tag``, or None when it is not there (any other engine error is raised)."""
    import docker

    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None


def _build(engine: Engine, spec: ImageRecipe, context: Path, args: dict[str, str], digest: str, log_path: Path,
           say: Callable[[str], None]) -> str:
    """Stream the build through the engine's API, steps to the screen and everything to the log."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    image_id = None
    with log_path.open("w", encoding="utf-8") as log:
        stream = engine.client.api.build(path=str(context), dockerfile="Dockerfile", tag=spec.tag,
                                         buildargs=args, labels={RECIPE_LABEL: digest}, network_mode="host",
                                         rm=True, forcerm=True, decode=True)
        for chunk in stream:
            text = chunk.get("stream", "")
            log.write(text)
            if re.match(r"(Step|STEP) \d+", text):
                say(f"  {text.strip()[:110]}")
            if "error" in chunk:
                log.write(chunk["error"] + "\n")
                raise UserError(f"p2s images build {spec.kind}: the build failed: {chunk['error'].strip()[:300]} "
                                f"(log: {log_path})")
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
    found = find_image(engine.client, spec.tag)
    if found is None:
        raise UserError(f"p2s images build {spec.kind}: the engine reported no image (log: {log_path})")
    return image_id or found.id


def ensure_base(engine: Engine, say: Callable[[str], None] = print) -> str:
    """The ``open`` image's base: ours if imported before, else Debian's from a registry, else debootstrapped."""
    if find_image(engine.client, BASE_IMAGE) is not None:
        return BASE_IMAGE
    try:
        engine.client.images.pull(REGISTRY_BASE)
        return REGISTRY_BASE
    except Exception as exc:  # no registry reachable (the usual case here): build the base ourselves
        say(f"{REGISTRY_BASE}: no registry answers ({type(exc).__name__}); debootstrapping a trixie base")
    rootfs = _debootstrap(say)
    archive = rootfs.with_suffix(".tar")
    with tarfile.open(archive, "w") as tar:
        tar.add(rootfs, arcname=".")
    repository, tag = BASE_IMAGE.rsplit(":", 1)
    engine.client.api.import_image_from_file(str(archive), repository=repository, tag=tag)
    archive.unlink()
    if find_image(engine.client, BASE_IMAGE) is None:  # Podman's Docker API drops the tag of an import: it is "latest"
        engine.client.images.get(f"{repository}:latest").tag(repository, tag)
    say(f"{BASE_IMAGE}: imported")
    return BASE_IMAGE


def _debootstrap(say: Callable[[str], None]) -> Path:
    if shutil.which("debootstrap") is None:
        raise ToolMissingError("debootstrap (to build a base image without a registry)",
                               "apt-get install debootstrap (or run 'make setup')")
    rootfs = p2s_home() / "images" / "trixie-rootfs"
    if (rootfs / "etc" / "debian_version").exists():
        return rootfs
    shutil.rmtree(rootfs, ignore_errors=True)
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    mirror = apt_mirror()
    say(f"  debootstrap --variant=minbase trixie {rootfs} {mirror} (about a minute)")
    log = rootfs.parent / "debootstrap.log"
    with log.open("w") as fh:
        done = subprocess.run(["debootstrap", "--variant=minbase", "trixie", str(rootfs), mirror], stdout=fh,
                              stderr=subprocess.STDOUT)
    if done.returncode != 0:
        shutil.rmtree(rootfs, ignore_errors=True)
        raise UserError(f"debootstrap failed (exit {done.returncode}; log: {log})")
    return rootfs


def apt_mirror(sources: list[Path] | None = None) -> str:
    """The Debian mirror this host's apt uses (a deb822 ``URIs:`` or a ``deb`` line), else deb.debian.org."""
    if sources is None:
        sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        m = re.search(r"^URIs:\s*(\S+/debian)/?\s*$", text, re.M) or re.search(r"^deb\s+(\S+/debian)/?\s", text, re.M)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"
