"""Tokens of Dafny source text (the subset Dafny's resolved printer and ordinary programs use).

Identifiers keep Dafny's extra characters (``x'``, ``Node?``, ``array?``, the printer's ``i#inv``); block comments
nest as in Dafny; string and character literals are decoded to their Python values.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifiers.front.errors import DafnySyntaxError

# Longest first, so that "<==>" wins over "<==" over "<=" over "<".
OPERATORS = [
    "<==>", "==>", "<==", "-->", "~>", "->", ":=", "::", ":|", "==", "!=", "!!", "<=", ">=", "<<", ">>",
    "&&", "||", "=>", "..", "+", "-", "*", "/", "%", "<", ">", "=", "!", "&", "|", "^", "~", "(", ")", "{",
    "}", "[", "]", ",", ";", ":", ".", "@", "?", "`", "#",
]

ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is ``ident``, ``int``, ``real``, ``string``, ``char``, ``op`` or ``eof``."""

    kind: str
    text: str
    line: int
    col: int
    value: object = None

    def is_op(self, *ops: str) -> bool:
        return self.kind == "op" and self.text in ops

    def is_word(self, *words: str) -> bool:
        return self.kind == "ident" and self.text in words


def _one_of(ch: str, chars: str) -> bool:
    """``ch in chars`` for one character (the empty string at the end of the text is in no set)."""
    return len(ch) == 1 and ch in chars


def _ident_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_")


def _ident_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or _one_of(ch, "_'?#"))


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.col = 1
        self.tokens: list[Token] = []

    def error(self, message: str) -> DafnySyntaxError:
        return DafnySyntaxError(message, self.line, self.col)

    def advance(self, n: int = 1) -> str:
        chunk = self.text[self.pos : self.pos + n]
        for ch in chunk:
            if ch == "\n":
                self.line += 1
                self.col = 1
            else:
                self.col += 1
        self.pos += n
        return chunk

    def peek(self, k: int = 0) -> str:
        i = self.pos + k
        return self.text[i] if i < len(self.text) else ""

    def skip_space_and_comments(self) -> None:
        while self.pos < len(self.text):
            ch = self.peek()
            if _one_of(ch, " \t\r\n\f\v"):
                self.advance()
            elif ch == "/" and self.peek(1) == "/":
                while self.pos < len(self.text) and self.peek() != "\n":
                    self.advance()
            elif ch == "/" and self.peek(1) == "*":
                self.block_comment()
            else:
                return

    def block_comment(self) -> None:
        depth = 0
        while True:
            if self.pos >= len(self.text):
                raise self.error("unterminated comment")
            if self.peek() == "/" and self.peek(1) == "*":
                depth += 1
                self.advance(2)
            elif self.peek() == "*" and self.peek(1) == "/":
                depth -= 1
                self.advance(2)
                if depth == 0:
                    return
            else:
                self.advance()

    def escape(self) -> str:
        """Decode the escape after a backslash (the backslash already consumed)."""
        ch = self.peek()
        if len(ch) == 1 and ch in ESCAPES:
            self.advance()
            return ESCAPES[ch]
        if ch == "u":
            digits = self.text[self.pos + 1 : self.pos + 5]
            if len(digits) != 4 or not all(_one_of(c, "0123456789abcdefABCDEF") for c in digits):
                raise self.error("bad \\u escape")
            self.advance(5)
            return chr(int(digits, 16))
        raise self.error(f"unknown escape '\\{ch}'")

    def string(self) -> str:
        self.advance()  # opening quote
        out = []
        while True:
            ch = self.peek()
            if not ch or ch == "\n":
                raise self.error("unterminated string")
            self.advance()
            if ch == '"':
                return "".join(out)
            out.append(self.escape() if ch == "\\" else ch)

    def verbatim_string(self) -> str:
        self.advance(2)  # @"
        out = []
        while True:
            ch = self.peek()
            if not ch:
                raise self.error("unterminated verbatim string")
            self.advance()
            if ch == '"':
                if self.peek() == '"':
                    self.advance()
                    out.append('"')
                    continue
                return "".join(out)
            out.append(ch)

    def char(self) -> str:
        self.advance()  # opening quote
        ch = self.peek()
        if not ch or ch == "\n":
            raise self.error("unterminated character literal")
        self.advance()
        value = self.escape() if ch == "\\" else ch
        if self.peek() != "'":
            raise self.error("character literal must hold one character")
        self.advance()
        return value

    def number(self, after_dot: bool) -> Token:
        line, col, start = self.line, self.col, self.pos
        if self.peek() == "0" and _one_of(self.peek(1), "xX"):
            self.advance(2)
            while _one_of(self.peek(), "0123456789abcdefABCDEF_"):
                self.advance()
            text = self.text[start : self.pos]
            return Token("int", text, line, col, int(text[2:].replace("_", ""), 16))
        while self.peek().isdigit() or self.peek() == "_":
            self.advance()
        if not after_dot and self.peek() == "." and self.peek(1).isdigit():
            self.advance()
            while self.peek().isdigit() or self.peek() == "_":
                self.advance()
            text = self.text[start : self.pos]
            return Token("real", text, line, col, text.replace("_", ""))
        text = self.text[start : self.pos]
        return Token("int", text, line, col, int(text.replace("_", "")))

    def run(self) -> list[Token]:
        while True:
            self.skip_space_and_comments()
            if self.pos >= len(self.text):
                self.tokens.append(Token("eof", "", self.line, self.col))
                return self.tokens
            ch = self.peek()
            line, col = self.line, self.col
            prev = self.tokens[-1] if self.tokens else None
            if _ident_start(ch):
                start = self.pos
                while _ident_char(self.peek()):
                    self.advance()
                self.tokens.append(Token("ident", self.text[start : self.pos], line, col))
            elif ch.isdigit():
                self.tokens.append(self.number(after_dot=prev is not None and prev.is_op(".")))
            elif ch == '"':
                start = self.pos
                value = self.string()
                self.tokens.append(Token("string", self.text[start : self.pos], line, col, value))
            elif ch == "@" and self.peek(1) == '"':
                start = self.pos
                value = self.verbatim_string()
                self.tokens.append(Token("string", self.text[start : self.pos], line, col, value))
            elif ch == "'":
                start = self.pos
                value = self.char()
                self.tokens.append(Token("char", self.text[start : self.pos], line, col, value))
            else:
                for op in OPERATORS:
                    if self.text.startswith(op, self.pos):
                        self.advance(len(op))
                        self.tokens.append(Token("op", op, line, col))
                        break
                else:
                    raise self.error(f"unexpected character {ch!r}")


def tokenize(text: str) -> list[Token]:
    """Split Dafny text into tokens, ending with an ``eof`` token.

    Raises:
        DafnySyntaxError: an unterminated literal or comment, or a character Dafny does not use.
    """
    return _Lexer(text).run()
