"""The fixed-width proof: the verified program cannot overflow the hardware's integers.

Dafny proves the program over unbounded integers; the C and the RTL compute with ``intW_t``. For each width
from ``hardware.int_width`` up to ``hardware.max_int_width`` (8, 16, 32, 64, in increasing order) this module
builds the range-checked variant of the verified program (:mod:`verifiers.width_variant`), verifies it with the
same Dafny adapter and time limit as the verify stage, and stops at the first width that verifies. Where a
width fails, every Dafny error is mapped back through the variant's position map to the obligation it came from
and reported as ``line N: `s + a[i]` may overflow int8_t (-128..127)`` (lines of the user's program when the
candidate's splice/bridge map is given, else of the verified program).

Outcomes (:attr:`WidthProof.status`): ``pass`` (with ``proven_width``), ``fail`` (no allowed width verifies),
``not-needed`` (the hardware's code has no integer values: bit-vectors and booleans only), ``skipped``
(``hardware.width_proof: off``: stated in every report), ``error`` (the proof could not be attempted: an
unsupported construct, or a variant Dafny does not accept; the reason is given).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.errors import UserError
from verifiers.dafny import Dafny
from verifiers.rewrite import Rewrite
from verifiers.width_source import typed_program
from verifiers.width_variant import IntRange, Obligation, Variant, build_variant

WIDTHS = (8, 16, 32, 64)
OFF_VALUES = (False, "off", "false", "no", "skip", "skipped")
SEARCH_ROUNDS = 4  # rounds of the guessed-invariant search (each one Dafny run)


@dataclass
class WidthFailure:
    """One reason a width does not verify: the line (user's program), the kind, the value, the message."""

    line: int
    kind: str
    text: str
    message: str


@dataclass
class WidthAttempt:
    """The variant at one width and what Dafny said: ``pass``, ``fail``, ``timeout`` or ``error``."""

    width: int
    status: str
    failures: list[WidthFailure] = field(default_factory=list)
    obligations: int = 0
    verified_count: int = 0
    seconds: float = 0.0
    detail: str = ""
    variant: str = ""

    def to_dict(self, with_variant: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not with_variant:
            d.pop("variant")
        return d


@dataclass
class WidthProof:
    """The outcome over all widths tried (see the module docstring for ``status``)."""

    status: str
    requested_width: int
    max_width: int
    proven_width: int | None = None
    attempts: list[WidthAttempt] = field(default_factory=list)
    reason: str = ""
    tool_missing: bool = False  # skipped because Dafny is not installed (not because the task turned it off)
    artifacts: dict[str, str] = field(default_factory=dict)

    @property
    def widened(self) -> bool:
        return self.proven_width is not None and self.proven_width != self.requested_width

    def failures(self) -> list[WidthFailure]:
        """The failures at the widest width tried (those no allowed widening removes)."""
        failed = [a for a in self.attempts if a.status != "pass"]
        return failed[-1].failures if failed else []

    def summary(self) -> str:
        """One line for the stage detail."""
        if self.status == "pass":
            proven = next((a for a in self.attempts if a.width == self.proven_width), None)
            checks = proven.obligations if proven else 0
            text = f"width proof: pass at int{self.proven_width}_t ({checks} range checks"
            text += f"; {proven.detail})" if proven and proven.detail else ")"
            if self.widened:
                first = self.attempts[0]
                why = first.failures[0].message if first.failures else first.detail
                why = f"; {why}" if why else ""
                text += f", widened from int{self.requested_width}_t{why}"
            return text
        if self.status == "fail":
            tried = ", ".join(f"int{a.width}_t" for a in self.attempts)
            fails = self.failures()
            shown = "; ".join(f.message for f in fails[:3]) or (self.attempts[-1].detail if self.attempts else "")
            more = f" (+{len(fails) - 3} more)" if len(fails) > 3 else ""
            return (f"width proof failed at {tried} (hardware.max_int_width={self.max_width}): {shown}{more}")
        if self.status == "not-needed":
            return "width proof: not needed (the hardware's code computes no integers: bit-vectors wrap by definition)"
        if self.status == "skipped" and self.tool_missing:
            return f"width proof not run: {self.reason}"
        if self.status == "skipped":
            return f"width proof: skipped (hardware.width_proof: off) - {self.reason}"
        return f"width proof could not be attempted: {self.reason}"

    def report(self) -> str:
        """The full human report: every width tried and every failure."""
        lines = [self.summary(), ""]
        for a in self.attempts:
            lines.append(f"int{a.width}_t: {a.status} ({a.obligations} range checks, {a.seconds:.1f} s)"
                         + (f" - {a.detail}" if a.detail else ""))
            lines += [f"  {f.message}" for f in a.failures]
        return "\n".join(lines).rstrip() + "\n"

    def metrics(self) -> dict[str, Any]:
        """Stage metrics: ``width_proof`` (status), ``proven_width``, ``requested_width``, ``width_failures``."""
        return {
            "width_proof": self.status,
            "proven_width": self.proven_width,
            "requested_width": self.requested_width,
            "width_failures": len(self.failures()) if self.status != "pass" else 0,
            "width_seconds": round(sum(a.seconds for a in self.attempts), 2),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "requested_width": self.requested_width,
            "max_width": self.max_width,
            "proven_width": self.proven_width,
            "reason": self.reason,
            "summary": self.summary(),
            "attempts": [a.to_dict() for a in self.attempts],
        }


def widths_to_try(int_width: int, max_int_width: int) -> list[int]:
    """``int_width`` and every wider C width up to ``max_int_width``, in increasing order."""
    return [int_width] + [w for w in WIDTHS if int_width < w <= max_int_width]


def is_off(value: object) -> bool:
    """Whether a ``hardware.width_proof`` value turns the proof off (YAML reads a bare ``off`` as false)."""
    return value in OFF_VALUES or (isinstance(value, str) and value.strip().lower() in OFF_VALUES)


def prove_widths(
    text: str,
    top: str,
    int_width: int,
    max_int_width: int,
    max_array_length: int,
    *,
    timeout: float = 60.0,
    dafny: Dafny | None = None,
    origin: Rewrite | None = None,
    verified: bool = True,
    use_cache: bool = True,
) -> WidthProof:
    """Prove that the verified program ``text`` (in the installed Dafny's dialect) stays in range.

    Args:
        text: the program as verified (the verify stage's ``verified_dfy``).
        top: the hardware's top method.
        int_width, max_int_width: the requested width and how far to widen.
        max_array_length: bound on the top's array and sequence inputs.
        timeout: Dafny's wall clock per width (the verify stage's).
        origin: map from ``text`` back to the user's program (for report lines), if known.
        verified: ``text`` is the program the verify stage verified: its own spec clauses are assumed in the
            variant; otherwise the variant checks them too.

    Raises:
        ToolMissingError: Dafny is not installed (when ``dafny`` is not given).
    """
    dafny = dafny or Dafny()
    proof = WidthProof("fail", int_width, max_int_width)
    try:
        typed = typed_program(text, top, dafny.dialect, dafny.path, timeout)
    except UserError as exc:
        proof.status, proof.reason = "error", str(exc)
        return proof
    survivors: frozenset[str] | None = None  # guessed loop invariants Dafny accepted (searched for once)
    tried: set[str] = set()  # every guess searched so far (a wider width brings new accumulator bounds)

    def build(width: int, candidates: str | frozenset[str] | None) -> Variant:
        return build_variant(text, top, width, max_array_length, dafny.dialect, free_original=verified, typed=typed,
                             candidates=candidates, input_width=min(int_width, width))

    for width in widths_to_try(int_width, max_int_width):
        start = time.monotonic()
        try:
            variant = build(width, survivors or None)
        except UserError as exc:
            proof.status, proof.reason = "error", str(exc)
            return proof
        if not variant.int_values:
            proof.status = "not-needed"
            return proof
        attempt, bad = _verify(variant, dafny, timeout, origin, use_cache)
        rounds = 1
        while bad and survivors and rounds < SEARCH_ROUNDS:  # a guess kept at a narrower width fails here
            survivors -= bad
            variant = build(width, survivors or None)
            attempt, bad = _verify(variant, dafny, timeout, origin, use_cache)
            rounds += 1
        if survivors and attempt.status != "pass":
            # the guesses did not make it pass here: report what the program alone gives (extra invariants can
            # also unsettle the prover on the program's own steps)
            attempt, bad = _verify(build(width, None), dafny, timeout, origin, use_cache)
        elif survivors:
            attempt.detail = attempt.detail or _guess_note(variant)
        fresh = _guess_keys(build(width, "all")) - tried if attempt.status == "fail" else frozenset()
        if attempt.status == "fail" and (survivors is None or fresh):
            guesses = "all" if survivors is None else survivors | fresh
            tried.update(fresh)
            survivors, strengthened = _search_invariants(build, width, dafny, timeout, origin, use_cache, guesses)
            if strengthened is not None and strengthened.status == "pass":
                attempt = strengthened
        attempt.seconds = time.monotonic() - start
        proof.attempts.append(attempt)
        if attempt.status == "error":
            proof.status, proof.reason = "error", attempt.detail
            return proof
        if attempt.status == "pass":
            proof.status, proof.proven_width = "pass", width
            return proof
    return proof


def _search_invariants(build, width: int, dafny: Dafny, timeout: float, origin: Rewrite | None,
                       use_cache: bool, start: str | frozenset[str] = "all",
                       ) -> tuple[frozenset[str], WidthAttempt | None]:
    """Add guessed loop bounds (``c <= i`` ...; ``start``: all, or these), drop those Dafny rejects, repeat
    (Houdini): the invariants left are checked like any other, so a pass with them is a proof. Returns the
    accepted guesses and the attempt with them (``None`` when there were no guesses or the search did not
    settle)."""
    candidates: str | frozenset[str] = start
    for _ in range(SEARCH_ROUNDS):
        variant = build(width, candidates)
        keys = _guess_keys(variant)
        if not keys:
            return frozenset(), None
        attempt, bad = _verify(variant, dafny, timeout, origin, use_cache)
        if attempt.status in ("error", "timeout"):
            return frozenset(), None
        if not bad:
            attempt.detail = _guess_note(variant)
            return keys, attempt
        candidates = keys - bad
        if not candidates:
            return frozenset(), None
    return frozenset(), None


def _guess_keys(variant: Variant) -> frozenset[str]:
    """The keys of the guessed invariants in ``variant`` (accumulator bounds differ per width)."""
    return frozenset(o.detail for o in variant.obligations if o.kind == "candidate")


def _guess_note(variant: Variant) -> str:
    shown = [o.text for o in variant.obligations if o.kind == "candidate"]
    return (f"with {len(shown)} guessed loop invariant(s), checked: "
            + ", ".join(f"`{t}`" for t in shown[:6]) + (" ..." if len(shown) > 6 else ""))


def _verify(variant: Variant, dafny: Dafny, timeout: float, origin: Rewrite | None,
            use_cache: bool) -> tuple[WidthAttempt, set[str]]:
    """Verify one variant: the attempt (failures mapped to lines) and the keys of guessed invariants that failed."""
    rng = IntRange(variant.width)
    checks = sum(1 for o in variant.obligations if o.kind != "candidate")
    attempt = WidthAttempt(variant.width, "fail", obligations=checks, variant=variant.text)
    failures: dict[str, WidthFailure] = {}
    bad: set[str] = set()

    def user_line(line: int) -> int:
        if origin is None or line <= 0:
            return line
        return origin.locate(line, 1)[0]

    def add(ob: Obligation | None, line: int, message: str | None = None, extra: str = "") -> None:
        if ob is not None and ob.kind == "candidate":
            bad.add(ob.detail)
            return
        if ob is not None:
            shown = user_line(ob.line if ob.kind in ("value", "quotient", "constant", "state") or line <= 0 else line)
            msg = ob.describe(rng, shown) + extra
            f = WidthFailure(shown, ob.kind, ob.text, msg)
        else:
            shown = user_line(line)
            f = WidthFailure(shown, "proof", "", f"line {shown}: {message}")
        failures.setdefault(f.message, f)

    for ob in variant.obligations:
        if ob.static is False:
            add(ob, ob.line)
    result = dafny.verify(variant.text, timeout=timeout, use_cache=use_cache)
    attempt.verified_count = result.verified_count
    if result.phase in ("parse", "resolution", "crash"):
        first = next((d for d in result.diagnostics if d.severity == "error"), None)
        where = f"line {first.line}: {first.message}" if first else "no message"
        attempt.status = "error"
        attempt.detail = f"Dafny rejects the generated int{variant.width}_t variant ({result.phase}: {where})"
        return attempt, bad
    if result.phase == "timeout" or result.timeout_count:
        attempt.status = "timeout"
        attempt.detail = f"Dafny did not finish the range proof within {timeout:g} s"
    for d in result.diagnostics:
        if d.severity != "error" or d.phase == "timeout":
            continue
        line, _col, note = variant.rewrite.locate(d.line, d.column) if d.line > 0 else (0, 0, None)
        ob = variant.obligation(note)
        if ob is None:
            for r in d.related:
                if r.get("line", 0) > 0:
                    ob = variant.obligation(variant.rewrite.locate(r["line"], r.get("column", 1))[2])
                    if ob is not None:
                        break
        extra = ""
        if ob is not None and ob.kind == "state":
            extra = " (not kept on entry to the loop)" if "on entry" in d.message else ""
        add(ob, line, None if ob else f"{d.message} (the program's own proof, under the width's range facts)", extra)
    attempt.failures = list(failures.values())
    if attempt.status != "timeout":
        # a variant with nothing to check (copies of in-range inputs only) verifies with 0 procedures checked
        attempt.status = "pass" if result.verified and not attempt.failures else "fail"
        if attempt.status == "fail" and not attempt.failures:
            attempt.detail = f"Dafny did not verify the variant ({result.phase})"
    return attempt, bad
