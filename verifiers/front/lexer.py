"""The one Dafny lexer: a single scanner and the two views of its tokens that the project reads.

:func:`scan` splits Dafny 2.x/4.x source into identifiers, numbers, strings, chars, operators and comments, as
Dafny's own scanner does (``{:``, ``!in``, ``...`` are tokens; identifiers are letters, digits and ``_?'``;
block comments nest). It never decodes anything and never rejects a character: only an unterminated comment,
string or verbatim string is an error. Two views map its output for their callers:

* :func:`gate_tokens`, for the integrity gate, the dialect bridge and the importers: reserved words become
  ``keyword`` tokens and every attribute ``{:name args}`` one ``attr`` token, so that text inside a comment, a
  string or an attribute is never mistaken for code (``// assume false`` is not an ``assume``);
* :func:`tokenize`, for the parser: comments dropped, reserved words stay ``ident``, numbers are ``int`` or
  ``real`` and literals carry their decoded ``value``, operators are the parser's (``{`` ``:`` for ``{:``,
  ``-->``, ``!!``), ``t.0.1`` is member ``0`` then ``1``, the resolved printer's ``i#inv`` is one identifier,
  and an ``eof`` token ends the list.

Both raise :class:`LexError`, which is a :class:`~verifiers.front.errors.DafnySyntaxError` (what the parser's
callers catch) and a :class:`ValueError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from verifiers.front.errors import DafnySyntaxError

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

# The scanner's multi-character operators, longest first where one is a prefix of another; any other
# character that starts no token is a one-character ``op``.
MULTI_OPS = (
    "<==>", "==>", "<==", "...", "!in", "==", "!=", "<=", ">=", "&&", "||", ":=", "::", ":|", ":-", "..", "=>",
    "->", "<<", ">>", "{:",
)

# The operators of the parser's view, longest first, so that "<==>" wins over "<==" over "<=" over "<".
OPERATORS = [
    "<==>", "==>", "<==", "-->", "~>", "->", ":=", "::", ":|", "==", "!=", "!!", "<=", ">=", "<<", ">>",
    "&&", "||", "=>", "..", "+", "-", "*", "/", "%", "<", ">", "=", "!", "&", "|", "^", "~", "(", ")", "{",
    "}", "[", "]", ",", ";", ":", ".", "@", "?", "`", "#",
]

ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", "'": "'", '"': '"'}
_HEX = frozenset("0123456789abcdefABCDEF")
# what an identifier of Dafny's resolved printer is made of (``i#inv``): ASCII letters, digits and ``_'?#``
_PRINTED_IDENT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'?#")


class LexError(DafnySyntaxError, ValueError):
    """The text cannot be split into tokens: an unterminated comment, string or attribute, or (parser's view)
    a malformed literal or a character the parser does not read. ``line``/``column`` (alias ``col``) are 1-based.
    """

    @property
    def col(self) -> int:
        return self.column


@dataclass(frozen=True)
class Token:
    """One token, with its ``text``, its offsets ``start``/``end`` in the source and its 1-based ``line``/``col``.

    ``kind`` is ``ident``, ``number``, ``string``, ``char``, ``op`` or ``comment`` as scanned; the gate's view
    adds ``keyword`` and ``attr`` (an attribute ``{:name args}``, its ``inner`` tokens those between ``{:`` and
    ``}``); the parser's view has ``int``, ``real`` and ``eof`` instead of ``number`` and sets ``value`` (the
    decoded string or char, the int, the real's digits without ``_``).
    """

    kind: str
    text: str
    start: int
    end: int
    line: int
    col: int
    value: object = None
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

    def is_op(self, *ops: str) -> bool:
        return self.kind == "op" and self.text in ops

    def is_word(self, *words: str) -> bool:
        """True if this is an identifier with one of ``words`` (in the parser's view keywords are identifiers)."""
        return self.kind == "ident" and self.text in words

    def _as(self, kind: str, value: object = None) -> Token:
        return Token(kind, self.text, self.start, self.end, self.line, self.col, value, self.inner)

    def _part(self, kind: str, a: int, b: int, value: object = None) -> Token:
        """The token for characters ``a:b`` of this one-line token's text."""
        return Token(kind, self.text[a:b], self.start + a, self.start + b, self.line, self.col + a, value)


def line_col(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``source``."""
    line = source.count("\n", 0, offset) + 1
    col = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, col


def normalize(tokens: list[Token]) -> str:
    """Tokens joined by single spaces: two expressions that differ only in layout or comments compare equal."""
    return " ".join(t.text for t in tokens if t.kind != "comment")


def _error(source: str, message: str, offset: int) -> LexError:
    return LexError(message, *line_col(source, offset))


# ------------------------------------------------------------------------------------------ the scanner


def _is_id_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_"


def _is_id_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_?'"


def _block_comment_end(src: str, pos: int) -> int:
    """End offset of the (nested) block comment starting at ``pos``; one never closed runs to the end of the
    text, as in Dafny's own scanner (Dafny 2.3 and 4 verify what comes before it; public programs do this)."""
    depth, i, n = 0, pos, len(src)
    while i < n:
        if src.startswith("/*", i):
            depth += 1
            i += 2
        elif src.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _string_end(src: str, pos: int) -> int:
    i, n = pos + 1, len(src)
    while i < n:
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        if ch == "\n":
            break
        i += 1
    raise _error(src, "unterminated string", pos)


def _verbatim_string_end(src: str, pos: int) -> int:
    i, n = pos + 2, len(src)
    while i < n:
        if src[i] == '"':
            if src.startswith('""', i):
                i += 2
                continue
            return i + 1
        i += 1
    raise _error(src, "unterminated verbatim string", pos)


def _char_end(src: str, pos: int) -> int | None:
    """End of a char literal at ``pos`` (``'a'``, ``'\\n'``, ``'\\u0041'``), or None if it is not one."""
    n = len(src)
    if pos + 2 < n and src[pos + 1] == "\\":
        close = src.find("'", pos + 3)
        if close != -1 and close - pos <= 12 and "\n" not in src[pos:close]:
            return close + 1
        return None
    if pos + 2 < n and src[pos + 2] == "'" and src[pos + 1] != "\n":
        return pos + 3
    return None


def _number_end(src: str, pos: int) -> int:
    i, n = pos, len(src)
    if src.startswith(("0x", "0X"), i):
        i += 2
        while i < n and src[i] in "0123456789abcdefABCDEF_":
            i += 1
        return i
    while i < n and (src[i].isdigit() or src[i] == "_"):
        i += 1
    if i + 1 < n and src[i] == "." and src[i + 1].isdigit():  # 1.5 but not 1..2
        i += 1
        while i < n and (src[i].isdigit() or src[i] == "_"):
            i += 1
    return i


def scan(source: str) -> Iterator[Token]:
    """The tokens of ``source`` in order, comments included (kinds ident, number, string, char, op, comment).

    Raises:
        LexError: an unterminated block comment, string or verbatim string (at its first character).
    """
    src, n = source, len(source)
    line, line_start, i = 1, 0, 0
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
            kind = "comment"
        elif src.startswith("/*", i):
            end, kind = _block_comment_end(src, i), "comment"
        elif ch == '"':
            end, kind = _string_end(src, i), "string"
        elif src.startswith('@"', i):
            end, kind = _verbatim_string_end(src, i), "string"
        elif ch == "'":  # a quote that closes no literal is a one-character ``char`` token (Dafny rejects it)
            end, kind = _char_end(src, i) or i + 1, "char"
        elif ch.isdigit():
            end, kind = _number_end(src, i), "number"
        elif _is_id_start(ch):
            end, kind = i + 1, "ident"
            while end < n and _is_id_char(src[end]):
                end += 1
        else:
            op = next((o for o in MULTI_OPS if src.startswith(o, i)), None)
            end, kind = i + (len(op) if op else 1), "op"
            if op == "!in" and end < n and _is_id_char(src[end]):  # `!inside` is `!` then `inside`
                end = i + 1
        text = src[i:end]
        yield Token(kind, text, i, end, line, i - line_start + 1)
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = i + text.rfind("\n") + 1
        i = end


# ------------------------------------------------------------------------------------------ the gate's view


def gate_tokens(source: str, keep_comments: bool = False) -> list[Token]:
    """The integrity gate's tokens: reserved words are ``keyword``, attributes single ``attr`` tokens.

    Raises:
        LexError: an unterminated block comment, string, verbatim string or attribute.
    """
    flat = [t._as("keyword") if t.kind == "ident" and t.text in KEYWORDS else t
            for t in scan(source) if keep_comments or t.kind != "comment"]
    return _fold_attributes(flat, source)


def _fold_attributes(tokens: list[Token], source: str) -> list[Token]:
    """Fold ``{:`` ... matching ``}`` into one ``attr`` token (attributes may nest braces in their args).

    Dafny's grammar reads an attribute's opening as ``{`` then ``:``, so ``{ :axiom }`` and ``{/*x*/:axiom}``
    are attributes too (Dafny 2.3 honours them): a ``{`` whose next code token is ``:`` opens one.
    """
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        opens = _attribute_opening(tokens, i)
        if opens:
            depth, j = 1, i + opens
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
            inner = tuple(t for t in tokens[i + opens : j - 1] if t.kind != "comment")
            out.append(Token("attr", source[tok.start : close.end], tok.start, close.end, tok.line, tok.col,
                             inner=inner))
            i = j
            continue
        out.append(tok)
        i += 1
    return out


def _attribute_opening(tokens: list[Token], i: int) -> int:
    """How many tokens open an attribute at ``i`` (``{:``; ``{`` and ``:`` with layout between), else 0."""
    tok = tokens[i]
    if tok.kind != "op":
        return 0
    if tok.text == "{:":
        return 1
    if tok.text != "{":
        return 0
    j = i + 1
    while j < len(tokens) and tokens[j].kind == "comment":
        j += 1
    return j + 1 - i if j < len(tokens) and tokens[j].kind == "op" and tokens[j].text == ":" else 0


# ------------------------------------------------------------------------------------------ the parser's view


class _Lookahead:
    """The scanner's code tokens with ``!in`` as ``!`` ``in``, one at a time, with peeking and pushing back."""

    def __init__(self, source: str) -> None:
        self._it = scan(source)
        self._buf: list[Token] = []

    def _fill(self) -> bool:
        for t in self._it:
            if t.kind == "comment":
                continue
            if t.kind == "op" and t.text == "!in":
                self._buf += [t._part("op", 0, 1), t._part("ident", 1, 3)]
            else:
                self._buf.append(t)
            return True
        return False

    def peek(self) -> Token | None:
        return self._buf[0] if self._buf or self._fill() else None

    def pop(self) -> Token | None:
        return self._buf.pop(0) if self._buf or self._fill() else None

    def push(self, *toks: Token) -> None:
        self._buf[:0] = toks

    def adjacent_to(self, offset: int) -> Token | None:
        """The next token if it starts at ``offset`` (nothing, not even a comment, in between), else None."""
        t = self.peek()
        return t if t is not None and t.start == offset else None


def tokenize(text: str) -> list[Token]:
    """The parser's tokens of Dafny ``text``, ending with an ``eof`` token.

    Raises:
        LexError: an unterminated literal or comment, a malformed literal, or a character the parser does not
            read (in the order they occur in the text).
    """
    toks = _Lookahead(text)
    out: list[Token] = []
    while (t := toks.pop()) is not None:
        if t.kind == "ident":
            hash_sign = toks.adjacent_to(t.end)
            out.append(_printed_ident(t, toks) if hash_sign is not None and hash_sign.is_op("#") else t)
        elif t.kind == "number":
            out += _number(t, text, after_dot=bool(out) and out[-1].is_op("."))
        elif t.text == "'":
            nxt = text[t.end : t.end + 1]
            raise _error(text, "unterminated character literal" if nxt in ("", "\n")
                         else "character literal must hold one character", t.start)
        elif t.kind in ("string", "char"):
            out.append(t._as(t.kind, _literal_value(t, text)))
        else:
            run = [t]
            while (nxt := toks.adjacent_to(run[-1].end)) is not None and nxt.kind == "op":
                run.append(toks.pop())  # type: ignore[arg-type]
            out += _operators(run, text)
    line, col = line_col(text, len(text))
    out.append(Token("eof", "", len(text), len(text), line, col))
    return out


def _printed_ident(first: Token, toks: _Lookahead) -> Token:
    """``first`` joined with the tokens that continue it as an identifier of the printer (``i#inv``, ``k#2``)."""
    parts = [first.text]
    end = first.end
    while (t := toks.adjacent_to(end)) is not None:
        if set(t.text) <= _PRINTED_IDENT:
            toks.pop()
            parts.append(t.text)
            end = t.end
            continue
        if t.kind == "number" and "." in t.text:  # `a#1.5` is `a#1` `.` `5`
            toks.pop()
            dot = t.text.index(".")
            toks.push(t._part("op", dot, dot + 1), t._part("number", dot + 1, len(t.text)))
            parts.append(t.text[:dot])
            end = t.start + dot
        break
    return Token("ident", "".join(parts), first.start, end, first.line, first.col)


def _number(t: Token, text: str, after_dot: bool) -> list[Token]:
    """An ``int`` or ``real`` token with its value; after a ``.`` a real is two members (``t.0.1``)."""
    body = t.text.replace("_", "")
    if "." in body and after_dot:
        dot = t.text.index(".")
        return [*_number(t._part("number", 0, dot), text, True), t._part("op", dot, dot + 1),
                *_number(t._part("number", dot + 1, len(t.text)), text, True)]
    if "." in body:
        return [t._as("real", body)]
    try:
        value = int(body[2:], 16) if body[:2] in ("0x", "0X") else int(body)
    except ValueError:
        raise _error(text, f"malformed number {t.text!r}", t.start) from None
    return [t._as("int", value)]


def _literal_value(t: Token, text: str) -> str:
    """The value of a string or char literal, its escapes decoded."""
    if t.text.startswith("@"):
        return t.text[2:-1].replace('""', '"')
    out: list[str] = []
    i, last = 1, len(t.text) - 1
    while i < last:
        ch = t.text[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = t.text[i + 1] if i + 1 < last else ""
        if esc in ESCAPES:
            out.append(ESCAPES[esc])
            i += 2
        elif esc == "u" and len(digits := t.text[i + 2 : i + 6]) == 4 and set(digits) <= _HEX:
            out.append(chr(int(digits, 16)))
            i += 6
        elif esc == "u":
            raise _error(text, "bad \\u escape", t.start + i)
        else:
            raise _error(text, f"unknown escape '\\{esc}'", t.start + i)
    value = "".join(out)
    if t.kind == "char" and len(value) != 1:
        raise _error(text, "character literal must hold one character", t.start)
    return value


def _operators(run: list[Token], text: str) -> list[Token]:
    """The parser's operators in a run of adjacent operator tokens (``{:`` is ``{`` ``:``, ``-`` ``->`` is
    ``-->``): the run's text split longest-operator-first."""
    first, chars = run[0], "".join(t.text for t in run)
    joined = Token("op", chars, first.start, run[-1].end, first.line, first.col)
    out, i = [], 0
    while i < len(chars):
        op = next((o for o in OPERATORS if chars.startswith(o, i)), None)
        if op is None:
            raise _error(text, f"unexpected character {chars[i]!r}", first.start + i)
        out.append(joined._part("op", i, i + len(op)))
        i += len(op)
    return out
