predicate Sorted(a: array<int>)
  reads a
{
  forall i, j :: 0 <= i < j < a.Length ==> a[i] <= a[j]
}

// The index of the first element of a sorted, non-empty array that is at least key (or its length).
method FirstAtLeast(a: array<int>, key: int) returns (k: int)
  requires a.Length > 1 && Sorted(a)
  requires key > 3
  ensures 0 <= k <= a.Length
  ensures forall i :: 0 <= i < k ==> a[i] < key
  ensures forall i :: k <= i < a.Length ==> a[i] >= key
{
  k := 0;
  while k < a.Length && a[k] < key
    invariant 0 <= k <= a.Length
    invariant forall i :: 0 <= i < k ==> a[i] < key
  {
    k := k + 1;
  }
}
