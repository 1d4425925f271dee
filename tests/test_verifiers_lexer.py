"""The Dafny lexer and the declaration scanner: comments, strings, chars and attributes never leak into code."""

from __future__ import annotations

import pytest

from verifiers.front.lexer import LexError
from verifiers.front.lexer import gate_tokens as tokenize
from verifiers.rewrite import Edit, Rewrite, apply_edits
from verifiers.syntax import expression_end, find_decls, find_for_loops, find_while_loops


def texts(src: str) -> list[str]:
    return [t.text for t in tokenize(src)]


def test_comments_and_strings_are_not_code():
    src = 'method M() { // assume false\n /* assume /* nested */ still comment */ var s := "assume"; }'
    toks = tokenize(src)
    assert "assume" not in [t.text for t in toks if t.kind == "keyword"]
    assert [t.kind for t in toks if t.text == '"assume"'] == ["string"]


def test_chars_versus_primed_identifiers():
    toks = tokenize("var x' := 'a'; var c := '\\n'; var q := '\\''; var d := x'")
    kinds = {t.text: t.kind for t in toks}
    assert kinds["x'"] == "ident"
    assert kinds["'a'"] == "char"
    assert kinds["'\\n'"] == "char"
    assert kinds["'\\''"] == "char"


def test_attributes_are_single_tokens_with_name_and_args():
    toks = tokenize("method {:verify false} {:extern \"x\"} M() ensures forall x {:trigger f(x)} :: f(x)")
    attrs = [t for t in toks if t.kind == "attr"]
    assert [(a.attr_name, a.attr_args) for a in attrs] == [("verify", "false"), ("extern", '"x"'),
                                                           ("trigger", "f ( x )")]


def test_numbers_ranges_and_operators():
    assert texts("a[1..2] 1.5 0xFF_FF x!in s") == ["a", "[", "1", "..", "2", "]", "1.5", "0xFF_FF", "x", "!in", "s"]
    assert texts("p <==> q ==> r") == ["p", "<==>", "q", "==>", "r"]


def test_positions_are_one_based_lines_and_columns():
    toks = tokenize("method M()\n  ensures true\n{}")
    ens = next(t for t in toks if t.text == "ensures")
    assert (ens.line, ens.col) == (2, 3)


@pytest.mark.parametrize("src", ['var s := "open', "method {:attr M() {}"])
def test_unterminated_constructs_raise(src):
    with pytest.raises(LexError):
        tokenize(src)


def test_contract_ends_at_body_not_at_set_display():
    src = "method M(s: set<int>) returns (r: set<int>)\n  requires s == {}\n  ensures r == {1, 2}\n{ r := {1, 2}; }"
    toks = tokenize(src)
    (d,) = find_decls(toks)
    assert [c.kind for c in d.clauses] == ["requires", "ensures"]
    assert " ".join(t.text for t in d.clauses[1].expr_tokens(toks)) == "r == { 1 , 2 }"
    assert d.body is not None and toks[d.body[0]].line == 4


def test_cardinality_bars_and_comprehensions():
    src = "method M(n: set<int>) returns (c: int)\n ensures c == |set i | i in n && i < 3|\n{ c := 0; }"
    toks = tokenize(src)
    (d,) = find_decls(toks)
    assert d.body is not None
    assert toks[d.clauses[0].end - 1].text == "|"


def test_bodyless_declarations_are_seen():
    src = "lemma L(x: int) ensures x > 0\nfunction F(x: int): int\nmethod M() { }"
    decls = find_decls(tokenize(src))
    assert [(d.kind, d.name, d.body is None) for d in decls] == [("lemma", "L", True), ("function", "F", True),
                                                                 ("method", "M", False)]


def test_function_method_and_modifiers():
    src = "ghost function G(): int { 1 }\nfunction method F(): (r: int) { 2 }\nopaque predicate P() { true }"
    decls = find_decls(tokenize(src))
    toks = tokenize(src)
    assert [d.name for d in decls] == ["G", "F", "P"]
    assert decls[0].modifier_texts(toks) == ["ghost"]
    assert decls[1].compiled_marker is not None
    assert decls[2].modifier_texts(toks) == ["opaque"]


def test_let_expression_semicolon_does_not_end_a_clause():
    toks = tokenize("ensures var y := x + 1; y > x\n{")
    end = expression_end(toks, 1)
    assert toks[end].text == "{"


def test_for_and_while_loops_found():
    src = ("method M(n: nat) {\n for i: nat := 0 to n invariant i <= n { }\n var s := {1};\n"
           " while s != {} { s := {}; }\n}")
    toks = tokenize(src)
    (f,) = find_for_loops(toks)
    assert (toks[f.index].text, f.direction, len(f.clauses), f.body is not None) == ("i", "to", 1, True)
    (w,) = find_while_loops(toks)
    assert [t.text for t in toks[w.guard[0] : w.guard[1]]] == ["s", "!=", "{", "}"]


def test_rewrite_maps_positions_back():
    src = "abc\ndef\n"
    r = apply_edits(src, [Edit(4, 4, "XX\nYY ", anchor=0, note="inserted")])
    assert r.text == "abc\nXX\nYY def\n"
    assert r.locate(2, 1) == (1, 1, "inserted")
    assert r.locate(3, 4)[:2] == (2, 1)  # `d` of def
    later = apply_edits(r.text, [Edit(0, 0, "// header\n")])
    both = r.then(later)
    assert both.locate(4, 4)[:2] == (2, 1)
    assert Rewrite.identity(src).locate(2, 2) == (2, 2, None)
