"""Python → HLS C: real gcc builds of the generated C, run on test vectors, compared with the Python model.

Each program is written by hand in the reference model's subset (DESIGN.md); the C must compile with
``gcc -std=c99 -Wall -Wextra -Werror``, and every vector's C outputs must equal the Python model's (and,
where the test gives them, the known right answers: Euclidean division, bit-vector wrap-around, ...).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hls.hls_c.simulate import check_python
from pipeline.task import task_from_dict
from tests.support import needs_gcc

pytestmark = needs_gcc

EUCLID = '''
def _dafny_div(a: int, b: int) -> int:
    return a // b if b > 0 else -(a // -b)


def _dafny_mod(a: int, b: int) -> int:
    return a % abs(b)
'''


def make_task(signature: str, tests: list[tuple[dict, dict]], **hardware):
    return task_from_dict({
        "id": "t", "description": "test", "signature": signature,
        "tests": [{"inputs": i, "expected": e} for i, e in tests], "hardware": hardware or None,
    })


def run(src: str, signature: str, tests: list[tuple[dict, dict]], tmp_path: Path, **hardware):
    task = make_task(signature, tests, **hardware)
    return check_python(src, task, tmp_path)


def assert_pass(report, tests=None) -> None:
    """Every vector simulated and matched; the C outputs also equal the tests' expected values."""
    assert report.compiled, report.compile_log
    bad = [(o.index, o.reason) for o in report.outcomes if not o.ok]
    assert not bad, bad
    assert report.outcomes
    for o, (_inputs, expected) in zip(report.outcomes, tests or [], strict=False):
        for name, value in expected.items():
            assert o.c[name] == value, (o.index, name, o.c[name], value)


# --------------------------------------------------------------------------------------------- integers


DIVMOD = EUCLID + '''

def DivMod(x: int, y: int) -> tuple[int, int]:
    q: int = _dafny_div(x, y)
    r: int = _dafny_mod(x, y)
    return (q, r)
'''
DIVMOD_TESTS = [
    ({"x": -7, "y": 2}, {"q": -4, "r": 1}), ({"x": 7, "y": -2}, {"q": -3, "r": 1}),
    ({"x": -7, "y": -2}, {"q": 4, "r": 1}), ({"x": 7, "y": 2}, {"q": 3, "r": 1}),
    ({"x": -8, "y": 2}, {"q": -4, "r": 0}), ({"x": 0, "y": 5}, {"q": 0, "r": 0}),
    ({"x": -1, "y": 100}, {"q": -1, "r": 99}),
]


@pytest.mark.parametrize("width", [8, 32, 64])
def test_euclidean_division_on_negative_values(tmp_path, width):
    program, report = run(DIVMOD, "method DivMod(x: int, y: int) returns (q: int, r: int)", DIVMOD_TESTS,
                          tmp_path, int_width=width)
    assert f"p2s_div_i{width}" in program.source and f"p2s_mod_i{width}" in program.source
    assert f"int{width}_t *q" in program.source  # two results: through pointers
    assert_pass(report, DIVMOD_TESTS)


def test_python_floor_division_is_kept(tmp_path):
    src = "def F(x: int, y: int) -> tuple[int, int]:\n    return (x // y, x % y)\n"
    tests = [({"x": -7, "y": 2}, {"q": -4, "r": 1}), ({"x": 7, "y": -2}, {"q": -4, "r": -1}),
             ({"x": -7, "y": -2}, {"q": 3, "r": -1}), ({"x": 9, "y": 3}, {"q": 3, "r": 0})]
    program, report = run(src, "method F(x: int, y: int) returns (q: int, r: int)", tests, tmp_path)
    assert "p2s_fdiv_i32" in program.source
    assert_pass(report, tests)


