"""Test values on the C side: what the testbench printed back in task form, and fit checks against C types.

The C testbench prints numbers (characters as their codes); :func:`from_c` turns them back into task values,
which :func:`pipeline.vectors.canonical` then brings to the form the Python side is compared in.
"""

from __future__ import annotations

from typing import Any

from hls.hls_c.ctype import IntT, value_range
from pipeline.hw_interface import HwPort
from pipeline.types import DafnyType


def from_c(value: Any, t: DafnyType) -> Any:
    """A value the C testbench printed, in canonical form (character codes back to characters)."""
    if t.kind == "char":
        return chr(value) if isinstance(value, int) else value
    if t.kind == "string":
        return "".join(chr(v) for v in value)
    if t.kind in ("array", "seq"):
        return [from_c(v, t.elem) for v in value]  # type: ignore[arg-type]
    if t.kind == "array2":
        return [[from_c(v, t.elem) for v in row] for row in value]  # type: ignore[arg-type]
    return value


def elements(value: Any, t: DafnyType) -> list[Any]:
    if t.kind == "array2":
        return [x for row in value for x in row]
    if t.kind == "string":
        return list(value)
    if t.kind in ("array", "seq"):
        return list(value)
    return [value]


def misfit(name: str, value: Any, t: DafnyType, port: HwPort, cols: int | None = None) -> str | None:
    """Why ``value`` does not fit ``port`` (a C type and depth), or ``None`` when it fits."""
    elem_t = t.elem if t.elem is not None else (DafnyType("char") if t.kind == "string" else t)
    if t.kind in ("array", "seq", "string"):
        if len(value) > port.depth:
            return f"{name} has {len(value)} elements, more than the buffer's {port.depth} (hardware.max_array_length)"
    if t.kind == "array2":
        rows, cap_cols = port.dims[0], port.dims[1]
        if len(value) > rows or any(len(r) > cap_cols for r in value):
            return f"{name} is larger than the {rows}x{cap_cols} buffer (hardware.max_array_length)"
    for x in elements(value, t):
        if elem_t.kind == "bool":
            continue
        if elem_t.kind == "char":
            if ord(x) > 255:
                return f"{name} holds the character {x!r}, outside 8-bit characters"
            continue
        lo, hi = value_range(IntT(port.width if elem_t.kind != "bv" else elem_t.width, port.signed,
                                  "nat" if elem_t.kind == "nat" else "int"))
        if isinstance(x, bool) or not isinstance(x, int):
            return f"{name} holds {x!r}, not an integer"
        if not lo <= x <= hi:
            return f"{name} holds {x}, outside {port.c_type} ({lo}..{hi}; hardware.int_width)"
    return None
