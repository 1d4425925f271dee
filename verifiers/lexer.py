"""A small Dafny lexer: identifiers, keywords, numbers, strings, chars, operators, comments and attributes.

The integrity gate and the dialect bridge must never mistake text inside a comment, a string or an
attribute for code (``// assume false`` is not an ``assume``), so both work on these tokens, not on raw
text. The lexer knows enough of Dafny 2.x and 4.x to split any program into tokens; it does not parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KEYWORDS = frozenset(
    """
    abstract allocated array as assert assume bool break by calc case char class codatatype colemma const
    constructor continue copredicate datatype decreases else ensures exists expect export extends false
    for forall fresh function ghost if imap import in include inductive int invariant is iset iterator
    label lemma map match method modifies modify module multiset nat new newtype null object old
    opened predicate print protected reads real refines requires return returns reveal seq set static string
    then this trait true twostate type unchanged var where while yield yields ORDINAL
    """.split()
)
# ``to``, ``downto``, ``least``, ``greatest`` and ``opaque`` are contextual words in Dafny 4 (a program may use
# them as names), so they are lexed as identifiers and recognised by position in ``verifiers.syntax``.

MULTI_OPS = (
    "<==>", "==>", "<==", "...", "!in", "==", "!=", "<=", ">=", "&&", "||", ":=", "::", ":|", ":-", "..", "=>",
    "->", "<<", ">>", "{:",
)
SINGLE_OPS = set("{}()[]<>,;:.|+-*/%!=&^~@#?'\"`$\\")


class LexError(ValueError):
    """The source cannot be split into tokens (an unterminated comment, string or attribute)."""

    def __init__(self, message: str, line: int, col: int) -> None:
        self.line = line
        self.col = col
        super().__init__(f"line {line}, column {col}: {message}")


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is ident, keyword, number, string, char, op, attr or comment.

    ``start``/``end`` are offsets into the source; ``line``/``col`` are 1-based. An ``attr`` token spans a
    whole attribute ``{:name args}``; its ``inner`` holds the tokens between ``{:`` and ``}``.
    """

    kind: str
    text: str
    start: int
    end: int
    line: int
    col: int
    inner: tuple[Token, ...] = field(default=(), compare=False, repr=False)

    @property
    def attr_name(self) -> str:
        """The name of an attribute token (``{:verify false}`` -> ``verify``), else ``""``."""
        if self.kind != "attr" or not self.inner:
            return ""
        return self.inner[0].text

    @property
    def attr_args(self) -> str:
        """The argument tokens of an attribute, joined by single spaces."""
        return " ".join(t.text for t in self.inner[1:])

    def is_(self, *texts: str) -> bool:
        """True if this is a keyword, identifier or operator token with one of ``texts``."""
        return self.kind in ("keyword", "ident", "op") and self.text in texts


def _is_id_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_"


def _is_id_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_?'"


class _Scanner:
    def __init__(self, source: str) -> None:
        self.src = source
        self.n = len(source)

    def where(self, pos: int) -> tuple[int, int]:
        line = self.src.count("\n", 0, pos) + 1
        col = pos - (self.src.rfind("\n", 0, pos) + 1) + 1
        return line, col

    def error(self, message: str, pos: int) -> LexError:
        return LexError(message, *self.where(pos))

    def block_comment_end(self, pos: int) -> int:
        """End offset of the (nested) block comment starting at ``pos``."""
        depth, i = 0, pos
        while i < self.n:
            if self.src.startswith("/*", i):
                depth += 1
                i += 2
            elif self.src.startswith("*/", i):
                depth -= 1
                i += 2
                if depth == 0:
                    return i
            else:
                i += 1
        raise self.error("unterminated comment", pos)

    def string_end(self, pos: int) -> int:
        i = pos + 1
        while i < self.n:
            ch = self.src[i]
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                return i + 1
            if ch == "\n":
                break
            i += 1
        raise self.error("unterminated string", pos)

    def verbatim_string_end(self, pos: int) -> int:
        i = pos + 2
        while i < self.n:
            if self.src[i] == '"':
                if self.src.startswith('""', i):
                    i += 2
                    continue
                return i + 1
            i += 1
        raise self.error("unterminated verbatim string", pos)

    def char_end(self, pos: int) -> int | None:
        """End of a char literal at ``pos`` (``'a'``, ``'\\n'``, ``'\\u0041'``), or None if it is not one."""
        src = self.src
        if pos + 2 < self.n and src[pos + 1] == "\\":
            close = src.find("'", pos + 3)
            if close != -1 and close - pos <= 12 and "\n" not in src[pos:close]:
                return close + 1
            return None
        if pos + 2 < self.n and src[pos + 2] == "'" and src[pos + 1] != "\n":
            return pos + 3
        return None

    def number_end(self, pos: int) -> int:
        src, i = self.src, pos
        if src.startswith(("0x", "0X"), i):
            i += 2
            while i < self.n and (src[i] in "0123456789abcdefABCDEF_"):
                i += 1
            return i
        while i < self.n and (src[i].isdigit() or src[i] == "_"):
            i += 1
        if i + 1 < self.n and src[i] == "." and src[i + 1].isdigit():  # 1.5 but not 1..2
            i += 1
            while i < self.n and (src[i].isdigit() or src[i] == "_"):
                i += 1
        return i