def test_int_width_too_narrow_is_reported_not_wrapped(tmp_path):
    src = "def Add(a: int, b: int) -> int:\n    return a + b\n"
    tests = [({"a": 100, "b": 20}, {"c": 120}), ({"a": 100, "b": 100}, {"c": 200}), ({"a": 300, "b": 1}, {"c": 301})]
    _program, report = run(src, "method Add(a: int, b: int) returns (c: int)", tests, tmp_path, int_width=8)
    assert report.outcomes[0].ok
    assert not report.outcomes[1].ok and "output c holds 200, outside int8_t" in report.outcomes[1].reason
    assert not report.outcomes[2].ok and "input a holds 300" in report.outcomes[2].reason


def test_signed_overflow_inside_the_design_is_caught(tmp_path):
    src = "def F(x: int) -> int:\n    y: int = x * x\n    return y // x\n"
    tests = [({"x": 3}, {"r": 3}), ({"x": 100000}, {"r": 100000})]
    _program, report = run(src, "method F(x: int) returns (r: int)", tests, tmp_path)
    assert report.outcomes[0].ok
    assert not report.outcomes[1].ok
    if report.sanitizer:
        assert "undefined behaviour in C: signed integer overflow" in report.outcomes[1].reason


def test_sixty_four_bit_ints(tmp_path):
    src = "def F(x: int, y: int) -> int:\n    return x * y - 1\n"
    tests = [({"x": 4000000000, "y": 2}, {"r": 7999999999}), ({"x": -9223372036854775807, "y": 1},
                                                               {"r": -9223372036854775808})]
    _program, report = run(src, "method F(x: int, y: int) returns (r: int)", tests, tmp_path, int_width=64)
    assert_pass(report, tests)


def test_nat_and_comparison_chains(tmp_path):
    src = '''nat = int

def InRange(lo: nat, x: int, hi: nat) -> bool:
    return lo <= x < hi and not (x == 5)
'''
    tests = [({"lo": 0, "x": 3, "hi": 4}, {"b": True}), ({"lo": 0, "x": 4, "hi": 4}, {"b": False}),
             ({"lo": 1, "x": 5, "hi": 9}, {"b": False}), ({"lo": 2, "x": -1, "hi": 9}, {"b": False})]
    _program, report = run(src, "method InRange(lo: nat, x: int, hi: nat) returns (b: bool)", tests, tmp_path)
    assert_pass(report, tests)


# --------------------------------------------------------------------------------------------- bit-vectors


BV_OPS = '''bv8 = int

def Ops(a: bv8, b: bv8) -> tuple[bv8, bv8, bv8, bv8, bv8]:
    s: bv8 = (a + b) & 0xFF
    d: bv8 = (a - b) & 0xFF
    m: bv8 = (a * b) & 0xFF
    n: bv8 = ~a & 0xFF
    x: bv8 = a ^ b
    return (s, d, m, n, x)
'''


def test_bv8_wraps_around(tmp_path):
    tests = [({"a": 200, "b": 100}, {"s": 44, "d": 100, "m": 32, "n": 55, "x": 172}),
             ({"a": 0, "b": 1}, {"s": 1, "d": 255, "m": 0, "n": 255, "x": 1}),
             ({"a": 255, "b": 255}, {"s": 254, "d": 0, "m": 1, "n": 0, "x": 0})]
    program, report = run(BV_OPS, "method Ops(a: bv8, b: bv8) returns (s: bv8, d: bv8, m: bv8, n: bv8, x: bv8)",
                          tests, tmp_path)
    assert "uint8_t *s" in program.source
    assert_pass(report, tests)


def test_bv16_multiply_does_not_overflow_int(tmp_path):
    src = "bv16 = int\n\ndef M(a: bv16, b: bv16) -> bv16:\n    return (a * b) & 0xFFFF\n"
    tests = [({"a": 65535, "b": 65535}, {"r": 1}), ({"a": 300, "b": 300}, {"r": 24464})]
    program, report = run(src, "method M(a: bv16, b: bv16) returns (r: bv16)", tests, tmp_path)
    assert "(uint32_t)" in program.source  # computed in 32 bits, not in int
    assert_pass(report, tests)


