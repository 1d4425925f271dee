"""The one error the Python → C compiler raises: a construct that has no synthesizable C form."""

from __future__ import annotations

from pipeline.errors import UserError


class NotSynthesizable(UserError):
    """``construct`` at ``line`` of the Python reference model cannot become HLS C, and ``reason`` says why.

    The C stage reports the message as its failure detail, so it names the construct, where it is, and
    (where there is one) what would make it synthesizable.
    """

    def __init__(self, construct: str, line: int | None, reason: str) -> None:
        self.construct = construct
        self.line = line
        self.reason = reason
        where = f" (line {line})" if line else ""
        super().__init__(f"not synthesizable: {construct}{where}: {reason}")
