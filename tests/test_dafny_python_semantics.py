"""Semantics of the emitted Python: corner cases checked exhaustively against Dafny's definitions, the module's
shape (the contract the C compiler reads), and the constructs that must be refused rather than mistranslated."""

from __future__ import annotations

import ast
import itertools

import pytest

from hls.dafny_python import UnsupportedConstruct, compile_resolved
from hls.dafny_python.runtime import HELPERS


def load(text: str) -> dict:
    """Compile resolved Dafny text and execute the module (without running Main)."""
    module = compile_resolved(text)
    namespace: dict = {"__name__": "model"}
    exec(compile(module.text, "model.py", "exec"), namespace)
    return namespace


def helper(name: str) -> object:
    namespace: dict = {}
    exec(HELPERS[name].source, namespace)
    return namespace[name]


# ------------------------------------------------------------------------------------------ integers


def test_euclidean_division_and_modulo_for_every_sign() -> None:
    ns = load("""
function method Div(a: int, b: int): int { a / b }
function method Mod(a: int, b: int): int { a % b }
""")
    for a, b in itertools.product(range(-25, 26), range(-7, 8)):
        if b == 0:
            continue
        q, r = ns["Div"](a, b), ns["Mod"](a, b)
        assert a == b * q + r and 0 <= r < abs(b), (a, b, q, r)


def test_division_never_uses_python_floor_on_ints() -> None:
    text = compile_resolved("function method F(a: int, b: int): int { a / b + a % b }").text
    body = text[text.index("def F"):]
    assert "//" not in body and "%" not in body
    assert "_dafny_div(a, b)" in body and "_dafny_mod(a, b)" in body


def test_division_examples_match_dafny() -> None:
    div, mod = helper("_dafny_div"), helper("_dafny_mod")
    assert [div(-7, 2), div(7, -2), div(-7, -2), div(7, 2)] == [-4, -3, 4, 3]
    assert [mod(-7, 2), mod(7, -2), mod(-7, -2), mod(7, 2)] == [1, 1, 1, 1]


def test_unbounded_integers() -> None:
    ns = load("function method Pow2(n: nat): int { if n == 0 then 1 else 2 * Pow2(n - 1) }")
    assert ns["Pow2"](200) == 2 ** 200


# ------------------------------------------------------------------------------------------ bit-vectors

BV = """
function method Shl8(x: bv8, n: int): bv8 { x << n }
function method Shr8(x: bv8, n: int): bv8 { x >> n }
function method Shl32(x: bv32, n: int): bv32 { x << n }
function method Add8(x: bv8, y: bv8): bv8 { x + y }
function method Sub8(x: bv8, y: bv8): bv8 { x - y }
function method Mul8(x: bv8, y: bv8): bv8 { x * y }
function method Neg8(x: bv8): bv8 { -x }
function method Not8(x: bv8): bv8 { !x }
function method Div8(x: bv8, y: bv8): bv8 { x / y }
function method Mod8(x: bv8, y: bv8): bv8 { x % y }
function method MinusOne(): bv8 { -1 }
function method Lit(): bv8 { -100 }
"""


def test_bitvector_arithmetic_wraps_at_the_width() -> None:
    ns = load(BV)
    for x, y in itertools.product(range(0, 256, 7), range(0, 256, 11)):
        assert ns["Add8"](x, y) == (x + y) % 256
        assert ns["Sub8"](x, y) == (x - y) % 256
        assert ns["Mul8"](x, y) == (x * y) % 256
        if y:
            assert ns["Div8"](x, y) == x // y and ns["Mod8"](x, y) == x % y
    for x in range(256):
        assert ns["Neg8"](x) == (-x) % 256
        assert ns["Not8"](x) == 255 - x


def test_negative_literals_become_their_bitvector_value() -> None:
    ns = load(BV)
    assert ns["MinusOne"]() == 255
    assert ns["Lit"]() == 156