@pytest.mark.parametrize("bits,values,expected", [
    (32, (4294967295, 1), 0), (5, (31, 1), 0), (64, (18446744073709551615, 2), 1), (12, (4000, 200), 104),
])
def test_bv_add_wraps_at_its_width(tmp_path, bits, values, expected):
    mask = hex((1 << bits) - 1)
    src = f"bv{bits} = int\n\ndef A(a: bv{bits}, b: bv{bits}) -> bv{bits}:\n    return (a + b) & {mask}\n"
    tests = [({"a": values[0], "b": values[1]}, {"r": expected}), ({"a": 1, "b": 2}, {"r": 3})]
    _program, report = run(src, f"method A(a: bv{bits}, b: bv{bits}) returns (r: bv{bits})", tests, tmp_path)
    assert_pass(report, tests)


def test_shifts_by_the_width_give_zero(tmp_path):
    src = '''bv8 = int
bv32 = int

def Sh(a: bv8, w: bv32, s: int) -> tuple[bv8, bv8, bv32, bv32]:
    return ((a << s) & 0xFF, a >> s, (w << s) & 0xFFFFFFFF, w >> s)
'''
    tests = [({"a": 129, "w": 4294967295, "s": 1}, {"l": 2, "r": 64, "wl": 4294967294, "wr": 2147483647}),
             ({"a": 255, "w": 4294967295, "s": 8}, {"l": 0, "r": 0, "wl": 4294967040, "wr": 16777215}),
             ({"a": 255, "w": 4294967295, "s": 32}, {"l": 0, "r": 0, "wl": 0, "wr": 0}),
             ({"a": 7, "w": 7, "s": 0}, {"l": 7, "r": 7, "wl": 7, "wr": 7})]
    program, report = run(src, "method Sh(a: bv8, w: bv32, s: int) returns (l: bv8, r: bv8, wl: bv32, wr: bv32)",
                          tests, tmp_path)
    assert "p2s_shl_u32" in program.source and "p2s_shr_u32" in program.source
    assert_pass(report, tests)


# --------------------------------------------------------------------------------------------- recursion


def test_tail_recursion_becomes_a_loop(tmp_path):
    src = '''
def Fact(n: int, acc: int) -> int:
    if n == 0:
        return acc
    else:
        return Fact(n - 1, acc * n)
'''
    tests = [({"n": 0, "acc": 1}, {"r": 1}), ({"n": 5, "acc": 1}, {"r": 120}), ({"n": 10, "acc": 1}, {"r": 3628800})]
    program, report = run(src, "method Fact(n: int, acc: int) returns (r: int)", tests, tmp_path)
    assert "Fact(" not in program.source.split("int32_t Fact(", 1)[1]  # no call left in the body
    assert "while (true)" in program.source
    assert_pass(report, tests)


def test_linear_recursion_with_accumulator_through_a_helper(tmp_path):
    src = '''
def SumFrom(a: list[int], i: int) -> int:
    return 0 if i >= len(a) else a[i] + SumFrom(a, i + 1)


def Sum(a: list[int]) -> int:
    return SumFrom(a, 0)
'''
    tests = [({"a": [1, 2, 3]}, {"s": 6}), ({"a": []}, {"s": 0}), ({"a": [-5, 10, -20, 7]}, {"s": -8})]
    program, report = run(src, "method Sum(a: array<int>) returns (s: int)", tests, tmp_path)
    assert "_p2s_acc" in program.source
    assert program.functions == ["SumFrom", "Sum"]
    assert_pass(report, tests)


