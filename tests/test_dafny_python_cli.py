"""``p2s translate --to python`` and :func:`compile_program` through the real Dafny front end (dialect bridge,
resolver, ghost erasure)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hls.dafny_python import compile_program
from pipeline.cli import main
from tests.support import REPO, needs_dafny

DAFNY4 = """
function Square(x: int): int { x * x }

predicate IsSorted(a: array<int>)
  reads a
{
  forall i, j :: 0 <= i < j < a.Length ==> a[i] <= a[j]
}

ghost function Spec(n: nat): nat { n }

lemma Trivial(n: nat) ensures Spec(n) == n {}

method SumUp(a: array<int>) returns (s: int)
  ensures s >= 0
{
  s := 0;
  for i := 0 to a.Length
    invariant 0 <= i <= a.Length && s >= 0
  {
    s := s + Square(a[i]);
  }
  Trivial(3);
  assert Spec(3) == 3;
}

method Reverse(a: array<int>) returns (r: seq<int>)
{
  r := [];
  for i := a.Length downto 0
  {
    r := r + [a[i]];
  }
}

method Main()
{
  var a := new int[] [3, 1, 2];
  var s := SumUp(a);
  var r := Reverse(a);
  var b := new int[] [1, 2, 5];
  print s, " ", r, " ", IsSorted(a), " ", IsSorted(b), "\\n";
}
"""


PRINTER_QUIRKS = """
lemma L(x: int) ensures x * 1 == x {}

method Mask(w: bv8) returns (a: bv8, b: bv8, c: bv8, d: bv8)
{
  a := (1 << w) - 1;
  b := 1 << w - 1;
  c := 100 - (w << 2);
  d := (100 - w) << 2;
}

method Branches(k: int) returns (r: int)
{
  r := 0;
  if k > 0 {
    r := 1;
  } else {
    L(k);
  }
  if k > 5 {
    L(k);
  } else {
    r := r + 100;
  }
}

method Main()
{
  var a, b, c, d := Mask(3);
  var x := Branches(1);
  var y := Branches(-1);
  var z := Branches(7);
  print a, " ", b, " ", c, " ", d, " ", x, " ", y, " ", z, "\\n";
}
"""


def run_module(text: str, tmp_path: Path) -> str:
    path = tmp_path / "model.py"
    path.write_text(text, encoding="utf-8")
    res = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


@needs_dafny
def test_dafny4_program_through_the_bridge(tmp_path: Path) -> None:
    """Compiled ``function``s, ``for`` loops (up and down), array displays; lemmas, asserts and ghost functions
    erased. The expected line is what Dafny's own compiled program prints for the bridged program."""
    module = compile_program(DAFNY4, "dafny4")
    assert "def Square(x: int) -> int:" in module.text
    assert "Spec" not in module.text and "Trivial" not in module.text and "assert" not in module.text
    assert run_module(module.text, tmp_path) == "14 [2, 1, 3] false true\n"


@needs_dafny
def test_translate_prints_the_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "prog.dfy"
    src.write_text(DAFNY4, encoding="utf-8")
    assert main(["translate", str(src), "--to", "python"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('"""Python reference model compiled from Dafny (prog.dfy)')
    assert run_module(out, tmp_path) == "14 [2, 1, 3] false true\n"


@needs_dafny
def test_translate_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "out.py"
    assert main(["translate", str(REPO / "benchmarks/examples/max_array.dfy"), "--to", "python", "-o",
                 str(dest)]) == 0
    assert capsys.readouterr().out == ""
    namespace: dict = {}
    exec(dest.read_text(encoding="utf-8"), namespace)
    assert namespace["MaxArray"]([3, 9, 2]) == 9


def test_translate_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", str(tmp_path / "nope.dfy"), "--to", "python"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("p2s: error:") and "nope.dfy" in err[0]


@needs_dafny
def test_translate_bad_program_and_unsupported_construct(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.dfy"
    bad.write_text("method M( {\n", encoding="utf-8")
    assert main(["translate", str(bad), "--to", "python"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("p2s: error:")
    unsup = tmp_path / "unsup.dfy"
    unsup.write_text("method Ok() {}\n\nmethod M() returns (x: int)\n{\n  x :| x > 3;\n}\n", encoding="utf-8")
    assert main(["translate", str(unsup), "--to", "python"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "'such-that (:|) without a finite bound'" in err[0] and "in method M (source line 3)" in err[0]


@needs_dafny
def test_printer_quirks_keep_their_meaning(tmp_path: Path) -> None:
    """Dafny 2.3's printer writes ``(1 << w) - 1`` as ``1 << w - 1`` and all-ghost branches as a bare ``else``;
    the expected line is what Dafny's compiled program prints."""
    module = compile_program(PRINTER_QUIRKS, "quirks")
    assert run_module(module.text, tmp_path) == "7 4 88 132 101 100 1\n"


GHOST_RESULTS = """
method M(a: int) returns (ghost m: int, p: int)
  ensures p == a + 1
{
  m := a;
  p := a + 1;
}

method N(x: int) returns (ghost g: int, r: int)
{
  if x > 0 {
    return x * 2, x + 1;
  }
  g, r := 0, 0;
}

method Main()
{
  var g1, t1 := M(3);
  print t1, "\\n";
  ghost var g2: int;
  var t2: int;
  g2, t2 := M(t1);
  var g3, t3 := N(4);
  var g4, t4 := N(-4);
  print t2, " ", t3, " ", t4, "\\n";
}
"""


GHOST_TARGETS = """
method Bump(a: array<int>) returns (ghost old0: int)
  requires a.Length > 0
  modifies a
{
  old0 := a[0];
  a[0] := a[0] + 1;
}

method Main()
{
  var a := new int[] [5, 6];
  var g := Bump(a);
  var r := 0;
  ghost var at := 0;
  var i := 0;
  while i < 2
  {
    if a[i] > r {
      r, at := a[i], i;
    }
    i := i + 1;
  }
  print a[..], " ", r, "\\n";
}
"""


@needs_dafny
def test_ghost_targets_are_dropped_and_their_calls_kept(tmp_path: Path) -> None:
    """``var g := Bump(a)`` (all results ghost: the call still changes ``a``) and ``r, at := a[i], i`` (``at``
    ghost, its declaration erased by the printer, the statement not)."""
    module = compile_program(GHOST_TARGETS, "targets")
    assert "    Bump(a)\n" in module.text and "r = a[i]\n" in module.text
    assert run_module(module.text, tmp_path) == "[6, 6] 6\n"


@needs_dafny
def test_calls_of_methods_with_ghost_results_are_kept(tmp_path: Path) -> None:
    """Dafny's ghost-free printer would drop ``var g1, t1 := M(3);`` (``g1`` is ghost); the front end splits the
    declaration first so that the call survives."""
    module = compile_program(GHOST_RESULTS, "ghosts")
    assert "def M(a: int) -> int:" in module.text and module.functions["M"].ghost_returns == ["m"]
    assert run_module(module.text, tmp_path) == "4\n5 5 0\n"
