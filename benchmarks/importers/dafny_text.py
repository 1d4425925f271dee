"""A small Dafny front end for importers and the suite checker: tokens, declarations, contracts.

Importers must find a program's target method, its header and its ``requires``/``ensures`` clauses; the
suite checker must confirm that a reference carries exactly the pinned contract. Regular expressions get
this wrong as soon as a comment, a string or a set display sits in the way, so this module tokenizes
(comments, strings, char literals and primed identifiers are respected) and reads declarations by
bracket depth. It does not parse expressions: clause texts are returned verbatim (comments dropped,
whitespace collapsed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CLAUSE_KEYWORDS = ("requires", "ensures", "modifies", "reads", "decreases", "yield")
DECL_KEYWORDS = ("method", "lemma", "function", "predicate", "constructor", "iterator")
MODIFIERS = ("ghost", "static", "twostate", "least", "greatest", "inductive", "copredicate", "abstract", "opaque")
# a '{' after one of these starts a set display or attribute, never a body
_EXPR_BEFORE_BRACE = {
    "==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "&&", "||", "==>", "<==", "<==>", "!", "(", "[",
    ",", ":=", ":", "::", "in", "then", "else", "&", "^", "=>", "!!",
    "multiset", "set", "iset", "map", "imap",  # display constructors: multiset{x, y}
    *CLAUSE_KEYWORDS,
}


@dataclass(frozen=True)
class Token:
    """One lexical token; ``kind`` is ident, number, string, char, op or comment."""

    kind: str
    text: str
    start: int
    end: int
    line: int


@dataclass
class Clause:
    """One contract clause: ``kind`` is requires/ensures/modifies/reads/decreases; ``text`` normalized."""

    kind: str
    text: str
    start: int
    end: int


@dataclass
class Decl:
    """A callable declaration: method, lemma, function, predicate (with its modifiers)."""

    kind: str  # "method", "lemma", "function", "predicate", "function method", "predicate method", ...
    name: str
    modifiers: tuple[str, ...]
    start: int
    header_end: int
    params: str
    returns: str | None  # method results text, or a function's result type
    type_params: str | None
    clauses: list[Clause] = field(default_factory=list)
    body: tuple[int, int] | None = None  # offsets of '{' and the matching '}'
    end: int = 0
    line: int = 0
    comment: str = ""  # the comment block right before the declaration
    container: str | None = None  # "class C", "module M", ... when the declaration is nested in one

    @property
    def is_ghost(self) -> bool:
        """True where the declaration is never compiled, in Dafny 3 and later (a plain function is compiled)."""
        return self.kind in ("lemma", "iterator") or "ghost" in self.modifiers

    @property
    def is_method(self) -> bool:
        return self.kind in ("method", "constructor")

    def requires(self) -> list[str]:
        return [c.text for c in self.clauses if c.kind == "requires"]

    def ensures(self) -> list[str]:
        return [c.text for c in self.clauses if c.kind == "ensures"]

    def modifies(self) -> list[str]:
        return [c.text for c in self.clauses if c.kind == "modifies"]

    def signature_text(self) -> str:
        """``method Name(params) returns (results)`` with whitespace collapsed (the task format's header)."""
        text = f"method {self.name}({normalize(self.params)})"
        if self.returns is not None:
            text += f" returns ({normalize(self.returns)})"
        return text


class DafnyTextError(ValueError):
    """Text that the tokenizer or the declaration reader cannot follow (unterminated comment, bracket...)."""


def normalize(text: str) -> str:
    """Collapse whitespace; the form in which clause texts are compared."""
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------- tokens

_OPS = sorted(
    [
        "<==>", "==>", "<==", "==", "!=", "<=", ">=", "&&", "||", "::", ":=", ":|", "..", "!!", "<<", ">>", "=>",
        "->", "~>", "-->", "`",
    ],
    key=len,
    reverse=True,
)
_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT = re.compile(r"[A-Za-z0-9_'?]*")
_NUMBER = re.compile(r"0x[0-9A-Fa-f_]+|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?")


def tokenize(text: str, keep_comments: bool = False) -> list[Token]:
    """Split Dafny source into tokens (comments dropped unless ``keep_comments``).

    Raises:
        DafnyTextError: an unterminated comment, string or char literal.
    """
    tokens: list[Token] = []
    i, n, line = 0, len(text), 1
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
        elif ch.isspace():
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            if keep_comments:
                tokens.append(Token("comment", text[i:j], i, j, line))
            i = j
        elif text.startswith("/*", i):
            j = _block_comment_end(text, i, line)
            if keep_comments:
                tokens.append(Token("comment", text[i:j], i, j, line))
            line += text.count("\n", i, j)
            i = j
        elif ch == '"' or text.startswith('@"', i):
            j = _string_end(text, i, line)
            tokens.append(Token("string", text[i:j], i, j, line))
            line += text.count("\n", i, j)
            i = j
        elif ch == "'":
            j = _char_end(text, i, line)
            tokens.append(Token("char", text[i:j], i, j, line))
            i = j
        elif _IDENT_START.match(ch):
            m = _IDENT.match(text, i + 1)
            j = m.end() if m else i + 1
            tokens.append(Token("ident", text[i:j], i, j, line))
            i = j
        elif ch.isdigit():
            m = _NUMBER.match(text, i)
            j = m.end() if m else i + 1
            tokens.append(Token("number", text[i:j], i, j, line))
            i = j
        else:
            op = next((o for o in _OPS if text.startswith(o, i)), ch)
            tokens.append(Token("op", op, i, i + len(op), line))
            i += len(op)
    return tokens


def _block_comment_end(text: str, i: int, line: int) -> int:
    depth, j = 0, i
    while j < len(text):
        if text.startswith("/*", j):
            depth += 1
            j += 2
        elif text.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    raise DafnyTextError(f"line {line}: unterminated comment")


def _string_end(text: str, i: int, line: int) -> int:
    if text[i] == "@":  # verbatim string: "" escapes a quote
        j = i + 2
        while j < len(text):
            if text[j] == '"':
                if text.startswith('""', j):
                    j += 2
                    continue
                return j + 1
            j += 1
    else:
        j = i + 1
        while j < len(text):
            if text[j] == "\\":
                j += 2
                continue
            if text[j] == '"':
                return j + 1
            if text[j] == "\n":
                break
            j += 1
    raise DafnyTextError(f"line {line}: unterminated string literal")


def _char_end(text: str, i: int, line: int) -> int:
    j = i + 1
    if j < len(text) and text[j] == "\\":
        j += 2
        while j < len(text) and text[j] != "'" and j - i < 12:  # \u{...} and \U escapes
            j += 1
    else:
        j += 1
    if j < len(text) and text[j] == "'":
        return j + 1
    raise DafnyTextError(f"line {line}: bad character literal")


def strip_comments(text: str) -> str:
    """The text with every comment replaced by spaces (offsets and line numbers kept)."""
    out = list(text)
    for tok in tokenize(text, keep_comments=True):
        if tok.kind == "comment":
            for k in range(tok.start, tok.end):
                if out[k] != "\n":
                    out[k] = " "
    return "".join(out)


# --------------------------------------------------------------------------------------------- declarations


def _matching(tokens: list[Token], k: int) -> int:
    """Index of the bracket closing ``tokens[k]`` (one of ( [ {)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    opener = tokens[k].text
    closer = pairs[opener]
    depth = 0
    for j in range(k, len(tokens)):
        t = tokens[j]
        if t.kind != "op":
            continue
        if t.text == opener:
            depth += 1
        elif t.text == closer:
            depth -= 1
            if depth == 0:
                return j
    raise DafnyTextError(f"line {tokens[k].line}: unbalanced '{opener}'")


def _matching_angle(tokens: list[Token], k: int) -> int:
    depth = 0
    for j in range(k, len(tokens)):
        t = tokens[j].text
        if t == "<":
            depth += 1
        elif t == ">":
            depth -= 1
            if depth == 0:
                return j
        elif t == ">>":
            depth -= 2
            if depth <= 0:
                return j
    raise DafnyTextError(f"line {tokens[k].line}: unbalanced '<'")


def _skip_attributes(tokens: list[Token], k: int) -> int:
    while k + 1 < len(tokens) and tokens[k].text == "{" and tokens[k + 1].text == ":":
        k = _matching(tokens, k) + 1
    return k


def _preceding_comment(text: str, tokens: list[Token], start: int) -> str:
    """The comments between the previous code token and ``start`` (a declaration's doc comment)."""
    parts = []
    for tok in tokens:
        if tok.start >= start:
            break
        if tok.kind == "comment":
            parts.append(tok)
        else:
            parts = []
    lines = []
    for tok in parts:
        body = tok.text
        if body.startswith("//"):
            body = body[2:]
        elif body.startswith("/*"):
            body = body[2:-2]
        for ln in body.splitlines():
            ln = ln.strip().lstrip("*").strip()
            if ln:
                lines.append(ln)
    return " ".join(lines)


def declarations(text: str) -> list[Decl]:
    """Every method, lemma, function and predicate declaration in ``text``, in source order.

    Raises:
        DafnyTextError: unbalanced brackets or an unterminated literal.
    """
    with_comments = tokenize(text, keep_comments=True)
    tokens = [t for t in with_comments if t.kind != "comment"]
    clean = strip_comments(text)
    containers = _containers(tokens)
    decls: list[Decl] = []
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        if tok.kind == "ident" and (tok.text in DECL_KEYWORDS or tok.text in MODIFIERS):
            decl, nxt = _read_decl(tokens, k, clean)
            if decl is not None:
                decl.comment = _preceding_comment(text, with_comments, decl.start)
                enclosing = [(lo, name) for lo, hi, name in containers if lo < decl.start < hi]
                decl.container = max(enclosing)[1] if enclosing else None  # the innermost
                decls.append(decl)
                k = nxt
                continue
        k += 1
    return decls


def _containers(tokens: list[Token]) -> list[tuple[int, int, str]]:
    """Offsets ``(body start, body end, "kind Name")`` of classes, traits, modules and datatypes with bodies."""
    out = []
    for k, tok in enumerate(tokens):
        if tok.kind != "ident" or tok.text not in ("class", "trait", "module", "datatype", "codatatype"):
            continue
        j = _skip_attributes(tokens, k + 1)
        name = tokens[j].text if j < len(tokens) and tokens[j].kind == "ident" else "?"
        stops = ("{", ";") if tok.text.endswith("datatype") else ("{", "=", ";")
        while j < len(tokens) and tokens[j].text not in stops and not (
            tokens[j].kind == "ident" and tokens[j].text in DECL_KEYWORDS + ("class", "module", "trait")
            and j > k + 1
        ):
            j += 1
        if j < len(tokens) and tokens[j].text == "{":
            try:
                close = _matching(tokens, j)
            except DafnyTextError:
                continue
            out.append((tokens[j].start, tokens[close].end, f"{tok.text} {name}"))
    return out


def _read_decl(tokens: list[Token], k: int, clean: str) -> tuple[Decl | None, int]:
    start = tokens[k].start
    line = tokens[k].line
    mods: list[str] = []
    while k < len(tokens) and tokens[k].text in MODIFIERS:
        mods.append(tokens[k].text)
        k += 1
    if k >= len(tokens) or tokens[k].text not in DECL_KEYWORDS:
        return None, k + 1
    kind = tokens[k].text
    if tokens[k].text in ("copredicate",):
        kind = "predicate"
    k += 1
    if kind in ("function", "predicate") and k < len(tokens) and tokens[k].text == "method":
        kind += " method"
        k += 1
    k = _skip_attributes(tokens, k)
    if kind == "constructor" and (k >= len(tokens) or tokens[k].kind != "ident"):
        name = "_ctor"
    elif k < len(tokens) and tokens[k].kind == "ident":
        name = tokens[k].text
        k += 1
    else:
        return None, k
    type_params = None
    if k < len(tokens) and tokens[k].text == "<":
        close = _matching_angle(tokens, k)
        type_params = clean[tokens[k].start + 1 : tokens[close].start]
        k = close + 1
    if k >= len(tokens) or tokens[k].text != "(":
        return None, k
    close = _matching(tokens, k)
    params = clean[tokens[k].start + 1 : tokens[close].start]
    k = close + 1
    returns = None
    if k < len(tokens) and tokens[k].text == "returns" and k + 1 < len(tokens) and tokens[k + 1].text == "(":
        close = _matching(tokens, k + 1)
        returns = clean[tokens[k + 1].start + 1 : tokens[close].start]
        k = close + 1
    elif k < len(tokens) and tokens[k].text == ":" and kind.startswith(("function", "predicate")):
        j = k + 1
        while j < len(tokens) and not _ends_function_type(tokens, j):
            j += 1
        returns = clean[tokens[k].end : tokens[j - 1].end].strip() if j > k + 1 else ""
        k = j
    decl = Decl(kind, name, tuple(mods), start, tokens[k - 1].end, params, returns, type_params, line=line)
    k = _read_clauses(tokens, k, clean, decl)
    if k < len(tokens) and tokens[k].text == "{":
        close = _matching(tokens, k)
        decl.body = (tokens[k].start, tokens[close].end)
        decl.end = tokens[close].end
        return decl, close + 1
    decl.end = tokens[k - 1].end
    return decl, k


def _ends_function_type(tokens: list[Token], j: int) -> bool:
    t = tokens[j]
    if t.kind == "ident" and (t.text in CLAUSE_KEYWORDS or t.text in DECL_KEYWORDS or t.text in MODIFIERS):
        return True
    return t.text == "{" and not (j + 1 < len(tokens) and tokens[j + 1].text == ":")


def _read_clauses(tokens: list[Token], k: int, clean: str, decl: Decl) -> int:
    """Read contract clauses from ``k``; return the index of the body's '{' or of the next declaration."""
    while k < len(tokens) and tokens[k].kind == "ident" and tokens[k].text in CLAUSE_KEYWORDS:
        kind = tokens[k].text
        k = _skip_attributes(tokens, k + 1)
        begin = k
        while k < len(tokens):
            t = tokens[k]
            if t.kind == "ident" and (t.text in CLAUSE_KEYWORDS or t.text in DECL_KEYWORDS or t.text in MODIFIERS):
                break
            if t.kind == "op" and t.text in ("(", "["):
                k = _matching(tokens, k) + 1
                continue
            if t.kind == "op" and t.text == "{":
                prev = tokens[k - 1]
                starts_line = prev.line != t.line
                is_display = k == begin or (not starts_line and prev.text in _EXPR_BEFORE_BRACE)
                if k + 1 < len(tokens) and tokens[k + 1].text == ":":
                    is_display = True  # an attribute inside the clause
                if not is_display:
                    break
                k = _matching(tokens, k) + 1
                continue
            if t.kind == "op" and t.text in ("}", ";"):
                break
            k += 1
        if k > begin:
            text = clean[tokens[begin].start : tokens[k - 1].end]
            decl.clauses.append(Clause(kind, normalize(text), tokens[begin].start, tokens[k - 1].end))
    return k


def find_decl(text: str, name: str) -> Decl | None:
    """The first declaration called ``name`` (methods first), or ``None``."""
    decls = [d for d in declarations(text) if d.name == name]
    decls.sort(key=lambda d: not d.is_method)
    return decls[0] if decls else None


def split_top_level(text: str, sep: str = ",", angles: bool = False) -> list[str]:
    """Split ``text`` on ``sep`` outside brackets and literals (call arguments; with ``angles``, type lists)."""
    opening, closing = ("([{<", ")]}>") if angles else ("([{", ")]}")
    parts, depth, cur = [], 0, 0
    for tok in tokenize(text):
        if tok.kind != "op":
            continue
        if tok.text in opening:
            depth += 1
        elif tok.text in closing:
            depth -= 1
        elif angles and tok.text == ">>":
            depth -= 2
        elif tok.text == sep and depth == 0:
            parts.append(text[cur : tok.start].strip())
            cur = tok.end
    tail = text[cur:].strip()
    if tail or parts:
        parts.append(tail)
    return parts


def contract_helpers(source: str, exprs: list[str]) -> list[Decl]:
    """The functions and predicates of ``source`` that the expressions ``exprs`` use, directly or through
    each other (the definitions a reader needs to understand a pinned contract), in source order."""
    decls = {d.name: d for d in declarations(source) if d.kind.startswith(("function", "predicate"))}
    wanted: set[str] = set()
    todo = [t.text for e in exprs for t in tokenize(e) if t.kind == "ident"]
    while todo:
        name = todo.pop()
        if name in decls and name not in wanted:
            wanted.add(name)
            d = decls[name]
            todo += [t.text for t in tokenize(source[d.start : d.end]) if t.kind == "ident"]
    return [d for d in declarations(source) if d.name in wanted and d.kind.startswith(("function", "predicate"))]


def definitions_text(source: str, exprs: list[str]) -> str:
    """The source text of :func:`contract_helpers`, as a block a prompt can show or a verifier can prepend."""
    return "\n\n".join(source[d.start : d.end].strip() for d in contract_helpers(source, exprs))