def test_masked_bitvector_recursion(tmp_path):
    src = '''bv8 = int

def Pow(x: bv8, n: int) -> bv8:
    return 1 if n == 0 else (x * Pow(x, n - 1)) & 0xFF
'''
    tests = [({"x": 3, "n": 0}, {"r": 1}), ({"x": 3, "n": 5}, {"r": 243}), ({"x": 3, "n": 6}, {"r": 217}),
             ({"x": 2, "n": 8}, {"r": 0})]
    _program, report = run(src, "method Pow(x: bv8, n: int) returns (r: bv8)", tests, tmp_path)
    assert_pass(report, tests)


def test_short_circuit_recursion_keeps_the_guard(tmp_path):
    src = '''
def AllPos(a: list[int], i: int) -> bool:
    return i >= len(a) or (a[i] > 0 and AllPos(a, i + 1))
'''
    tests = [({"a": [1, 2, 3], "i": 0}, {"b": True}), ({"a": [1, -2, 3], "i": 0}, {"b": False}),
             ({"a": [], "i": 0}, {"b": True}), ({"a": [-1, 2], "i": 1}, {"b": True})]
    _program, report = run(src, "method AllPos(a: array<int>, i: int) returns (b: bool)", tests, tmp_path)
    assert_pass(report, tests)


def test_method_style_recursion_and_void_tail_calls(tmp_path):
    src = '''
def Count(a: list[int], i: int, x: int) -> int:
    if i == len(a):
        return 0
    r: int = Count(a, i + 1, x)
    return r + (1 if a[i] == x else 0)


def Fill(a: list[int], i: int, v: int) -> None:
    if i < len(a):
        a[i] = v
        Fill(a, i + 1, v)


def CountThenFill(a: list[int], x: int) -> int:
    c: int = Count(a, 0, x)
    Fill(a, 0, c)
    return c
'''
    tests = [({"a": [1, 2, 1, 1], "x": 1}, {"c": 3, "a": [3, 3, 3, 3]}), ({"a": [5], "x": 1}, {"c": 0, "a": [0]})]
    _program, report = run(src, "method CountThenFill(a: array<int>, x: int) returns (c: int)", tests, tmp_path)
    assert_pass(report, tests)


# --------------------------------------------------------------------------------------------- arrays and sequences


def test_sequence_slices_concatenation_and_update(tmp_path):
    src = '''
def Mid(s: tuple[int, ...], i: int, j: int) -> tuple[int, ...]:
    t: tuple[int, ...] = s[i:j]
    u: tuple[int, ...] = s[:i] + t + s[j:]
    v: tuple[int, ...] = u[:1] + (99,) + u[2:]
    w: tuple[int, ...] = v[:i] + (v[i] * 2,) + v[i + 1:]
    return w + s[j:]
'''
    tests = [({"s": [1, 2, 3, 4, 5], "i": 1, "j": 3}, {"r": [1, 198, 3, 4, 5, 4, 5]}),
             ({"s": [7, 8], "i": 0, "j": 2}, {"r": [14, 99]})]
    program, report = run(src, "method Mid(s: seq<int>, i: int, j: int) returns (r: seq<int>)", tests, tmp_path)
    assert "int32_t *r_len" in program.source
    # u: 3 x 16; v = u[:1] + (99,) + u[2:]: 48 + 1 (the update idiom counts u once); w: 49 + 1; r: 50 + 16
    assert program.interface.port("r").depth == 66
    assert_pass(report, tests)


def test_sequence_grown_in_a_for_loop_and_turned_into_an_array(tmp_path):
    src = EUCLID + '''

def FindEvenNumbers(arr: list[int]) -> list[int]:
    evenList: tuple[int, ...] = ()
    for i in range(0, len(arr)):
        if _dafny_mod(arr[i], 2) == 0:
            evenList = evenList + (arr[i],)
    evenNumbers: list[int] = [evenList[i] for i in range(len(evenList))]
    return evenNumbers
'''
    tests = [({"arr": [1, 2, 3, 4, -6]}, {"e": [2, 4, -6]}), ({"arr": [1, 3]}, {"e": []}), ({"arr": []}, {"e": []})]
    program, report = run(src, "method FindEvenNumbers(arr: array<int>) returns (e: array<int>)", tests, tmp_path)
    assert program.interface.port("e").role == "array_out"
    assert_pass(report, tests)


