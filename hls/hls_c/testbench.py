"""The C testbench: one function per test vector that calls the top and prints its outputs as JSON.

Built from the interface record (:mod:`pipeline.hw_interface`), so it exercises exactly the calling
convention the HLS stages see. Inputs are C initialisers; outputs are the task's results and the final
contents of its array parameters, keyed by their Dafny names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from hls.hls_c.codegen import const_text
from hls.hls_c.ctype import BOOL, IntT
from hls.hls_c.model_run import output_names
from hls.hls_c.values import elements
from pipeline.hw_interface import HwInterface, HwPort
from pipeline.task import Task, TestVector

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
)


def _ctype(port: HwPort):
    if port.c_type == "bool":
        return BOOL
    return IntT(port.width, port.signed, "int")


def literal(value: Any, port: HwPort, dafny_kind: str) -> str:
    v = ord(value) if dafny_kind == "char" and isinstance(value, str) else value
    return const_text(v, _ctype(port))


def _printer(port: HwPort, expr: str) -> str:
    if port.c_type == "bool":
        return f"p2s_bool({expr});"
    if port.signed:
        return f"p2s_int((long long){expr});"
    return f"p2s_uint((unsigned long long){expr});"


@dataclass
class _Vector:
    index: int
    lines: list[str]


def vector_lines(iface: HwInterface, task: Task, vec: TestVector) -> list[str]:
    """C statements of one vector: declarations, the call, and the JSON print."""
    sig = task.signature
    lines: list[str] = []
    args: list[str] = []
    by_port: dict[str, tuple[str, HwPort]] = {}  # dafny name -> (C expression, port)
    needs_i = needs_j = False
    ret_port = iface.return_port
    for port in iface.arguments:
        if port.role in ("len", "rows", "cols"):
            continue
        var = f"p_{port.name}"
        param = sig.param(port.dafny_name) if port.dafny_name else None
        kind = param.type.elem.kind if (param and param.type.elem) else (param.type.kind if param else "int")
        if param is not None and param.type.kind == "string":
            kind = "char"
        if port.role == "in":
            value = vec.inputs[port.dafny_name]  # type: ignore[index]
            lines.append(f"{port.c_type} {var} = {literal(value, port, kind)};")
            args.append(var)
        elif port.role == "array":
            value = vec.inputs[port.dafny_name]  # type: ignore[index]
            if len(port.dims) == 2:
                rows = ", ".join("{" + ", ".join(literal(x, port, kind) for x in row) + "}" for row in value) or "{0}"
                cols = len(value[0]) if value else 0
                lines.append(f"{port.c_type} {var}[{port.dims[0]}][{port.dims[1]}] = {{{rows}}};")
                lines.append(f"int32_t {var}_rows = {len(value)};")
                lines.append(f"int32_t {var}_cols = {cols};")
                args.extend([var, f"{var}_rows", f"{var}_cols"])
                by_port[port.dafny_name] = (var, port)  # type: ignore[index]
                needs_i = needs_j = True
            else:
                items = [literal(x, port, kind) for x in elements(value, param.type)] if param else []
                lines.append(f"{port.c_type} {var}[{port.depth}] = {{{', '.join(items) or '0'}}};")
                lines.append(f"int32_t {var}_len = {len(items)};")
                args.extend([var, f"{var}_len"])
                by_port[port.dafny_name] = (var, port)  # type: ignore[index]
                needs_i = True
        elif port.role == "out":
            lines.append(f"{port.c_type} {var} = {const_text(0, _ctype(port))};")
            args.append(f"&{var}")
            by_port[port.dafny_name] = (var, port)  # type: ignore[index]
        elif port.role == "array_out":
            if len(port.dims) == 2:
                lines.append(f"{port.c_type} {var}[{port.dims[0]}][{port.dims[1]}] = {{{{0}}}};")
                lines.append(f"int32_t {var}_rows = 0;")
                lines.append(f"int32_t {var}_cols = 0;")
                args.extend([var, f"&{var}_rows", f"&{var}_cols"])
                needs_i = needs_j = True
            else:
                lines.append(f"{port.c_type} {var}[{port.depth}] = {{0}};")
                lines.append(f"int32_t {var}_len = 0;")
                args.extend([var, f"&{var}_len"])
                needs_i = True
            by_port[port.dafny_name] = (var, port)  # type: ignore[index]
    call = f"{iface.top}({', '.join(args)})"
    if ret_port is not None:
        lines.append(f"{ret_port.c_type} p_return = {call};")
        by_port[ret_port.dafny_name] = ("p_return", ret_port)  # type: ignore[index]
    else:
        lines.append(f"{call};")
    decl = []
    if needs_i:
        decl.append("int32_t p2s_i = 0;")
    if needs_j:
        decl.append("int32_t p2s_j = 0;")
    lines = decl + lines
    if needs_i:
        lines.append("(void)p2s_i;")
    if needs_j:
        lines.append("(void)p2s_j;")
    lines.append(f'printf("{{\\"vector\\": {vec_index_placeholder()}, \\"outputs\\": {{");')
    for k, name in enumerate(output_names(task)):
        var, port = by_port[name]
        sep = ", " if k else ""
        lines.append(f'printf("{sep}{_c_string(json.dumps(name))}: ");')
        lines.extend(_print_value(var, port))
    lines.append('printf("}}\\n");')
    return lines


def vec_index_placeholder() -> str:
    return "@INDEX@"


def _c_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")


def _print_value(var: str, port: HwPort) -> list[str]:
    if port.role in ("in", "out", "return"):
        return [_printer(port, var)]
    if len(port.dims) == 2:
        rows = f"{var}_rows"
        cols = f"{var}_cols"
        return [
            'printf("[");',
            f"for (p2s_i = 0; p2s_i < {rows}; p2s_i = p2s_i + 1) {{",
            '    if (p2s_i > 0) { printf(", "); }',
            '    printf("[");',
            f"    for (p2s_j = 0; p2s_j < {cols}; p2s_j = p2s_j + 1) {{",
            '        if (p2s_j > 0) { printf(", "); }',
            f"        {_printer(port, f'{var}[p2s_i][p2s_j]')}",
            "    }",
            '    printf("]");',
            "}",
            'printf("]");',
        ]
    return [
        'printf("[");',
        f"for (p2s_i = 0; p2s_i < {var}_len; p2s_i = p2s_i + 1) {{",
        '    if (p2s_i > 0) { printf(", "); }',
        f"    {_printer(port, f'{var}[p2s_i]')}",
        "}",
        'printf("]");',
    ]


def testbench_source(iface: HwInterface, prototype: str, task: Task, vectors: list[tuple[int, TestVector]]) -> str:
    """The testbench C file for the given ``(index, vector)`` pairs."""
    items = []
    for index, vec in vectors:
        lines = [ln.replace("@INDEX@", str(index)) for ln in vector_lines(iface, task, vec)]
        items.append(_Vector(index, lines))
    return _ENV.get_template("testbench.c.j2").render(
        task_id=task.id, top=iface.top, prototype=prototype, vectors=items,
    )


def parse_output(stdout: str) -> dict[int, dict[str, Any]]:
    """The testbench's JSON lines, by vector index (malformed lines are ignored)."""
    out: dict[int, dict[str, Any]] = {}
    for line in stdout.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("vector"), int) and isinstance(rec.get("outputs"), dict):
            out[rec["vector"]] = rec["outputs"]
    return out
