"""The Dafny lexer and parser: tokens, precedence, the printer's forms, ordinary source, errors with lines."""

from __future__ import annotations

import pytest

from tests.support import CLOVER_DIR, needs_clover
from verifiers.front import ast
from verifiers.front.errors import DafnySyntaxError
from verifiers.front.lexer import tokenize
from verifiers.front.parser import parse_expression, parse_program, parse_type


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)[:-1]]


def show(e: ast.Expr) -> str:
    """A fully parenthesized rendering, to check grouping."""
    if isinstance(e, ast.Binary):
        return f"({show(e.left)} {e.op} {show(e.right)})"
    if isinstance(e, ast.Chain):
        parts = [show(e.operands[0])]
        for op, o in zip(e.ops, e.operands[1:], strict=True):
            parts += [op, show(o)]
        return "(" + " ".join(parts) + ")"
    if isinstance(e, ast.Unary):
        return f"({e.op}{show(e.operand)})"
    if isinstance(e, ast.Conversion):
        return f"({show(e.operand)} as {e.target})"
    if isinstance(e, ast.Paren):
        return show(e.inner)
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Literal):
        return repr(e.value)
    if isinstance(e, ast.Card):
        return f"|{show(e.operand)}|"
    if isinstance(e, ast.Ite):
        return f"(if {show(e.cond)} then {show(e.then)} else {show(e.else_)})"
    return type(e).__name__


# ------------------------------------------------------------------------------------------ lexer


def test_identifiers_keep_dafny_characters() -> None:
    assert kinds("x' Node? array?<int> i#inv") == [
        ("ident", "x'"), ("ident", "Node?"), ("ident", "array?"), ("op", "<"), ("ident", "int"), ("op", ">"),
        ("ident", "i#inv")]


def test_literals() -> None:
    toks = tokenize(r"""'a' '\n' '\'' "a\"b\\" @"x""y" 0x1F 1_000 1.50 3""")
    assert [(t.kind, t.value) for t in toks[:-1]] == [
        ("char", "a"), ("char", "\n"), ("char", "'"), ("string", 'a"b\\'), ("string", 'x"y'), ("int", 31),
        ("int", 1000), ("real", "1.50"), ("int", 3)]


def test_ranges_and_tuple_members_are_not_reals() -> None:
    assert kinds("s[1..3]") == [("ident", "s"), ("op", "["), ("int", "1"), ("op", ".."), ("int", "3"), ("op", "]")]
    assert [t.text for t in tokenize("t.0.1")[:-1]] == ["t", ".", "0", ".", "1"]


def test_nested_block_comments() -> None:
    assert kinds("a /* x /* y */ z */ b // c\nd") == [("ident", "a"), ("ident", "b"), ("ident", "d")]


def test_lexical_errors_have_positions() -> None:
    with pytest.raises(DafnySyntaxError) as info:
        tokenize('x := "open\n')
    assert info.value.line == 1
    assert kinds("a /* never closed") == [("ident", "a")]  # as in Dafny's scanner: a comment to the end


# ------------------------------------------------------------------------------------------ expressions


@pytest.mark.parametrize("text, grouped", [
    ("a + b * c", "(a + (b * c))"),
    ("a * b & c", "(a * (b & c))"),  # bit-vector operators bind tighter than multiplication in Dafny
    ("x as bv8 & 3", "((x as bv8) & 3)"),
    ("a << 1 + b", "(a << (1 + b))"),
    ("a ==> b ==> c", "(a ==> (b ==> c))"),
    ("a <== b <== c", "((a <== b) <== c)"),
    ("a && b ==> c || d", "((a && b) ==> (c || d))"),
    ("0 <= i < n", "(0 <= i < n)"),
    ("x in s && y !in t", "((x in s) && (y !in t))"),
    ("-x * y", "((-x) * y)"),
    ("!a && b", "((!a) && b)"),
    ("|a| + |b|", "(|a| + |b|)"),
    ("a <==> b <==> c", "((a <==> b) <==> c)"),
    ("if a then b else c + 1", "(if a then b else (c + 1))"),
    ("i < n - 1", "(i < (n - 1))"),
])
def test_precedence(text: str, grouped: str) -> None:
    assert show(parse_expression(text)) == grouped