def test_array_allocation_copy_and_conditional_fill(tmp_path):
    src = '''
def concat(a: list[int], b: list[int]) -> list[int]:
    c: list[int] = [0] * (len(a) + len(b))
    i: int = 0
    while i < len(c):
        c[i] = a[i] if i < len(a) else b[i - len(a)]
        i = i + 1
    return c
'''
    tests = [({"a": [1, 2], "b": [3]}, {"c": [1, 2, 3]}), ({"a": [], "b": [4, 5]}, {"c": [4, 5]})]
    program, report = run(src, "method concat(a: array<int>, b: array<int>) returns (c: array<int>)", tests, tmp_path)
    assert program.interface.port("c").depth == 32
    assert_pass(report, tests)


def test_in_place_array_updates_and_parallel_assignment(tmp_path):
    src = '''
def Reverse(a: list[int]) -> None:
    i: int = 0
    while i < len(a) // 2:
        a[i], a[len(a) - 1 - i] = a[len(a) - 1 - i], a[i]
        i = i + 1


def SwapSim(x: int, y: int) -> tuple[int, int]:
    x, y = y, x
    return (x, y)


def Both(a: list[int], x: int) -> int:
    Reverse(a)
    p: int
    q: int
    p, q = SwapSim(x, a[0])
    return p - q
'''
    tests = [({"a": [1, 2, 3, 4, 5], "x": 10}, {"d": -5, "a": [5, 4, 3, 2, 1]}),
             ({"a": [8, 9], "x": 0}, {"d": 9, "a": [9, 8]})]
    _program, report = run(src, "method Both(a: array<int>, x: int) returns (d: int)", tests, tmp_path)
    assert_pass(report, tests)


def test_sequence_equality_membership_and_quantifiers(tmp_path):
    src = '''
def Q(s: tuple[int, ...], t: tuple[int, ...], x: int) -> tuple[bool, bool, bool, bool]:
    same: bool = s == t
    has: bool = x in s
    sorted_: bool = all(s[i] <= s[i + 1] for i in range(0, len(s) - 1))
    neg: bool = len(s) > 0 and any(v < 0 for v in s)
    return (same, has, sorted_, neg)
'''
    tests = [({"s": [1, 2, 3], "t": [1, 2, 3], "x": 2}, {"e": True, "h": True, "o": True, "n": False}),
             ({"s": [3, -1], "t": [3], "x": 5}, {"e": False, "h": False, "o": False, "n": True}),
             ({"s": [], "t": [], "x": 0}, {"e": True, "h": False, "o": True, "n": False})]
    sig = "method Q(s: seq<int>, t: seq<int>, x: int) returns (e: bool, h: bool, o: bool, n: bool)"
    _program, report = run(src, sig, tests, tmp_path)
    assert_pass(report, tests)


def test_short_circuit_operand_that_needs_a_loop(tmp_path):
    src = '''
def F(s: tuple[int, ...], t: tuple[int, ...]) -> int:
    i: int = 0
    while i < len(s) and not (s[i:] == t):
        i = i + 1
    return i
'''
    tests = [({"s": [1, 2, 3], "t": [2, 3]}, {"r": 1}), ({"s": [1, 2], "t": [9]}, {"r": 2}),
             ({"s": [], "t": []}, {"r": 0})]
    _program, report = run(src, "method F(s: seq<int>, t: seq<int>) returns (r: int)", tests, tmp_path)
    assert_pass(report, tests)


