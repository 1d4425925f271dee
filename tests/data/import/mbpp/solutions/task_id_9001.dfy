// The largest element, by a linear scan.
method largest(xs: array<int>) returns (m: int)
  requires xs.Length > 0
  ensures forall i :: 0 <= i < xs.Length ==> xs[i] <= m
  ensures exists i :: 0 <= i < xs.Length && xs[i] == m
{
  m := xs[0];
  var k := 1;
  while k < xs.Length
    invariant 1 <= k <= xs.Length
    invariant forall i :: 0 <= i < k ==> xs[i] <= m
    invariant exists i :: 0 <= i < k && xs[i] == m
  {
    if xs[k] > m {
      m := xs[k];
    }
    k := k + 1;
  }
}
