"""``p2s translate FILE.dfy --to c``: the Python reference model compiled on to HLS C.

With ``--task`` the task gives the top method, widths and bounds; without one the first compiled method
(other than ``Main``) is the top, with the default hardware options (32-bit ints, arrays up to 16 elements).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.errors import UserError
from pipeline.task import Task


def default_task(module, source_name: str = "program") -> Task:
    """A task for the first method of a compiled module (``module`` is a ``PythonModule``).

    Raises:
        UserError: the module has no method, or its signature uses types outside the task format.
    """
    from pipeline.task import task_from_dict

    methods = [f for f in module.functions.values() if f.kind == "method" and f.name != "Main"]
    if not methods:
        raise UserError(f"{source_name}: no method to synthesize (give one, or pass --task TASK.yaml)")
    m = methods[0]
    params = ", ".join(f"{p.name}: {p.type}" for p in m.params)
    results = ", ".join(f"{p.name}: {p.type}" for p in m.returns)
    text = f"method {m.name}({params})" + (f" returns ({results})" if results else "")
    stem = "".join(c if c.isalnum() or c in "_-." else "_" for c in Path(source_name).stem) or "program"
    try:
        return task_from_dict({"id": stem, "description": f"{m.name} from {source_name}", "signature": text})
    except UserError as exc:
        raise UserError(f"{source_name}: method {m.name} cannot be the top function without a task: {exc}"
                        " (pass --task TASK.yaml)") from None


def translate_to_c(args: argparse.Namespace, module) -> str:
    """C text for the translate command; with ``-o OUT.c`` the interface goes to ``OUT.interface.json``."""
    from hls.hls_c import compile_to_c
    from pipeline.task import load_task

    task = load_task(args.task) if getattr(args, "task", None) else default_task(module, Path(args.file).name)
    program = compile_to_c(module.text, task)
    if getattr(args, "output", None):
        out = Path(args.output)
        program.interface.save(out.with_name(out.stem + ".interface.json"))
    return program.source
