"""p2s translate: compile a verified Dafny program to another language (Python reference model, HLS C)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

HELP = "translate a verified Dafny program to Python (the reference model) or to HLS C"
EPILOG = """exit status: 0 translated, 2 bad input or an unsupported construct (named with its line)
examples:
  p2s translate benchmarks/examples/max_array.dfy --to python
  p2s translate program.dfy --to python -o program.py
  p2s translate program.dfy --to c --task task.yaml -o program.c   # also writes program.interface.json
  python program.py          # a program with a Main method prints what Dafny's compiled program prints
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE.dfy", help="the Dafny program (Dafny 4 or Dafny 3 syntax)")
    p.add_argument("--to", required=True, choices=sorted(TARGETS), help="target language")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.add_argument("--task", metavar="TASK.yaml", help="the task the program implements (targets that need it)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S", help="seconds for the Dafny call (default 60)")


def read_source(path: Path) -> str:
    from pipeline.errors import UserError

    if not path.is_file():
        raise UserError(f"{path}: no such file (give the path of a .dfy program)")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a UTF-8 text file") from None


def python_module(args: argparse.Namespace):  # -> hls.dafny_python.PythonModule
    """The program compiled to the Python reference model (every target starts here)."""
    from hls.dafny_python import compile_program
    from pipeline.errors import UserError

    if not args.timeout > 0:
        raise UserError(f"--timeout {args.timeout:g}: give a positive number of seconds")
    path = Path(args.file)
    return compile_program(read_source(path), source_name=path.name, timeout=args.timeout)


def to_python(args: argparse.Namespace) -> str:
    return python_module(args).text


def to_c(args: argparse.Namespace) -> str:
    """HLS C through the Python model (hls.hls_c); with -o, the interface lands in OUT.interface.json."""
    from hls.hls_c.translate import translate_to_c

    return translate_to_c(args, python_module(args))


# target name -> function producing the translated text (another target is one more entry here)
TARGETS: dict[str, Callable[[argparse.Namespace], str]] = {
    "python": to_python,
    "c": to_c,
}


def run(args: argparse.Namespace) -> int:
    text = TARGETS[args.to](args)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
