"""The one Dafny lexer and its two views: the integrity gate's (gate_tokens) and the parser's (tokenize)."""

from __future__ import annotations

import pytest

from verifiers.front.lexer import LexError, gate_tokens, scan, tokenize


def parser_kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)[:-1]]


def test_attribute_with_odd_spacing_and_comments_is_one_token() -> None:
    src = "method {:  verify /* not yet */\n   false  } M() { }"
    toks = gate_tokens(src)
    attrs = [t for t in toks if t.kind == "attr"]
    assert len(attrs) == 1
    (attr,) = attrs
    assert (attr.attr_name, attr.attr_args) == ("verify", "false")
    assert attr.text == src[attr.start : attr.end] == "{:  verify /* not yet */\n   false  }"
    assert (attr.line, attr.col) == (1, 8)
    assert [t.text for t in toks if t.kind != "attr"] == ["method", "M", "(", ")", "{", "}"]
    # nested braces in the arguments stay inside the one token
    (trig,) = [t for t in gate_tokens("forall x {:trigger {x} + s} :: f(x)") if t.kind == "attr"]
    assert trig.attr_args == "{ x } + s"


def test_commented_assume_is_a_comment_not_code() -> None:
    src = "method M() {\n  // assume false;\n  /* assume /* nested */ false; */ var s := \"assume\";\n}"
    assert not [t for t in gate_tokens(src) if t.kind == "keyword" and t.text == "assume"]
    comments = [t for t in gate_tokens(src, keep_comments=True) if t.kind == "comment"]
    assert [(c.text, c.line) for c in comments] == [
        ("// assume false;", 2), ("/* assume /* nested */ false; */", 3)]
    assert [t.text for t in tokenize(src) if t.kind == "ident" and t.text == "assume"] == []
    assert [(t.kind, t.value) for t in tokenize(src) if t.kind == "string"] == [("string", "assume")]


def test_tuple_member_after_a_dot_is_an_int() -> None:
    assert [(t.kind, t.text, t.value) for t in tokenize("t.0.1")[:-1]] == [
        ("ident", "t", None), ("op", ".", None), ("int", "0", 0), ("op", ".", None), ("int", "1", 1)]
    assert [(t.kind, t.value) for t in tokenize("x := 0.50")[2:-1]] == [("real", "0.50")]
    member = tokenize("p.1")[2]
    assert (member.kind, member.start, member.end, member.col) == ("int", 2, 3, 3)


def test_printer_hash_name_is_one_identifier_in_the_parser_view_only() -> None:
    assert parser_kinds("0 <= i#inv && a[i#inv]") == [
        ("int", "0"), ("op", "<="), ("ident", "i#inv"), ("op", "&&"), ("ident", "a"), ("op", "["),
        ("ident", "i#inv"), ("op", "]")]
    # the gate lexes as Dafny does: `P#[_k]` is a use of P
    assert [t.text for t in gate_tokens("P#[_k](n)")][:3] == ["P", "#", "["]


def test_parser_view_has_the_parsers_operators_and_words() -> None:
    src = "x !in s && f --> g ==> {:attr} a ... b"
    assert [t.text for t in gate_tokens(src) if t.kind != "attr"] == [
        "x", "!in", "s", "&&", "f", "-", "->", "g", "==>", "a", "...", "b"]
    assert parser_kinds(src) == [
        ("ident", "x"), ("op", "!"), ("ident", "in"), ("ident", "s"), ("op", "&&"), ("ident", "f"),
        ("op", "-->"), ("ident", "g"), ("op", "==>"), ("op", "{"), ("op", ":"), ("ident", "attr"), ("op", "}"),
        ("ident", "a"), ("op", ".."), ("op", "."), ("ident", "b")]
    assert [t.kind for t in gate_tokens("method in")] == ["keyword", "keyword"]
    eof = tokenize("a\n  ")[-1]
    assert (eof.kind, eof.line, eof.col, eof.start) == ("eof", 2, 3, 4)


def test_every_token_spells_its_source_text() -> None:
    src = "method M(x: int) returns (y: seq<char>)\n  ensures y == ['a', '\\n'] + \"q\\\"\" // c\n{ y := []; }"
    for toks in (list(scan(src)), gate_tokens(src, keep_comments=True), tokenize(src)[:-1]):
        assert all(src[t.start : t.end] == t.text for t in toks)
    assert [t.value for t in tokenize(src) if t.kind in ("char", "string")] == ["a", "\n", 'q"']


@pytest.mark.parametrize("view", [gate_tokens, tokenize])
def test_a_comment_never_closed_runs_to_the_end_as_in_dafny(view) -> None:
    """Dafny's scanner ends an unclosed block comment at the end of the text (it verifies what comes before),
    so the gate must not see the code inside it either."""
    toks = view("method M() { }\n  /* never closed\n  assume false;\n")
    assert "assume" not in [t.text for t in toks]
    assert [t.text for t in toks if t.kind != "eof"][:5] == ["method", "M", "(", ")", "{"]


def test_parser_view_rejects_what_the_parser_cannot_read() -> None:
    gate_tokens('var c := "\\q"; var d := $;')  # the gate only needs token boundaries
    with pytest.raises(LexError, match="unknown escape"):
        tokenize('var c := "\\q";')
    with pytest.raises(LexError, match=r"unexpected character '\$'") as info:
        tokenize("var d := $;")
    assert (info.value.line, info.value.column) == (1, 10)