def test_printed_text_ranks_shifts_like_dafnys_printer() -> None:
    """Dafny's parser reads ``a << b - c`` as ``a << (b - c)``; its printer writes ``(a << b) - c`` that way."""
    assert show(parse_expression("a << b - c")) == "(a << (b - c))"
    assert show(parse_expression("a << b - c", printed=True)) == "((a << b) - c)"
    assert show(parse_expression("a - b << c", printed=True)) == "(a - (b << c))"
    assert show(parse_expression("2 * w << 1", printed=True)) == "((2 * w) << 1)"
    assert show(parse_expression("a >> b + c << a", printed=True)) == "((a >> b) + (c << a))"


def test_printed_empty_branches() -> None:
    """The ghost-free printer writes nothing for an all-ghost branch: ``if c  else {`` and a bare ``else``."""
    text = "method M(k: int)\n{\n  if k > 0 {\n    print 1;\n  } else \n  if k > 5  else {\n    print 2;\n  }\n}\n"
    stmts = parse_program(text, printed=True).decls[0].body.stmts  # type: ignore[attr-defined]
    assert len(stmts) == 2
    first, second = stmts
    assert isinstance(first, ast.If) and first.else_ is not None and first.else_.stmts == []  # type: ignore[union-attr]
    assert isinstance(second, ast.If) and second.then.stmts == [] and len(second.else_.stmts) == 1  # type: ignore


def test_generic_call_versus_comparison() -> None:
    call = parse_expression("Compare<int>(1, 2)")
    assert isinstance(call, ast.Call) and isinstance(call.callee, ast.Name)
    assert call.callee.type_args == [ast.INT]
    cmp = parse_expression("lo < hi")
    assert isinstance(cmp, ast.Binary) and cmp.op == "<"


def test_nested_type_arguments_split_shift_tokens() -> None:
    t = parse_type("map<int, seq<seq<int>>>")
    assert str(t) == "map<int, seq<seq<int>>>"
    assert parse_type("(int, bool) -> int").name == "->"
    assert parse_type("array?<nat>").nullable


def test_comprehensions_quantifiers_lambdas_lets() -> None:
    q = parse_expression("forall k: int {:trigger a[k]} :: 0 <= k < 3 ==> a[k] > 0")
    assert isinstance(q, ast.Quantifier) and q.vars[0].type == ast.INT and q.range is None
    m = parse_expression("map k: nat | k in inputs :: f(k) := inputs[k]")
    assert isinstance(m, ast.MapComp) and m.key is not None
    s = parse_expression("set x: int | x in s :: x * x")
    assert isinstance(s, ast.SetComp) and s.term is not None
    lam = parse_expression("(i: int) requires 0 <= i < |s| => s[i]")
    assert isinstance(lam, ast.Lambda) and len(lam.requires) == 1
    bare = parse_expression("i requires i < n => a[i]")
    assert isinstance(bare, ast.Lambda) and bare.params[0].name == "i"
    let = parse_expression("var q: int := 5; q * 2")
    assert isinstance(let, ast.Let) and isinstance(let.body, ast.Binary)
    upd = parse_expression("s[i := v]")
    assert isinstance(upd, ast.UpdateExpr)
    sl = parse_expression("a[..]")
    assert isinstance(sl, ast.Slice) and sl.lo is None and sl.hi is None


def test_requires_followed_by_a_clause_is_not_a_lambda() -> None:
    program = parse_program("method M(len: nat)\n  requires len > 0\n  requires len < 9\n{\n}\n")
    m = program.decls[0]
    assert isinstance(m, ast.Method) and len(m.requires) == 2


# ------------------------------------------------------------------------------------------ statements


