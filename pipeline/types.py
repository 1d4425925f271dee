"""The value types a task's interface may use, and the check that a test value fits its type.

Tasks speak Dafny's types at their boundary (``int``, ``nat``, ``bool``, ``bvN``, ``char``, ``array<T>``,
``array2<T>``, ``seq<T>``, ``string``); every later stage (Python, C, RTL testbench) maps from this one
description, so a type is parsed once here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCALARS = ("int", "nat", "bool", "char")
CONTAINERS = ("array", "array2", "seq")


@dataclass(frozen=True)
class DafnyType:
    """A parsed interface type: ``kind`` is a scalar name, ``bv``, a container name, or ``string``."""

    kind: str
    width: int = 0  # bvN only
    elem: DafnyType | None = None  # containers only

    @property
    def is_scalar(self) -> bool:
        return self.kind in SCALARS or self.kind == "bv"

    @property
    def is_sequence(self) -> bool:
        """Arrays, 2-D arrays, sequences and strings: values that are lists in tests."""
        return self.kind in CONTAINERS or self.kind == "string"

    def __str__(self) -> str:
        if self.kind == "bv":
            return f"bv{self.width}"
        if self.elem is not None:
            return f"{self.kind}<{self.elem}>"
        return self.kind


_BV = re.compile(r"bv(\d+)$")


def parse_type(text: str) -> DafnyType:
    """Parse a Dafny interface type such as ``array<int>`` or ``bv8``.

    Raises:
        ValueError: the type is not one the task format supports.
    """
    t = text.replace(" ", "")
    if t in SCALARS or t == "string":
        return DafnyType(t)
    m = _BV.match(t)
    if m:
        width = int(m.group(1))
        if not 1 <= width <= 64:
            raise ValueError(f"bit-vector width {width} outside 1..64")
        return DafnyType("bv", width=width)
    for kind in CONTAINERS:
        if t.startswith(kind + "<") and t.endswith(">"):
            elem = parse_type(t[len(kind) + 1 : -1])
            if not elem.is_scalar:
                raise ValueError(f"element type of {text!r} must be a scalar")
            return DafnyType(kind, elem=elem)
    raise ValueError(f"unsupported type {text!r} (use int, nat, bool, char, bvN, array<T>, array2<T>, seq<T>, string)")


def check_value(value: object, typ: DafnyType) -> str | None:
    """Return why ``value`` does not fit ``typ``, or ``None`` when it fits."""
    if typ.kind == "bool":
        return None if isinstance(value, bool) else f"expected a bool, got {value!r}"
    if typ.kind in ("int", "nat", "bv"):
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expected an integer, got {value!r}"
        if typ.kind == "nat" and value < 0:
            return f"expected a nat (>= 0), got {value}"
        if typ.kind == "bv" and not 0 <= value < (1 << typ.width):
            return f"expected a bv{typ.width} in 0..{(1 << typ.width) - 1}, got {value}"
        return None
    if typ.kind == "char":
        return None if isinstance(value, str) and len(value) == 1 else f"expected one character, got {value!r}"
    if typ.kind == "string":
        return None if isinstance(value, str) else f"expected a string, got {value!r}"
    if not isinstance(value, list):
        return f"expected a list for {typ}, got {value!r}"
    assert typ.elem is not None
    if typ.kind == "array2":
        rows = value
        if any(not isinstance(r, list) for r in rows):
            return f"expected a list of rows for {typ}"
        if rows and len({len(r) for r in rows}) != 1:
            return "rows of a 2-D array must have equal lengths"
        items = [x for r in rows for x in r]
    else:
        items = value
    for i, item in enumerate(items):
        why = check_value(item, typ.elem)
        if why:
            return f"element {i}: {why}"
    return None
