"""C types of the typed IR: fixed-width integers, ``bool`` and bounded arrays.

Every Python value the compiler meets gets one of these. Dafny ``int``/``nat`` become ``intW_t`` with W the
task's ``hardware.int_width``; ``bvN`` becomes the smallest ``uintC_t`` container with C >= N (results are
masked to N bits by the Python model's own ``& mask``); ``char`` is a ``uint8_t`` code unit. Arrays and
sequences are fixed-size C arrays; their bounds are not part of the type but of the variable (see
:mod:`hls.hls_c.bounds`), because one Python type can name buffers of different capacities.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTAINERS = (8, 16, 32, 64)


def container_width(bits: int) -> int:
    """The narrowest C integer width that holds ``bits`` bits."""
    return next(c for c in CONTAINERS if c >= bits)


@dataclass(frozen=True)
class IntT:
    """An integer: ``bits`` of value in a ``(u)intC_t`` container; ``kind`` is int, nat, bv, char or len."""

    bits: int
    signed: bool
    kind: str = "int"

    @property
    def width(self) -> int:
        return container_width(self.bits)

    @property
    def c_name(self) -> str:
        return f"{'' if self.signed else 'u'}int{self.width}_t"

    @property
    def masked(self) -> bool:
        """A bit-vector narrower than its container: arithmetic must be masked to ``bits``."""
        return not self.signed and self.bits != self.width

    def __str__(self) -> str:
        return f"bv{self.bits}" if self.kind == "bv" else self.kind


@dataclass(frozen=True)
class BoolT:
    @property
    def c_name(self) -> str:
        return "bool"

    @property
    def width(self) -> int:
        return 1

    @property
    def signed(self) -> bool:
        return False

    def __str__(self) -> str:
        return "bool"


Scalar = IntT | BoolT


@dataclass(frozen=True)
class ArrT:
    """A 1-D array (``list``, mutable, shared by reference) or sequence (``tuple``/``str``, a value)."""

    elem: Scalar
    kind: str = "array"  # array | seq | string

    @property
    def is_value(self) -> bool:
        return self.kind != "array"

    def __str__(self) -> str:
        return f"{self.kind}<{self.elem}>"


@dataclass(frozen=True)
class Arr2T:
    """A 2-D array (``list[list[T]]``): ``T a[R][C]`` with run-time ``a_rows``/``a_cols``."""

    elem: Scalar

    def __str__(self) -> str:
        return f"array2<{self.elem}>"


@dataclass(frozen=True)
class TupleT:
    """Several results of one function (``tuple[int, bool]``): never a value of its own in C."""

    items: tuple[CType, ...]

    def __str__(self) -> str:
        return "(" + ", ".join(map(str, self.items)) + ")"


@dataclass(frozen=True)
class VoidT:
    def __str__(self) -> str:
        return "void"


CType = IntT | BoolT | ArrT | Arr2T | TupleT | VoidT

BOOL = BoolT()
VOID = VoidT()
LEN = IntT(32, True, "len")  # run-time lengths: int32_t x_len


def is_int(t: object) -> bool:
    return isinstance(t, IntT)


def is_array(t: object) -> bool:
    return isinstance(t, (ArrT, Arr2T))


def is_scalar(t: object) -> bool:
    return isinstance(t, (IntT, BoolT))


def int_type(width: int, kind: str = "int") -> IntT:
    """The type of Dafny ``int``/``nat`` at the task's width (signed for both: ``nat`` subtraction stays exact)."""
    return IntT(width, True, kind)


def bv_type(bits: int) -> IntT:
    return IntT(bits, False, "bv")


CHAR = IntT(8, False, "char")


def fits(value: int, t: IntT) -> bool:
    """Whether ``value`` is representable in ``t`` (``bits`` for bit-vectors, the container otherwise)."""
    if t.signed:
        lo, hi = -(1 << (t.bits - 1)), (1 << (t.bits - 1)) - 1
    else:
        lo, hi = 0, (1 << t.bits) - 1
    if t.kind == "nat":
        lo = 0
    return lo <= value <= hi


def value_range(t: IntT) -> tuple[int, int]:
    if t.signed:
        return (0 if t.kind == "nat" else -(1 << (t.bits - 1))), (1 << (t.bits - 1)) - 1
    return 0, (1 << t.bits) - 1
