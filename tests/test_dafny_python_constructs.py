"""Each Dafny construct the compiler supports, checked against what Dafny's own compiled program prints.

Every case is a small Dafny program in the resolved form (``var k: int := ...``) that Dafny 2.3 also accepts as
source, with the output Dafny printed for it (``dafny /compile:4 /noVerify``: compiled to C# and run). The fast
tests compile each case with :func:`~hls.dafny_python.compile_resolved` and run the module in a subprocess;
the slow test re-derives every expected output from real Dafny and compiles through the real Dafny front end
(:func:`~hls.dafny_python.compile_program`), so the expectations here cannot drift from Dafny's behaviour.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hls.dafny_python import compile_program, compile_resolved
from tests.support import needs_dafny
from verifiers.dafny import find_dafny

CASES: dict[str, tuple[str, str]] = {}
CASES['int_arith'] = (r"""
method Main()
{
  var big: int := 1;
  var i: int := 0;
  while i < 100
  {
    big := big * 2;
    i := i + 1;
  }
  print big, " ", big - big * 3, "\n";
  print 7 / 2, " ", -7 / 2, " ", 7 / -2, " ", -7 / -2, "\n";
  print 7 % 2, " ", -7 % 2, " ", 7 % -2, " ", -7 % -2, "\n";
  var a: int := -9;
  var b: int := 4;
  print a / b, " ", a % b, " ", (a + 1) / b, " ", (a + 1) % b, " ", a / -b, " ", a % -b, "\n";
  var n: nat := 17;
  print n / 5, " ", n % 5, " ", -n / 5, "\n";
}
""", (
    '1267650600228229401496703205376 -2535301200456458802993406410752\n'
    '3 -4 -3 4\n'
    '1 1 1 1\n'
    '-3 3 -2 0 3 3\n'
    '3 2 -4\n'
))

CASES['bitvectors'] = (r"""
method Main()
{
  var x: bv8 := 200;
  var y: bv8 := 100;
  print x + y, " ", y - x, " ", x * 2, " ", -x, " ", !x, " ", x / 3, " ", x % 7, "\n";
  print x & y, " ", x | y, " ", x ^ y, "\n";
  print x << 1, " ", x << 7, " ", x << 8, " ", x << 9, " ", x >> 3, " ", x >> 8, " ", x >> 9, "\n";
  var m: bv8 := -1;
  var z: bv8 := 0;
  print m, " ", z - 1, " ", x > y, " ", m > x, "\n";
  var w: bv16 := 65535;
  print w + 1, " ", w as int, " ", (x as bv16) << 8, " ", (x as int) * 1000, "\n";
  var k: int := 77;
  var kb: bv8 := k as bv8;
  print kb + 200, "\n";
  var s: bv32 := 1;
  print s << 31, " ", (s << 31) >> 31, " ", s - 2, "\n";
}
""", (
    '44 156 144 56 55 66 4\n'
    '64 236 172\n'
    '144 0 0 0 25 0 0\n'
    '255 255 true true\n'
    '0 65535 51200 200000\n'
    '21\n'
    '2147483648 1 4294967295\n'
))

CASES['arrays'] = (r"""
method Fill(a: array<int>, v: int)
  modifies a
{
  var i: int := 0;
  while i < a.Length
  {
    a[i] := v + i;
    i := i + 1;
  }
}

