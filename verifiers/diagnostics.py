"""Structured results of a verification, and the parser of Dafny's real text output.

Every consumer (the CLI, the verify stage, the prompt-repair agent) reads :class:`VerificationResult`, never
Dafny's text. The parser knows the output of Dafny 2.3 (legacy CLI) and Dafny 4 (``dafny verify``):

* ``file(line,col): Error: msg`` / ``Error BP5003: msg`` / ``Timed out on BP5003: msg`` /
  ``Verification of 'X' timed out after N seconds`` / ``Warning: msg``;
* ``file(line,col): Related location[: msg]`` and ``Related message: msg``, attached to the error above;
* ``Execution trace:`` blocks and Dafny 4's source snippets (``  12 |  ...``, ``     |  ^^^``), skipped;
* summaries: ``Dafny program verifier finished with N verified, M errors[, K time outs]``,
  ``N parse errors detected in f``, ``N resolution/type errors detected in f``;
* Z3's ``Prover error: ... unknown parameter 'model_compress'`` block with its ``Legal parameters are:``
  list is noise from Dafny 2.3 talking to a newer Z3 and is dropped; any other prover error is a crash.

"0 errors" is not a proof by itself: an internal error, a prover error, a summary that counts anything but
verified/errors/time outs (out of memory, out of resource, inconclusive) or a failing exit status make the
call a ``crash`` with the reason.

Columns in Dafny's output are 0-based; :class:`Diagnostic` columns are 1-based (editor convention).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

PHASES = ("ok", "integrity", "parse", "resolution", "verification", "timeout", "crash")

_LOC = re.compile(r"^(?P<file>.*?)\((?P<line>-?\d+),(?P<col>-?\d+)\):\s?(?P<rest>.*)$")
_SUMMARY = re.compile(
    r"Dafny program verifier finished with (?P<verified>\d+) verified, (?P<errors>\d+) errors?(?P<tail>.*)$"
)
_SUMMARY_ITEM = re.compile(r",\s*(?P<n>\d+) (?P<what>[a-z][a-z ]*?)\s*(?=,|$)")
_PHASE_SUMMARY = re.compile(r"^(?P<n>\d+) (?P<what>parse|resolution/type) errors? detected in ")
_TIMED_OUT_PROC = re.compile(r"^(?:Error: )?Verification of '(?P<proc>[^']*)' timed out after (?P<s>\d+) seconds?")
_NOISE_START = re.compile(r"^Prover error: .*unknown parameter 'model_compress'")
_LEGAL = re.compile(r"^Legal parameters are:")
_SNIPPET = re.compile(r"^\s*\d*\s*\|")
_CRASH = re.compile(r"^(\*\*\* Error:|Fatal Error:|Unhandled Exception|Prover error:|.*ProverException|"
                    r"Error: Could not find|Dafny encountered an internal error)")


@dataclass
class Diagnostic:
    """One message: its phase, where (1-based line/column, ``file``), what, and related locations."""

    phase: str
    line: int
    column: int
    message: str
    related: list[dict[str, Any]] = field(default_factory=list)
    file: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def format(self, file: str | None = None) -> str:
        """``file:line:col: phase: message`` (the human form of ``p2s verify``)."""
        where = file or self.file or "<program>"
        kind = self.phase if self.severity == "error" else f"{self.phase} {self.severity}"
        return f"{where}:{self.line}:{self.column}: {kind}: {self.message}"


@dataclass
class VerificationResult:
    """The outcome of one verification: the verdict, the phase that decided it and the diagnostics.

    ``verified`` is true only in phase ``ok``. ``program`` is the text that was handed to Dafny (after the
    contract splice and the dialect bridge); diagnostic positions are in the user's original text.
    """

    verified: bool
    phase: str
    diagnostics: list[Diagnostic]
    verified_count: int = 0
    error_count: int = 0
    seconds: float = 0.0
    dafny_version: str = ""
    program: str = ""
    timeout_count: int = 0
    cached: bool = False
    # Dafny's own verdict (through the bridge), whatever the gate says; and what it would have trusted
    # (:class:`verifiers.integrity.Trusted` as dicts). ``verified`` is Dafny's verdict with nothing trusted.
    dafny_verified: bool = False
    trusted: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"unknown phase {self.phase!r}")

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def summary(self) -> str:
        """One line: the verdict and the counts."""
        if self.verified:
            head = "verified"
        else:
            head = f"not verified ({self.phase})"
        counts = f"{self.verified_count} verified, {self.error_count} errors"
        if self.timeout_count:
            counts += f", {self.timeout_count} time outs"
        if self.trusted:
            said = "Dafny verified it" if self.dafny_verified else "Dafny did not verify it"
            kinds = ", ".join(sorted({t["kind"] for t in self.trusted}))
            counts += f"; {said}, trusting {len(self.trusted)} construct(s): {kinds}"
        return f"{head}: {counts} [{self.seconds:.1f}s, Dafny {self.dafny_version or '?'}]"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["diagnostics"] = [d.to_dict() for d in self.diagnostics]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VerificationResult:
        data = dict(data)
        data["diagnostics"] = [Diagnostic(**d) for d in data.get("diagnostics", [])]
        return cls(**data)


@dataclass
class ParsedOutput:
    """What Dafny said, in the coordinates of the file it read (before any line mapping)."""

    phase: str
    diagnostics: list[Diagnostic]
    verified_count: int = 0
    error_count: int = 0
    timeout_count: int = 0
    summary_found: bool = False


def _strip_code(message: str) -> str:
    """``Error BP5003: msg`` -> ``msg``; ``Error: msg`` -> ``msg``."""
    return re.sub(r"^(Error|Timed out on)( [A-Z]+\d+)?:\s*", "", message).strip()


def _proc_name(boogie: str) -> str:
    """``Impl$$_module.__default.ModMul`` -> ``ModMul (implementation)``."""
    kind = ""
    if "$$" in boogie:
        prefix, boogie = boogie.split("$$", 1)
        kind = {"Impl": "", "CheckWellformed": "well-formedness of ", "OverrideCheck": "override check of "}.get(
            prefix, ""
        )
    name = boogie.split(".")[-1]
    return kind + name


def parse_output(text: str, returncode: int | None = 0) -> ParsedOutput:
    """Parse Dafny's combined stdout/stderr into diagnostics, counts and the deciding phase."""
    diags: list[Diagnostic] = []
    crash: list[str] = []
    verified = errors = timeouts = 0
    summary_found = False
    phase_from_summary: str | None = None
    phase_errors = 0
    in_noise = in_trace = False
    last: Diagnostic | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            in_trace = False
            continue
        if _NOISE_START.match(line):
            in_noise = True
            continue
        if in_noise:
            if _LEGAL.match(line) or line.startswith((" ", "\t")):
                continue
            in_noise = False
        if line.startswith("Execution trace:"):
            in_trace = True
            continue
        if in_trace and line.startswith((" ", "\t")):
            continue
        in_trace = False
        if _SNIPPET.match(line):
            continue
        if re.match(r"^Dafny \d+\.\d+", line) or line.startswith("// "):
            continue
        m = _SUMMARY.search(line)
        if m:
            summary_found = True
            verified = int(m.group("verified"))
            errors = int(m.group("errors"))
            for item in _SUMMARY_ITEM.finditer(m.group("tail")):
                n, what = int(item.group("n")), item.group("what")
                if what.startswith("time out"):
                    timeouts += n
                elif n:  # out of memory, out of resource, inconclusive, ...: no verdict, never a proof
                    crash.append(f"{n} {what}")
            continue
        m = _PHASE_SUMMARY.match(line)
        if m:
            phase_from_summary = "parse" if m.group("what") == "parse" else "resolution"
            phase_errors += int(m.group("n"))
            continue
        m = _LOC.match(line)
        if m:
            d = _location_line(m, last)
            if d is not None:
                diags.append(d)
                last = d
            continue
        if _CRASH.match(line):
            crash.append(line.strip())
            continue
    return _finish(diags, crash, verified, errors, timeouts, summary_found, phase_from_summary, phase_errors,
                   returncode, text)


