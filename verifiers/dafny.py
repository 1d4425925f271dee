"""The Dafny tool wrapper: finds the installed Dafny, knows its version and dialect, and speaks its CLI.

Two command lines exist in the wild:

* Dafny 2.x-3.8 (legacy): ``dafny /compile:0 /timeLimit:N f.dfy``; ``function`` is ghost and compiled
  functions are ``function method`` (the "dafny3" dialect). Debian's package is Dafny 2.3 under mono.
* Dafny 3.9+ and 4.x: ``dafny verify --verification-time-limit N f.dfy``; from 4.0 ``function`` is
  compiled and ghost ones are ``ghost function`` (the "dafny4" dialect).

Every call runs in a scratch directory with a wall-clock limit; a prover that hangs is killed with its whole
process group and the call is reported in phase ``timeout``. No memory rlimit is set: mono reserves a large
address space up front and fails under RLIMIT_AS, and Dafny is trusted code. Results are cached by content
(see :mod:`verifiers.cache`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ToolMissingError, UserError
from pipeline.home import p2s_home
from pipeline.process import run_command
from pipeline.tools import ToolStatus
from verifiers import cache as result_cache
from verifiers.diagnostics import Diagnostic, ParsedOutput, VerificationResult, parse_output

log = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install dafny (or run 'make setup'); set P2S_DAFNY to use another dafny executable"
PROGRAM_NAME = "program.dfy"


@dataclass(frozen=True)
class DafnyVersion:
    """A parsed ``Dafny X.Y.Z`` version with the command line and dialect it implies."""

    text: str
    major: int
    minor: int

    @property
    def cli(self) -> str:
        """``legacy`` (``/compile:0 /timeLimit:N``) before 3.9, ``verb`` (``dafny verify``) from 3.9."""
        return "legacy" if (self.major, self.minor) < (3, 9) else "verb"

    @property
    def dialect(self) -> str:
        """``dafny3``: ``function method`` is compiled, ``function`` ghost; ``dafny4``: ``function`` compiled."""
        return "dafny3" if self.major < 4 else "dafny4"


def parse_version(text: str) -> DafnyVersion | None:
    """Find a Dafny version in ``dafny --version`` / ``dafny /version`` output."""
    m = re.search(r"(?:Dafny\s+)?\b(\d+)\.(\d+)\.(\d+)(?:[.+][\w.+-]*)?", text)
    if not m:
        return None
    return DafnyVersion(m.group(0).replace("Dafny", "").strip(), int(m.group(1)), int(m.group(2)))


@functools.lru_cache(maxsize=8)
def _detect_version(path: str, mtime: float) -> DafnyVersion | None:
    """The version of the Dafny at ``path``, from the on-disk probe record when the binary is unchanged.

    Asking Dafny costs a mono start-up or two (0.3-0.6 s), in every process: too much for a cached
    ``p2s verify``. The answer is kept under ``$P2S_HOME/probes/`` keyed by the binary's real path, mtime
    and size, so a replaced or upgraded Dafny is asked again.
    """
    record, key = _probe_record(path), _probe_key(path)
    try:
        known = json.loads(record.read_text(encoding="utf-8"))
        if known.get("key") == key:
            return parse_version(known["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    version = _ask_version(path)
    if version is not None:
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            tmp = record.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"key": key, "version": version.text}), encoding="utf-8")
            os.replace(tmp, record)
        except OSError as exc:  # a read-only home only costs the probe next time
            log.debug("cannot keep the Dafny version probe: %s", exc)
    return version


def _probe_key(path: str) -> str:
    real = os.path.realpath(path)
    st = os.stat(real)
    return f"{real}:{st.st_mtime_ns}:{st.st_size}"


def _probe_record(path: str) -> Path:
    digest = hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:16]
    return p2s_home() / "probes" / f"dafny-version-{digest}.json"


def _ask_version(path: str) -> DafnyVersion | None:
    # Dafny 4 answers --version; Dafny 2.3 rejects it ("unknown switch") but prints its banner for /version.
    for flag in ("--version", "/version"):
        try:
            res = run_command([path, flag], timeout=60)
        except OSError:
            return None
        out = res.output
        if "unknown switch" in out and flag == "--version":
            continue
        v = parse_version(out)
        if v is not None:
            return v
    return None


def default_time_limit(timeout: float) -> int:
    """Dafny's per-procedure limit for a call of ``timeout`` seconds: the wall clock less a margin for start-up
    (mono and Dafny take a second or two) - e.g. 48 s of 60, 8 of 10, 1 of 3."""
    return max(1, int(timeout - max(2.0, timeout * 0.2)))


def find_dafny() -> str | None:
    """The Dafny executable: ``$P2S_DAFNY`` if set, else ``dafny`` on PATH."""
    exe = os.environ.get("P2S_DAFNY") or "dafny"
    return shutil.which(exe)


def installed_dialect() -> str:
    """The dialect of the Dafny that verifies (``$P2S_DAFNY`` or PATH): what prompts must ask for.

    ``dafny4`` when none is installed (nothing will verify then; the prompt keeps the current language).
    """
    path = find_dafny()
    version = _detect_version(path, os.path.getmtime(path)) if path else None
    return version.dialect if version else "dafny4"


class Dafny:
    """The installed Dafny verifier.

    Raises:
        ToolMissingError: on construction, when no Dafny is on PATH or it does not report a version.
    """

    # options this wrapper passes, by CLI (documented in one place)
    OPTIONS = {
        "legacy": {
            "verify": ["/compile:0", "/errorTrace:0", "/timeLimit:{limit}"],
            "ghost_free": ["/compile:0", "/noVerify", "/rprint:-", "/printMode:NoGhost"],
        },
        "verb": {
            "verify": ["verify", "--verification-time-limit", "{limit}"],
            "ghost_free": ["/compile:0", "/noVerify", "/rprint:-", "/printMode:NoGhost"],
        },
    }

    def __init__(self, executable: str | None = None) -> None:
        path = shutil.which(executable) if executable else find_dafny()
        if not path:
            raise ToolMissingError("dafny", INSTALL_HINT)
        version = _detect_version(path, os.path.getmtime(path))
        if version is None:
            raise ToolMissingError("dafny", f"{path} did not report a Dafny version; {INSTALL_HINT}")
        self.path = path
        self.version = version

    @property
    def dialect(self) -> str:
        return self.version.dialect

    def _argv(self, action: str, file: str, limit: float) -> list[str]:
        opts = [o.replace("{limit}", str(max(1, int(limit)))) for o in self.OPTIONS[self.version.cli][action]]
        return [self.path, *opts, file]

    def verify_argv(self, file: str, time_limit: float) -> list[str]:
        """The command line that verifies ``file`` with a per-procedure time limit."""
        return self._argv("verify", file, time_limit)

    def verify(
        self, program: str, timeout: float = 60.0, use_cache: bool = True, time_limit: float | None = None
    ) -> VerificationResult:
        """Verify ``program`` (text in this Dafny's dialect); positions are in ``program``'s coordinates.

        ``timeout`` is the wall-clock limit of the whole call: when it runs out the process group (mono and
        Z3) is killed and the result is in phase ``timeout``. ``time_limit`` is Dafny's own per-procedure
        limit (default: ``default_time_limit(timeout)``, a little less than the wall clock, so that a slow
        proof is reported by Dafny with its location rather than cut off).
        """
        limit = default_time_limit(timeout) if time_limit is None else time_limit
        options = {"timeout": timeout, "time_limit": limit, "cli": self.version.cli}
        key = result_cache.cache_key(program, self.version.text, options)
        if use_cache:
            hit = result_cache.load(key)
            if hit is not None:
                hit.cached = True
                return hit
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="p2s-dafny-") as scratch:
            Path(scratch, PROGRAM_NAME).write_text(program, encoding="utf-8")
            argv = self.verify_argv(PROGRAM_NAME, limit)
            res = run_command(argv, cwd=scratch, timeout=timeout, env={"DOTNET_CLI_TELEMETRY_OPTOUT": "1"})
        seconds = time.monotonic() - start
        if res.timed_out:
            diag = Diagnostic("timeout", 0, 0, f"Dafny did not finish within {timeout:g} s; it was stopped")
            result = VerificationResult(False, "timeout", [diag], 0, 0, seconds, self.version.text, program,
                                        timeout_count=1)
        else:
            parsed = parse_output(res.output, res.returncode)
            result = VerificationResult(
                verified=parsed.phase == "ok",
                phase=parsed.phase,
                diagnostics=parsed.diagnostics,
                verified_count=parsed.verified_count,
                error_count=parsed.error_count,
                seconds=seconds,
                dafny_version=self.version.text,
                program=program,
                timeout_count=parsed.timeout_count,
            )
        if use_cache and result.phase not in ("timeout", "crash"):
            result_cache.store(key, result)
        return result

    def print_ghost_free(self, program: str, timeout: float = 60.0) -> tuple[str, ParsedOutput]:
        """Dafny's resolved print of ``program`` with ghost code erased, and what Dafny said doing it.

        The text is empty when the program does not parse or resolve (see the parsed output's phase).
        """
        with tempfile.TemporaryDirectory(prefix="p2s-dafny-") as scratch:
            Path(scratch, PROGRAM_NAME).write_text(program, encoding="utf-8")
            res = run_command(self._argv("ghost_free", PROGRAM_NAME, timeout), cwd=scratch, timeout=timeout)
        if res.timed_out:
            raise UserError(f"dafny did not print the resolved program within {timeout:g} s")
        parsed = parse_output(res.stdout + "\n" + res.stderr, res.returncode)
        if parsed.phase in ("parse", "resolution", "crash"):
            return "", parsed
        return extract_printed_program(res.stdout), parsed

    def ghost_free(self, program: str, timeout: float = 60.0) -> str:
        """The resolved program with ghost code erased (``/rprint:- /printMode:NoGhost``).

        Raises:
            UserError: the program does not parse or resolve (the message carries Dafny's first errors).
        """
        text, parsed = self.print_ghost_free(program, timeout)
        if parsed.phase in ("parse", "resolution", "crash"):
            raise UserError(ghost_free_failure(parsed))
        return text if text.strip() else program


def ghost_free_failure(parsed: ParsedOutput) -> str:
    """One line: why Dafny printed no resolved program."""
    errors = [d for d in parsed.diagnostics if d.severity == "error"][:3]
    first = "; ".join(f"line {d.line}: {d.message}" for d in errors)
    what = {"parse": "parse", "resolution": "resolve"}.get(parsed.phase, "run")
    return f"the program does not {what} with Dafny: {first}"


def extract_printed_program(stdout: str) -> str:
    """The program part of ``/rprint:-`` output: between the ``// Dafny`` header and the verifier summary."""
    lines = stdout.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("// Dafny ")), None)
    if start is None:
        return ""
    body: list[str] = []
    for ln in lines[start:]:
        if ln.startswith("Dafny program verifier"):
            break
        body.append(ln)
    while body and (body[0].startswith("//") or not body[0].strip()):
        body.pop(0)
    text = "\n".join(body).rstrip() + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)


def doctor_check() -> ToolStatus:
    """``p2s doctor`` line for Dafny: version, command line and dialect, or how to install it."""
    try:
        d = Dafny()
    except ToolMissingError as exc:
        return ToolStatus("dafny", False, hint=exc.hint)
    except Exception as exc:  # the doctor must never raise
        return ToolStatus("dafny", False, detail=f"check failed: {exc}", hint=INSTALL_HINT)
    cli = "legacy CLI /compile:0" if d.version.cli == "legacy" else "dafny verify"
    return ToolStatus("dafny", True, d.version.text, detail=f"{cli}, dialect {d.version.dialect}, {d.path}")