def test_two_dimensional_arrays(tmp_path):
    src = '''
def Transposed(m: list[list[int]]) -> tuple[list[list[int]], int]:
    t: list[list[int]] = [[0] * len(m) for _ in range(len(m[0]))]
    s: int = 0
    for i in range(len(m)):
        for j in range(len(m[0])):
            t[j][i] = m[i][j]
            s = s + m[i][j]
    return (t, s)
'''
    tests = [({"m": [[1, 2, 3], [4, 5, 6]]}, {"t": [[1, 4], [2, 5], [3, 6]], "s": 21}),
             ({"m": [[7]]}, {"t": [[7]], "s": 7})]
    program, report = run(src, "method Transposed(m: array2<int>) returns (t: array2<int>, s: int)", tests, tmp_path,
                          max_array_length=4)
    assert program.interface.port("m").dims == [4, 4]
    assert_pass(report, tests)


def test_strings_chars_and_membership_in_a_literal(tmp_path):
    src = '''
def Check(s: str, c: str) -> tuple[bool, bool, int]:
    pal: bool = True
    i: int = 0
    j: int = len(s) - 1
    while i < j:
        if s[i] != s[j]:
            pal = False
        i = i + 1
        j = j - 1
    digits: bool = all(s[k] in "0123456789" for k in range(len(s)))
    n: int = 0
    for k in range(len(s)):
        if s[k] == c or s[k] == '?':
            n = n + 1
    return (pal, digits, n)
'''
    tests = [({"s": "abba", "c": "b"}, {"p": True, "d": False, "n": 2}),
             ({"s": "1221", "c": "x"}, {"p": True, "d": True, "n": 0}),
             ({"s": "a?c", "c": "c"}, {"p": False, "d": False, "n": 2})]
    _program, report = run(src, "method Check(s: string, c: char) returns (p: bool, d: bool, n: int)", tests,
                           tmp_path)
    assert_pass(report, tests)


def test_string_result_and_longest_prefix(tmp_path):
    src = '''
def LongestCommonPrefix(str1: str, str2: str) -> str:
    prefix: str = ""
    minLength: int = len(str1) if len(str1) < len(str2) else len(str2)
    for idx in range(0, minLength):
        if str1[idx] != str2[idx]:
            return prefix
        prefix = prefix + str1[idx]
    return prefix
'''
    tests = [({"str1": "flower", "str2": "flow"}, {"p": "flow"}), ({"str1": "dog", "str2": "car"}, {"p": ""})]
    _program, report = run(src, "method LongestCommonPrefix(str1: string, str2: string) returns (p: string)", tests,
                           tmp_path)
    assert_pass(report, tests)


def test_functional_recursion_on_a_sequence_and_nested_array_calls(tmp_path):
    src = '''
def Sum(s: tuple[int, ...]) -> int:
    return 0 if len(s) == 0 else s[0] + Sum(s[1:])


def Inc(s: tuple[int, ...]) -> tuple[int, ...]:
    return tuple([s[i] + 1 for i in range(len(s))])


def Top(s: tuple[int, ...]) -> tuple[int, int, tuple[int, ...]]:
    t: tuple[int, ...] = Inc(Inc(s))
    return (Sum(t), len(s[1:]) + s[1:][0], t)
'''
    tests = [({"s": [1, 2, 3]}, {"a": 12, "b": 4, "t": [3, 4, 5]}), ({"s": [5, 6]}, {"a": 15, "b": 7, "t": [7, 8]})]
    program, report = run(src, "method Top(s: seq<int>) returns (a: int, b: int, t: seq<int>)", tests, tmp_path)
    assert program.functions == ["Inc", "Sum", "Top"]
    assert_pass(report, tests)


