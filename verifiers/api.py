"""The verification entry points other parts call: :func:`verify_source`, :func:`verify_many` and
:func:`ghost_free_program`.

``verify_source`` runs the whole chain: integrity gate (and, with a task, the contract splice) -> dialect
bridge -> Dafny (cached) -> diagnostics mapped back to the user's lines -> the "at least one declaration
verified" rule. Escape hatches (``assume``, ``{:axiom}``, body-less declarations, ...) are never verified in
any sense this project relies on: with a task the gate rejects them before Dafny runs; without one Dafny
still judges the program (public programs use body-less functions as uninterpreted symbols on purpose), the
result says what Dafny said (``dafny_verified``) and what it trusted (``trusted``), and ``verified`` stays
false.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from pipeline.errors import UserError
from pipeline.task import Task
from verifiers.bridge import Bridged, bridge
from verifiers.dafny import Dafny, ghost_free_failure
from verifiers.diagnostics import Diagnostic, VerificationResult
from verifiers.front.lexer import LexError, gate_tokens
from verifiers.integrity import gate
from verifiers.resolution_check import resolution_errors
from verifiers.rewrite import Rewrite


def _map(d: Diagnostic, mapping: Rewrite, file: str | None) -> Diagnostic:
    """Move a diagnostic from the verified text's coordinates to the user's, noting spliced contract lines."""
    message = d.message
    line, col = d.line, d.column
    if line > 0:
        line, col, note = mapping.locate(d.line, d.column)
        if note:
            message = f"{message} [{note}]"
    related = []
    for r in d.related:
        r = dict(r)
        if r.get("line", 0) > 0:
            r["line"], r["column"], note = mapping.locate(r["line"], r["column"])
            if note:
                r["message"] = f"{r.get('message', '')} [{note}]".strip()
        r["file"] = file
        related.append(r)
    return Diagnostic(d.phase, line, col, message, related, file, d.severity)


def verify_source(
    source: str,
    task: Task | None = None,
    timeout: float = 60,
    *,
    dafny: Dafny | None = None,
    file: str | None = None,
    use_cache: bool = True,
) -> VerificationResult:
    """Verify a Dafny program (Dafny 4 or 3 dialect), against ``task``'s pinned contract when given.

    Args:
        source: the program text as the user (or LLM) wrote it.
        task: the task whose target method and contract the program must implement; ``None``: no task.
        timeout: seconds for the whole Dafny call (also Dafny's per-procedure limit).
        dafny: the verifier to use (default: the installed one).
        file: the name diagnostics carry (e.g. the user's path).
        use_cache: read and write the content-addressed result cache.

    Returns:
        The result; ``verified`` only in phase ``ok``. Positions are the user's lines and columns.

    Raises:
        ToolMissingError: no Dafny is installed (when ``dafny`` is not given).
    """
    start = time.monotonic()
    dafny = dafny or Dafny()
    version = dafny.version.text
    try:
        tokens = gate_tokens(source)
    except LexError as exc:
        diag = Diagnostic("parse", exc.line, exc.column, exc.message, file=file)
        return VerificationResult(False, "parse", [diag], 0, 1, time.monotonic() - start, version, source)
    checked = gate(source, task, tokens, allow_trusted=task is None)
    trusted = [t.to_dict() for t in checked.trusted]
    if not checked.ok:
        diags = [Diagnostic(v.phase, v.line, v.column, v.message, [], file) for v in checked.violations]
        return VerificationResult(False, "integrity", diags, 0, len(diags), time.monotonic() - start, version, source)
    scope_errors = resolution_errors(source)
    if scope_errors:  # what Dafny would say, without the seconds a Dafny call costs
        diags = [Diagnostic("resolution", e.line, e.column, e.message, [], file) for e in scope_errors]
        return VerificationResult(False, "resolution", diags, 0, len(diags), time.monotonic() - start, version,
                                  source)
    keep_ghost: frozenset[str] = frozenset()
    for _ in range(3):
        bridged = bridge(checked.rewrite.text, dafny.dialect, keep_ghost)
        raw = dafny.verify(bridged.text, timeout=timeout, use_cache=use_cache)
        more = uncompilable_functions(raw.diagnostics, bridged) if raw.phase == "resolution" else frozenset()
        if not more or more <= keep_ghost:
            break
        keep_ghost |= more
    mapping = checked.rewrite.then(bridged.rewrite)
    diags = [_map(d, mapping, file) for d in raw.diagnostics]
    result = VerificationResult(
        verified=raw.verified,
        phase=raw.phase,
        diagnostics=diags,
        verified_count=raw.verified_count,
        error_count=raw.error_count,
        seconds=time.monotonic() - start,
        dafny_version=version,
        program=bridged.text,
        timeout_count=raw.timeout_count,
        cached=raw.cached,
        trusted=trusted,
    )
    if result.phase == "ok" and result.verified_count < 1:
        result.verified = False
        result.phase = "integrity"
        result.diagnostics.append(Diagnostic("integrity", 0, 0, "nothing was verified (0 verified, 0 errors): "
                                             "there is no proof obligation Dafny checked", file=file))
    result.dafny_verified = result.verified
    if result.verified and checked.trusted:  # Dafny's yes rests on what it was told to trust
        result.verified = False
        result.phase = "integrity"
        result.diagnostics.extend(Diagnostic("integrity", t.line, t.column, f"trusted: {t.message}", file=file)
                                  for t in checked.trusted)
    return result


def verify_many(
    items: Iterable[str | tuple[str, Task | None]],
    timeout: float = 60,
    workers: int | None = None,
    *,
    dafny: Dafny | None = None,
    use_cache: bool = True,
) -> list[VerificationResult]:
    """Verify several programs at once (one Dafny process per worker; default: one per core).

    ``items`` are sources or ``(source, task)`` pairs; the results come back in the same order.
    """
    jobs = [(it, None) if isinstance(it, str) else it for it in items]
    dafny = dafny or Dafny()
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))

    def one(job: tuple[str, Task | None]) -> VerificationResult:
        return verify_source(job[0], job[1], timeout, dafny=dafny, use_cache=use_cache)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))


def ghost_free_program(source: str, timeout: float = 60, *, dafny: Dafny | None = None) -> str:
    """The program bridged to the installed dialect, resolved, with ghost code erased.

    This is the input of the Dafny -> Python compiler: types are explicit (``var k: int := 1``), specs,
    lemmas, ghost variables and asserts are gone, and compiled functions are ``function method`` on Dafny 3.

    Raises:
        ToolMissingError: no Dafny is installed.
        UserError: the program does not parse or resolve.
    """
    dafny = dafny or Dafny()
    keep_ghost: frozenset[str] = frozenset()
    for _ in range(3):
        try:
            bridged = bridge(source, dafny.dialect, keep_ghost)
        except LexError as exc:
            raise UserError(f"the Dafny program cannot be read: {exc}") from None
        text, parsed = dafny.print_ghost_free(bridged.text, timeout=timeout)
        more = uncompilable_functions(parsed.diagnostics, bridged) if parsed.phase == "resolution" else frozenset()
        if not more or more <= keep_ghost:
            break
        keep_ghost |= more
    if parsed.phase in ("parse", "resolution", "crash"):
        raise UserError(ghost_free_failure(parsed))
    return text if text.strip() else bridged.text


_COMPILE_ERROR = re.compile(r"ghost|compil|specification context", re.I)


def uncompilable_functions(diagnostics: list[Diagnostic], bridged: Bridged) -> frozenset[str]:
    """Functions the bridge compiled (Dafny 4 ``function`` -> ``function method``) that Dafny 2.3 cannot compile.

    A Dafny 4 function used only in specifications may have a body Dafny 2.3 does not know how to compile
    (``exists y :: y * y == x``). If every resolution error is such a complaint inside such a function, their
    names are returned, and the caller bridges again leaving them ghost: ghost or compiled, a function means
    the same to the verifier, so this changes what compiles, never what is proved. Otherwise: empty.
    """
    names: set[str] = set()
    for d in diagnostics:
        if d.severity != "error":
            continue
        line = bridged.rewrite.locate(d.line, d.column)[0] if d.line > 0 else 0
        owner = next((n for n, (a, b) in bridged.made_compiled.items() if a <= line <= b), None)
        if owner is None or not _COMPILE_ERROR.search(d.message):
            return frozenset()
        names.add(owner)
    return frozenset(names)