def test_printer_forms() -> None:
    program = parse_program("""
method M(a: array<int>, x: int) returns (r: int)
{
  var lo: int, hi: int := 0, a.Length;
  if {
    case x < 18 =>
      r := 1;
    case 0 <= x =>
      r := 2;
  }
  label L:
  while lo < hi
  {
    break L;
  }
  forall i#inv: int | 0 <= i#inv && i#inv < a.Length
    ensures a[i#inv] == 0
  {
    a[i] := 0;
  }
  print (r, "\\n");
}
""")
    m = program.decls[0]
    assert isinstance(m, ast.Method)
    stmts = m.body.stmts  # type: ignore[union-attr]
    assert isinstance(stmts[0], ast.VarDecl) and [v.name for v in stmts[0].vars] == ["lo", "hi"]
    assert isinstance(stmts[1], ast.AltIf) and len(stmts[1].cases) == 2
    assert isinstance(stmts[2], ast.While) and stmts[2].labels == ["L"]
    forall = stmts[3]
    assert isinstance(forall, ast.ForallStmt) and forall.vars[0].name == "i" and forall.header_names == ["i#inv"]
    assert isinstance(stmts[4], ast.Print) and isinstance(stmts[4].args[0], ast.TupleExpr)


def test_braceless_alternative_if_takes_the_rest_of_the_block() -> None:
    """As in Dafny's parser (and its printer relies on it): the last case runs to the end of the block."""
    m = parse_program("method M(x: int)\n{\n  if\n  case x < 0 =>\n    print 1;\n  case x >= 0 =>\n"
                      "    print 2;\n  print 3;\n}\n").decls[0]
    stmts = m.body.stmts  # type: ignore[attr-defined]
    assert len(stmts) == 1 and isinstance(stmts[0], ast.AltIf) and len(stmts[0].cases[1].body) == 2


def test_source_syntax_with_specs_and_ghost_code() -> None:
    program = parse_program("""
function Sum(s: seq<int>): int { if |s| == 0 then 0 else s[0] + Sum(s[1..]) }
method M(a: array<int>) returns (r: int)
  requires a.Length > 0
  ensures r == Sum(a[..])
{
  ghost var g := 0;
  r := 0;
  for i := 0 to a.Length
    invariant 0 <= i <= a.Length
  {
    r := r + a[i];
    assert r == r;
  }
  var b := new int[] [1, 2];
}
""", dialect="dafny4")
    f, m = program.decls
    assert isinstance(f, ast.Function) and f.compiled  # Dafny 4: a plain function is compiled
    assert isinstance(m, ast.Method) and len(m.requires) == 1 and len(m.ensures) == 1
    stmts = m.body.stmts  # type: ignore[union-attr]
    assert isinstance(stmts[0], ast.VarDecl) and stmts[0].vars[0].ghost
    loop = stmts[2]
    assert isinstance(loop, ast.ForLoop) and len(loop.invariants) == 1 and not loop.down
    assert isinstance(loop.body.stmts[1], ast.GhostStmt)  # type: ignore[union-attr]
    new = stmts[3].rhss[0]  # type: ignore[attr-defined]
    assert isinstance(new, ast.NewArray) and new.dims == [None] and len(new.display) == 2
    assert not parse_program("function F(): int { 1 }").decls[0].compiled  # type: ignore[attr-defined]


def test_nodes_carry_their_lines() -> None:
    program = parse_program("method M()\n{\n  var x: int := 1;\n  x := x + 2;\n}\n")
    m = program.decls[0]
    assert m.line == 1
    assign = m.body.stmts[1]  # type: ignore[attr-defined]
    assert assign.line == 4 and assign.rhss[0].line == 4


def test_syntax_errors_name_line_and_column() -> None:
    with pytest.raises(DafnySyntaxError) as info:
        parse_program("method M()\n{\n  x := ;\n}\n")
    assert info.value.line == 3 and info.value.column == 8


@needs_clover
def test_parses_every_cloverbench_source() -> None:
    files = sorted(CLOVER_DIR.glob("*/*/*.dfy"))
    assert len(files) > 100
    for f in files:
        program = parse_program(f.read_text(encoding="utf-8"), dialect="dafny4")
        assert program.decls, f