def test_runtime_helpers_for_sequence_update_and_prefix(tmp_path):
    src = '''
def _dafny_seq_update(s: tuple | str, i: int, v: object) -> tuple | str:
    return s[:i] + (v if isinstance(s, str) else (v,)) + s[i + 1:]


def _dafny_is_prefix(s: tuple | str, t: tuple | str) -> bool:
    return len(s) <= len(t) and t[:len(s)] == s


def _dafny_is_proper_prefix(s: tuple | str, t: tuple | str) -> bool:
    return len(s) < len(t) and t[:len(s)] == s


def Upd(s: tuple[int, ...], i: int, v: int) -> tuple[tuple[int, ...], bool, bool, bool]:
    t: tuple[int, ...] = _dafny_seq_update(s, i, v)
    return (t, _dafny_is_prefix(s[:i], t), _dafny_is_proper_prefix(t, t), _dafny_is_prefix(s, t))
'''
    tests = [({"s": [1, 2, 3], "i": 1, "v": 9}, {"t": [1, 9, 3], "p": True, "q": False, "r": False}),
             ({"s": [4], "i": 0, "v": 4}, {"t": [4], "p": True, "q": False, "r": True})]
    program, report = run(src, "method Upd(s: seq<int>, i: int, v: int) returns (t: seq<int>, p: bool, q: bool, "
                          "r: bool)", tests, tmp_path)
    assert program.interface.port("t").depth == 16  # an update keeps the length
    assert_pass(report, tests)


def test_comparisons_gcc_calls_tautologies_are_folded(tmp_path):
    src = '''bv8 = int

def F(x: bv8, y: int) -> tuple[bool, bool, bool, bool, bool]:
    return (x >= 0, x < 256, 0 <= x, y >= 0, y == y)
'''
    tests = [({"x": 3, "y": -1}, {"a": True, "b": True, "c": True, "d": False, "e": True})]
    _program, report = run(src, "method F(x: bv8, y: int) returns (a: bool, b: bool, c: bool, d: bool, e: bool)",
                           tests, tmp_path)
    assert_pass(report, tests)


def test_python_compiler_shapes_counted_while_typevars_and_defaults(tmp_path):
    """Shapes the Dafny → Python compiler emits: ``for`` as a counted while, ``x: T = None``, ``[None] * n``."""
    src = '''from typing import TypeVar


T = TypeVar("T")


def Evens(arr: list[T], keep: T) -> tuple[list[T], tuple[T, ...]]:
    out: list[T] = None
    kept: tuple[T, ...] = ()
    i__lo: int = 0
    i__hi: int = len(arr)
    i: int = i__lo
    while i < i__hi:
        if arr[i] == keep:
            kept = kept + (arr[i],)
        i = i + 1
    out = [None] * len(arr)
    for j in range(len(arr)):
        out[len(arr) - 1 - j] = arr[j]
    return (out, kept)
'''
    tests = [({"arr": [1, 2, 1], "keep": 1}, {"o": [1, 2, 1], "k": [1, 1]}),
             ({"arr": [], "keep": 3}, {"o": [], "k": []}), ({"arr": [4, 5], "keep": 5}, {"o": [5, 4], "k": [5]})]
    program, report = run(src, "method Evens(arr: array<int>, keep: int) returns (o: array<int>, k: seq<int>)", tests,
                          tmp_path)
    assert program.interface.port("k").depth == 16  # grows once per iteration of a loop over arr
    assert program.interface.port("keep").c_type == "int32_t"  # T instantiated from the task
    assert_pass(report, tests)


def test_recursion_through_a_result_variable_assigned_in_branches(tmp_path):
    src = EUCLID + '''

def DigitSumAcc(n: int, acc: int) -> int:
    s: int = 0
    if n == 0:
        s = acc
    else:
        s = DigitSumAcc(_dafny_div(n, 10), acc + _dafny_mod(n, 10))
    return s
'''
    tests = [({"n": 1234, "acc": 0}, {"s": 10}), ({"n": 0, "acc": 5}, {"s": 5}), ({"n": 99999, "acc": 1}, {"s": 46})]
    program, report = run(src, "method DigitSumAcc(n: int, acc: int) returns (s: int)", tests, tmp_path)
    assert "DigitSumAcc(" not in program.source.split("int32_t DigitSumAcc(", 1)[1]
    assert_pass(report, tests)


