"""The compiler's input: a verified program, resolved and with ghost code erased by Dafny itself.

Dafny 2.3 prints the resolved program with ``/rprint:- /printMode:NoGhost`` (local types explicit, specs, lemmas,
ghost variables and asserts gone); the verification stage's dialect bridge first turns Dafny 4 syntax (compiled
``function``, ``for`` loops) into what 2.3 reads. Both live in :mod:`verifiers`.
"""

from __future__ import annotations


def ghost_free(source: str, timeout: float = 60.0, bridged: bool = False) -> str:
    """The resolved, ghost-free text of ``source``.

    ``bridged``: ``source`` is already in the installed Dafny's dialect (the verify stage's ``verified_dfy``);
    it goes to Dafny as it is, since bridging it again could misread its dialect (a Dafny 3 program whose only
    functions are ghost ``function``s looks like Dafny 4).

    Raises:
        ToolMissingError: Dafny is not installed.
        UserError: the program does not parse or resolve.
    """
    if bridged:
        from verifiers.dafny import Dafny

        return Dafny().ghost_free(source, timeout=timeout)
    from verifiers.api import ghost_free_program

    return ghost_free_program(source, timeout=timeout)
