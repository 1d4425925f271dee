// Sum of the integers 0..n, computed by a loop.
function SumUpTo(n: nat): nat
{
  if n == 0 then 0 else n + SumUpTo(n - 1)
}

lemma SumUpToIsNonNegative(n: nat)
  ensures SumUpTo(n) >= 0
{
}

/* Returns 0 + 1 + ... + n. */
method SumToN(n: nat) returns (s: nat)
  ensures s == SumUpTo(n)
{
  s := 0;
  var i := 0;
  while i < n
    invariant 0 <= i <= n
    invariant s == SumUpTo(i)
  {
    i := i + 1;
    s := s + i;
  }
}

method Main()
{
  var s := SumToN(4);
  print s, "\n";
}
