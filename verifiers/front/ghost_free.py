"""The compiler's input: a verified program, resolved and with ghost code erased by Dafny itself.

Dafny 2.3 prints the resolved program with ``/rprint:- /printMode:NoGhost`` (local types explicit, specs, lemmas,
ghost variables and asserts gone); the verification stage's dialect bridge first turns Dafny 4 syntax (compiled
``function``, ``for`` loops) into what 2.3 reads. Both live in :mod:`verifiers`.

One printer gap is closed here, before Dafny runs: for ``var g, x := M(a);`` where ``M``'s first result is
ghost, the ghost-free printer drops the whole statement (call included). :func:`split_ghost_result_decls`
rewrites such a declaration, on its own line, into ``ghost var g; var x; g, x := M(a);``, which Dafny resolves
the same way and prints as ``var x: T; g, x := M(a);`` (the compiler drops the ghost target).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GhostFree:
    """The printed program, and whether declarations with ghost results were split before printing (so no
    call was lost; when ``False``, the compiler refuses programs where one could have been)."""

    text: str
    calls_kept: bool


def ghost_free(source: str, timeout: float = 60.0, bridged: bool = False) -> GhostFree:
    """The resolved, ghost-free text of ``source``.

    ``bridged``: ``source`` is already in the installed Dafny's dialect (the verify stage's ``verified_dfy``);
    it goes to Dafny without the bridge, since bridging it again could misread its dialect (a Dafny 3 program
    whose only functions are ghost ``function``s looks like Dafny 4).

    Raises:
        ToolMissingError: Dafny is not installed.
        UserError: the program does not parse or resolve.
    """
    prepared, kept = split_ghost_result_decls(source)
    if bridged:
        from verifiers.dafny import Dafny

        return GhostFree(Dafny().ghost_free(prepared, timeout=timeout), kept)
    from verifiers.api import ghost_free_program

    return GhostFree(ghost_free_program(prepared, timeout=timeout), kept)


def split_ghost_result_decls(source: str) -> tuple[str, bool]:
    """Rewrite each ``var a, b := M(args);`` whose method ``M`` has ghost results into separate declarations
    and an assignment, on the same line. Returns the text and whether it is safe from lost calls (``False``
    when the source could not be read and it has methods with ghost results)."""
    from verifiers.front import ast as A
    from verifiers.front.errors import DafnySyntaxError, UnsupportedConstruct
    from verifiers.front.lexer import tokenize
    from verifiers.front.parser import parse_program, source_dialect

    try:
        program = parse_program(source, dialect=source_dialect(source))
        tokens = tokenize(source)
    except (DafnySyntaxError, UnsupportedConstruct):
        return source, "ghost" not in source
    ghost_results = {d.name: [f.ghost for f in d.outs] for d in program.decls
                     if isinstance(d, A.Method) and any(f.ghost for f in d.outs)}
    if not ghost_results:
        return source, True
    starts = [0]
    for i, ch in enumerate(source):
        if ch == "\n":
            starts.append(i + 1)

    def offset(tok) -> int:  # noqa: ANN001 - a lexer token
        return starts[tok.line - 1] + tok.col - 1

    edits: list[tuple[int, int, str]] = []
    for i, tok in enumerate(tokens):
        if not tok.is_word("var") or (i > 0 and tokens[i - 1].is_word("ghost")):
            continue
        edit = _split_one(tokens, i, ghost_results, offset, source)
        if edit is not None:
            edits.append(edit)
    for start, end, text in reversed(edits):
        source = source[:start] + text + source[end:]
    return source, True


def _split_one(tokens: list, i: int, ghost_results: dict[str, list[bool]], offset, source: str):  # noqa: ANN001
    """The edit for the declaration starting at token ``i``, or ``None`` when it is not such a call."""
    names: list[tuple[str, str]] = []  # (name, ": type" text or "")
    j = i + 1
    while True:
        if tokens[j].kind != "ident":
            return None
        name = tokens[j].text
        j += 1
        type_text = ""
        if tokens[j].is_op(":"):
            depth, k = 0, j + 1
            while not (depth == 0 and (tokens[k].is_op(",") or tokens[k].is_op(":="))):
                if tokens[k].kind == "eof" or tokens[k].is_op(";"):
                    return None
                depth += tokens[k].is_op("<", "(") - tokens[k].is_op(">", ")")
                k += 1
            type_text = ": " + source[offset(tokens[j + 1]):offset(tokens[k])].strip()
            j = k
        names.append((name, type_text))
        if tokens[j].is_op(","):
            j += 1
            continue
        break
    if not tokens[j].is_op(":="):
        return None
    callee = tokens[j + 1]
    if callee.kind != "ident" or callee.text not in ghost_results or not tokens[j + 2].is_op("(", "<"):
        return None
    ghosts = ghost_results[callee.text]
    if len(ghosts) != len(names):
        return None
    k, depth = j + 1, 0
    while True:
        t = tokens[k]
        if t.kind == "eof":
            return None
        depth += t.is_op("(") - t.is_op(")")
        if depth == 0 and t.is_op(";"):
            break
        k += 1
    call = source[offset(tokens[j + 1]):offset(tokens[k])]
    decls = " ".join(f"{'ghost ' if g else ''}var {n}{t};" for (n, t), g in zip(names, ghosts, strict=True))
    text = f"{decls} {', '.join(n for n, _ in names)} := {call};"
    return offset(tokens[i]), offset(tokens[k]) + 1, text