def test_shifts_including_past_the_width() -> None:
    """Dafny's semantics: bits shifted out are gone; shifting by the width or more gives 0.

    (Dafny 2.3's C# back end computes ``x << 32`` on a ``bv32`` with C#'s shift, which uses the count modulo 32;
    the verifier only allows counts up to the width, and the model follows the language, not that back end.)
    """
    ns = load(BV)
    for x, n in itertools.product([0, 1, 0x81, 0xFF], range(0, 20)):
        assert ns["Shl8"](x, n) == (x << n) % 256, (x, n)
        assert ns["Shr8"](x, n) == x >> n, (x, n)
    assert ns["Shl8"](0xFF, 8) == 0 and ns["Shl8"](0xFF, 9) == 0 and ns["Shr8"](0xFF, 9) == 0
    assert ns["Shl32"](1, 31) == 2 ** 31 and ns["Shl32"](1, 32) == 0 and ns["Shl32"](3, 33) == 0


def test_bitvector_masks_are_inline() -> None:
    text = compile_resolved(BV).text
    assert "return (x + y) & 0xFF" in text
    assert "return (x << n) & 0xFFFFFFFF" in text
    assert "return x >> n" in text


# ------------------------------------------------------------------------------------------ collections


def test_sets_keep_dafnys_runtime_order() -> None:
    Set = helper("_Set")
    s, t = Set((5, 1, 3)), Set((3, 7))
    assert list(s) == [5, 1, 3]
    assert list(s | t) == [5, 1, 3, 7] and list(t | s) == [5, 1, 3, 7]  # the larger operand first
    assert list(Set((1, 2)) | Set((9, 8))) == [1, 2, 9, 8]  # equal sizes: the left one first
    assert list(s - t) == [5, 1] and list(s & t) == [3]
    assert s == frozenset({1, 3, 5}) and hash(s) == hash(frozenset({1, 3, 5}))


def test_real_numbers_print_like_dafnys_runtime() -> None:
    Real = helper("_Real")
    assert str(Real.of("0.25")._dafny_str()) == "0.25"
    assert (Real.of("0.25") * Real.of("-2.0"))._dafny_str() == "-0.50"
    assert (Real.of("1.0") / Real.of("3.0"))._dafny_str() == "(1.0 / 3.0)"
    assert (Real.of("0.001") * Real.of("1000.0"))._dafny_str() == "1.000"
    assert Real.of("1.0") / Real.of("3.0") * Real.of("3.0") == Real.of("1.0")
    assert Real.of("-1.5").floor() == -2


def test_sequence_prefix_helpers() -> None:
    prefix, proper = helper("_dafny_is_prefix"), helper("_dafny_is_proper_prefix")
    assert prefix((1, 2), (1, 2, 3)) and prefix((1, 2), (1, 2)) and not prefix((2,), (1, 2))
    assert proper((), (1,)) and not proper((1, 2), (1, 2))
    assert prefix("ab", "abc") and not proper("abc", "abc")


def test_arrays_are_shared_lists_and_sequences_are_values() -> None:
    ns = load("""
method SetFirst(a: array<int>, v: int)
  modifies a
{
  a[0] := v;
}

method Both(a: array<int>) returns (s: seq<int>, t: seq<int>)
  modifies a
{
  s := a[..];
  SetFirst(a, 99);
  t := a[..];
}
""")
    a = [1, 2, 3]
    s, t = ns["Both"](a)
    assert a == [99, 2, 3] and s == (1, 2, 3) and t == (99, 2, 3)


def test_forall_statement_assigns_simultaneously() -> None:
    ns = load("""
method Shift(a: array<int>)
  modifies a
{
  forall i: int | 0 <= i < a.Length - 1 {
    a[i] := a[i + 1];
  }
}
""")
    a = [1, 2, 3, 4]
    ns["Shift"](a)
    assert a == [2, 3, 4, 4]


