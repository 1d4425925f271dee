"""The hardware interface of a compiled top function: the contract between the C stage and the HLS stages.

The C compiler writes it (``interface.json``) next to the C file; HLS backends and the co-simulation
testbench read it to know each port's direction, width, signedness and array depth, and how the task's
test values map onto ports. Convention for the C top function (the same for every backend):

* scalar inputs by value; ``bool`` as ``bool``; integers as ``intW_t``/``uintW_t``;
* an array or sequence argument ``a`` as ``T a[DEPTH]`` followed by ``int32_t a_len`` (2-D: ``T a[R][C]``,
  ``int32_t a_rows``, ``int32_t a_cols``); arrays passed to the method are in/out (Dafny methods may modify them);
* one scalar result is the C return value; several results, or an array result, go through pointers after
  the parameters (``T *r``; ``T r[DEPTH]`` with ``int32_t *r_len``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class HwPort:
    """One argument (or the return value) of the top function.

    ``role`` is one of: ``in`` (scalar by value), ``array`` (array argument, read and possibly written),
    ``out`` (scalar result through a pointer), ``array_out`` (array result), ``return`` (the C return value),
    ``len`` (the run-time length of array ``of``; ``rows``/``cols`` for 2-D arrays).
    """

    name: str
    role: str
    c_type: str
    width: int
    signed: bool
    depth: int = 0  # arrays: number of elements (rows*cols for 2-D)
    dims: list[int] = field(default_factory=list)  # arrays: [depth] or [rows, cols]
    of: str | None = None  # len ports: the array they measure
    dafny_name: str | None = None  # the task parameter/return this port carries
    dafny_type: str | None = None


@dataclass
class HwInterface:
    """The top function's name and ports, in C argument order (the ``return`` port, if any, last)."""

    top: str
    ports: list[HwPort]
    int_width: int = 32
    notes: dict[str, Any] = field(default_factory=dict)

    def port(self, name: str) -> HwPort:
        return next(p for p in self.ports if p.name == name)

    @property
    def arguments(self) -> list[HwPort]:
        return [p for p in self.ports if p.role != "return"]

    @property
    def return_port(self) -> HwPort | None:
        return next((p for p in self.ports if p.role == "return"), None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HwInterface:
        return cls(
            top=data["top"],
            ports=[HwPort(**p) for p in data["ports"]],
            int_width=data.get("int_width", 32),
            notes=data.get("notes", {}),
        )

    @classmethod
    def load(cls, path: str | Path) -> HwInterface:
        return cls.from_dict(json.loads(Path(path).read_text()))
