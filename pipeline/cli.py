"""The ``p2s`` command line: subcommands live in ``pipeline/commands/<name>.py``.

Each command module defines ``HELP`` (one line), ``EPILOG`` (examples), ``add_arguments(parser)`` and
``run(args) -> int``; heavy imports stay inside ``run`` so ``p2s --help`` is instant. A
:class:`~pipeline.errors.UserError` anywhere becomes one ``p2s: error:`` line and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from pipeline.errors import UserError

COMMANDS = ["doctor", "verify", "translate", "synth", "run", "bench", "train", "import", "images"]


def _module(name: str):
    return importlib.import_module(f"pipeline.commands.{name.replace('-', '_')}_cmd")


def _chosen(argv: list[str] | None) -> str | None:
    """The command ``argv`` names (the first word that is one), if any."""
    words = sys.argv[1:] if argv is None else argv
    return next((w for w in words if w in COMMANDS), None)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``only``, just that command's options are built (the others are named, so the
    error for a wrong word still lists them), which spares each run importing every command's modules:
    ``p2s verify`` on a cached result should cost little more than Python's start-up."""
    parser = argparse.ArgumentParser(
        prog="p2s",
        description="Proof2Silicon: natural-language spec -> verified Dafny -> Python -> HLS C -> RTL.",
        epilog="Run 'p2s COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every tool command that runs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is not None and name != only:
            sub.add_parser(name)
            continue
        mod = _module(name)
        p = sub.add_parser(
            name, help=mod.HELP, description=mod.HELP, epilog=getattr(mod, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(_chosen(argv))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except UserError as exc:
        print(f"p2s: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("p2s: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
