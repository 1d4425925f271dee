"""The Dafny wrapper: detection, doctor line, missing tool, Dafny 4 command line, time limits, ghost erasure."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from pipeline.errors import ToolMissingError, UserError
from tests.support import needs_dafny
from verifiers.dafny import Dafny, default_time_limit, doctor_check, extract_printed_program, parse_version

# Z3 cannot decide this quickly: 64-bit division and multiplication, bit-blasted (runs until its time limit).
HARD = """lemma DivMod(x: bv64, y: bv64)
  requires y != 0
  ensures (x / y) * y + x % y == x
{
}
"""


pytestmark = pytest.mark.usefixtures("private_p2s_home")


def test_parse_version_forms():
    v = parse_version("Dafny 2.3.0.10506\n*** Error: ...")
    assert (v.major, v.minor, v.cli, v.dialect) == (2, 3, "legacy", "dafny3")
    v = parse_version("4.8.1+0dc3e3ab4ba1e4e3a5b1c9c4a6b0f3b1a5e9d7c2")
    assert (v.major, v.cli, v.dialect) == (4, "verb", "dafny4")
    assert parse_version("3.9.0").cli == "verb" and parse_version("3.9.0").dialect == "dafny3"
    assert parse_version("no version here") is None


def test_time_limit_leaves_room_for_start_up():
    assert default_time_limit(60) == 48 and default_time_limit(10) == 8 and default_time_limit(3) == 1


@needs_dafny
def test_doctor_reports_version_and_dialect():
    status = doctor_check()
    assert status.found and status.name == "dafny"
    assert status.version == Dafny().version.text and "dialect dafny" in status.detail


def test_missing_dafny_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("P2S_DAFNY", raising=False)
    with pytest.raises(ToolMissingError) as err:
        Dafny()
    assert "apt-get install dafny" in str(err.value) and "make setup" in str(err.value)
    status = doctor_check()
    assert not status.found and "apt-get install dafny" in status.hint


def fake_dafny4(tmp_path: Path) -> Path:
    """A stand-in for Dafny 4 (not installable here): answers --version, records argv and the program."""
    exe = tmp_path / "bin" / "dafny"
    exe.parent.mkdir()
    log = tmp_path / "argv.log"
    exe.write_text(f"""#!/bin/sh
if [ "$1" = "--version" ]; then echo "4.8.1+fake"; exit 0; fi
echo "$@" >> {log}
for a in "$@"; do case "$a" in *.dfy) cp "$a" {tmp_path}/seen.dfy;; esac; done
echo ""
echo "Dafny program verifier finished with 3 verified, 0 errors"
""")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_dafny4_command_line_and_dialect(tmp_path):
    from verifiers.api import verify_source

    exe = fake_dafny4(tmp_path)
    d = Dafny(str(exe))
    assert (d.version.major, d.dialect) == (4, "dafny4")
    old_dialect = "function method Twice(x: int): int { 2 * x }\nfunction Spec(x: int): int { x }\n" \
                  "method M(x: int) returns (y: int) ensures y == Twice(x) { y := Twice(x); }\n"
    r = verify_source(old_dialect, dafny=d, timeout=30, use_cache=False)
    assert r.verified and r.verified_count == 3
    argv = (tmp_path / "argv.log").read_text().split()
    assert argv == ["verify", "--verification-time-limit", "24", "program.dfy"]
    seen = (tmp_path / "seen.dfy").read_text()
    assert "function Twice" in seen and "ghost function Spec" in seen and "function method" not in seen


@needs_dafny
def test_prover_time_limit_reported_by_dafny():
    r = Dafny().verify(HARD, timeout=60, time_limit=1, use_cache=False)
    assert r.phase == "timeout" and not r.verified and r.timeout_count == 1
    assert any(d.phase == "timeout" and d.line == 1 for d in r.diagnostics)


@needs_dafny
def test_hung_prover_is_killed_and_reported_as_timeout():
    start = time.monotonic()
    r = Dafny().verify(HARD, timeout=3, time_limit=120, use_cache=False)
    assert time.monotonic() - start < 15
    assert r.phase == "timeout" and not r.verified
    assert "did not finish within 3 s" in r.diagnostics[0].message


@needs_dafny
def test_ghost_free_program_erases_specs_and_keeps_compiled_functions():
    from verifiers.api import ghost_free_program

    src = """function Double(x: int): int { 2 * x }
ghost function Spec(x: int): int { x + x }
lemma Same(x: int) ensures Double(x) == Spec(x) { }
method M(a: array<int>) returns (s: int)
  ensures s == Double(a.Length)
{
  ghost var g := 0;
  s := 0;
  for i := 0 to a.Length
    invariant s == 2 * i
  {
    s := s + 2;
  }
  assert s == Double(a.Length);
}
"""
    out = ghost_free_program(src)
    assert "function method Double" in out or "function Double" in out  # dafny3 / dafny4 printers
    for gone in ("Spec", "lemma", "ghost", "invariant", "ensures", "assert"):
        assert gone not in out, out
    assert "var i: int := i__lo;" in out and "while i < i__hi" in out  # the for loop, bridged and typed
    with pytest.raises(UserError):
        ghost_free_program("method M() { var x: int := true; }")


def test_extract_printed_program():
    stdout = "Dafny 2.3.0.10506\n// Dafny 2.3.0.10506\n// Command Line Options: x\n// p.dfy\n\nmethod M()\n{\n}\n" \
             "\nDafny program verifier finished with 0 verified, 0 errors\n"
    assert extract_printed_program(stdout) == "method M()\n{\n}\n"