def test_shift_of_an_int_whose_bitvector_conversion_python_dropped(tmp_path):
    """Dafny ``(a[i] as bv16) << 8`` reaches Python as ``a[i] << 8``: shifted as the bv16 the context wants."""
    src = '''bv16 = int

def Crc(a: list[int]) -> bv16:
    crc: bv16 = 0
    i: int = 0
    while i < len(a):
        c: bv16 = crc ^ (a[i] << 8) & 0xFFFF
        k: int = 0
        while k < 8:
            if c & 32768 != 0:
                c = (c << 1) & 0xFFFF ^ 4129
            else:
                c = (c << 1) & 0xFFFF
            k = k + 1
        crc = c
        i = i + 1
    return crc
'''
    tests = [({"a": [49, 50, 51]}, {"crc": 38738}), ({"a": []}, {"crc": 0}), ({"a": [255, 0, 17]}, {"crc": 52595})]
    _program, report = run(src, "method Crc(a: array<int>) returns (crc: bv16)", tests, tmp_path)
    assert_pass(report, tests)


def test_range_over_an_unsigned_bound(tmp_path):
    src = "bv32 = int\n\ndef F(x: bv32) -> int:\n    s: int = 0\n    for i in range(x):\n        s = s + i\n" \
          "    return s\n"
    tests = [({"x": 5}, {"s": 10}), ({"x": 0}, {"s": 0})]
    _program, report = run(src, "method F(x: bv32) returns (s: int)", tests, tmp_path)
    assert_pass(report, tests)


FORALL = '''
def _dafny_forall_assign(updates) -> None:
    for target, index, value in list(updates):
        target[index] = value


def Step(a: list[int], k: int) -> bool:
    _dafny_forall_assign([(a, i, a[i] - k) for i in range(0, len(a)) if a[i] > k])
    _dafny_forall_assign([(a, i, a[i + 1] + a[i]) for i in range(0, len(a) - 1)])
    return all(a[j] <= 2 * k for j in range(0, len(a)))
'''


def test_forall_statements_assign_in_parallel(tmp_path):
    tests = [({"a": [1, 5, 9], "k": 4}, {"ok": True, "a": [2, 6, 5]}), ({"a": [7], "k": 3}, {"ok": True, "a": [4]}),
             ({"a": [], "k": 0}, {"ok": True, "a": []})]
    program, report = run(FORALL, "method Step(a: array<int>, k: int) returns (ok: bool)", tests, tmp_path)
    assert "p2s_vals" in program.source  # the second forall reads a[i + 1]: values first, then stores
    assert_pass(report, tests)


def test_membership_in_a_set_display_and_a_char_appended_to_a_string(tmp_path):
    """Public programs write ``month in {1, 3, 5}``, ``s' := s' + [ch]`` and ``s' + [Up(c)]`` (the model: a set
    display, and a char as a one-character string)."""
    src = '''
char = str


class _Set(frozenset):
    pass


def Up(c: char) -> char:
    return chr((ord(c) - 32) % 128)


def Fix(s: str, ch: char, month: int) -> tuple[str, bool]:
    v: str = ""
    i: int = 0
    while i < len(s):
        if s[i] == " ":
            v = v + (ch)
        elif s[i] == "q":
            v = v + (Up(s[i]))
        else:
            v = v + (s[i])
        i = i + 1
    long_: bool = month in _Set((1, 3, 5, 7, 8, 10, 12))
    return (v, long_)
'''
    tests = [({"s": "q b", "ch": "_", "month": 3}, {"v": "Q_b", "l": True}),
             ({"s": "  ", "ch": "x", "month": 4}, {"v": "xx", "l": False}),
             ({"s": "", "ch": "x", "month": 12}, {"v": "", "l": True})]
    sig = "method Fix(s: string, ch: char, month: int) returns (v: string, l: bool)"
    _program, report = run(src, sig, tests, tmp_path, max_array_length=4)
    assert_pass(report, tests)
