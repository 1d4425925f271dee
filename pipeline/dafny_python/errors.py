"""Errors of the Dafny -> Python compiler: each names the construct and the line it was found on."""

from __future__ import annotations

from pipeline.errors import UserError


class UnsupportedConstruct(UserError):
    """A Dafny construct the compiler does not translate; raised instead of emitting code that could be wrong.

    ``line`` is a line of the text the compiler read (the resolved, ghost-free program when the input went
    through Dafny), ``0`` when unknown.
    """

    def __init__(self, construct: str, line: int = 0, detail: str = "") -> None:
        self.construct = construct
        self.line = line
        self.detail = detail
        where = f" (line {line})" if line else ""
        extra = f": {detail}" if detail else ""
        super().__init__(f"unsupported Dafny construct '{construct}'{where}{extra}")


class DafnySyntaxError(UserError):
    """The text is not Dafny the parser understands (a lexical or grammatical error at ``line``:``column``)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        self.message = message
        self.line = line
        self.column = column
        super().__init__(f"Dafny syntax error at line {line}, column {column}: {message}")
