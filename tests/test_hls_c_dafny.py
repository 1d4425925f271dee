"""End to end from Dafny: the project's Dafny → Python compiler, then Python → C, then gcc against the model.

These need Dafny (the Python compiler runs Dafny's resolver) and gcc; they skip with the reason otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hls.hls_c.simulate import check_python
from pipeline.task import task_from_dict
from tests.support import needs_dafny, needs_gcc

pytestmark = [
    needs_gcc,
    needs_dafny,
]

COMBO = '''
function SumSeq(s: seq<int>): int
{
  if |s| == 0 then 0 else s[0] + SumSeq(s[1..])
}

function Pow(b: int, e: nat, acc: int): int
  decreases e
{
  if e == 0 then acc else Pow(b, e - 1, acc * b)
}

method Mix(a: array<int>, x: int, y: int, w: bv8) returns (q: int, r: int, s: int, p: int, v: bv8, t: seq<int>)
  requires y != 0
  requires a.Length >= 1
  modifies a
{
  q := x / y;
  r := x % y;
  var sq := a[..];
  s := SumSeq(sq);
  p := Pow(x, 3, 1);
  v := (w + 200) * 3;
  v := v ^ (w << 1);
  t := sq[1..] + [q, r] + sq[..1];
  var i := 0;
  while i < a.Length
    invariant 0 <= i <= a.Length
  {
    a[i] := a[i] * 2 - r;
    i := i + 1;
  }
}
'''
COMBO_SIG = ("method Mix(a: array<int>, x: int, y: int, w: bv8) "
             "returns (q: int, r: int, s: int, p: int, v: bv8, t: seq<int>)")


def compile_dafny(source: str) -> str:
    from hls.dafny_python import compile_program

    return compile_program(source).text


def vectors(tests: list[dict]) -> list[dict]:
    return [{"inputs": t, "expected": {}} for t in tests]


def test_dafny_program_with_division_bitvectors_recursion_and_sequences(tmp_path: Path):
    model = compile_dafny(COMBO)
    tests = [{"a": [1, 2, 3], "x": -7, "y": 2, "w": 100}, {"a": [5], "x": 7, "y": -2, "w": 255},
             {"a": [-4, 0], "x": -7, "y": -2, "w": 0}]
    task = task_from_dict({"id": "mix", "description": "d", "signature": COMBO_SIG, "tests": vectors(tests)})
    program, report = check_python(model, task, tmp_path)
    assert report.compiled, report.compile_log
    assert [o.reason for o in report.outcomes if not o.ok] == []
    first = report.outcomes[0].c
    # Euclidean: -7 = 2 * -4 + 1; bv8: ((100 + 200) mod 256) * 3 mod 256 = 132, ^ (200) = 76; 3 recursions
    assert (first["q"], first["r"], first["s"], first["p"], first["v"]) == (-4, 1, 6, -343, 76)
    assert first["t"] == [2, 3, -4, 1, 1] and first["a"] == [1, 3, 5]
    assert report.outcomes[2].c["q"] == 4 and report.outcomes[2].c["r"] == 1
    assert "while (true)" in program.source  # both recursions became loops
    assert program.functions == ["SumSeq", "Pow", "Mix"]


PROGRAMS = [
    ('''
method BubbleSort(a: array<int>)
  modifies a
{
  var i := a.Length - 1;
  while (i > 0)
    decreases i
  {
    var j := 0;
    while (j < i)
      decreases i - j
    {
      if (a[j] > a[j + 1])
      {
        a[j], a[j + 1] := a[j + 1], a[j];
      }
      j := j + 1;
    }
    i := i - 1;
  }
}
''', "method BubbleSort(a: array<int>)", [{"a": [5, 1, 4, 2]}, {"a": []}, {"a": [-1, -3, 2, 2, 0]}]),
    ('''
method IsPalindrome(x: seq<char>) returns (result: bool)
{
  if |x| == 0 {
    return true;
  }
  var i := 0;
  var j := |x| - 1;
  result := true;
  while (i < j)
    decreases j - i
  {
    if x[i] != x[j] {
      result := false;
      return;
    }
    i := i + 1;
    j := j - 1;
  }
}
''', "method IsPalindrome(x: seq<char>) returns (result: bool)",
     [{"x": list("abba")}, {"x": list("abc")}, {"x": []}]),
    ('''
method Evens(arr: array<int>) returns (r: seq<int>)
{
  r := [];
  for i := 0 to arr.Length
  {
    if arr[i] % 2 == 0 {
      r := r + [arr[i]];
    }
  }
}
''', "method Evens(arr: array<int>) returns (r: seq<int>)", [{"arr": [1, -2, 3, 4]}, {"arr": []}]),
    ('''
method Shifts(x: bv32, s: nat) returns (l: bv32, r: bv32)
  requires s <= 32
{
  l := x << s;
  r := x >> s;
}
''', "method Shifts(x: bv32, s: nat) returns (l: bv32, r: bv32)",
     [{"x": 4294967295, "s": 32}, {"x": 6, "s": 1}, {"x": 2147483648, "s": 31}]),
    ('''
method Sum2(m: array2<int>) returns (s: int)
{
  s := 0;
  var i := 0;
  while i < m.Length0
  {
    var j := 0;
    while j < m.Length1
    {
      s := s + m[i, j];
      j := j + 1;
    }
    i := i + 1;
  }
}
''', "method Sum2(m: array2<int>) returns (s: int)", [{"m": [[1, 2], [3, 4]]}, {"m": [[-5]]}]),
]


@pytest.mark.slow
def test_dafny_programs_batch(tmp_path: Path):
    """Loops, in-place arrays, strings, growing sequences, bit-vector shifts, 2-D arrays (one batch: ~20 s)."""
    problems = []
    for k, (source, signature, tests) in enumerate(PROGRAMS):
        try:
            model = compile_dafny(source)
        except Exception as exc:  # a Python-compiler gap is reported, not hidden
            problems.append(f"{signature}: Dafny -> Python: {exc}")
            continue
        task = task_from_dict({"id": f"p{k}", "description": "d", "signature": signature, "tests": vectors(tests)})
        _program, report = check_python(model, task, tmp_path / str(k))
        bad = [o.reason for o in report.outcomes if not o.ok]
        if not report.compiled or bad or not report.outcomes:
            problems.append(f"{signature}: {report.compile_log[-300:]} {bad}")
    assert problems == []
