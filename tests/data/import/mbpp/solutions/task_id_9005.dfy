method doubleAll(a: array<int>)
  modifies a
  ensures forall i :: 0 <= i < a.Length ==> a[i] == 2 * old(a[i])
{
  var i := 0;
  while i < a.Length
    invariant 0 <= i <= a.Length
    invariant forall j :: 0 <= j < i ==> a[j] == 2 * old(a[j])
    invariant forall j :: i <= j < a.Length ==> a[j] == old(a[j])
  {
    a[i] := 2 * a[i];
    i := i + 1;
  }
}