method Main()
{
  var a: array<int> := new int[4];
  var b: array<bool> := new bool[2];
  print a[..], " ", b[..], " ", a.Length, "\n";
  var alias: array<int> := a;
  Fill(alias, 10);
  print a[..], " ", a[1 .. 3], " ", a[..2], " ", a[2..], "\n";
  var d: array<int> := new int[3] [7, 8, 9];
  var sq: array<int> := new int[5] ((i: int) => i * i);
  print d[..], " ", sq[..], " ", a == alias, " ", a == d, "\n";
  var m: array2<int> := new int[2, 3];
  m[1, 2] := 5;
  print m.Length0, " ", m.Length1, " ", m[0, 0], " ", m[1, 2], "\n";
  var g: array2<int> := new int[3, 2] ((i: int, j: int) => 10 * i + j);
  print g[2, 1], " ", g[1, 0], "\n";
  var rows: array<array<int>> := new array<int>[2];
  rows[0] := d;
  rows[1] := d;
  rows[0][0] := 42;
  print rows[1][0], " ", d[0], "\n";
  var cs: array<char> := new char[3] ['x', 'y', 'z'];
  print cs[..], " ", cs[1..], "\n";
}
""", (
    '[0, 0, 0, 0] [false, false] 4\n'
    '[10, 11, 12, 13] [11, 12] [10, 11] [12, 13]\n'
    '[7, 8, 9] [0, 1, 4, 9, 16] true false\n'
    '2 3 0 5\n'
    '21 10\n'
    '42 42\n'
    'xyz yz\n'
))

CASES['sequences'] = (r"""
method Main()
{
  var s: seq<int> := [3, 1, 4, 1, 5];
  var e: seq<int> := [];
  print s, " ", e, " ", |s|, " ", s[2], " ", s[1 .. 3], " ", s[..2], " ", s[3..], " ", s[..], "\n";
  print s + [9, 2], " ", 4 in s, " ", 7 in s, " ", 7 !in s, " ", s[1 := 100], " ", s, "\n";
  var t: seq<int> := s[..2];
  print t < s, " ", t <= s, " ", s <= s, " ", s < s, " ", [3, 2] <= s, " ", s == [3, 1, 4, 1, 5], " ", e < s, "\n";
  var nested: seq<seq<int>> := [[1, 2], [], [3]];
  print nested, " ", nested[0][1], " ", |nested|, " ", multiset(s), "\n";
  var i: int := 2;
  var u: seq<int> := s[i := s[0] + s[4]];
  print u, "\n";
}
""", (
    '[3, 1, 4, 1, 5] [] 5 4 [1, 4] [3, 1] [1, 5] [3, 1, 4, 1, 5]\n'
    '[3, 1, 4, 1, 5, 9, 2] true false true [3, 100, 4, 1, 5] [3, 1, 4, 1, 5]\n'
    'true true true false false true true\n'
    '[[1, 2], [], [3]] 2 3 multiset{3, 1, 1, 4, 5}\n'
    '[3, 1, 8, 1, 5]\n'
))

CASES['strings_chars'] = (r"""
method Main()
{
  var s: string := "hello";
  var c: char := s[1];
  print s, " ", c, " ", |s|, " ", s[1 .. 3], " ", s + " world", "\n";
  print "tab\tq\"uote\\", "\n";
  print c == 'e', " ", 'a' < 'b', " ", c as int, " ", 65 as char, " ", s[0 := 'j'], "\n";
  var cs: seq<char> := ['a', 'b', c];
  var empty: seq<char> := [];
  print cs, "|", empty, "|", cs + ['!'], "|", 'q' in cs, "|", "ab" < "abc", "|", "ab" <= "ab", "\n";
  var words: seq<string> := ["ab", "cd"];
  print words, " ", words[1], "\n";
  print 'x', '\n';
}
""", (
    'hello e 5 el hello world\n'
    'tab\tq"uote\\\n'
    'true true 101 A jello\n'
    'abe||abe!|false|true|true\n'
    '[ab, cd] cd\n'
    'x\n'
))

CASES['sets'] = (r"""
method Main()
{
  var s: set<int> := {5, 1, 3};
  var t: set<int> := {3, 7};
  print s, " ", t, " ", s + t, " ", t + s, " ", s - t, " ", s * t, " ", |s|, "\n";
  print 3 in s, " ", 4 !in s, " ", t <= s, " ", {1} <= s, " ", {1} < s, " ", s !! {8, 9}, " ", s == {1, 3, 5}, "\n";
  var c: set<int> := set x: int | x in s && x > 1;
  var r: set<int> := set x: int | 0 <= x < 6 && x % 2 == 0;
  var sq: set<int> := set x: int | x in s :: x * x;
  print c, " ", r, " ", sq, "\n";
  var w: set<string> := {"b", "a"};
  var e: set<int> := {};
  print w, " ", e, " ", e + s, "\n";
  var u: set<int> := {1, 2, 3, 4};
  var v: set<int> := {9, 8};
  print u + v, " ", v + u, " ", (u - {2}) + {2}, "\n";
}
""", (
    '{5, 1, 3} {3, 7} {5, 1, 3, 7} {5, 1, 3, 7} {5, 1} {3} 3\n'
    'true true false true true true true\n'
    '{5, 3} {0, 2, 4} {25, 1, 9}\n'
    '{b, a} {} {5, 1, 3}\n'
    '{1, 2, 3, 4, 9, 8} {1, 2, 3, 4, 9, 8} {1, 3, 4, 2}\n'
))

CASES['multisets'] = (r"""
method Main()
{
  var m: multiset<int> := multiset{3, 1, 3, 2};
  var n: multiset<int> := multiset{1, 4};
  print m, " ", |m|, " ", m[3], " ", m[9], " ", 3 in m, " ", 9 in m, "\n";
  print m + n, " ", m - multiset{3}, " ", m * n, " ", m[2 := 3], " ", multiset([5, 5, 6]), "\n";
  print multiset{1, 2} <= m, " ", m == multiset{1, 2, 3, 3}, " ", multiset{1, 2} == multiset{2, 1}, "\n";
  var e: multiset<int> := multiset{};
  print e, " ", multiset({7, 8}), "\n";
}
""", (
    'multiset{3, 3, 1, 2} 4 2 0 true false\n'
    'multiset{3, 3, 1, 1, 2, 4} multiset{3, 1, 2} multiset{1} multiset{3, 3, 1, 2, 2, 2} multiset{5, 5, 6}\n'
    'true true true\n'
    'multiset{} multiset{7, 8}\n'
))

CASES['maps'] = (r"""
method Main()
{
  var m: map<int, string> := map[1 := "a", 2 := "b"];
  print m, " ", m[2], " ", 1 in m, " ", 3 in m, " ", 3 !in m, " ", |m|, "\n";
  print m[5 := "e"], " ", m[1 := "z"], " ", m, "\n";
  print m.Keys, " ", m.Values, "\n";
  var sq: map<int, int> := map x: int | x in {3, 1, 2} :: x * x;
  var shifted: map<int, string> := map k: int | k in m :: k + 100 := m[k];
  print sq, " ", shifted, "\n";
  var e: map<int, int> := map[];
  print e, " ", e == map[], " ", m == map[2 := "b", 1 := "a"], "\n";
}
""", (
    'map[1 := a, 2 := b] b true false true 2\n'
    'map[1 := a, 2 := b, 5 := e] map[1 := z, 2 := b] map[1 := a, 2 := b]\n'
    '{1, 2} {a, b}\n'
    'map[3 := 9, 1 := 1, 2 := 4] map[101 := a, 102 := b]\n'
    'map[] true true\n'
))

CASES['control'] = (r"""
method Find(a: seq<int>, x: int) returns (i: int)
{
  i := 0;
  while i < |a|
  {
    if a[i] == x {
      return;
    }
    i := i + 1;
  }
  i := -1;
}

