"""Errors of the Dafny -> Python compiler: each names the construct and the line it was found on."""

from __future__ import annotations

from pipeline.errors import UserError


class UnsupportedConstruct(UserError):
    """A Dafny construct the compiler does not translate; raised instead of emitting code that could be wrong.

    ``line`` is a line of the text the compiler read (the resolved, ghost-free program when the input went
    through Dafny; ``0`` when unknown); ``decl`` names the enclosing declaration (``method Foo``) and
    ``source_line`` is that declaration's line in the user's source, when the compiler could find them.
    """

    def __init__(self, construct: str, line: int = 0, detail: str = "") -> None:
        self.construct = construct
        self.line = line
        self.detail = detail
        self.decl = ""
        self.source_line = 0
        super().__init__(construct)

    def in_decl(self, decl: str) -> UnsupportedConstruct:
        """Record the enclosing declaration (the innermost one wins)."""
        if not self.decl:
            self.decl = decl
        return self

    def __str__(self) -> str:
        where = []
        if self.decl:
            where.append(f"in {self.decl}" + (f" (source line {self.source_line})" if self.source_line else ""))
        if self.line:
            where.append(f"line {self.line} of the resolved program")
        extra = f": {self.detail}" if self.detail else ""
        return f"unsupported Dafny construct '{self.construct}'{extra}" + (f" ({', '.join(where)})" if where else "")


class DafnySyntaxError(UserError):
    """The text is not Dafny the parser understands (a lexical or grammatical error at ``line``:``column``)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        self.message = message
        self.line = line
        self.column = column
        super().__init__(f"Dafny syntax error at line {line}, column {column}: {message}")
