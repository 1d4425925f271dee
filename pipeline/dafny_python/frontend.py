"""The compiler's input: a verified program, resolved and with ghost code erased by Dafny itself.

Dafny 2.3 prints the resolved program with ``/rprint:- /printMode:NoGhost`` (local types explicit, specs, lemmas,
ghost variables and asserts gone); the verification stage's dialect bridge first turns Dafny 4 syntax (compiled
``function``, ``for`` loops) into what 2.3 reads. Both live in :mod:`verifiers.api`.
"""

from __future__ import annotations

from pipeline.errors import UserError

RESOLVED_MARKER = "// p2s: resolved"


def ghost_free(source: str, timeout: float = 60.0) -> str:
    """The resolved, ghost-free text of ``source`` (Dafny 4 or 3 syntax).

    Raises:
        ToolMissingError: Dafny is not installed.
        UserError: the program does not parse or resolve.
    """
    try:
        from verifiers.api import ghost_free_program
    except ImportError as exc:  # pragma: no cover - the verifiers package is part of this repository
        raise UserError(f"the Dafny front end is unavailable ({exc}); install the project with 'make setup'") from None
    return ghost_free_program(source, timeout=timeout)