method DivMod(a: nat, b: nat) returns (q: nat, r: nat)
{
  q, r := 0, a;
  while r >= b && b > 0
  {
    q, r := q + 1, r - b;
  }
}

method Classify(x: int) returns (s: string)
{
  if x < 0 {
    s := "neg";
  } else if x == 0 {
    s := "zero";
  } else if x < 10 {
    s := "small";
  } else {
    s := "big";
  }
}

method Main()
{
  var i: int := Find([4, 5, 6], 6);
  var j: int := Find([4, 5, 6], 7);
  var q: nat, r: nat := DivMod(17, 5);
  print i, " ", j, " ", q, " ", r, "\n";
  var a: int, b: int := 1, 2;
  a, b := b, a;
  print a, " ", b, "\n";
  var n: int := 0;
  while true
  {
    n := n + 1;
    if n == 5 {
      break;
    }
  }
  var total: int := 0;
  label outer:
  while total < 100
  {
    total := total + 7;
    if total % 5 == 0 {
      break outer;
    }
  }
  print n, " ", total, "\n";
  var c1: string := Classify(-3);
  var c2: string := Classify(0);
  var c3: string := Classify(4);
  var c4: string := Classify(40);
  print c1, " ", c2, " ", c3, " ", c4, "\n";
  var k: int := 3;
  if {
    case k < 0 =>
      print "neg\n";
    case k >= 0 =>
      print "nonneg\n";
  }
}
""", (
    '2 -1 3 2\n'
    '2 1\n'
    '5 35\n'
    'neg zero small big\n'
    'nonneg\n'
))

CASES['forall_stmt'] = (r"""
method Main()
{
  var a: array<int> := new int[5] [1, 2, 3, 4, 5];
  forall i: int | 0 <= i < a.Length - 1 {
    a[i] := a[i + 1];
  }
  print a[..], "\n";
  var b: array<int> := new int[4] [1, 2, 3, 4];
  forall i: int | 0 <= i < b.Length {
    b[i] := b[(i + 1) % b.Length] * 10;
  }
  print b[..], "\n";
  var m: array2<int> := new int[2, 2];
  forall i: int, j: int | 0 <= i < 2 && 0 <= j < 2 {
    m[i, j] := i + 2 * j;
  }
  print m[0, 0], m[0, 1], m[1, 0], m[1, 1], "\n";
}
""", (
    '[2, 3, 4, 5, 5]\n'
    '[20, 30, 40, 10]\n'
    '0213\n'
))

CASES['datatypes'] = (r"""
datatype Tree = Leaf | Node(left: Tree, val: int, right: Tree)
datatype Color = Red | Green | Blue
datatype Option<T> = None | Some(value: T)