def test_printer_forall_header_variables_are_renamed() -> None:
    """Dafny's printer shows ``i#inv`` in a forall statement's header while the body says ``i``."""
    text = compile_resolved("""
method Z(a: array<int>)
  modifies a
{
  forall i#inv: int {:trigger a[i#inv]} | 0 <= i#inv && i#inv < a.Length
    ensures a[i#inv] == 0
  {
    a[i] := 0;
  }
}
""").text
    assert "#" not in text.split("def Z")[1]
    ns: dict = {}
    exec(text, ns)
    a = [5, 6]
    ns["Z"](a)
    assert a == [0, 0]


def test_lambdas_capture_values_like_dafny() -> None:
    ns = load("""
method Make() returns (r: int)
{
  var k: int := 1;
  var f: int -> int := (x: int) => x + k;
  k := 50;
  r := f(1);
}
""")
    assert ns["Make"]() == 2


def test_deep_recursion_runs() -> None:
    ns = load("function method Count(n: nat): nat { if n == 0 then 0 else 1 + Count(n - 1) }")
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        assert ns["Count"](20_000) == 20_000
    finally:
        sys.setrecursionlimit(old)


# ------------------------------------------------------------------------------------------ module shape


SHAPE = """
datatype Shape = Circle(r: int) | Rect(w: int, h: int)

function method Area(s: Shape): int
{
  match s
  case Circle(r) => 3 * r * r
  case Rect(w, h) => w * h
}

method Stats(a: array<int>, x': bv8) returns (lo: int, hi: int, lambda: seq<int>)
{
  lo, hi := a[0], a[0];
  var i: nat := 1;
  while i < a.Length
  {
    var v: int := a[i];
    if v < lo {
      lo := v;
    }
    if v > hi {
      hi := v;
    }
    i := i + 1;
  }
  lambda := a[..];
}
"""


def test_module_follows_the_contract_shape() -> None:
    module = compile_resolved(SHAPE, "shape")
    tree = ast.parse(module.text)
    funcs = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")}
    assert set(funcs) == {"Area", "Stats"}
    for f in funcs.values():
        assert f.returns is not None
        assert all(a.annotation is not None for a in f.args.args)
    stats = funcs["Stats"]
    assert [a.arg for a in stats.args.args] == ["a", "x_q"]  # ' -> _q
    assert ast.unparse(stats.returns) == "tuple[int, int, tuple[int, ...]]"
    assert ast.unparse(stats.args.args[1].annotation) == "bv8"
    assigned: set[str] = set()
    for node in ast.walk(stats):
        if isinstance(node, ast.AnnAssign):
            assigned.add(node.target.id)  # type: ignore[union-attr]
    assert {"lo", "hi", "lambda_", "i", "v"} <= assigned
    assert isinstance(stats.body[-1], ast.Return) and ast.unparse(stats.body[-1]) == "return (lo, hi, lambda_)"
    assert "bv8 = int" in module.text and "nat = int" in module.text
    assert "@dataclass(frozen=True)" in module.text and "class Rect(Shape):" in module.text
    sig = module.functions["Stats"]
    assert [p.py for p in sig.params] == ["a", "x_q"] and [r.name for r in sig.returns] == ["lo", "hi", "lambda"]


def test_main_becomes_the_entry_point() -> None:
    text = compile_resolved('method Main() { print "hi\\n"; }').text
    assert text.rstrip().endswith('if __name__ == "__main__":\n    sys.setrecursionlimit(100_000)\n    Main()')


def test_shadowed_variables_get_distinct_names() -> None:
    text = compile_resolved("""
method M() returns (r: int)
{
  var x: int := 1;
  if x > 0 {
    var x: int := 5;
    r := x;
  }
  r := r + x;
}
""").text
    ns: dict = {}
    exec(text, ns)
    assert ns["M"]() == 6
    assert "x_1: int = 5" in text


