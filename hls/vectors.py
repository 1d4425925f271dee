"""Test vectors at the hardware boundary: task values mapped onto the ports of the C top function.

A task's test vector speaks Dafny names and values (``{a: [3, 9, 2]}`` → ``{m: 9}``); the hardware speaks
ports of fixed width (``a`` as a memory of 16 words, ``a_len`` = 3, the return value ``m``). This module
makes that mapping once, from :class:`pipeline.hw_interface.HwInterface`, for every testbench.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import UserError
from pipeline.hw_interface import HwInterface, HwPort

LEN_ROLES = ("len", "rows", "cols")


@dataclass
class PortVector:
    """One test vector at the ports: inputs (scalars, memory contents) and the expected outputs."""

    index: int
    scalars: dict[str, int] = field(default_factory=dict)  # input port -> value (unsigned bits)
    memories: dict[str, list[int]] = field(default_factory=dict)  # array port -> flat contents (bits)
    expected: dict[str, Any] = field(default_factory=dict)  # output or array port -> int or list (flat, signed)
    expected_lengths: dict[str, int] = field(default_factory=dict)  # array -> number of elements compared


def encode_array(value: Any) -> list:
    """An array or sequence value → its elements' integers (a string is its characters, even of length 1)."""
    if isinstance(value, str):
        return [ord(c) for c in value]
    return encode(value)


def encode(value: Any) -> Any:
    """Task value → integer(s): bools as 0/1, characters as their code, lists element-wise.

    A one-character string reads as a ``char``; where the port is an array use :func:`encode_array`."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return ord(value) if len(value) == 1 else [ord(c) for c in value]
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return int(value)


def to_bits(value: int, width: int) -> int:
    return value & ((1 << width) - 1)


def from_bits(bits: int, width: int, signed: bool) -> int:
    bits &= (1 << width) - 1
    if signed and width > 1 and bits >> (width - 1):
        return bits - (1 << width)
    return bits


def len_kind(port: HwPort) -> str:
    """``len``, ``rows`` or ``cols`` for a length port."""
    if port.role in ("rows", "cols"):
        return port.role
    if port.name.endswith("_rows"):
        return "rows"
    if port.name.endswith("_cols"):
        return "cols"
    return "len"


def is_output(port: HwPort, hw: HwInterface) -> bool:
    """Results: the return value, result pointers and the length pointer of a result array."""
    if port.role in ("return", "out"):
        return True
    if port.role in LEN_ROLES and port.of:
        try:
            return hw.port(port.of).role == "array_out"
        except StopIteration:
            return False
    return False


def flatten(value: list, port: HwPort) -> list[int]:
    """Row-major contents of a (2-D) array value laid out in the port's declared shape."""
    if len(port.dims) == 2:
        cols = port.dims[1]
        flat = []
        for row in value:
            flat.extend(list(row) + [0] * (cols - len(row)))
        return flat
    return list(value)


def shape(value: Any) -> tuple[int, int]:
    if value and isinstance(value[0], list):
        return len(value), len(value[0])
    return len(value), 0


def port_vectors(hw: HwInterface, inputs: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[PortVector]:
    """Map Dafny-level vectors onto the ports of ``hw``.

    Args:
        hw: the interface of the C top function.
        inputs: per vector, Dafny parameter name -> value.
        expected: per vector, Dafny result (or array parameter) name -> expected value.

    Raises:
        UserError: a vector misses a value for an input port, or an array does not fit its port.
    """
    vectors = []
    for i, (ins, exp) in enumerate(zip(inputs, expected, strict=True)):
        v = PortVector(i)
        for port in hw.ports:
            key = port.dafny_name or port.name
            if port.role == "in":
                if key not in ins:
                    raise UserError(f"test vector {i}: no value for input '{key}' (port {port.name})")
                v.scalars[port.name] = to_bits(encode(ins[key]), port.width)
            elif port.role in ("array", "array_out"):
                _array(v, port, hw, ins, exp, key)
            elif is_output(port, hw) and key in exp and port.role not in LEN_ROLES:
                v.expected[port.name] = encode(exp[key])
        vectors.append(v)
    return vectors


def _array(v: PortVector, port: HwPort, hw: HwInterface, ins: dict, exp: dict, key: str) -> None:
    lengths = [p for p in hw.ports if p.role in LEN_ROLES and p.of == port.name]
    depth = port.depth or (port.dims[0] if port.dims else 0)
    if port.role == "array":
        if key not in ins:
            raise UserError(f"test vector {v.index}: no value for array '{key}' (port {port.name})")
        value = encode_array(ins[key])
        flat = flatten(value, port)
        if len(flat) > depth:
            raise UserError(f"test vector {v.index}: array '{key}' has {len(flat)} elements, port depth is {depth}")
        v.memories[port.name] = [to_bits(x, port.width) for x in flat] + [0] * (depth - len(flat))
        rows, cols = shape(value)
        for lp in lengths:
            n = {"len": rows, "rows": rows, "cols": cols}[len_kind(lp)]
            v.scalars[lp.name] = to_bits(n, lp.width)
    else:
        v.memories[port.name] = [0] * depth
    if key in exp:
        value = encode_array(exp[key])
        v.expected[port.name] = flatten(value, port)
        v.expected_lengths[port.name] = len(v.expected[port.name])
        rows, cols = shape(value)
        for lp in lengths:
            if port.role == "array_out":
                v.expected[lp.name] = {"len": rows, "rows": rows, "cols": cols}[len_kind(lp)]