function method Size(t: Tree): nat
{
  match t
  case Leaf => 0
  case Node(l, _, r) => Size(l) + 1 + Size(r)
}

function method Sum(t: Tree): int
{
  if t.Leaf? then 0 else Sum(t.left) + t.val + Sum(t.right)
}

function method Name(c: Color): string
{
  match c
  case Red => "red"
  case Green => "green"
  case Blue => "blue"
}

function method Insert(t: Tree, x: int): Tree
{
  match t
  case Leaf => Node(Leaf, x, Leaf)
  case Node(l, v, r) => if x < v then Node(Insert(l, x), v, r) else Node(l, v, Insert(r, x))
}

function method Depth(t: Tree): int
{
  1 + match t case Leaf => 0 case Node(l, _, r) => if Depth(l) > Depth(r) then Depth(l) else Depth(r)
}

method Main()
{
  var t: Tree := Insert(Insert(Insert(Leaf, 5), 2), 8);
  print Size(t), " ", Sum(t), " ", Depth(t), " ", t.Node?, " ", t.Leaf?, " ", t.val, "\n";
  print t, "\n";
  print Red, " ", Name(Green), " ", Blue == Blue, " ", Red == Blue, "\n";
  var o: Option<int> := Some(3);
  var p: Option<string> := None;
  print o, " ", p, " ", o.value, " ", o == Some(3), "\n";
  match t {
    case Leaf =>
      print "empty\n";
    case Node(l, y, _) =>
      match l {
        case Node(_, x, Leaf) =>
          print "left child ", x, " under ", y, "\n";
        case Leaf =>
          print "no left child under ", y, "\n";
      }
  }
}
""", (
    '3 15 3 true false 5\n'
    'Tree.Node(Tree.Node(Tree.Leaf, 2, Tree.Leaf), 5, Tree.Node(Tree.Leaf, 8, Tree.Leaf))\n'
    'Color.Red green true false\n'
    'Option.Some(3) Option.None 3 true\n'
    'left child 2 under 5\n'
))

CASES['recursion'] = (r"""
function method Fact(n: nat): nat
{
  if n == 0 then 1 else n * Fact(n - 1)
}

function method Count(n: nat): nat
{
  if n == 0 then 0 else 1 + Count(n - 1)
}

predicate method IsEven(n: nat)
{
  if n == 0 then true else IsOdd(n - 1)
}

predicate method IsOdd(n: nat)
{
  if n == 0 then false else IsEven(n - 1)
}

method Main()
{
  print Fact(25), " ", Count(5000), " ", IsEven(10), " ", IsOdd(7), " ", IsEven(3), "\n";
}
""", '15511210043330985984000000 5000 true true false\n')

CASES['expressions'] = (r"""
function method Abs(x: int): int
{
  if x < 0 then -x else x
}

