"""p2s images: build the toolchain container images the container runner uses (docker/<kind>/Dockerfile)."""

from __future__ import annotations

import argparse

HELP = "build the toolchain container images (open, bambu, vitis) with Docker or Podman"
EPILOG = """examples:
  p2s images build              # the open image: Dafny, Z3, gcc, Icarus, Verilator, yosys, nextpnr, CIRCT
  p2s images build bambu        # needs docker/bambu/bambu*.AppImage (you supply it)
  p2s images build vitis        # needs the AMD installer and install_config.txt in docker/vitis/
  p2s images list
An image is labelled with its recipe's hash (Dockerfile, build arguments, supplied files): building it again
is a no-op until the recipe changes (--force rebuilds). Without a registry the open image starts from a
Debian trixie base made by debootstrap. Podman is set up with a configuration of our own under
$P2S_HOME/podman (runc, cgroupfs, overlay storage, no network for runs); the host's is never touched.
Then: p2s synth F.dfy --task T.yaml --runner container (docker/README.md).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["build", "list"], help="build an image, or list the images and digests")
    p.add_argument("kind", nargs="?", default="open", help="open (default), bambu or vitis")
    p.add_argument("--force", action="store_true", help="build even if an image of the same recipe is there")


def run(args: argparse.Namespace) -> int:
    from hls.container_engine import connect
    from hls.images import RECIPES, build_image, find_image, recipe

    if args.action == "build":
        recipe(args.kind)  # an unknown kind or a missing supplied file is an error before any engine starts
        print(build_image(args.kind, force=args.force))
        return 0
    engine = connect()
    for kind, spec in RECIPES.items():
        found = find_image(engine.client, spec.tag)
        print(f"{kind:6} {spec.tag:30} {found.id if found else f'not built (p2s images build {kind})'}")
    return 0