def _location_line(m: re.Match, last: Diagnostic | None) -> Diagnostic | None:
    """Turn one ``file(line,col): ...`` line into a diagnostic, or attach it to ``last`` as related."""
    line, col = int(m.group("line")), int(m.group("col")) + 1
    rest = m.group("rest")
    file = m.group("file") or None
    if rest.startswith("Related location") or rest.startswith("Related message"):
        msg = rest.split(":", 1)[1].strip() if ":" in rest else ""
        if last is not None:
            last.related.append({"line": line, "column": col, "message": msg, "file": file})
        return None
    tm = _TIMED_OUT_PROC.match(rest)
    if tm:
        return Diagnostic("timeout", line, col, f"verification of {_proc_name(tm.group('proc'))} timed out after "
                          f"{tm.group('s')} s", file=file)
    if rest.startswith("Timed out on"):
        return Diagnostic("timeout", line, col, "timed out: " + _strip_code(rest), file=file)
    if rest.startswith("Warning"):
        return Diagnostic("verification", line, col, rest.split(":", 1)[1].strip(), file=file, severity="warning")
    if rest.startswith("Info") or rest.startswith("Hint"):
        return None
    if rest.startswith("Error"):
        return Diagnostic("verification", line, col, _strip_code(rest), file=file)
    return None


def _finish(diags, crash, verified, errors, timeouts, summary_found, phase_from_summary, phase_errors,
            returncode, text) -> ParsedOutput:
    if phase_from_summary:
        for d in diags:
            if d.severity == "error" and d.phase == "verification":
                d.phase = phase_from_summary
        return ParsedOutput(phase_from_summary, diags, 0, phase_errors, 0, False)
    if crash or not summary_found:
        tail = crash or [ln.strip() for ln in text.strip().splitlines()[-3:]] or [f"exit status {returncode}"]
        diags.append(Diagnostic("crash", 0, 0, "Dafny did not finish normally: " + " | ".join(tail)[:500]))
        return ParsedOutput("crash", diags, verified, errors, timeouts, summary_found)
    if returncode not in (0, None) and not errors and not timeouts:
        # "0 errors" with a failing exit status: something went wrong that the summary does not say
        diags.append(Diagnostic("crash", 0, 0, f"Dafny reported no errors but exited with status {returncode}: "
                                + " | ".join(ln.strip() for ln in text.strip().splitlines()[-3:])[:500]))
        return ParsedOutput("crash", diags, verified, errors, timeouts, summary_found)
    if errors:
        phase = "verification"
    elif timeouts:
        phase = "timeout"
    else:
        phase = "ok"
    return ParsedOutput(phase, diags, verified, errors, timeouts, True)