method Main()
{
  var x: int := 7;
  var y: int := var q: int := x * 2; q + 1;
  var z: int := if x > 5 then 1 else if x > 0 then 2 else 3;
  print y, " ", z, " ", Abs(-4), " ", Abs(4), "\n";
  var b: bool := 0 <= x < 10;
  var c: bool := x == 7 ==> y == 15;
  var d: bool := x == 8 ==> false;
  var e: bool := (x == 7) <==> (y == 15);
  var f: bool := x == 7 || 1 / 0 == 0;
  var g: bool := x != 7 && 1 / 0 == 0;
  print b, " ", c, " ", d, " ", e, " ", f, " ", g, " ", 1 < 2 < 3, " ", 1 < 3 < 2, "\n";
  var all: bool := forall k: int :: 0 <= k < 5 ==> k * k < 25;
  var ex: bool := exists k: int :: 0 <= k < 5 && k * k == 9;
  var none: bool := exists k: int :: 0 <= k < 5 && k * k == 10;
  var inset: bool := forall k: int :: k in {2, 4, 6} ==> k % 2 == 0;
  print all, " ", ex, " ", none, " ", inset, "\n";
  var t: (int, string) := (1, "one");
  print t, " ", t.0, " ", t.1, " ", (true, 'c', [1, 2]), "\n";
  print (x, y), "\n";
}
""", (
    '15 1 4 4\n'
    'true true true true true false true false\n'
    'true true false true\n'
    '(1, one) 1 one (true, c, [1, 2])\n'
    '(7, 15)\n'
))

CASES['quantifier_bounds'] = (r"""
predicate method Sorted(s: seq<int>)
{
  forall i: int, t0: int | t0 == i + 1 :: 0 <= i && i < |s| - 1 ==> s[i] <= s[t0]
}

predicate method Grouped(s: string)
{
  forall i: int, j: int :: 0 <= i < |s| && 0 <= j < |s| && s[i] == 'b' && s[j] == 'a' ==>
    i < j && forall k: int :: 0 <= k < i ==> s[k] != 'a'
}

method Main()
{
  print Sorted([1, 2, 2, 5]), " ", Sorted([3, 1]), " ", Sorted([]), "\n";
  print Grouped("bba"), " ", Grouped("abb"), " ", Grouped("bab"), "\n";
}
""", (
    'true false true\n'
    'true false false\n'
))

CASES['lambdas'] = (r"""
function method Apply(f: int -> int, x: int): int
{
  f(x)
}

method Main()
{
  var k: int := 1;
  var add: int -> int := (x: int) => x + k;
  k := 100;
  print add(1), " ", Apply(add, 10), " ", Apply((x: int) => x * x, 7), "\n";
  var pair: (int, int) -> int := (a: int, b: int) => a * 10 + b;
  print pair(3, 4), "\n";
  var fs: seq<int -> int> := [(x: int) => x + 1, (x: int) => x * 2];
  print fs[0](5), " ", fs[1](5), "\n";
}
""", (
    '2 11 49\n'
    '34\n'
    '6 10\n'
))

CASES['reals'] = (r"""
method Main()
{
  var a: real := 0.25;
  var b: real := -2.0;
  print a, " ", b, " ", a + b, " ", a * b, " ", a - 0.05, " ", 1.0 / 3.0, " ", 1.0 / 3.0 * 3.0, "\n";
  print 10.0 / 4.0, " ", -0.5, " ", 1.5, " ", 3.14 + 0.86, " ", 0.0, "\n";
  print a < b, " ", b < a, " ", a == 0.25, " ", 1.0 / 3.0 * 3.0 == 1.0, " ";
  print 1.5.Floor, " ", (-1.5).Floor, " ", 7 as real, "\n";
}
""", (
    '0.25 -2.0 -1.75 -0.50 0.20 (1.0 / 3.0) (3.0 / 3.0)\n'
    '(10.0 / 4.0) -0.5 1.5 4.00 0.0\n'
    'false true true true 1 -2 7.0\n'
))

CASES['shadowing'] = (r"""
method Main()
{
  var x: int := 1;
  if x > 0 {
    var x: int := 2;
    x := x + 10;
    print x, " ";
  }
  print x, "\n";
  var i: int := 0;
  var s: int := 0;
  while i < 3
  {
    var i': int := i * 10;
    s := s + i';
    i := i + 1;
  }
  print s, " ", i, "\n";
}
""", (
    '12 1\n'
    '30 3\n'
))

CASES['such_that'] = (r"""
method Main()
{
  var s: set<int> := {30, 10, 20};
  var x: int :| x in s;
  var y: int :| y in s && y < 25;
  var n: int :| 0 <= n < 10 && n * n > 20;
  print x, " ", y, " ", n, "\n";
  var xs: seq<int> := [];
  while s != {}
  {
    var e: int :| e in s;
    xs := xs + [e];
    s := s - {e};
  }
  print xs, "\n";
}
""", (
    '30 10 5\n'
    '[30, 10, 20]\n'
))

CASES['types'] = (r"""
type Pos = x: int | x > 0 witness 1
newtype Byte = x: int | 0 <= x < 256
const LIMIT: int := 10
const NAMES: seq<string> := ["x", "y"]

