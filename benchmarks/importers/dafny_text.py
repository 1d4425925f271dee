"""The importers' text view of a Dafny program: declarations with their header, contract and comment as text.

Reading the program (comments, strings, char literals, attributes, where a contract clause ends and a body
begins) is the verifier's job: ``verifiers.front.lexer`` tokenizes and ``verifiers.syntax`` finds declarations by
token index. Importers and the suite checker need text instead: the task format stores a signature line
(``method Name(params) returns (results)``), clause texts with comments dropped and whitespace collapsed,
and a DafnyBench task's description is the comment right above its method. This module turns the token
view into that text view; it reads nothing on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verifiers import syntax
from verifiers.front.lexer import LexError, Token, gate_tokens

__all__ = ["Clause", "DafnyTextError", "Decl", "contract_helpers", "declarations", "definitions_text",
           "normalize", "split_top_level", "tokenize"]

tokenize = gate_tokens  # the gate's view of the program, as the suite checker reads it

# a program that cannot be read: an unterminated comment, string or attribute, or an unclosed bracket
DafnyTextError = LexError

# Dafny 2 co-inductive kinds, reported under the kind a reader of the task format knows
_KIND_ALIASES = {"copredicate": "predicate", "colemma": "lemma"}


@dataclass
class Clause:
    """One contract clause: ``kind`` is requires/ensures/modifies/reads/decreases; ``text`` normalized."""

    kind: str
    text: str
    start: int
    end: int


@dataclass
class Decl:
    """A callable declaration: method, lemma, function, predicate (with its modifiers), as source offsets and text."""

    kind: str  # "method", "lemma", "function", "predicate", "function method", "predicate method", ...
    name: str
    modifiers: tuple[str, ...]
    start: int
    header_end: int
    params: str
    returns: str | None  # method results text, or a function's result type
    type_params: str | None
    clauses: list[Clause] = field(default_factory=list)
    body: tuple[int, int] | None = None  # offsets of '{' and just past the matching '}'
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


def normalize(text: str) -> str:
    """Collapse whitespace; the form in which clause texts are compared."""
    return " ".join(text.split())


def declarations(text: str) -> list[Decl]:
    """Every method, lemma, function and predicate declaration in ``text``, in source order.

    Raises:
        DafnyTextError: an unterminated literal or comment, or an unclosed bracket in a declaration.
    """
    with_comments = gate_tokens(text, keep_comments=True)
    tokens = [t for t in with_comments if t.kind != "comment"]
    clean = _blank_comments(text, with_comments)
    out = []
    for d in syntax.find_decls(tokens):
        decl = _text_view(d, tokens, clean)
        if decl is not None:
            decl.comment = _preceding_comment(with_comments, decl.start)
            out.append(decl)
    return out


def _blank_comments(text: str, with_comments: list[Token]) -> str:
    """``text`` with every comment replaced by spaces (offsets and line numbers kept)."""
    out = list(text)
    for tok in with_comments:
        if tok.kind == "comment":
            for k in range(tok.start, tok.end):
                if out[k] != "\n":
                    out[k] = " "
    return "".join(out)


def _closed(tokens: list[Token], opener: int, closer: int) -> int:
    """``closer``, after checking that the bracket at ``opener`` is closed (syntax reports an unclosed one as
    the end of the tokens)."""
    if closer >= len(tokens):
        tok = tokens[opener]
        raise LexError(f"unbalanced '{tok.text}'", tok.line, tok.col)
    return closer


def _text_view(d: syntax.Decl, tokens: list[Token], clean: str) -> Decl | None:
    """The text view of a declaration; ``None`` for one without a parameter list (not a declaration)."""
    name = d.name or ("_ctor" if d.kind == "constructor" else "")
    if d.params is None or not name:
        return None
    p_open, p_close = d.params
    _closed(tokens, p_open, p_close)
    kind = _KIND_ALIASES.get(d.kind, d.kind) + (" method" if d.compiled_marker is not None else "")
    returns = None
    if d.returns is not None:
        returns = clean[tokens[d.returns[0]].end : tokens[_closed(tokens, *d.returns)].start]
    elif kind.startswith(("function", "predicate")) and p_close + 1 < len(tokens) and (
        syntax.is_op(tokens[p_close + 1], ":")
    ):
        colon = p_close + 1
        returns = clean[tokens[colon].end : tokens[d.sig_end - 1].end].strip() if d.sig_end > colon + 1 else ""
    type_params = None
    k = (d.name_index if d.name_index is not None else d.keyword) + 1
    while k < p_open and tokens[k].kind == "attr":
        k += 1
    if k < p_open and syntax.is_op(tokens[k], "<"):
        type_params = clean[tokens[k].end : tokens[syntax.matching_angle(tokens, k)].start]
    decl = Decl(kind, name, tuple(tokens[i].text for i in d.modifiers), tokens[d.start].start,
                tokens[d.sig_end - 1].end, clean[tokens[p_open].end : tokens[p_close].start], returns, type_params,
                line=tokens[d.start].line)
    for c in d.clauses:
        if c.end > c.start:
            lo, hi = tokens[c.start].start, tokens[c.end - 1].end
            decl.clauses.append(Clause(c.kind, normalize(clean[lo:hi]), lo, hi))
    if d.body is not None:
        close = _closed(tokens, *d.body)
        decl.body = (tokens[d.body[0]].start, tokens[close].end)
        decl.end = tokens[close].end  # a function's `by method { }` part is not its definition
    else:
        last = d.end - 1
        if last >= d.sig_end and syntax.is_op(tokens[last], ";"):
            last -= 1
        decl.end = tokens[last].end
    if d.container is not None:
        decl.container = f"{d.container.kind} {d.container.name}"
    return decl


def _preceding_comment(with_comments: list[Token], start: int) -> str:
    """The comments between the previous code token and ``start`` (a declaration's doc comment), as one line."""
    parts: list[Token] = []
    for tok in with_comments:
        if tok.start >= start:
            break
        parts = parts + [tok] if tok.kind == "comment" else []
    lines = []
    for tok in parts:
        body = tok.text[2:] if tok.text.startswith("//") else tok.text[2:-2]
        lines += [ln.strip().lstrip("*").strip() for ln in body.splitlines()]
    return " ".join(ln for ln in lines if ln)


def split_top_level(text: str, sep: str = ",", angles: bool = False) -> list[str]:
    """Split ``text`` on ``sep`` outside brackets and literals (call arguments; with ``angles``, type lists)."""
    opening, closing = ("([{<", ")]}>") if angles else ("([{", ")]}")
    parts, depth, cur = [], 0, 0
    for tok in gate_tokens(text):
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
    functions = [d for d in declarations(source) if d.kind.startswith(("function", "predicate"))]
    by_name = {d.name: d for d in functions}
    wanted: set[str] = set()
    todo = [t.text for e in exprs for t in gate_tokens(e) if t.kind == "ident"]
    while todo:
        name = todo.pop()
        if name in by_name and name not in wanted:
            wanted.add(name)
            d = by_name[name]
            todo += [t.text for t in gate_tokens(source[d.start : d.end]) if t.kind == "ident"]
    return [d for d in functions if d.name in wanted]


def definitions_text(source: str, exprs: list[str]) -> str:
    """The source text of :func:`contract_helpers`, as a block a prompt can show or a verifier can prepend."""
    return "\n\n".join(source[d.start : d.end].strip() for d in contract_helpers(source, exprs))
