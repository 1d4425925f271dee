"""Named arguments for Dafny 2.3: ``Variables(count := 3, server := s)`` -> ``Variables(3, s)``.

Dafny 3.x+ lets a call name its arguments; Dafny 2.3 reads ``count := 3`` inside parentheses as a parse
error. Where every argument is named, the names are those of one datatype constructor, function or method of
the program, and they come in its declared order with none left out, the bridge deletes the names; the
arguments stay where they are. Any other use of names is left to Dafny.
"""

from __future__ import annotations

from verifiers.front.lexer import Token
from verifiers.rewrite import Edit
from verifiers.syntax import Decl, is_kw, is_op, matching, split_top


def drop_argument_names(tokens: list[Token], decls: list[Decl], edits: list[Edit], changes: list[str]) -> None:
    """Add the edits that delete ``name :=`` from calls whose named arguments are in declared order."""
    params = _declared_params(tokens, decls)
    for i in range(len(tokens) - 3):
        t = tokens[i]
        if t.kind != "ident" or t.text not in params or not is_op(tokens[i + 1], "("):
            continue
        if i > 0 and is_op(tokens[i - 1], "."):
            continue
        close = matching(tokens, i + 1)
        args = _spans(tokens, i + 2, close)
        names = [tokens[a].text if b - a >= 3 and tokens[a].kind == "ident" and is_op(tokens[a + 1], ":=")
                 else None for a, b in args]
        if not args or None in names or names not in params[t.text]:
            continue
        for a, _ in args:
            edits.append(Edit(tokens[a].start, tokens[a + 2].start, ""))
        changes.append(f"line {t.line}: named arguments of {t.text} -> positional (declared order)")


def _declared_params(tokens: list[Token], decls: list[Decl]) -> dict[str, list[list[str]]]:
    """Callable name -> the parameter name lists it is declared with (constructors, functions, methods)."""
    out: dict[str, list[list[str]]] = {}
    for d in decls:
        if d.params is not None:
            out.setdefault(d.name, []).append(_names(tokens, d.params[0] + 1, d.params[1]))
    for k, t in enumerate(tokens):
        if is_kw(t, "datatype", "codatatype") and t.kind == "keyword":
            for name, names in _constructors(tokens, k):
                out.setdefault(name, []).append(names)
    return out


def _constructors(tokens: list[Token], k: int) -> list[tuple[str, list[str]]]:
    """``(name, [field, ...])`` of each constructor of the datatype declared at token ``k``."""
    j = k + 1
    while j < len(tokens) and not is_op(tokens[j], "="):
        if is_op(tokens[j], "{") or (tokens[j].kind == "keyword" and j > k + 1):
            return []
        j += 1
    out = []
    j += 1
    while j < len(tokens):
        while j < len(tokens) and (is_op(tokens[j], "|") or tokens[j].kind == "attr"):
            j += 1
        if j >= len(tokens) or tokens[j].kind != "ident":
            break
        name = tokens[j].text
        if j + 1 < len(tokens) and is_op(tokens[j + 1], "("):
            close = matching(tokens, j + 1)
            out.append((name, _names(tokens, j + 2, close)))
            j = close + 1
        else:
            j += 1
        if not (j < len(tokens) and is_op(tokens[j], "|")):
            break
    return out


def _names(tokens: list[Token], lo: int, hi: int) -> list[str]:
    """The names declared in a parameter list's tokens ``[lo, hi)``: ``ghost x: T, y: U`` -> ``[x, y]``."""
    names = []
    for a, b in _spans(tokens, lo, hi):
        colon = next((k for k in range(a, b) if is_op(tokens[k], ":")), None)
        if colon is not None and colon > a and tokens[colon - 1].kind == "ident":
            names.append(tokens[colon - 1].text)
    return names


def _spans(tokens: list[Token], lo: int, hi: int) -> list[tuple[int, int]]:
    """Token ranges of the comma-separated items in ``[lo, hi)`` (commas inside brackets do not split)."""
    spans, k = [], lo
    for part in split_top(tokens[lo:hi], ","):
        spans.append((k, k + len(part)))
        k += len(part) + 1
    return spans if hi > lo else []
