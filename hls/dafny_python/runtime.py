'''Module-level helpers that emitted programs include when they use them (the emitted module needs nothing
beyond the standard library).

Each helper is Python source with the names it depends on. Semantics follow Dafny; where the order of elements
is observable (printing sets, maps and multisets, picking ``x :| x in s``) it follows the C# runtime of Dafny 2.3,
whose collections keep insertion order, so that a compiled program prints what Dafny's own compiled program prints.
'''

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Helper:
    name: str
    source: str
    deps: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()


_HELPERS = [
    Helper("_dafny_div", '''
def _dafny_div(a: int, b: int) -> int:
    """Dafny's integer division: Euclidean (the remainder is never negative), unlike Python's floor division."""
    return a // b if b > 0 else -(a // -b)
'''),
    Helper("_dafny_mod", '''
def _dafny_mod(a: int, b: int) -> int:
    """Dafny's integer modulo: Euclidean, always in 0 .. |b|-1."""
    return a % abs(b)
'''),
    Helper("_Set", '''
class _Set(frozenset):
    """A Dafny set: a frozenset (equality, hashing, membership) that iterates, and so prints, in the order of
    Dafny's runtime (insertion order; union adds the larger operand first)."""

    def __new__(cls, items=()):
        order = tuple(dict.fromkeys(items))
        self = super().__new__(cls, order)
        self._order = order
        return self

    def __iter__(self):
        return iter(self._order)

    def __or__(self, other):
        if not self:
            return other
        if not other:
            return self
        small, big = (self, other) if len(self) < len(other) else (other, self)
        return _Set((*big, *small))

    def __and__(self, other):
        small, big = (self, other) if len(self) < len(other) else (other, self)
        return _Set(x for x in small if x in big)

    def __sub__(self, other):
        return _Set(x for x in self if x not in other)

    def __repr__(self):
        return "_Set(" + repr(self._order) + ")"
'''),
    Helper("_Tuple", '''
class _Tuple(tuple):
    """A Dafny tuple value (printed ``(a, b)``; a Python tuple is a Dafny sequence)."""

    def _dafny_str(self) -> str:
        return "(" + ", ".join(_dafny_str(x) for x in self) + ")"
''', deps=("_dafny_str",)),
    Helper("_Real", '''
class _Real:
    """A Dafny real as Dafny's runtime keeps it: an unreduced fraction num/den (den > 0), printed the same way
    (``0.25``, ``-2.0``, ``(1.0 / 3.0)``)."""

    __slots__ = ("num", "den")

    def __init__(self, num: int, den: int = 1) -> None:
        self.num, self.den = num, den

    @staticmethod
    def of(text: str) -> _Real:
        """The value of a decimal literal such as ``1.5`` (what Dafny's compiler builds: 15/10)."""
        whole, _, frac = text.partition(".")
        if frac.strip("0") == "":
            return _Real(int(whole), 1)
        return _Real(int(whole + frac), 10 ** len(frac))

    def _common(self, other: _Real) -> tuple[int, int, int]:
        if self.num == 0:
            return self.num, other.num, other.den
        if other.num == 0:
            return self.num, other.num, self.den
        from math import gcd
        g = gcd(self.den, other.den)
        xx, yy = self.den // g, other.den // g
        return self.num * yy, other.num * xx, self.den * yy

    def __add__(self, other: _Real) -> _Real:
        a, b, d = self._common(other)
        return _Real(a + b, d)

    def __sub__(self, other: _Real) -> _Real:
        a, b, d = self._common(other)
        return _Real(a - b, d)

    def __mul__(self, other: _Real) -> _Real:
        return _Real(self.num * other.num, self.den * other.den)

    def __truediv__(self, other: _Real) -> _Real:
        if other.num > 0:
            return self * _Real(other.den, other.num)
        return self * _Real(-other.den, -other.num)

    def __neg__(self) -> _Real:
        return _Real(-self.num, self.den)

    def _cmp(self, other: _Real) -> int:
        a, b, _ = self._common(other)
        return (a > b) - (a < b)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Real) and self.num * other.den == other.num * self.den

    def __hash__(self) -> int:
        from math import gcd
        g = gcd(self.num, self.den) or 1
        return hash((self.num // g, self.den // g))

    def __lt__(self, other: _Real) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: _Real) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: _Real) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: _Real) -> bool:
        return self._cmp(other) >= 0

    def floor(self) -> int:
        return self.num // self.den

    def _dafny_str(self) -> str:
        if self.num == 0 or self.den == 1:
            return f"{self.num}.0"
        digits, log10 = self.den, 0
        while digits % 10 == 0:
            digits //= 10
            log10 += 1
        if digits != 1:
            return f"({self.num}.0 / {self.den}.0)"
        sign, text = ("-", str(-self.num)) if self.num < 0 else ("", str(self.num))
        if log10 < len(text):
            return f"{sign}{text[:len(text) - log10]}.{text[len(text) - log10:]}"
        return f"{sign}0.{'0' * (log10 - len(text))}{text}"

    def __repr__(self) -> str:
        return f"_Real({self.num}, {self.den})"
'''),
    Helper("_dafny_str", '''
def _dafny_str(v: object) -> str:
    """A value as Dafny's compiled programs print it: ``true``, ``[1, 2]``, ``{1, 2}``, ``map[1 := 2]``,
    strings and characters raw, datatypes as ``Type.Ctor(args)``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, str)):
        return str(v)
    if hasattr(v, "_dafny_str"):
        return v._dafny_str()
    if isinstance(v, tuple):
        return "[" + ", ".join(_dafny_str(x) for x in v) + "]"
    if isinstance(v, Counter):
        return "multiset{" + ", ".join(_dafny_str(x) for x in v.elements()) + "}"
    if isinstance(v, frozenset):
        return "{" + ", ".join(_dafny_str(x) for x in v) + "}"
    if isinstance(v, dict):
        return "map[" + ", ".join(_dafny_str(k) + " := " + _dafny_str(x) for k, x in v.items()) + "]"
    if v is None:
        return "null"
    raise TypeError(f"cannot print a {type(v).__name__} as Dafny does")
''', imports=("from collections import Counter",)),
    Helper("_dafny_datatype_str", '''
def _dafny_datatype_str(value: object, type_name: str, ctor: str) -> str:
    """``Type.Ctor(field, ...)`` (``Type.Ctor`` without fields), as Dafny prints a datatype value."""
    fields = [_dafny_str(getattr(value, f.name)) for f in dataclasses.fields(value)]
    return f"{type_name}.{ctor}" + (f"({', '.join(fields)})" if fields else "")
''', deps=("_dafny_str",), imports=("import dataclasses",)),
    Helper("_dafny_is_prefix", '''
def _dafny_is_prefix(s: tuple | str, t: tuple | str) -> bool:
    """Dafny's ``s <= t`` on sequences: ``s`` is a prefix of ``t``."""
    return len(s) <= len(t) and t[:len(s)] == s
'''),
    Helper("_dafny_is_proper_prefix", '''
def _dafny_is_proper_prefix(s: tuple | str, t: tuple | str) -> bool:
    """Dafny's ``s < t`` on sequences: ``s`` is a proper prefix of ``t``."""
    return len(s) < len(t) and t[:len(s)] == s
'''),
    Helper("_dafny_seq_update", '''
def _dafny_seq_update(s: tuple | str, i: int, v: object) -> tuple | str:
    """Dafny's ``s[i := v]`` on a sequence (a string stays a string)."""
    return s[:i] + (v if isinstance(s, str) else (v,)) + s[i + 1:]
'''),
    Helper("_dafny_multiset_update", '''
def _dafny_multiset_update(m: Counter, x: object, n: int) -> Counter:
    """Dafny's ``m[x := n]`` on a multiset: ``x`` occurs ``n`` times."""
    r = Counter(m)
    r[x] = n
    return r
''', imports=("from collections import Counter",)),
    Helper("_dafny_pick", '''
def _dafny_pick(items, cond=lambda x: True):
    """The first element of a collection (in Dafny's runtime order) satisfying ``cond``: Dafny's ``x :| P``."""
    for x in items:
        if cond(x):
            return x
    raise AssertionError("no value satisfies the such-that condition")
'''),
    Helper("_dafny_forall_assign", '''
def _dafny_forall_assign(updates) -> None:
    """A Dafny forall statement: every (array, index, value) computed first, then all assigned at once."""
    for target, index, value in list(updates):
        target[index] = value
'''),
]

HELPERS: dict[str, Helper] = {h.name: h for h in _HELPERS}


def closure(names: set[str]) -> list[Helper]:
    """The helpers in ``names`` and everything they depend on, in definition order."""
    need: set[str] = set()
    stack = list(names)
    while stack:
        n = stack.pop()
        if n in need:
            continue
        need.add(n)
        stack.extend(HELPERS[n].deps)
    return [h for h in _HELPERS if h.name in need]