method Twice<T>(x: T) returns (r: seq<T>)
{
  r := [x, x];
}

method Main()
{
  var p: Pos := 3;
  var b: Byte := 200;
  var n: nat := 4;
  var t: seq<int> := Twice(5);
  var u: seq<bool> := Twice(true);
  print p + 1, " ", b / 3, " ", n * LIMIT, " ", NAMES, " ", t, " ", u, "\n";
  var c: char;
  var i: int;
  var bb: bool;
  var s: seq<int>;
  print c == 'D', " ", i, " ", bb, " ", s, "\n";
}
""", (
    '4 66 40 [x, y] [5, 5] [true, true]\n'
    'true 0 false []\n'
))


def run_python(text: str, timeout: float = 30.0) -> str:
    """Run a module's text as a program and return what it printed (a failure shows its error)."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d, "prog.py")
        path.write_text(text, encoding="utf-8")
        res = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=timeout, cwd=d)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


@pytest.mark.parametrize("name", sorted(CASES))
def test_construct_prints_what_dafny_prints(name: str) -> None:
    program, expected = CASES[name]
    module = compile_resolved(program, name)
    assert module.has_main
    assert run_python(module.text) == expected


SPLIT_FORALL = r"""
predicate method Grouped(s: string)
{
  forall i: int, j: int {:trigger s[j], s[i]} ::
    (0 <= i < |s| && 0 <= j < |s| && s[i] == 'b' && s[j] == 'a' ==> i < j) &&
    (0 <= i < |s| && 0 <= j < |s| && s[i] == 'b' && s[j] == 'a' ==> j > 0)
}

method Main()
{
  print Grouped("ba"), " ", Grouped("ab"), " ", Grouped(""), "\n";
}
"""


def test_a_forall_split_by_dafny_keeps_its_bounds() -> None:
    """Dafny's resolver prints ``A ==> B && C`` as ``(A ==> B) && (A ==> C)`` (Dafny rejects that form as
    source, so it is checked here, not against Dafny): the antecedent both share still bounds i and j."""
    assert run_python(compile_resolved(SPLIT_FORALL, "split").text) == "true false true\n"


def _dafny_output(program: str) -> str:
    with tempfile.TemporaryDirectory() as d:
        Path(d, "p.dfy").write_text(program, encoding="utf-8")
        res = subprocess.run([find_dafny(), "/compile:4", "/noVerify", "/compileVerbose:0", "p.dfy"], cwd=d,
                             capture_output=True, text=True, timeout=300)
    marker = "Dafny program verifier finished"
    assert marker in res.stdout, res.stdout + res.stderr
    return res.stdout.split(marker, 1)[1].split("\n", 1)[1]


@pytest.mark.slow
@needs_dafny
def test_cases_against_real_dafny() -> None:
    """Dafny's compiled program prints the expected text, and the real front end compiles to the same."""

    def one(name: str) -> tuple[str, str, str, str]:
        program, expected = CASES[name]
        return name, expected, _dafny_output(program), run_python(compile_program(program, name).text)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, sorted(CASES)))
    for name, expected, dafny, ours in results:
        assert dafny == expected, f"{name}: Dafny now prints {dafny!r}"
        assert ours == expected, f"{name}: through the Dafny front end the module prints {ours!r}"