def test_ghost_parameters_are_dropped() -> None:
    module = compile_resolved("""
method Inc(ghost before: int, x: int) returns (y: int)
{
  y := x + 1;
}

method Main()
{
  var y: int := Inc(41, 41);
  print y, "\\n";
}
""")
    assert "def Inc(x: int) -> int:" in module.text and "Inc(41)" in module.text
    assert module.functions["Inc"].ghost_params == ["before"]


# ------------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize("text, construct", [
    ("class C { var f: int }", "class"),
    ("module M { method X() {} }", "module"),
    ("method M() { var x: int :| x > 0; }", "such-that (:|) without a finite bound"),
    ("method M() returns (b: bool) { b := forall k: int :: k * k >= 0; }",
     "quantifier or comprehension without finite bounds"),
    ("method M(n: int) { var i: int := 0; while * { i := i + 1; } }", "nondeterministic loop (while *)"),
    ("method M() { if * { print 1; } }", "nondeterministic if (if *)"),
    ("method M() returns (r: int) { r := Missing(3); }", "call of an unknown (ghost or erased) function"),
    ("method M() returns (r: int) { r := ghostVar; }", "reference to an unknown name (ghost or erased)"),
    ("method M(n: int) { label a: while n > 0 { while true { break a; } } }",
     "break out of an outer loop or labelled block"),
    ("method G() returns (ghost g: int, x: int) { x := 1; }\nmethod Main() { print 1; }",
     "method with ghost results (calls to it may be lost by Dafny's printer)"),
    ("iterator It() {}", "iterator"),
    ("method M() { var a: array<int> := new int[2]; print [a]; }", "print of an array or function value"),
    ("method M() returns (r: char) { r := 'a' + 'b'; }", "arithmetic on characters"),
    ("method M(a: array) modifies a { if a.Length > 1 { a[0], a[1] := a[1], a[0]; } }",
     "array without an element type"),  # a DafnyBench program: it was an IndexError
])
def test_unsupported_constructs_are_refused_with_name_and_line(text: str, construct: str) -> None:
    with pytest.raises(UnsupportedConstruct) as info:
        compile_resolved(text)
    assert info.value.construct == construct
    assert f"'{construct}'" in str(info.value)


def test_printed_method_without_body_is_an_empty_method() -> None:
    """Dafny's printer leaves out a body that is empty after ghost erasure (``method Log() { assert P; }``)."""
    module = compile_resolved("method Log()\n\nmethod Main()\n{\n  Log();\n  print 1;\n}\n")
    assert "def Log() -> None:\n    pass" in module.text


def test_source_method_without_body_is_refused() -> None:
    from hls.dafny_python import check_source_bodies

    with pytest.raises(UnsupportedConstruct) as info:
        check_source_bodies("method Ext(x: int) returns (y: int)\n  ensures y > x\n\nmethod Main() {}\n")
    assert info.value.construct == "method without a body" and info.value.decl == "method Ext"
    check_source_bodies("method Empty() {}\nlemma L() ensures true\nghost function G(): int\n")


def test_declarations_with_ghost_results_are_split_on_their_line() -> None:
    from verifiers.front.ghost_free import split_ghost_result_decls

    src = ("method M(a: int) returns (ghost m: int, p: int) { p := a; }\n"
           "method Main() {\n  var g: int, x := M(3); var y := 1;\n  print x;\n}\n")
    text, kept = split_ghost_result_decls(src)
    assert kept
    assert text.splitlines()[2] == "  ghost var g: int; var x; g, x := M(3); var y := 1;"
    assert split_ghost_result_decls("method N() returns (x: int) { x := 1; }") == (
        "method N() returns (x: int) { x := 1; }", True)


def test_refusal_names_the_declaration_and_line() -> None:
    with pytest.raises(UnsupportedConstruct) as info:
        compile_resolved("method Ok() {}\n\nmethod Bad()\n{\n  var x: int :| x > 7;\n}\n")
    assert info.value.line == 5 and info.value.decl == "method Bad"
    assert "in method Bad" in str(info.value) and "line 5" in str(info.value)