def tokenize(source: str, keep_comments: bool = False) -> list[Token]:
    """Split ``source`` into tokens; attributes become single ``attr`` tokens.

    Raises:
        LexError: an unterminated block comment, string, verbatim string or attribute.
    """
    flat = _flat_tokens(source, keep_comments)
    return _merge_attributes(flat, source)


def _flat_tokens(source: str, keep_comments: bool) -> list[Token]:
    sc = _Scanner(source)
    src, n = source, len(source)
    tokens: list[Token] = []
    line, line_start, i = 1, 0, 0

    def emit(kind: str, start: int, end: int) -> None:
        tokens.append(Token(kind, src[start:end], start, end, line, start - line_start + 1))

    while i < n:
        ch = src[i]
        if ch == "\n":
            line += 1
            line_start = i + 1
            i += 1
            continue
        if ch.isspace():
            i += 1
            continue
        if src.startswith("//", i):
            end = src.find("\n", i)
            end = n if end == -1 else end
            if keep_comments:
                emit("comment", i, end)
            i = end
            continue
        if src.startswith("/*", i):
            end = sc.block_comment_end(i)
        elif ch == '"':
            end = sc.string_end(i)
        elif src.startswith('@"', i):
            end = sc.verbatim_string_end(i)
        elif ch == "'" and (c_end := sc.char_end(i)) is not None:
            end = c_end
        elif ch.isdigit():
            end = sc.number_end(i)
        elif _is_id_start(ch):
            end = i + 1
            while end < n and _is_id_char(src[end]):
                end += 1
        else:
            op = next((o for o in MULTI_OPS if src.startswith(o, i)), None)
            end = i + (len(op) if op else 1)
            if op == "!in" and end < n and _is_id_char(src[end]):  # `!inside` is `!` then `inside`
                end = i + 1
        text = src[i:end]
        if text.startswith("/*"):
            kind = "comment"
        elif text.startswith(('"', '@"')):
            kind = "string"
        elif text.startswith("'"):
            kind = "char"
        elif ch.isdigit():
            kind = "number"
        elif _is_id_start(ch):
            kind = "keyword" if text in KEYWORDS else "ident"
        else:
            kind = "op"
        if kind != "comment" or keep_comments:
            emit(kind, i, end)
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = i + text.rfind("\n") + 1
        i = end
    return tokens


def _merge_attributes(tokens: list[Token], source: str) -> list[Token]:
    """Fold ``{:`` ... matching ``}`` into one ``attr`` token (attributes may nest braces in their args)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "op" and tok.text == "{:":
            depth, j = 1, i + 1
            while j < len(tokens) and depth:
                t = tokens[j]
                if t.kind == "op" and t.text in ("{", "{:"):
                    depth += 1
                elif t.kind == "op" and t.text == "}":
                    depth -= 1
                j += 1
            if depth:
                raise LexError("unterminated attribute", tok.line, tok.col)
            close = tokens[j - 1]
            inner = tuple(t for t in tokens[i + 1 : j - 1] if t.kind != "comment")
            out.append(Token("attr", source[tok.start : close.end], tok.start, close.end, tok.line, tok.col, inner))
            i = j
            continue
        out.append(tok)
        i += 1
    return out


def line_col(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``source``."""
    line = source.count("\n", 0, offset) + 1
    col = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, col


def normalize(tokens: list[Token]) -> str:
    """Tokens joined by single spaces: two expressions that differ only in layout or comments compare equal."""
    return " ".join(t.text for t in tokens if t.kind != "comment")
